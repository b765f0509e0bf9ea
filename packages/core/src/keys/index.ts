/**
 * Key management and data portability for an open `Database`.
 *
 * Functions, not methods, so each is tree-shakeable and testable on its own; `Database` and the
 * worker expose them as methods. Every function that changes keys or replaces content takes the
 * caller's current secret and proves it first (WRONG_KEY, nothing changed). Long operations take
 * `onProgress` (done/total in pages, blocks or bytes — see each function).
 *
 * Crash safety: changePassword/addRecoveryKey/removeKeyslot use the A/B header update; rekey uses
 * a crash-safe file replacement (storage/file-replacement.ts; `Database.open` finishes an interrupted one once the key is proven);
 * restore copies through the live database's own rollback journal.
 */
export {
  addKeyslot,
  addRecoveryKey,
  changePassword,
  listKeyslots,
  removeKeyslot,
  type AddKeyslotResult,
  type ChangePasswordOptions,
  type RecoveryKeyResult,
  type RemoveKeyslotOptions,
} from './keyslots.js';
export { addPasskey, passkeyChallenges, PASSKEY_SALT_SIZE, PRF_OUTPUT_SIZE, type NewPasskey, type PasskeyChallenge } from './passkey.js';
export { rekey, type RekeyOptions, type RekeyPhase } from './rekey.js';
export { backup, inspectBackup, listBackups, PendingRestore, pruneBackups, restore, type BackupFile, type BackupOptions, type ConfirmOptions, type InspectOptions } from './backup.js';
export { exportPlaintext, importPlaintext, type ExportOptions, type ImportOptions, type ImportResult } from './plaintext.js';
export { stats, verify, type StatsOptions, type VerifyOptions } from './verify.js';
export { recoverPendingReplace, replaceFile, replaceMarkerName, replaceSourceName, type RecoveryOutcome } from '../storage/file-replacement.js';
export { describeContainer, type ContainerInfo, type HeaderCopyInfo } from './header-info.js';
export type * from './types.js';
