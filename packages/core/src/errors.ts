/**
 * One error type for the whole library, with a machine-readable `code`.
 *
 * Why one class: errors cross the Comlink boundary, where subclasses and `instanceof` are lost;
 * a plain `{ code, message, ... }` object is what survives. `toWire`/`fromWire` do that round
 * trip explicitly, so the client rebuilds exactly the error the worker threw.
 *
 * Security: no message built by this library contains a password, a key or plaintext page
 * bytes. Messages name files, block numbers and SQLite's own text only.
 */

/**
 * Every error code, once: the type `ErrorCode` is read off this list, and README's "Errors"
 * section is checked against it (scripts/check-error-codes.mjs).
 */
export const ERROR_CODES = [
  'WRONG_KEY', // password / raw key does not open any keyslot
  'NOT_A_DATABASE', // not our container format (bad magic, plain SQLite, garbage)
  'NOT_FOUND', // the database does not exist and the caller asked not to create it (`create: false`)
  'CORRUPT', // a block or header failed authentication, or SQLite found corruption
  'QUOTA_EXCEEDED', // storage full
  'LOCKED', // the vault is locked (keys wiped); unlock first
  'CLOSED', // the database was closed
  'BUSY', // SQLite busy / another owner holds the files
  'SQL', // an SQL error reported by SQLite (syntax, constraint, ...)
  'UNSUPPORTED', // the environment lacks something required (OPFS, workers)
  'WORKER_LOAD_FAILED', // the database worker script did not load (usually the bundler setup)
  'INVALID_ARGUMENT', // the caller passed a bad value
  'WORKER_LOST', // the database worker died or stopped answering; the call's outcome is in the database
  'CANCELLED', // the user dismissed a browser prompt (a passkey ceremony) or it timed out, or an operation was cancelled through its AbortSignal
  'NO_PASSKEY', // the database has no passkey keyslot to unlock with
  'MIGRATION_FAILED', // a migration step failed and was rolled back, or the recorded migrations do not match the steps given
  'SYNC_TABLE', // a table cannot take part in multi-device sync (no explicit PRIMARY KEY, or not enabled for sync)
  'SYNC_SCHEMA', // a sync schema entry cannot be applied on this device (newer than the app, or its DDL fails)
  'IO', // a storage error that is none of the above
  'REPLICA_AUTH', // the object store refused the credentials (expired, denied, wrong signature)
  'REPLICA_UNAVAILABLE', // the object store cannot be reached or keeps failing (offline, 5xx, timeouts)
  'REPLICA_CORRUPT', // a replica object fails authentication or does not parse (replaced, truncated, damaged)
  'REPLICA_MISSING', // a replica object the history needs is absent (deleted, a gap in the log, a missing chunk)
  'REPLICA_REORDERED', // an authentic replica object sits at the wrong position (moved, replayed as newer)
  'REPLICA_FOREIGN', // a replica object belongs to another database
  'REPLICA_ROLLBACK', // the bucket is older than what this device already saw
  'REPLICA_FORK', // the bucket holds a history that does not continue the one this device wrote or saw
  'REPLICA_UNSUPPORTED', // the object store lacks conditional writes (If-None-Match: *), which multi-writer sync needs
  'REPLICA_MODE', // the replica generation is multi-writer (sync) where single-writer was expected, or the reverse
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra, non-secret facts attached to an error. */
export interface ErrorDetails {
  /** SQLite's primary or extended result code, for `SQL` and errors that came through SQLite. */
  sqliteCode?: number;
  /** Which kind of file failed, for `CORRUPT`. */
  fileKind?: string;
  /** Which block (0-based) failed authentication, for `CORRUPT`. */
  block?: number;
  /** The database page (1-based) that block holds, when the file is the main database. */
  page?: number;
  /** The tables concerned, for `SYNC_TABLE`. */
  tables?: readonly string[];
  /** The log position concerned, for `SYNC_SCHEMA` and malformed sync entries. */
  seq?: number;
  /** The files a failed check left untouched for inspection (a refused replacement, for example). */
  files?: string[];
  /** The replica generation concerned (a REPLICA_MISSING for a generation retention deleted). */
  generation?: number;
  /** The replica object concerned (its name in the bucket: sequence numbers only, no secret). */
  object?: string;
  /** The HTTP status the object store answered, for REPLICA_AUTH / REPLICA_UNAVAILABLE. */
  status?: number;
}

export class CipherliteError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CipherliteError';
    this.code = code;
    this.details = details;
  }
}

/** The plain-object form of a `CipherliteError` that crosses postMessage/Comlink. */
export interface WireError {
  readonly __cipherlite: 1;
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: ErrorDetails;
}

export function isCipherliteError(e: unknown, code?: ErrorCode): e is CipherliteError {
  return e instanceof CipherliteError && (code === undefined || e.code === code);
}

/** Serializes any thrown value; non-library errors become `IO` or keep their message only. */
export function toWire(e: unknown): WireError {
  if (e instanceof CipherliteError) {
    return { __cipherlite: 1, code: e.code, message: e.message, details: { ...e.details } };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { __cipherlite: 1, code: 'IO', message, details: {} };
}

export function isWireError(v: unknown): v is WireError {
  return typeof v === 'object' && v !== null && (v as { __cipherlite?: unknown }).__cipherlite === 1;
}

export function fromWire(w: WireError): CipherliteError {
  const code = ERROR_CODES.includes(w.code) ? w.code : 'IO';
  return new CipherliteError(code, String(w.message), w.details ?? {});
}

/** Argument validation helper: throws `INVALID_ARGUMENT`. */
export function invalidArgument(message: string): never {
  throw new CipherliteError('INVALID_ARGUMENT', message);
}
