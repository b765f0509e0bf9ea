/**
 * The database interface the hooks need — nothing more.
 *
 * Both `CipherliteDatabase` (from `@cipherlite/worker`, the browser client) and the adapter over
 * core's `Database` (`@cipherlite/react/core`, Node and tests) satisfy it structurally, so the
 * hooks depend on neither. Runtime-free.
 */
import type { BindParams, CipherliteError, ErrorCode, Row, RunResult, StatementTables, Transaction } from '@cipherlite/core';

import type { LockState, PasskeyUnlock, UnlockSecret } from '@cipherlite/core';
export type { LockState, PasskeyUnlock, UnlockSecret };

/** Statements available inside `transaction(fn)`: core's `Transaction` (the worker's adds `batch`). */
export type LiveTransaction = Transaction;

export interface LiveDatabase {
  exec(sql: string, params?: BindParams): Promise<RunResult>;
  query<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined>;
  transaction<T>(fn: (tx: LiveTransaction) => Promise<T> | T): Promise<T>;
  /** The tables `sql` reads and writes (SQLite's authorizer); core answers synchronously, the worker asynchronously. */
  tables(sql: string): StatementTables | Promise<StatementTables>;
  /** Called after every committed write — from any tab — with the changed tables. */
  onChange(listener: (tables: readonly string[]) => void): () => void;
  readonly lockState: LockState;
  onLockState(listener: (state: LockState) => void): () => void;
  /**
   * Unlocks with a password (string), key material, or `{ passkey: true }` (the browser's passkey
   * prompt, `@cipherlite/worker` only); rejects with `WRONG_KEY` and stays locked.
   */
  unlock(secret: UnlockSecret): Promise<void>;
  lock(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * State of a live value. `data` of an `error` state is the last good result (or undefined);
 * `fetching` is true while a (re-)load is in flight.
 */
export type LiveResult<D> =
  | { status: 'pending'; data: undefined; error: null; fetching: boolean }
  | { status: 'success'; data: D; error: null; fetching: boolean }
  | { status: 'error'; data: D | undefined; error: CipherliteError; fetching: boolean };

/** State of a live SQL query: its rows. */
export type QueryResult<T> = LiveResult<T[]>;

export type QueryStatus = QueryResult<unknown>['status'];

/** State of a mutation. Errors from the database are `CipherliteError`s; `code` is theirs. */
export type MutationState<R> =
  | { status: 'idle'; data: undefined; error: null; code: null }
  | { status: 'pending'; data: undefined; error: null; code: null }
  | { status: 'success'; data: R; error: null; code: null }
  | { status: 'error'; data: undefined; error: Error; code: ErrorCode | null };

export type MutationStatus = MutationState<unknown>['status'];
