/**
 * `drizzle(db)`: Drizzle ORM over a cipherlite database, through `drizzle-orm/sqlite-proxy`.
 *
 * `db` is anything with cipherlite's `SqlClient` shape — core's `Database` in Node, the worker's
 * `CipherliteDatabase` in the browser — so one driver serves both.
 *
 * - Queries: `run` → `exec` (rows changed, last rowid), `all`/`values`/`get` → `values` (rows as
 *   arrays, which Drizzle maps to objects itself, so joined columns with equal names survive).
 * - `db.batch([...])`: every query in one cipherlite transaction, results in order.
 * - `db.transaction(fn)`: Drizzle's proxy driver would send `begin`/`commit` as two separate
 *   statements, which other calls (and other tabs) could slip between. Here it runs `fn` inside
 *   cipherlite's interactive transaction instead: the statements of `fn` run on that
 *   transaction only, every other call waits until it commits or rolls back, and `tx.rollback()`
 *   or a throw rolls it back. Nested `tx.transaction(fn)` uses savepoints inside it.
 */
import { drizzle as proxyDrizzle, SQLiteProxyTransaction } from 'drizzle-orm/sqlite-proxy';
import type { AsyncBatchRemoteCallback, AsyncRemoteCallback, SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
import type { DrizzleConfig, TablesRelationalConfig } from 'drizzle-orm';
import type { SqlValue } from '@cipherlite/core';
import type { SqlClient, SqlTransaction } from '@cipherlite/core/migrate';

type Method = 'run' | 'all' | 'values' | 'get';

/** What `drizzle()` returns: Drizzle's proxy database, with `$client` the cipherlite database. */
export type CipherliteDrizzleDatabase<TSchema extends Record<string, unknown> = Record<string, never>> = SqliteRemoteDatabase<TSchema> & { $client: SqlClient };

/** Runs one Drizzle query on `target` and shapes the answer the way sqlite-proxy expects. */
async function runOn(target: SqlTransaction, sql: string, params: unknown[], method: Method): Promise<{ rows: unknown[] }> {
  // No parameter list at all for a statement without parameters: core refuses to bind `[]` to it.
  const bound = params.length === 0 ? undefined : (params as SqlValue[]);
  if (method === 'run') {
    const { changes, lastInsertRowid } = await target.exec(sql, bound);
    return { rows: [], changes, lastInsertRowid } as { rows: unknown[] };
  }
  const { rows } = await target.values(sql, bound);
  // `get`: the first row itself (an array of values), or undefined.
  return { rows: method === 'get' ? (rows[0] as unknown[]) : rows };
}

const callbackOn =
  (target: SqlTransaction): AsyncRemoteCallback =>
  (sql, params, method) =>
    runOn(target, sql, params, method);

async function runAll(target: SqlTransaction, queries: Parameters<AsyncBatchRemoteCallback>[0]): Promise<{ rows: unknown[] }[]> {
  const results: { rows: unknown[] }[] = [];
  for (const q of queries) results.push(await runOn(target, q.sql, q.params, q.method));
  return results;
}

/** The parts of Drizzle's database object the transaction routing needs (public at run time). */
interface DrizzleInternals {
  dialect: ConstructorParameters<typeof SQLiteProxyTransaction>[1];
  session: ConstructorParameters<typeof SQLiteProxyTransaction>[2] & { transaction: unknown };
  _: { schema: unknown; fullSchema: Record<string, unknown>; tableNamesMap: Record<string, string> };
}

/** Drizzle's relational schema config as its transactions take it (undefined without a schema). */
function relationalSchema(db: DrizzleInternals): ConstructorParameters<typeof SQLiteProxyTransaction>[3] {
  return (db._.schema === undefined ? undefined : { schema: db._.schema, fullSchema: db._.fullSchema, tableNamesMap: db._.tableNamesMap }) as ConstructorParameters<typeof SQLiteProxyTransaction>[3];
}

/**
 * Drizzle over `db`. Pass `{ schema }` for relational queries (`db.query.users.findMany()`),
 * `{ logger: true }` to log statements (their parameters included: keep it off with real data).
 */
export function drizzle<TSchema extends Record<string, unknown> = Record<string, never>>(db: SqlClient, config: DrizzleConfig<TSchema> = {}): CipherliteDrizzleDatabase<TSchema> {
  const batch: AsyncBatchRemoteCallback = (queries) => db.transaction((tx) => runAll(tx, queries));
  const outer = proxyDrizzle<TSchema>(callbackOn(db), batch, config);
  const internals = outer as unknown as DrizzleInternals;
  internals.session.transaction = <T>(fn: (tx: SQLiteProxyTransaction<Record<string, unknown>, TablesRelationalConfig>) => Promise<T>): Promise<T> =>
    db.transaction(async (tx) => {
      // A second Drizzle session whose every statement runs on this transaction.
      const inner = proxyDrizzle<TSchema>(callbackOn(tx), (queries) => runAll(tx, queries), config) as unknown as DrizzleInternals;
      return fn(new SQLiteProxyTransaction('async', inner.dialect, inner.session, relationalSchema(inner)));
    });
  return Object.assign(outer, { $client: db });
}
