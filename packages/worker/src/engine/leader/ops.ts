/**
 * The leader's dispatch table: one line per database operation of the protocol (`DbOps`,
 * `OPERATIONS`), mapping it onto core's `Database` and `@cipherlite/core/keys`. Key material a
 * call brings is wiped once core is done with it. Operations whose row says `replacesDatabase`
 * are the leader's own (`Leader`); the compiler refuses a table without every other one.
 */
import { CipherliteError } from '@cipherlite/core';
import type { BindParams, Database, Row, RunResult, ValuesResult } from '@cipherlite/core';
import * as keys from '@cipherlite/core/keys';
import { readBackup } from './backup-file.js';
import type { PendingRestores } from './pending-restores.js';
import type { OPERATIONS, OpArgs, OpName, OpResult, Statement } from '../../shared/protocol.js';
import { wipeKeyMaterial } from '../runtime/secret.js';

/** What statements run against: the database itself, or an open transaction of it. */
export interface SqlTarget {
  exec(sql: string, params?: BindParams): Promise<RunResult>;
  query(sql: string, params?: BindParams): Promise<Row[]>;
  get(sql: string, params?: BindParams): Promise<Row | undefined>;
  values(sql: string, params?: BindParams): Promise<ValuesResult>;
}

/** Core's progress and cancellation options for one call (already throttled and guarded by the leader). */
export interface CoreCallOptions {
  onProgress?: (progress: keys.Progress) => void;
  signal?: AbortSignal;
}

/**
 * What an operation runs with: the leader's database, where its statements go, the leader's
 * restores, and the call's progress/cancellation for the operations in `PROGRESS_OPS`.
 */
export interface OpContext {
  readonly db: Database;
  readonly target: SqlTarget;
  readonly restores: PendingRestores;
  readonly call: CoreCallOptions;
}

export async function runAll(target: SqlTarget, statements: readonly Statement[]): Promise<RunResult[]> {
  // Array.isArray narrows `statements` to any[]: iterate the typed name.
  const list: readonly Statement[] = statements;
  if (!Array.isArray(statements)) throw new CipherliteError('INVALID_ARGUMENT', 'expected batch() to get an array of { sql, params }');
  const results: RunResult[] = [];
  for (const s of list) results.push(await target.exec(s.sql, s.params));
  return results;
}

type Await<T> = T | Promise<T>;

/** The operations this table runs: every one but those that replace the leader's `Database` handle (`rekey`). */
export type TableOp = { [K in OpName]: (typeof OPERATIONS)[K]['replacesDatabase'] extends true ? never : K }[OpName];

export const LEADER_OPS: { [K in TableOp]: (c: OpContext, ...args: OpArgs<K>) => Await<OpResult<K>> } = {
  exec: (c, sql, params) => c.target.exec(sql, params),
  query: (c, sql, params) => c.target.query(sql, params),
  get: (c, sql, params) => c.target.get(sql, params),
  values: (c, sql, params) => c.target.values(sql, params),
  batch: (c, statements) => (c.target === c.db ? c.db.transaction((tx) => runAll(tx, statements)) : runAll(c.target, statements)),
  tables: (c, sql) => c.db.tables(sql),
  changePassword: (c, current, next, options) =>
    keys.changePassword(c.db, current, next, options).finally(() => {
      wipeKeyMaterial(current);
      wipeKeyMaterial(next);
    }),
  listKeyslots: (c) => keys.listKeyslots(c.db),
  addRecoveryKey: (c, current) => keys.addRecoveryKey(c.db, current).finally(() => wipeKeyMaterial(current)),
  removeKeyslot: (c, current, index) => keys.removeKeyslot(c.db, current, index).finally(() => wipeKeyMaterial(current)),
  addPasskey: (c, current, passkey) =>
    keys.addPasskey(c.db, current, passkey).finally(() => {
      wipeKeyMaterial(current);
      if (passkey?.prfOutput instanceof Uint8Array) passkey.prfOutput.fill(0);
    }),
  exportPlaintext: (c) => keys.exportPlaintext(c.db, c.call),
  verify: (c) => keys.verify(c.db, c.call),
  stats: (c) => keys.stats(c.db),
  backup: (c, current, options) => keys.backup(c.db, current, { ...options, ...c.call }).finally(() => wipeKeyMaterial(current)),
  inspectBackup: (c, bytes, secret) => c.restores.inspect(c.db, bytes, secret).finally(() => wipeKeyMaterial(secret)),
  confirmRestore: (c, id, current, options) => c.restores.confirm(id, current, { ...options, ...c.call }).finally(() => wipeKeyMaterial(current)),
  cancelRestore: (c, id) => c.restores.cancel(id),
  listBackups: (c) => keys.listBackups(c.db.storage, c.db.name),
  pruneBackups: (c, keep) => keys.pruneBackups(c.db.storage, c.db.name, keep),
  readBackup: (c, name) => readBackup(c.db.storage, c.db.name, name),
};

/** Runs table operation `op` (`isTableOp` checked) with `args` from the wire. */
export async function runTableOp(op: TableOp, context: OpContext, args: unknown[]): Promise<unknown> {
  const fn = LEADER_OPS[op] as (c: OpContext, ...a: unknown[]) => unknown;
  return fn(context, ...args);
}

export function isTableOp(op: string): op is TableOp {
  return Object.hasOwn(LEADER_OPS, op);
}

/** Only the options core's `Database.open` knows (no `undefined` values, for exactOptionalPropertyTypes). */
export function coreOpenOptions<O extends object>(o: O, names: readonly (keyof O)[]): Partial<O> {
  return Object.fromEntries(names.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<O>;
}
