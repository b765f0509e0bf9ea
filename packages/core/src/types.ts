/**
 * Public value and option types of the database API, shared by core, the worker protocol and the
 * React hooks. Kept free of runtime code so every layer can import it cheaply.
 */
import type { SyncStorage } from './storage/sync-file.js';

/** A value SQLite can store. Integers beyond 2^53 come back as `bigint`. */
export type SqlValue = null | number | bigint | string | Uint8Array;

/** Positional (`?`) or named (`:name`, `$name`, `@name`; keys include the prefix) parameters. */
export type BindParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

/** A result row: column name → value. */
export type Row = Record<string, SqlValue>;

export interface RunResult {
  /** Rows changed by the last INSERT/UPDATE/DELETE statement. */
  changes: number;
  /** Rowid of the last inserted row on this connection. */
  lastInsertRowid: number | bigint;
}

/**
 * What a WebAuthn ceremony yields for a passkey keyslot: the credential that answered and its PRF
 * output (32 bytes) for the slot's salt. The PRF output is a key: treat it like a password.
 */
export interface PasskeyAssertion {
  credentialId: Uint8Array;
  prfOutput: Uint8Array;
}

/** How to unlock: exactly one of a password, a raw 256-bit key, a recovery key, or a passkey's PRF output. */
export type KeyMaterial =
  | { password: string; key?: never; recoveryKey?: never; passkey?: never }
  | { key: Uint8Array; password?: never; recoveryKey?: never; passkey?: never }
  | { recoveryKey: string; password?: never; key?: never; passkey?: never }
  | { passkey: PasskeyAssertion; password?: never; key?: never; recoveryKey?: never };

/** Argon2id cost parameters. Bounds: 19 MiB ≤ memory ≤ 1 GiB, 2 ≤ iterations ≤ 10, 1 ≤ parallelism ≤ 16. */
export interface KdfParams {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

export type JournalMode = 'WAL' | 'DELETE' | 'TRUNCATE' | 'PERSIST' | 'MEMORY' | 'OFF';

export interface OpenOptions {
  /** Where the encrypted files live (OPFS in the browser, memory or a directory in Node). */
  storage: SyncStorage;
  /** Database file name within `storage`. */
  name: string;
  /** Create the database when it does not exist (default `true`). */
  create?: boolean;
  /** Page size = encryption block size, fixed at creation (power of two, 512..65536; default 4096). */
  pageSize?: number;
  /** Argon2id parameters used when *creating* a password keyslot (default: 64 MiB, t=3, p=1). */
  kdf?: Partial<KdfParams>;
  /** SQLite page cache in KiB (decrypted pages live here; default 32768 = 32 MiB). */
  cacheSizeKiB?: number;
  /**
   * Journal mode (default `TRUNCATE`). `WAL` runs in exclusive locking mode (no shared memory
   * needed): one durable commit is one flush instead of four, several times faster for small
   * transactions on OPFS (see docs/PERFORMANCE.md); crash- and plaintext-tested like the rollback
   * modes, but the key-management functions (backup, rekey, restore) are validated only with
   * rollback journals so far.
   */
  journalMode?: JournalMode;
  /** `PRAGMA synchronous` level (default `FULL`). */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
}

export type DatabaseOpenOptions = OpenOptions & KeyMaterial;

/** Tables a statement reads and writes, found with SQLite's authorizer at prepare time. */
export interface StatementTables {
  reads: string[];
  writes: string[];
}

/** Called after a write transaction commits, with the names of the tables it changed. */
export type ChangeListener = (tables: readonly string[]) => void;
