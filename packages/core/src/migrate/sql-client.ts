/**
 * The small interface every SQL adapter of cipherlite is written against: run a statement, read
 * rows as arrays, run a callback in one transaction, and (for live queries) learn the tables a
 * statement reads and hear about committed changes.
 *
 * Core's `Database` (Node) and the worker's `CipherliteDatabase` (browser) both satisfy it
 * structurally, so `migrate`, `@cipherlite/drizzle` and `@cipherlite/kysely` each have one
 * implementation for both sides. Runtime-free.
 */
import type { BindParams, RunResult, StatementTables, ValuesResult } from '../types.js';

/** Statements inside a transaction: they run on the transaction's connection, in order. */
export interface SqlTransaction {
  exec(sql: string, params?: BindParams): Promise<RunResult>;
  values(sql: string, params?: BindParams): Promise<ValuesResult>;
}

/** A database an adapter can run SQL on. */
export interface SqlClient extends SqlTransaction {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. While it
   * runs, every other call on the database — from this tab and, in the browser, every other tab —
   * waits, so the transaction is isolated.
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
}

/** A `SqlClient` that can tell live queries what a statement reads and what changed. */
export interface LiveSqlClient extends SqlClient {
  /** The tables `sql` reads and writes (SQLite's authorizer). */
  tables(sql: string): StatementTables | Promise<StatementTables>;
  /** Called after every committed write (in the browser: from any tab) with the changed tables. */
  onChange(listener: (tables: readonly string[]) => void): () => void;
}
