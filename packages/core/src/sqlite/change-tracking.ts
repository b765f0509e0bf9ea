/**
 * Which tables each statement reads and writes, and which tables a committed transaction changed.
 *
 * SQLite's authorizer reports every table access while a statement is prepared; we only observe
 * (it always allows). Writes collect until the connection is back in autocommit mode: a commit
 * publishes them to the change listeners, a rollback (SQLite's rollback hook) drops them. Live
 * queries and the worker's cross-tab change events are built on this.
 */
import type { CAPI, WasmPointer } from '@sqlite.org/sqlite-wasm';
import type { ChangeListener, StatementTables } from '../types.js';

/** SQLite authorizer action codes we listen to (sqlite3.h). */
const AUTH = {
  CREATE_INDEX: 1,
  CREATE_TABLE: 2,
  CREATE_TEMP_TABLE: 4,
  CREATE_TRIGGER: 7,
  DELETE: 9,
  DROP_INDEX: 10,
  DROP_TABLE: 11,
  INSERT: 18,
  READ: 20,
  SELECT: 21,
  TRANSACTION: 22,
  UPDATE: 23,
  ALTER_TABLE: 26,
} as const;

/** The two sqlite3 C API functions the tracker installs itself with. */
type HookApi = Pick<CAPI, 'sqlite3_set_authorizer' | 'sqlite3_rollback_hook'>;

export class ChangeTracker {
  #capture: StatementTables | null = null;
  readonly #pending = new Set<string>();
  #rolledBack = false;
  readonly #listeners = new Set<ChangeListener>();

  /** Installs the authorizer and the rollback hook on connection `db`. */
  install(capi: HookApi, db: WasmPointer): void {
    capi.sqlite3_set_authorizer(
      db,
      (_pV, action, a, b) => {
        const c = this.#capture;
        if (c && a) {
          if (action === AUTH.READ) pushUnique(c.reads, a);
          else if (action === AUTH.INSERT || action === AUTH.UPDATE || action === AUTH.DELETE) pushUnique(c.writes, a);
          else if (action === AUTH.CREATE_TABLE || action === AUTH.DROP_TABLE || action === AUTH.CREATE_TEMP_TABLE) pushUnique(c.writes, a);
          else if (action === AUTH.ALTER_TABLE && b) pushUnique(c.writes, b);
        }
        return 0;
      },
      0,
    );
    capi.sqlite3_rollback_hook(
      db,
      () => {
        this.#rolledBack = true;
        return 0;
      },
      0,
    );
  }

  /** Runs `fn` (which prepares or executes SQL) and returns the tables SQLite reported meanwhile. */
  capture<R>(fn: () => R): { result: R; tables: StatementTables } {
    const tables: StatementTables = { reads: [], writes: [] };
    this.#capture = tables;
    try {
      return { result: fn(), tables };
    } finally {
      this.#capture = null;
    }
  }

  /** Remembers tables written by the current transaction (published on commit). */
  wrote(tables: readonly string[]): void {
    for (const t of tables) this.#pending.add(t);
  }

  /** Forgets the current transaction's writes (it was rolled back). */
  discard(): void {
    this.#pending.clear();
  }

  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Publishes the pending writes when the connection is in autocommit mode (the transaction ended). */
  publishIfCommitted(autocommit: boolean): void {
    if (!autocommit) return;
    if (this.#rolledBack) {
      this.#rolledBack = false;
      this.#pending.clear();
      return;
    }
    if (this.#pending.size === 0) return;
    const tables = [...this.#pending].filter((t) => !t.startsWith('sqlite_'));
    this.#pending.clear();
    if (tables.length === 0) return;
    for (const l of this.#listeners) {
      try {
        l(tables);
      } catch {
        // a listener's failure must not break the database call that triggered it
      }
    }
  }
}

function pushUnique(list: string[], v: string): void {
  if (!list.includes(v)) list.push(v);
}
