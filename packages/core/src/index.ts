/**
 * @cipherlite/core — encrypted SQLite for sqlite-wasm.
 * Browser-safe entry point: no Node, DOM or Worker globals are used by anything exported here.
 */
export { Database } from './database/database.js';
export type { DatabaseOpenOptions, OpenOptions } from './database/open-options.js';
export { CipherliteError, ERROR_CODES, fromWire, isCipherliteError, isWireError, toWire, type ErrorCode, type ErrorDetails, type WireError } from './errors.js';
export type { AtOption, SyncFile, SyncStorage } from './storage/sync-file.js';
export { MemoryFile, MemoryStorage } from './storage/memory.js';
export { FileView, type SharedFile } from './storage/file-view.js';
export type {
  BindParams,
  ChangeListener,
  JournalMode,
  KdfParams,
  KeyMaterial,
  PasskeyAssertion,
  PasskeyCeremonyOptions,
  PasskeyUnlock,
  Row,
  RunResult,
  SqlValue,
  StatementTables,
  LockState,
  Transaction,
  TransactionBehavior,
  UnlockSecret,
  ValuesResult,
} from './types.js';
export { DEFAULT_KDF, MAX_KDF, MAX_KDF_WORK_KIB, MIN_KDF } from './crypto/kdf.js';
export { nobleAesGcm, type AeadKey, type AeadKeyFactory } from './crypto/aead.js';
export { createAesGcmKey } from './crypto/aes-gcm-wasm/index.js';
export { aeadBackendName, fastestAead } from './crypto/default-aead.js';
export { formatRecoveryKey, parseRecoveryKey } from './crypto/recovery-key.js';
export { migrate, MIGRATIONS_TABLE, type MigrateResult, type MigrationStep } from './migrate/migrate.js';
export type { LiveSqlClient, SqlClient, SqlTransaction } from './migrate/sql-client.js';
export * as format from './format/constants.js';
