/**
 * @cipherlite/core/replica — a continuous, end-to-end encrypted replica of a database on any
 * S3-compatible object store, restore on a new device, verification (docs/REPLICA.md).
 * Platform-neutral: fetch, no Node imports; timers and clock are injectable.
 */
export { startReplica, Replica, type ReplicaStateName, type ReplicaStatus } from './writer.js';
export { replicaPasskeyChallenges, restoreFromReplica, verifyReplica, type RestoreOptions, type VerifyReplicaOptions, type VerifyReplicaResult } from './restore.js';
export type { ReplicaOptions, ReplicaTarget } from './options.js';
export { ReplicaLog, type AppendResult } from './log.js';
export type { KnownTip, OpenedReplica } from './reader.js';
export type { Entry, EntryKind } from './format.js';
export { S3ObjectStore, createBucket, type S3Credentials, type S3Signer, type S3StoreOptions, type UnsignedRequest } from './s3-store.js';
export type { SignerEndpoint, SigningAnswer, SigningRequest } from './signer-endpoint.js';
export { MemoryObjectStore } from './memory-store.js';
export { listAll, type ListPage, type ObjectStore, type PutOptions, type PutResult } from './object-store.js';
export type { RetentionPolicy } from './snapshots.js';
export type { Timers } from './retry.js';
