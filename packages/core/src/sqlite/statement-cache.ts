/**
 * A small LRU cache of prepared statements, with the tables each one reads and writes (captured
 * by the change tracker at prepare time). Evicted statements are finalized.
 */
import type { PreparedStatement } from '@sqlite.org/sqlite-wasm';
import type { StatementTables } from '../types.js';

export const STATEMENT_CACHE_SIZE = 64;

export interface CachedStatement {
  stmt: PreparedStatement;
  tables: StatementTables;
}

export class StatementCache {
  readonly #entries = new Map<string, CachedStatement>();
  readonly #capacity: number;

  constructor(capacity = STATEMENT_CACHE_SIZE) {
    this.#capacity = capacity;
  }

  /** The cached statement for `sql` (now the most recently used), or one made by `prepare`. */
  get(sql: string, prepare: () => CachedStatement): CachedStatement {
    const hit = this.#entries.get(sql);
    if (hit) {
      this.#entries.delete(sql);
      this.#entries.set(sql, hit);
      return hit;
    }
    const entry = prepare();
    this.#entries.set(sql, entry);
    if (this.#entries.size > this.#capacity) {
      const [oldestSql, oldest] = this.#entries.entries().next().value as [string, CachedStatement];
      this.#entries.delete(oldestSql);
      oldest.stmt.finalize();
    }
    return entry;
  }

  /** Finalizes every statement (before the connection closes). */
  finalizeAll(): void {
    try {
      for (const c of this.#entries.values()) c.stmt.finalize();
    } finally {
      this.#entries.clear();
    }
  }
}

/** Resets a statement after use; SQLite repeats the step's error code here, which was already reported. */
export function resetQuietly(stmt: PreparedStatement): void {
  try {
    stmt.reset();
  } catch {
    // the error from step() is the one that matters and has been thrown already
  }
}
