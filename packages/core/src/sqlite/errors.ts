/**
 * SQLite failures → CipherliteError, in one place: the result codes we map (sqlite3.h), quota
 * detection across backends, the VFS's code for a recorded cause, and the translation the
 * Database applies to every call.
 *
 * The VFS never throws into SQLite; it records the cause of a failure and returns a result code.
 * When SQLite then reports an error, the recorded cause (a block that failed authentication, a
 * full disk) wins over SQLite's generic code, so callers see CORRUPT or QUOTA_EXCEEDED rather
 * than "disk I/O error".
 */
import { CipherliteError } from '../errors.js';

/** Primary SQLite result codes (sqlite3.h) used outside the VFS; extended codes carry them in their low byte. */
export const SQLITE_RESULT = { OK: 0, BUSY: 5, LOCKED: 6, IOERR: 10, CORRUPT: 11, FULL: 13, CANTOPEN: 14, NOTADB: 26, DONE: 101 } as const;

/** Where the VFS leaves the cause of its most recent failure for one database (read and cleared here). */
export interface FailureRecord {
  lastError: unknown;
}

/** True for an out-of-space error of any backend: OPFS/IndexedDB (QuotaExceededError) or Node (ENOSPC, EDQUOT). */
export function isQuotaError(e: unknown): boolean {
  const err = e as { name?: string; code?: string } | null;
  return !!err && (err.name === 'QuotaExceededError' || err.code === 'ENOSPC' || err.code === 'EDQUOT');
}

/** The SQLite result code a VFS method returns for exception `e` (`fallback` is the method's own I/O error code). */
export function resultCodeFor(e: unknown, codes: { SQLITE_FULL: number; SQLITE_IOERR_DATA?: number }, fallback: number): number {
  if (e instanceof CipherliteError) {
    if (e.code === 'QUOTA_EXCEEDED') return codes.SQLITE_FULL;
    if (e.code === 'CORRUPT') return codes.SQLITE_IOERR_DATA ?? fallback;
    return fallback;
  }
  if (isQuotaError(e)) return codes.SQLITE_FULL;
  return fallback;
}

/** Turns anything thrown while talking to SQLite into a CipherliteError. */
export function toCipherliteError(e: unknown, record: FailureRecord | null, unbound: unknown = null): CipherliteError {
  const cause = record?.lastError ?? unbound;
  if (record) record.lastError = null;
  if (e instanceof CipherliteError) return e;
  if (cause instanceof CipherliteError) return cause;
  if (isQuotaError(cause) || isQuotaError(e)) {
    return new CipherliteError('QUOTA_EXCEEDED', 'storage quota exceeded; free space and retry (SQLite rolled back the failed statement)');
  }
  const rc = (e as { resultCode?: number } | null)?.resultCode;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof rc === 'number') {
    const primary = rc & 0xff;
    const details = { sqliteCode: rc };
    const causeText = cause instanceof Error ? ` (${cause.message})` : '';
    switch (primary) {
      case SQLITE_RESULT.CORRUPT:
        return new CipherliteError('CORRUPT', message, details);
      case SQLITE_RESULT.NOTADB:
        return new CipherliteError('NOT_A_DATABASE', message, details);
      case SQLITE_RESULT.BUSY:
      case SQLITE_RESULT.LOCKED:
        return new CipherliteError('BUSY', message, details);
      case SQLITE_RESULT.FULL:
        return new CipherliteError('QUOTA_EXCEEDED', message, details);
      case SQLITE_RESULT.IOERR:
      case SQLITE_RESULT.CANTOPEN:
        return new CipherliteError('IO', message + causeText, details);
      default:
        return new CipherliteError('SQL', message, details);
    }
  }
  return new CipherliteError('IO', message, {}, { cause: e });
}
