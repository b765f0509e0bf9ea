/**
 * `@cipherlite/worker` — the browser entry: an encrypted SQLite database in OPFS, run in a Web
 * Worker, shared by every tab of the origin. Main-thread API only; the worker entry is
 * `@cipherlite/worker/worker`.
 */
export { openDatabase, importDatabase, CipherliteDatabase, assertBrowserSupport } from './page/client.js';
export { passkeySlots } from './page/passkey-slots.js';
export { databaseExists, type DatabaseExistsOptions } from './page/database-exists.js';
export type { AddPasskeyOptions, ImportDatabaseOptions, OpenDatabaseOptions, OpenDatabaseBaseOptions, Transaction } from './page/client.js';
export type { PasskeyRegistration } from './page/passkey-ceremony.js';
export type { CallOptions, LockState, Role, StorageBackend, StorageChoice, Statement, DbOps, WireOptions, PendingRestoreInfo } from './shared/protocol.js';
export type {
  BackupFile,
  BackupOptions,
  BackupResult,
  ChangePasswordOptions,
  ConfirmOptions,
  DatabaseStats,
  KeyslotInfo,
  NewPasskey,
  NewSecret,
  PasskeyChallenge,
  Progress,
  ProgressCallback,
  RecoveryKeyResult,
  RekeyPhase,
  RestoreComparison,
  RestoreResult,
  TableComparison,
  VerifyResult,
} from '@cipherlite/core/keys';
export { CipherliteError, isCipherliteError } from '@cipherlite/core/errors';
export type { ErrorCode, BindParams, Row, RunResult, SqlValue, StatementTables, KeyMaterial, KdfParams } from '@cipherlite/core/errors';
export type { PasskeyCeremonyOptions, PasskeyUnlock, UnlockSecret } from '@cipherlite/core';
