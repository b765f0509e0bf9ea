/**
 * The leader's dispatch table: one line per database operation of the protocol (`DbOps`,
 * `OPERATIONS`), mapping it onto core's `Database` (`SQL_OPS`, here) and `@cipherlite/core/keys`
 * (`KEY_OPS`, key-management.ts: a chunk loaded on first use). Key material a call brings is wiped
 * once core is done with it. Operations whose row says `replacesDatabase` are the leader's own
 * (`Leader`); the compiler refuses tables without every other one.
 */
import { CipherliteError } from '@cipherlite/core';
import type { RunResult } from '@cipherlite/core';
import { operationRow } from '../../shared/protocol.js';
import type { OpArgs, OpResult, Statement } from '../../shared/protocol.js';
import type { Await, OpContext, SqlOp, SqlTarget, TableOp } from './op-context.js';

export async function runAll(target: SqlTarget, statements: readonly Statement[]): Promise<RunResult[]> {
  // Array.isArray narrows `statements` to any[]: iterate the typed name.
  const list: readonly Statement[] = statements;
  if (!Array.isArray(statements)) throw new CipherliteError('INVALID_ARGUMENT', 'expected batch() to get an array of { sql, params }');
  const results: RunResult[] = [];
  for (const s of list) results.push(await target.exec(s.sql, s.params));
  return results;
}

export const SQL_OPS: { [K in SqlOp]: (c: OpContext, ...args: OpArgs<K>) => Await<OpResult<K>> } = {
  exec: (c, sql, params) => c.target.exec(sql, params),
  query: (c, sql, params) => c.target.query(sql, params),
  get: (c, sql, params) => c.target.get(sql, params),
  values: (c, sql, params) => c.target.values(sql, params),
  batch: (c, statements) => (c.target === c.db ? c.db.transaction((tx) => runAll(tx, statements)) : runAll(c.target, statements)),
  tables: (c, sql) => c.db.tables(sql),
};

/**
 * The key-management chunk (key-management.ts), loaded on the first call that needs it; the
 * module system keeps it once loaded. A chunk that does not load (offline, and the app's service
 * worker did not cache it) is WORKER_LOAD_FAILED, not a bare TypeError.
 */
export function loadKeyManagement(): Promise<typeof import('./key-management.js')> {
  return import('./key-management.js').catch((e: unknown) => {
    throw new CipherliteError(
      'WORKER_LOAD_FAILED',
      `the worker's key-management code did not load (${e instanceof Error ? e.message : String(e)}); offline, a service worker must precache every file the build emits`,
    );
  });
}

/** Runs table operation `op` (`isTableOp` checked) with `args` from the wire. */
export async function runTableOp(op: TableOp, context: OpContext, args: unknown[]): Promise<unknown> {
  const fn = (isSqlOp(op) ? SQL_OPS[op] : (await loadKeyManagement()).KEY_OPS[op]) as (c: OpContext, ...a: unknown[]) => unknown;
  return fn(context, ...args);
}

function isSqlOp(op: string): op is SqlOp {
  return Object.hasOwn(SQL_OPS, op);
}

/** Whether `op` runs through this table (`SQL_OPS` or `KEY_OPS`), not by the leader itself. */
export function isTableOp(op: string): op is TableOp {
  const row = operationRow(op);
  return row !== undefined && !row.replacesDatabase;
}

/** Only the options core's `Database.open` knows (no `undefined` values, for exactOptionalPropertyTypes). */
export function coreOpenOptions<O extends object>(o: O, names: readonly (keyof O)[]): Partial<O> {
  return Object.fromEntries(names.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<O>;
}
