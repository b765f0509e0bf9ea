/**
 * Public types of the key-management and portability functions (keys/*.ts).
 * Runtime-free, so the worker protocol and UI code can import them cheaply.
 */
import type { OpenOptions } from '../database/open-options.js';
import type { KdfParams, KeyMaterial } from '../types.js';

/** A secret for a *new* keyslot: a password (Argon2id) or a raw 256-bit key. */
export type NewSecret = { password: string | Uint8Array; key?: never } | { key: Uint8Array; password?: never };

/**
 * Progress of a long operation. `done`/`total` count the operation's natural unit for that
 * phase (stated per function: pages, blocks, bytes or tables); `total` may be 0 for an empty
 * database. Callbacks are called synchronously from the operation; a throwing callback aborts it
 * (before anything irreversible happens, the operation cleans up).
 */
export interface Progress<P extends string = string> {
  phase: P;
  done: number;
  total: number;
}
export type ProgressCallback<P extends string = string> = (progress: Progress<P>) => void;

/** Public facts about one keyslot — never key material. */
export interface KeyslotInfo {
  index: number;
  kind: 'password' | 'raw' | 'recovery' | 'passkey';
  /** When the slot was created (ms since the epoch). */
  createdAt: number;
  /** Passkey slots: the label given when it was added (e.g. the user name). */
  label?: string;
  /** Passkey slots: the WebAuthn credential id, base64url (public). */
  credentialId?: string;
  /** Argon2id parameters, for password slots only. */
  kdf?: { algorithm: 'argon2id' } & KdfParams;
}

export interface TableInfo {
  name: string;
  rows: number;
}

export interface BackupMeta {
  /** Size of the encrypted backup in bytes. */
  sizeBytes: number;
  /** When the snapshot was taken (ms since the epoch). */
  createdAt: number;
  pageSize: number;
  formatVersion: number;
  /** User tables (no `sqlite_*`) and their row counts, as in the snapshot. */
  tables: TableInfo[];
}

export interface BackupResult {
  /** A complete cipherlite database file, encrypted under the chosen secret. */
  bytes: Uint8Array;
  meta: BackupMeta;
}

/** What a restore would change, for a confirmation dialog. */
export interface DatabaseSummary {
  /** Logical size (page count × page size). */
  sizeBytes: number;
  pageSize: number;
  pageCount: number;
  tables: TableInfo[];
}

export interface TableComparison {
  name: string;
  /** Rows now, or null if the table does not exist now (the restore would create it). */
  currentRows: number | null;
  /** Rows in the backup, or null if the backup lacks it (the restore would drop it). */
  backupRows: number | null;
}

export interface RestoreComparison {
  current: DatabaseSummary;
  backup: DatabaseSummary;
  /** Every table of either side, sorted by name. */
  tables: TableComparison[];
}

export interface RestoreResult {
  /** Name (in the database's storage) of the automatic backup taken before the restore. */
  safetyBackup: string;
  /** The database as it is after the restore. */
  restored: DatabaseSummary;
}

/** Re-opening options for operations that hand back a fresh `Database` (rekey). */
export type ReopenOptions = Partial<Omit<OpenOptions, 'storage' | 'name' | 'create' | 'pageSize'>>;

export interface RekeyResult {
  /** The database, reopened on the new data key (the `db` passed in is closed). */
  db: import('../database/database.js').Database;
  /** Slots that could not be carried over (their secrets are unknown to us): they were dropped. */
  droppedKeyslots: KeyslotInfo[];
}

export interface VerifyFailure {
  file: 'main' | 'journal' | 'wal';
  /** 0-based block index within the file; -1 for a journal's or WAL's header, or one the next open would refuse (cut below its seal, stale, or a WAL the database was not checkpointed from). */
  block: number;
  /** 1-based database page, for the main file. */
  page?: number;
}

export interface VerifyResult {
  /** True when every block authenticated and `integrity_check` said "ok". */
  ok: boolean;
  blocksChecked: number;
  failures: VerifyFailure[];
  /** The rows of `PRAGMA integrity_check` (["ok"] when healthy), or the error it raised. */
  integrity: string[];
}

export interface StoredFile {
  name: string;
  bytes: number;
}

export interface TableStats {
  name: string;
  rows: number;
  /** Bytes of the table's b-tree pages (dbstat). */
  bytes: number;
  /** Bytes of its indexes' pages. */
  indexBytes: number;
}

export interface DatabaseStats {
  /** Bytes on storage: the main file plus its journal. */
  totalBytes: number;
  files: StoredFile[];
  pageSize: number;
  /** Encryption block size (equal to the page size in format v1). */
  blockSize: number;
  pageCount: number;
  /** Free pages inside the file (`PRAGMA freelist_count`). */
  freePages: number;
  formatVersion: number;
  cipher: 'AES-256-GCM';
  /** Hex file id (public; it salts the per-file keys). */
  fileId: string;
  createdAt: number;
  keyslotCount: number;
  keyslots: KeyslotInfo[];
  epoch: { current: number; writesInEpoch: number; nextEpoch: number; limit: number };
  tables: TableStats[];
}

export type { KeyMaterial };
