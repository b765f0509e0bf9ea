/**
 * `@cipherlite/react/core` — core's `Database` as a `LiveDatabase`, without a worker.
 *
 * For Node (tests, server-side tools, Electron main) and any context where core runs on the same
 * thread as React. Locking is real: `lock()` closes the database (core wipes its keys) and
 * `unlock(secret)` opens it again with the secret, so a wrong password is core's `WRONG_KEY`.
 * The secret is not kept: only the non-secret open options are.
 */
import { CipherliteError, Database } from '@cipherlite/core';
import type { BindParams, DatabaseOpenOptions, KeyMaterial, Row, RunResult, StatementTables } from '@cipherlite/core';
import type { LiveDatabase, LiveTransaction, LockState, UnlockSecret } from './types.js';

type Reopen = Omit<DatabaseOpenOptions, 'password' | 'key' | 'recoveryKey'>;

export class CoreLiveDatabase implements LiveDatabase {
  #db: Database | null;
  readonly #reopen: Reopen;
  #state: LockState;
  readonly #changeListeners = new Set<(tables: readonly string[]) => void>();
  readonly #lockListeners = new Set<(state: LockState) => void>();
  #offChange: (() => void) | null = null;
  #closed = false;

  /** Wraps an open `db`; `reopen` (its options without the secret) lets `unlock` open it again. */
  constructor(db: Database, reopen: Reopen) {
    this.#db = db;
    this.#reopen = { ...reopen, create: false };
    this.#state = 'unlocked';
    this.#attach(db);
  }

  /** The open core `Database` (for `@cipherlite/core/keys` functions); throws LOCKED while locked. */
  get database(): Database {
    return this.#current();
  }

  get lockState(): LockState {
    return this.#state;
  }

  exec(sql: string, params?: BindParams): Promise<RunResult> {
    return this.#with((db) => db.exec(sql, params));
  }

  query<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]> {
    return this.#with((db) => db.query<T>(sql, params));
  }

  get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined> {
    return this.#with((db) => db.get<T>(sql, params));
  }

  transaction<T>(fn: (tx: LiveTransaction) => Promise<T> | T): Promise<T> {
    return this.#with((db) => db.transaction(fn));
  }

  tables(sql: string): StatementTables {
    return this.#current().tables(sql);
  }

  onChange(listener: (tables: readonly string[]) => void): () => void {
    this.#changeListeners.add(listener);
    return () => void this.#changeListeners.delete(listener);
  }

  onLockState(listener: (state: LockState) => void): () => void {
    this.#lockListeners.add(listener);
    return () => void this.#lockListeners.delete(listener);
  }

  async lock(): Promise<void> {
    if (this.#closed) throw new CipherliteError('CLOSED', 'the database is closed');
    const db = this.#db;
    this.#db = null;
    this.#detach();
    this.#setState('locked');
    await db?.close();
  }

  async unlock(secret: UnlockSecret): Promise<void> {
    if (this.#closed) throw new CipherliteError('CLOSED', 'the database is closed');
    if (typeof secret === 'object' && secret !== null && (secret.passkey === true || (secret.passkey !== undefined && !('prfOutput' in secret.passkey)))) {
      throw new CipherliteError('UNSUPPORTED', 'the passkey prompt runs in a browser page: use @cipherlite/worker, or pass { passkey: { credentialId, prfOutput } }');
    }
    const km = (typeof secret === 'string' ? { password: secret } : secret) as KeyMaterial;
    if (this.#db) {
      await this.#db.checkKey(km); // already unlocked: a wrong password must still fail
      return;
    }
    this.#setState('unlocking');
    try {
      const db = await Database.open({ ...this.#reopen, ...km } as DatabaseOpenOptions);
      this.#db = db;
      this.#attach(db);
      this.#setState('unlocked');
    } catch (e) {
      this.#setState('locked');
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const db = this.#db;
    this.#db = null;
    this.#detach();
    await db?.close();
  }

  #attach(db: Database): void {
    this.#offChange = db.onChange((tables) => {
      for (const l of [...this.#changeListeners]) l(tables);
    });
  }

  #detach(): void {
    this.#offChange?.();
    this.#offChange = null;
  }

  #current(): Database {
    if (this.#closed) throw new CipherliteError('CLOSED', 'the database is closed');
    if (!this.#db) throw new CipherliteError('LOCKED', 'the database is locked; call unlock() first');
    return this.#db;
  }

  async #with<R>(fn: (db: Database) => Promise<R>): Promise<R> {
    return fn(this.#current());
  }

  #setState(state: LockState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const l of [...this.#lockListeners]) l(state);
  }
}

/** Opens (or creates) a core database and wraps it for the hooks. */
export async function openCoreDatabase(options: DatabaseOpenOptions): Promise<CoreLiveDatabase> {
  const db = await Database.open(options);
  const { password: _p, key: _k, recoveryKey: _r, ...reopen } = options;
  return new CoreLiveDatabase(db, reopen);
}
