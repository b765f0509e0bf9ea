/**
 * The core types this package hands to apps, listed once: `index.ts` re-exports this whole file,
 * and the protocol and the page take their core types from here, so a type the package uses and
 * the type an app imports from `@cipherlite/worker` are the same declaration.
 */
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
export type { ErrorCode, BindParams, Row, RunResult, SqlValue, StatementTables, KeyMaterial, KdfParams } from '@cipherlite/core/errors';
export type { PasskeyCeremonyOptions, PasskeyUnlock, UnlockSecret } from '@cipherlite/core';
