/**
 * LiveValue: a database read whose result stays current — framework-free. `LiveQuery` is the
 * SQL case (`useQuery(sql, params)`); any async fetcher over the database is the other
 * (`useQuery(key, fetcher)`: stats, key slots, backups, several queries combined).
 *
 * `subscribe`/`getSnapshot` follow React's `useSyncExternalStore` contract (the snapshot object is
 * immutable and replaced on every change), so the `useQuery` hook is a thin adapter and any other
 * UI layer can use the same object.
 *
 * While it has subscribers a LiveValue:
 * - learns which tables it depends on: for SQL, the tables the statement reads (`db.tables(sql)`,
 *   SQLite's authorizer); for a fetcher, the `tables` it was given, or else every table;
 * - loads, and loads again when (and only when) a committed write — in any tab — changed one of
 *   those tables. Changes arriving during a run coalesce into one more run; results of a run
 *   overtaken by a lock or an unsubscribe are dropped;
 * - drops its rows when the database locks (a locked vault shows no plaintext) and re-runs on unlock.
 * An identical result keeps the previous snapshot, so components do not re-render for nothing.
 *
 * `QueryCache` shares one LiveValue per key and database: a query mounted twice runs once.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import { asCipherliteError } from './_errors.js';
import type { BindParams } from '@cipherlite/core';
import { fetcherKey, queryKey } from './query-key.js';
import type { QueryKey } from './query-key.js';
import type { LiveDatabase, LiveResult, LockState } from './types.js';

const PENDING: LiveResult<never> = Object.freeze({ status: 'pending', data: undefined, error: null, fetching: false });

/** How long an unsubscribed query (and its rows) is kept for a quick re-subscribe (StrictMode, route flips). */
export const IDLE_GRACE_MS = 1000;

/** What a LiveValue loads, and what it depends on. */
export interface LiveSource<D> {
  /** Tables the value depends on (any case); `null` = unknown: every change reloads it. */
  tables(db: LiveDatabase): Promise<readonly string[] | null>;
  load(db: LiveDatabase): Promise<D>;
}

/** Called when a cached value gains its first subscriber again (`active`) or loses its last (`idle`). */
interface CacheHooks {
  active?: (v: LiveValue<unknown>) => void;
  idle?: (v: LiveValue<unknown>) => void;
}

export class LiveValue<D> {
  readonly key: string;
  readonly #source: LiveSource<D>;
  readonly #db: LiveDatabase;
  readonly #listeners = new Set<() => void>();
  readonly #hooks: CacheHooks;
  #snapshot: LiveResult<D> = PENDING;
  /** Lower-cased tables it depends on; null = unknown (any change re-runs it); undefined = not asked yet. */
  #reads: Set<string> | null | undefined = undefined;
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

  constructor(db: LiveDatabase, key: string, source: LiveSource<D>, hooks: CacheHooks = {}) {
    this.#db = db;
    this.key = key;
    this.#source = source;
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
  readonly getSnapshot = (): LiveResult<D> => this.#snapshot;

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
    this.#reads = undefined; // the schema may change while nobody listens
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
        if (!this.#snapshot.fetching) this.#set({ ...this.#snapshot, fetching: true });
        try {
          if (this.#reads === undefined) {
            const reads = await this.#source.tables(this.#db);
            this.#reads = reads === null ? null : new Set(reads.map((t) => t.toLowerCase()));
          }
          const loaded = await this.#source.load(this.#db);
          if (generation !== this.#generation) continue;
          const prev = this.#snapshot;
          const data = prev.status !== 'pending' && prev.data !== undefined && sameData(prev.data, loaded) ? prev.data : loaded;
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

  #set(next: LiveResult<D>): void {
    const prev = this.#snapshot;
    if (prev.status === next.status && prev.data === next.data && prev.error === next.error && prev.fetching === next.fetching) return;
    this.#snapshot = next;
    for (const l of [...this.#listeners]) l();
  }
}

/** A SQL query whose rows stay current: `LiveValue` over `db.query(sql, params)`. */
export class LiveQuery<T = unknown> extends LiveValue<T[]> {
  readonly sql: string;
  readonly params: BindParams | undefined;

  constructor(db: LiveDatabase, sql: string, params?: BindParams, hooks: CacheHooks = {}) {
    if (typeof sql !== 'string') throw new CipherliteError('INVALID_ARGUMENT', `expected sql to be a string, got ${typeof sql}`);
    super(db, queryKey(sql, params), sqlSource<T>(sql, params), hooks);
    this.sql = sql;
    this.params = params;
  }
}

function sqlSource<T>(sql: string, params: BindParams | undefined): LiveSource<T[]> {
  return {
    tables: async (db) => (await db.tables(sql)).reads,
    load: async (db) => (await db.query(sql, params)) as unknown as T[],
  };
}

/** Options of a fetcher query. */
export interface FetcherOptions {
  /** Tables the fetcher reads: it reloads only when one of them changes. Default: after every change. */
  tables?: readonly string[];
  /**
   * SQL statements the fetcher runs (e.g. a query builder's compiled SQL): the tables they read
   * (`db.tables(sql)`) are added to `tables`. How `@cipherlite/drizzle` and `@cipherlite/kysely`
   * make their queries live.
   */
  statements?: readonly string[];
}

/**
 * One LiveValue per key for one database. `get`/`fetch` return the shared instance; the cache
 * forgets it when its last subscriber has been gone for `IDLE_GRACE_MS` (or when it was never
 * subscribed, e.g. a render React threw away).
 */
export class QueryCache {
  readonly db: LiveDatabase;
  readonly #values = new Map<string, LiveValue<unknown>>();
  /** The latest fetcher given for each fetcher key (a fresh closure every render). */
  readonly #fetchers = new Map<string, (db: LiveDatabase) => Promise<unknown>>();

  constructor(db: LiveDatabase) {
    this.db = db;
  }

  /** The live SQL query (`sql`, `params`), compared by value. */
  get<T = unknown>(sql: string, params?: BindParams): LiveQuery<T> {
    return this.#shared(queryKey(sql, params), (hooks) => new LiveQuery<T>(this.db, sql, params, hooks));
  }

  /**
   * The live result of `fetcher` under `key`. The key must name everything the fetcher depends
   * on besides the database (like a React dependency list): equal keys share one value, and the
   * latest fetcher given for a key is the one that runs.
   */
  fetch<T>(key: QueryKey, fetcher: (db: LiveDatabase) => Promise<T>, options: FetcherOptions = {}): LiveValue<T> {
    if (typeof fetcher !== 'function') throw new CipherliteError('INVALID_ARGUMENT', `expected fetcher to be a function, got ${typeof fetcher}`);
    const k = fetcherKey(key);
    this.#fetchers.set(k, fetcher);
    const tables = options.tables === undefined && options.statements === undefined ? null : [...(options.tables ?? [])];
    const statements = [...(options.statements ?? [])];
    return this.#shared(
      k,
      (hooks) =>
        new LiveValue<T>(
          this.db,
          k,
          {
            tables: async (db) => {
              if (tables === null) return null;
              const reads = [...tables];
              for (const sql of statements) reads.push(...(await db.tables(sql)).reads);
              return reads;
            },
            load: (db) => (this.#fetchers.get(k) ?? fetcher)(db) as Promise<T>,
          },
          hooks,
        ),
    );
  }

  #shared<V extends LiveValue<unknown>>(key: string, create: (hooks: CacheHooks) => V): V {
    const hit = this.#values.get(key);
    if (hit) return hit as unknown as V;
    const value = create({
      // Re-adopt an instance that was evicted before its (late) first subscriber arrived.
      active: (v) => {
        if (!this.#values.has(v.key)) this.#values.set(v.key, v);
      },
      idle: (v) => {
        if (this.#values.get(v.key) === v) this.#forget(v.key);
      },
    });
    this.#values.set(key, value);
    setTimeout(() => {
      if (!value.subscribed && this.#values.get(key) === value) this.#forget(key);
    }, IDLE_GRACE_MS);
    return value;
  }

  #forget(key: string): void {
    this.#values.delete(key);
    this.#fetchers.delete(key);
  }

  /** Number of cached values (for tests). */
  get size(): number {
    return this.#values.size;
  }
}

/** Structural equality of loaded data: rows, records, arrays, bytes and primitives. */
function sameData(x: unknown, y: unknown): boolean {
  if (Object.is(x, y)) return true;
  if (x instanceof Uint8Array || y instanceof Uint8Array) {
    return x instanceof Uint8Array && y instanceof Uint8Array && x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (Array.isArray(x) || Array.isArray(y)) {
    return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => sameData(v, y[i]));
  }
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return false;
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  return kx.every((k) => Object.hasOwn(y, k) && sameData((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
}
