/**
 * `transaction(fn)` on the page: the statements of core's `Transaction` (plus `batch`) bound to one
 * transaction id in the worker; committed when `fn` resolves, rolled back when it throws, and
 * ended with CLOSED when the handle closes first.
 */
import type { BindParams, Row, RunResult, Transaction as CoreTransaction } from '@cipherlite/core';
import type { Statement } from '../shared/protocol.js';
import type { Connection } from './connection.js';

/** Statements available inside `transaction(fn)`: core's `Transaction`, plus `batch`. */
export interface Transaction extends CoreTransaction {
  batch(statements: readonly Statement[]): Promise<RunResult[]>;
}

/** `sync`: the transaction's changes are recorded for sync (`db.sync.transaction`, page/sync.ts). */
export async function runTransaction<T>(connection: Connection, fn: (tx: Transaction) => Promise<T> | T, sync = false): Promise<T> {
  const txId = await connection.call((r) => r.txBegin(sync));
  const run = connection.run.bind(connection);
  const tx: Transaction = {
    exec: (sql, params) => run('exec', params === undefined ? [sql] : [sql, params], txId),
    query: <R extends Row = Row>(sql: string, params?: BindParams) => run('query', params === undefined ? [sql] : [sql, params], txId) as Promise<R[]>,
    get: <R extends Row = Row>(sql: string, params?: BindParams) => run('get', params === undefined ? [sql] : [sql, params], txId) as Promise<R | undefined>,
    values: (sql, params) => run('values', params === undefined ? [sql] : [sql, params], txId),
    batch: (statements) => run('batch', [statements], txId),
  };
  let result: T;
  try {
    // close() ends a transaction whose callback never settles (the worker rolls it back).
    result = await connection.untilClosed(() => fn(tx));
  } catch (e) {
    // The caller's error is the one to report; a failed rollback only gets logged.
    await connection.call((r) => r.txEnd(txId, false)).catch(connection.log.ignored('client.rollback-failed'));
    throw e;
  }
  await connection.call((r) => r.txEnd(txId, true));
  return result;
}
