/**
 * `@cipherlite/worker` — the browser entry: an encrypted SQLite database in OPFS, run in a Web
 * Worker, shared by every tab of the origin. Main-thread API only; the worker entry is
 * `@cipherlite/worker/worker`.
 */
export { openDatabase, importDatabase, restoreFromReplica, joinSyncReplica, assertBrowserSupport } from './page/open.js';
export { CipherliteDatabase } from './page/client.js';
export { ReplicaControl, type ReplicaSecret, type RestoreReplicaPageOptions } from './page/replica.js';
export { verifyReplica, type VerifyReplicaPageOptions as VerifyReplicaOptions } from './page/replica-verify.js';
export type { VerifyReplicaResult } from '@cipherlite/core/replica';
export type { ReplicaCredentials, ReplicaSigner, ReplicaStatus, ReplicaStateName, WorkerReplicaOptions as ReplicaOptions } from './shared/replica.js';
export { SyncControl } from './page/sync.js';
export type {
  RefusalReason,
  SyncConflict,
  SyncDeviceContact,
  SyncDeviceInfo,
  SyncRefusal,
  SyncReplicaTarget,
  SyncStateName,
  SyncStatus,
  TablePolicy,
  WorkerSyncOptions as SyncOptions,
} from './shared/sync.js';
export { passkeySlots } from './page/passkey-loader.js';
export { databaseExists, type DatabaseExistsOptions } from './page/database-exists.js';
export type { ImportDatabaseOptions, JoinSyncReplicaOptions, OpenDatabaseOptions, OpenDatabaseBaseOptions, RestoreFromReplicaOptions } from './page/open.js';
export type { AddPasskeyOptions, Transaction } from './page/client.js';
export type { PasskeyRegistration } from './page/passkey-ceremony.js';
export type { CallOptions, LockState, Role, StorageBackend, StorageChoice, Statement, DbOps, WireOptions, PendingRestoreInfo } from './shared/protocol.js';
export type * from './shared/public-types.js';
export { CipherliteError, isCipherliteError } from '@cipherlite/core/errors';
