/**
 * Running statements on an open `Database`'s SQLite connection: prepare (cached, with the tables a
 * statement reads and writes), bind, step, and record the tables written for the change
 * listeners. Synchronous; the `Database` runs these inside its queue (or a transaction of it),
 * and they are its `exec`, `query`, `values` and `get`.
 */
import type { Database as SqliteDb, PreparedStatement, Sqlite3Static, WasmPointer } from '@sqlite.org/sqlite-wasm';
import { invalidArgument } from '../errors.js';
import type { ChangeTracker } from '../sqlite/change-tracking.js';
import { resetQuietly, type CachedStatement, type StatementCache } from '../sqlite/statement-cache.js';
import type { BindParams, Row, RunResult, SqlValue, ValuesResult } from '../types.js';
import { checkBindParams, narrowInteger } from './bind-values.js';

/** What the statements run on, owned by the `Database`. */
export interface StatementHost {
  readonly sqlite3: Sqlite3Static;
  readonly statements: StatementCache;
  readonly changes: ChangeTracker;
  /** The open connection; throws CLOSED once the database is closed. */
  connection(): SqliteDb;
  /** The connection's `sqlite3*`. */
  pointer(): WasmPointer;
  /** A synchronous SQLite call, its failure translated into a CipherliteError. */
  call<R>(fn: () => R): R;
}

export function prepare(h: StatementHost, sql: string): CachedStatement {
  return h.statements.get(sql, () => {
    const { result: stmt, tables } = h.changes.capture(() => h.call(() => h.connection().prepare(sql)));
    return { stmt, tables };
  });
}

function bind(h: StatementHost, stmt: PreparedStatement, params: BindParams | undefined): void {
  resetQuietly(stmt);
  stmt.clearBindings();
  if (params === undefined) return;
  checkBindParams(params);
  h.call(() => stmt.bind(params));
}

export function execNow(h: StatementHost, sql: string, params?: BindParams): RunResult {
  const db = h.connection();
  if (typeof sql !== 'string') invalidArgument('sql must be a string');
  const capi = h.sqlite3.capi;
  if (params === undefined) {
    const { tables } = h.changes.capture(() => h.call(() => db.exec(sql)));
    h.changes.wrote(tables.writes);
  } else {
    const { stmt, tables } = prepare(h, sql);
    bind(h, stmt, params);
    try {
      h.call(() => {
        while (stmt.step()) {
          /* drain rows of e.g. INSERT … RETURNING */
        }
      });
    } finally {
      resetQuietly(stmt);
    }
    h.changes.wrote(tables.writes);
  }
  const rowid = capi.sqlite3_last_insert_rowid(h.pointer());
  return { changes: capi.sqlite3_changes(h.pointer()), lastInsertRowid: narrowInteger(rowid) };
}

export function valuesNow(h: StatementHost, sql: string, params?: BindParams): ValuesResult {
  h.connection();
  if (typeof sql !== 'string') invalidArgument('sql must be a string');
  const { stmt, tables } = prepare(h, sql);
  bind(h, stmt, params);
  const rows: SqlValue[][] = [];
  let columns: string[] = [];
  try {
    h.call(() => {
      columns = stmt.getColumnNames();
      while (stmt.step()) rows.push(stmt.get([]) as SqlValue[]);
    });
  } finally {
    resetQuietly(stmt);
  }
  h.changes.wrote(tables.writes);
  return { columns, rows };
}

export function queryNow<T extends Row>(h: StatementHost, sql: string, params?: BindParams, limit = Infinity): T[] {
  h.connection();
  if (typeof sql !== 'string') invalidArgument('sql must be a string');
  const { stmt, tables } = prepare(h, sql);
  bind(h, stmt, params);
  const rows: T[] = [];
  try {
    h.call(() => {
      while (rows.length < limit && stmt.step()) rows.push(stmt.get({}) as T);
    });
  } finally {
    resetQuietly(stmt);
  }
  h.changes.wrote(tables.writes);
  return rows;
}
