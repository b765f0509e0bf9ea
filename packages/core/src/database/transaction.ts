/**
 * `Database.transaction`: BEGIN, the caller's function with a `Transaction` handle whose calls run
 * at once (the database's queue is held by the transaction), then COMMIT — or ROLLBACK when the
 * function throws, or when the database is closed while it runs (`close()` would otherwise wait
 * for a callback that may never settle).
 */
import { CipherliteError } from '../errors.js';
import type { BindParams, Row, Transaction, TransactionBehavior } from '../types.js';
import { execNow, queryNow, valuesNow, type StatementHost } from './statements.js';

/** What a transaction needs of its `Database` besides running statements. */
export interface TransactionHost extends StatementHost {
  /** Whether the connection is still open (closing it ends a transaction). */
  readonly isOpen: boolean;
  /** SQLite's autocommit flag: false while a transaction is open. */
  autocommit(): boolean;
  /** Sets (or clears, with null) what `close()` calls to end the running transaction. */
  setAbort(abort: (() => void) | null): void;
}

/** Runs inside the database's queue (the caller enqueues it). */
export async function runTransaction<T>(h: TransactionHost, fn: (tx: Transaction) => Promise<T> | T, behavior: TransactionBehavior): Promise<T> {
  execNow(h, `BEGIN ${behavior}`);
  let active = true;
  const guard = <R>(f: () => R): Promise<R> => {
    if (!active) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', 'this transaction has already finished'));
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(e);
    }
  };
  const tx: Transaction = {
    exec: (sql, params) => guard(() => execNow(h, sql, params)),
    query: <R extends Row = Row>(sql: string, params?: BindParams) => guard(() => queryNow<R>(h, sql, params)),
    values: (sql, params) => guard(() => valuesNow(h, sql, params)),
    get: <R extends Row = Row>(sql: string, params?: BindParams) => guard((): R | undefined => queryNow<R>(h, sql, params, 1)[0]),
  };
  // close() while `fn` never settles would wait forever: it ends the transaction instead.
  let closedUnder!: (e: CipherliteError) => void;
  const closing = new Promise<never>((_, reject) => (closedUnder = reject));
  h.setAbort(() => closedUnder(new CipherliteError('CLOSED', 'the database was closed during this transaction; it was rolled back')));
  try {
    const result = await Promise.race([fn(tx), closing]);
    active = false;
    execNow(h, 'COMMIT');
    return result;
  } catch (e) {
    active = false;
    if (h.isOpen && !h.autocommit()) {
      try {
        execNow(h, 'ROLLBACK');
      } catch {
        // SQLite may already have rolled back (e.g. after an I/O error); the original error matters.
      }
    }
    h.changes.discard();
    throw e;
  } finally {
    h.setAbort(null);
  }
}
