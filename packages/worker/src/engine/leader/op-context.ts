/**
 * What the leader's operation tables (`SQL_OPS` in ops.ts, `KEY_OPS` in key-management.ts) are
 * written against: the operations each runs, where statements go and what a call brings. Apart
 * from ops.ts so that the key-management chunk, which ops.ts loads, does not import it back.
 */
import type { BindParams, Database, Row, RunResult, ValuesResult } from '@cipherlite/core';
import type { Progress } from '@cipherlite/core/keys';
import type { PendingRestores } from './pending-restores.js';
import type { OPERATIONS, OpName } from '../../shared/protocol.js';

/** What statements run against: the database itself, or an open transaction of it. */
export interface SqlTarget {
  exec(sql: string, params?: BindParams): Promise<RunResult>;
  query(sql: string, params?: BindParams): Promise<Row[]>;
  get(sql: string, params?: BindParams): Promise<Row | undefined>;
  values(sql: string, params?: BindParams): Promise<ValuesResult>;
}

/** Core's progress and cancellation options for one call (already throttled and guarded by the leader). */
export interface CoreCallOptions {
  onProgress?: (progress: Progress) => void;
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

export type Await<T> = T | Promise<T>;

/** The operations this table runs: every one but those that replace the leader's `Database` handle (`rekey`). */
export type TableOp = { [K in OpName]: (typeof OPERATIONS)[K]['replacesDatabase'] extends true ? never : K }[OpName];

/** The SQL operations: the hot path, in the worker's main chunk. The other table operations are `KEY_OPS`. */
export type SqlOp = 'exec' | 'query' | 'get' | 'values' | 'batch' | 'tables';
