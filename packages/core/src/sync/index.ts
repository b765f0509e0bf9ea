/**
 * @cipherlite/core/sync — multi-device sync of a database over an ordered log (docs/SYNC.md).
 */
export { enableSync, type Sync, type SyncOptions, type SyncStatus } from './engine.js';
export { MemorySyncLog, type AppendResult, type LogEntry, type LogFault, type LogOperation, type LogRecord, type SyncLog } from './log.js';
export type { RefusalReason, SyncDevice, SyncRefusal } from './devices.js';
export type { ConflictReason, SyncConflict, TablePolicy } from './merge.js';
export { createSyncReplica, openSyncReplica, probeConditionalWrites, ReplicaSyncLog, type SyncReplicaOptions } from './replica-log.js';
export { joinSyncReplica, type JoinSyncReplicaOptions } from './join.js';
