/**
 * Public value and option types of the database API, shared by core, the worker protocol and the
 * React hooks. Kept free of runtime code and of imports, so every layer can import it cheaply.
 * (The open options, which name the storage contract, live with `Database` in database/open-options.ts.)
 */

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

/**
 * How to unlock: exactly one of a password, a raw 256-bit key, a recovery key, or a passkey's PRF output.
 * A password is a string (NFC-normalized, then UTF-8-encoded, by core) or those UTF-8 bytes of the
 * NFC-normalized text, which core copies as given: bytes can be wiped after use, strings cannot.
 */
export type KeyMaterial =
  | { password: string | Uint8Array; key?: never; recoveryKey?: never; passkey?: never }
  | { key: Uint8Array; password?: never; recoveryKey?: never; passkey?: never }
  | { recoveryKey: string; password?: never; key?: never; passkey?: never }
  | { passkey: PasskeyAssertion; password?: never; key?: never; recoveryKey?: never };

/** Where and how long a passkey ceremony (the browser's WebAuthn prompt) runs. */
export interface PasskeyCeremonyOptions {
  /** The WebAuthn relying-party id (default: the page's host). Passkeys are bound to it. */
  rpId?: string;
  /** How long the browser prompt may stay open (ms); the browser's default when absent. */
  timeoutMs?: number;
}

/**
 * Unlock with a passkey of the database (browser): the WebAuthn prompt runs in the page, and only
 * the authenticator's PRF output for the slot goes to the worker (once, transferred, not kept there).
 */
export type PasskeyUnlock = { passkey: true | PasskeyCeremonyOptions; password?: never; key?: never; recoveryKey?: never };

/** What unlocks: a password (a bare string), key material, or `{ passkey: true }`. */
export type UnlockSecret = string | KeyMaterial | PasskeyUnlock;

/** Argon2id cost parameters. Bounds: 19 MiB ≤ memory ≤ 1 GiB, 2 ≤ iterations ≤ 10, 1 ≤ parallelism ≤ 16. */
export interface KdfParams {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

export type JournalMode = 'WAL' | 'DELETE' | 'TRUNCATE' | 'PERSIST' | 'MEMORY' | 'OFF';

/** Tables a statement reads and writes, found with SQLite's authorizer at prepare time. */
export interface StatementTables {
  reads: string[];
  writes: string[];
}

/** Called after a write transaction commits, with the names of the tables it changed. */
export type ChangeListener = (tables: readonly string[]) => void;

/** What a transaction callback receives: the same query methods, bound to the transaction. */
/** `values()`: rows as arrays in column order, and the column names (which may repeat). */
export interface ValuesResult {
  columns: string[];
  rows: SqlValue[][];
}

export interface Transaction {
  exec(sql: string, params?: BindParams): Promise<RunResult>;
  values(sql: string, params?: BindParams): Promise<ValuesResult>;
  query<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined>;
}

export type TransactionBehavior = 'DEFERRED' | 'IMMEDIATE' | 'EXCLUSIVE';

/** Whether the keys of an open database are held (`unlocked`), wiped (`locked`), or being derived (`unlocking`); the worker and the React hooks report it. */
export type LockState = 'locked' | 'unlocking' | 'unlocked';
