/**
 * What key management (keys/), tests and benchmarks reach inside an open `Database`, kept off its
 * public surface: a module-private registry (WeakMap) from each Database to its internals. Only
 * code that imports this module — inside core, or through `@cipherlite/core/internal`, which is
 * not public API — can reach them.
 */
import type { Database as SqliteDb, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { MainContainer } from '../container/main-container.js';
import { CipherliteError } from '../errors.js';
import type { DatabaseBinding } from '../vfs/sqlite-vfs.js';

export interface DatabaseInternals {
  /** The unlocked container (data key, keyslots). Throws CLOSED once the database is closed. */
  readonly container: MainContainer;
  /** The database's registration with the VFS (main file, recorded failure cause). */
  readonly binding: DatabaseBinding;
  /** The raw sqlite3 module and connection. Throws CLOSED once the database is closed. */
  readonly sqlite: { sqlite3: Sqlite3Static; db: SqliteDb };
  /** Runs `fn` in the database's queue (exclusive access between public calls). */
  exclusive<R>(fn: () => R | Promise<R>): Promise<R>;
  /** A synchronous SQLite call, its failure translated into a CipherliteError. */
  call<R>(fn: () => R): R;
  /** Throws UNSUPPORTED for operations validated only with rollback journals. */
  requireRollbackJournal(operation: string): void;
  /** Tells change listeners that `tables` changed through a path SQLite's authorizer does not see (backup API). */
  notifyChanged(tables: readonly string[]): void;
}

/**
 * One registry per JavaScript realm, not per copy of this module: a bundler may leave two copies
 * of core in one worker (WebKit evaluates a worker's entry module a second time when a chunk loaded
 * on first use imports from it), and a Database made by one copy must be known to the other. The
 * realm is the worker's own: only cipherlite's code runs there.
 */
function shared<T extends object>(name: string, make: () => T): T {
  const realm = globalThis as unknown as Record<symbol, T | undefined>;
  const key = Symbol.for(`@cipherlite/core ${name}`);
  return (realm[key] ??= make());
}

const registry = shared('database internals', () => new WeakMap<object, DatabaseInternals>());

/** Called once by each Database's constructor. */
export function registerInternals(db: object, internals: DatabaseInternals): void {
  registry.set(db, internals);
}

/** The internals of `db`; INVALID_ARGUMENT for anything that is not a Database. */
export function internals(db: object): DatabaseInternals {
  const found = registry.get(db);
  if (!found) throw new CipherliteError('INVALID_ARGUMENT', 'expected a Database opened by @cipherlite/core');
  return found;
}

const replacedListeners = shared('replaced listeners', () => new WeakMap<object, Set<(next: object) => void>>());

/** Calls `listener` with the database that replaces `db` (rekey closes `db` and reopens the file); returns the unsubscribe function. */
export function onReplaced(db: object, listener: (next: object) => void): () => void {
  let set = replacedListeners.get(db);
  if (!set) replacedListeners.set(db, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/** Tells `db`'s listeners that `next` now holds its file (called by rekey once `next` is open). */
export function announceReplaced(db: object, next: object): void {
  const set = replacedListeners.get(db);
  replacedListeners.delete(db);
  for (const l of set ?? []) l(next);
}
