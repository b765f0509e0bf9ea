/**
 * LiveQuery: one SQL query whose result stays current — framework-free.
 *
 * `subscribe`/`getSnapshot` follow React's `useSyncExternalStore` contract (the snapshot object is
 * immutable and replaced on every change), so the `useQuery` hook is a thin adapter and any other
 * UI layer can use the same object.
 *
 * While it has subscribers a LiveQuery:
 * - asks the database which tables the statement reads (`db.tables(sql)`, SQLite's authorizer);
 * - runs the query, and runs it again when (and only when) a committed write — in any tab — changed
 *   one of those tables. Changes arriving during a run coalesce into one more run; results of a run
 *   overtaken by a lock or an unsubscribe are dropped;
 * - drops its rows when the database locks (a locked vault shows no plaintext) and re-runs on unlock.
 * An identical result keeps the previous snapshot, so components do not re-render for nothing.
 *
 * `QueryCache` shares one LiveQuery per (sql, params) and database: a query mounted twice runs once.
 */
import { CipherliteError } from '@cipherlite/core';
import { asCipherliteError } from './_errors.js';
import type { BindParams, SqlValue } from '@cipherlite/core';
import type { LiveDatabase, LockState, QueryResult } from './types.js';

const PENDING: QueryResult<never> = Object.freeze({ status: 'pending', data: undefined, error: null, fetching: false });

/** How long an unsubscribed query (and its rows) is kept for a quick re-subscribe (StrictMode, route flips). */
export const IDLE_GRACE_MS = 1000;

export class LiveQuery<T = unknown> {
  readonly sql: string;
  readonly params: BindParams | undefined;
  readonly key: string;
  readonly #db: LiveDatabase;
  readonly #listeners = new Set<() => void>();
  readonly #hooks: { active?: (q: LiveQuery<T>) => void; idle?: (q: LiveQuery<T>) => void };
  #snapshot: QueryResult<T> = PENDING;
  /** Lower-cased tables the statement reads; null = unknown (then any change re-runs it). */
  #reads: Set<string> | null = null;
  #offChange: (() => void) | null = null;
  #offLock: (() => void) | null = null;
  #active = false;
  #running = false;
  #dirty = false;
  /** Bumped on stop and lock: a run that started under an older generation is discarded. */
  #generation = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs started (for tests and devtools). */
  runs = 0;

  constructor(db: LiveDatabase, sql: string, params?: BindParams, hooks: { active?: (q: LiveQuery<T>) => void; idle?: (q: LiveQuery<T>) => void } = {}) {
    if (typeof sql !== 'string') throw new CipherliteError('INVALID_ARGUMENT', `expected sql to be a string, got ${typeof sql}`);
    this.#db = db;
    this.sql = sql;
    this.params = params;
    this.key = queryKey(sql, params);
    this.#hooks = hooks;
  }

  /** `useSyncExternalStore`'s subscribe: starts the query with its first listener. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (!this.#active) this.#start();
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return;
      clearTimeout(this.#idleTimer);
      this.#idleTimer = setTimeout(() => {
        if (this.#listeners.size === 0) this.#stop();
      }, IDLE_GRACE_MS);
    };
  };

  /** `useSyncExternalStore`'s getSnapshot: the current immutable state. */
  readonly getSnapshot = (): QueryResult<T> => this.#snapshot;

  get subscribed(): boolean {
    return this.#listeners.size > 0;
  }

  /** Runs the query again now (e.g. a "retry" button after an error). */
  refetch(): Promise<void> {
    return this.#run();
  }

  #start(): void {
    this.#active = true;
    this.#hooks.active?.(this);
    this.#offChange = this.#db.onChange((tables) => this.#onChange(tables));
    this.#offLock = this.#db.onLockState((state) => this.#onLockState(state));
    if (this.#db.lockState === 'unlocked') void this.#run();
  }

  #stop(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#generation++;
    this.#offChange?.();
    this.#offLock?.();
    this.#offChange = this.#offLock = null;
    this.#reads = null; // the schema may change while nobody listens
    this.#set(PENDING);
    this.#hooks.idle?.(this);
  }

  #onChange(tables: readonly string[]): void {
    if (!this.#active) return;
    const reads = this.#reads;
    if (reads && !tables.some((t) => reads.has(t.toLowerCase()))) return;
    void this.#run();
  }

  #onLockState(state: LockState): void {
    if (state === 'unlocked') {
      void this.#run();
    } else if (state === 'locked') {
      this.#generation++;
      this.#set(PENDING);
    }
  }

  async #run(): Promise<void> {
    if (!this.#active) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#dirty = false;
        const generation = this.#generation;
        this.runs++;
        if (!this.#snapshot.fetching) this.#set({ ...this.#snapshot, fetching: true } as QueryResult<T>);
        try {
          if (!this.#reads) {
            const { reads } = await this.#db.tables(this.sql);
            this.#reads = new Set(reads.map((t) => t.toLowerCase()));
          }
          const rows = (await this.#db.query(this.sql, this.params)) as unknown as T[];
          if (generation !== this.#generation) continue;
          const prev = this.#snapshot;
          const data = prev.data && sameRows(prev.data, rows) ? prev.data : rows;
          if (!this.#dirty) this.#set({ status: 'success', data, error: null, fetching: false });
          else this.#set({ status: 'success', data, error: null, fetching: true });
        } catch (e) {
          if (generation !== this.#generation) continue;
          const error = asCipherliteError(e);
          if (error.code === 'LOCKED') {
            // Locked between our check and the call: the unlock event brings us back.
            this.#set(PENDING);
            continue;
          }
          this.#set({ status: 'error', data: this.#snapshot.data, error, fetching: false });
        }
      } while (this.#dirty && this.#active);
    } finally {
      this.#running = false;
    }
  }

  #set(next: QueryResult<T>): void {
    const prev = this.#snapshot;
    if (prev.status === next.status && prev.data === next.data && prev.error === next.error && prev.fetching === next.fetching) return;
    this.#snapshot = next;
    for (const l of [...this.#listeners]) l();
  }
}

/**
 * One LiveQuery per (sql, params) for one database. `get` returns the shared instance; the cache
 * forgets it when its last subscriber has been gone for `IDLE_GRACE_MS` (or when it was never
 * subscribed, e.g. a render React threw away).
 */
export class QueryCache {
  readonly db: LiveDatabase;
  readonly #queries = new Map<string, LiveQuery<unknown>>();

  constructor(db: LiveDatabase) {
    this.db = db;
  }

  get<T = unknown>(sql: string, params?: BindParams): LiveQuery<T> {
    const key = queryKey(sql, params);
    const hit = this.#queries.get(key);
    if (hit) return hit as LiveQuery<T>;
    const query = new LiveQuery<unknown>(this.db, sql, params, {
      // Re-adopt an instance that was evicted before its (late) first subscriber arrived.
      active: (q) => {
        if (!this.#queries.has(q.key)) this.#queries.set(q.key, q);
      },
      idle: (q) => {
        if (this.#queries.get(q.key) === q) this.#queries.delete(q.key);
      },
    });
    this.#queries.set(key, query);
    setTimeout(() => {
      if (!query.subscribed && this.#queries.get(key) === query) this.#queries.delete(key);
    }, IDLE_GRACE_MS);
    return query as LiveQuery<T>;
  }

  /** Number of cached queries (for tests). */
  get size(): number {
    return this.#queries.size;
  }
}

/** Stable identity of a query: equal SQL and equal parameter values give equal keys. */
export function queryKey(sql: string, params?: BindParams): string {
  if (params === undefined) return sql;
  let p: unknown = params;
  if (!Array.isArray(params) && typeof params === 'object' && params !== null) {
    p = Object.fromEntries(Object.keys(params).sort().map((k) => [k, (params as Record<string, SqlValue>)[k]]));
  }
  return `${sql}\u0000${JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? { u8: Array.from(v) } : v))}`;
}

function sameRows(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Record<string, unknown>;
    const y = b[i] as Record<string, unknown>;
    const kx = Object.keys(x);
    if (kx.length !== Object.keys(y).length) return false;
    for (const k of kx) if (!sameValue(x[k], y[k])) return false;
  }
  return true;
}

function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (x instanceof Uint8Array && y instanceof Uint8Array) return x.length === y.length && x.every((v, i) => v === y[i]);
  return false;
}
