/**
 * Database: the public API over SQLite + the encrypted VFS.
 *
 * One instance owns one open database: its unlocked container (data key), the SQLite connection
 * and a small cache of prepared statements. All calls run one at a time through an internal
 * queue, so an `await`ed transaction callback cannot interleave with other callers' statements.
 *
 * Errors: every failure leaves as a `CipherliteError`. When SQLite reports an error, the cause
 * the VFS recorded (a block that failed authentication, a full disk) wins over SQLite's generic
 * code, so callers see CORRUPT or QUOTA_EXCEEDED rather than "disk I/O error".
 */
import type { Database as SqliteDb, PreparedStatement, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { AeadKeyFactory } from './crypto/aead.js';
import { fastestAead } from './crypto/default-aead.js';
import { DEFAULT_KDF, validateKdfParams } from './crypto/kdf.js';
import { openKeyslots, secretFromMaterial, wipeKekCache, type Secret } from './crypto/keyslots.js';
import { wipe } from './crypto/wipe.js';
import { CipherliteError, invalidArgument } from './errors.js';
import { auxMinContentSize, DEFAULT_BLOCK_SIZE, FILE_KIND, isValidBlockSize, MAIN_HEADER_SIZE } from './format/constants.js';
import { hasPendingReplace, recoverPendingReplace, replaceAuthority } from './keys/replace-file.js';
import { loadSqlite } from './sqlite-loader.js';
import type { SyncFile, SyncStorage } from './storage/sync-file.js';
import type { BindParams, ChangeListener, DatabaseOpenOptions, KdfParams, KeyMaterial, Row, RunResult, SqlValue, StatementTables } from './types.js';
import { EncryptedFile } from './vfs/encrypted-file.js';
import type { FileKeyRing } from './vfs/key-ring.js';
import { MainContainer } from './vfs/main-container.js';
import { CipherliteVfs, isQuotaError, VFS_NAME, type DatabaseBinding } from './vfs/sqlite-vfs.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** Options that are not part of the public contract (tests, benchmarks). */
export interface InternalOpenOptions {
  /** AES-GCM implementation (default: the fastest available, see crypto/). */
  aead?: AeadKeyFactory;
  /** Encryptions per key epoch (default 2^14); tests lower it to exercise rollover. */
  epochWriteLimit?: number;
}

const STATEMENT_CACHE_SIZE = 64;
const DEFAULT_CACHE_KIB = 32 * 1024;

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

interface CachedStatement {
  stmt: PreparedStatement;
  tables: StatementTables;
}

/** What a transaction callback receives: the same query methods, bound to the transaction. */
/** `values()`: rows as arrays in column order, and the column names (which may repeat). */
export interface ValuesResult {
  columns: string[];
  rows: SqlValue[][];
}

export interface Transaction {
  exec(sql: string, params?: BindParams): Promise<RunResult>;
  values(sql: string, params?: BindParams): Promise<ValuesResult>;
  query<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined>;
}

export type TransactionBehavior = 'DEFERRED' | 'IMMEDIATE' | 'EXCLUSIVE';

export class Database {
  readonly name: string;
  readonly storage: SyncStorage;
  readonly #sqlite3: Sqlite3Static;
  readonly #vfs: CipherliteVfs;
  #db: SqliteDb | null;
  #container: MainContainer;
  readonly #mainFile: SyncFile;
  #mainRing: FileKeyRing;
  readonly #binding: DatabaseBinding;
  readonly #statements = new Map<string, CachedStatement>();
  #queue: Promise<unknown> = Promise.resolve();
  /** Ends the running `transaction()` with CLOSED (set while one runs). */
  #abortTransaction: (() => void) | null = null;
  #capture: StatementTables | null = null;
  #pendingWrites = new Set<string>();
  #rolledBack = false;
  readonly #listeners = new Set<ChangeListener>();
  #closed = false;
  #closing: Promise<void> | null = null;
  /** Releases the storage's cross-process lock on this database (SyncStorage.lock). */
  #releaseLock: (() => void) | null = null;

  private constructor(name: string, storage: SyncStorage, sqlite3: Sqlite3Static, vfs: CipherliteVfs, container: MainContainer, mainFile: SyncFile) {
    this.name = name;
    this.storage = storage;
    this.#sqlite3 = sqlite3;
    this.#vfs = vfs;
    this.#container = container;
    this.#mainFile = mainFile;
    this.#mainRing = container.mainRing();
    const main = new EncryptedFile({
      file: mainFile,
      kind: FILE_KIND.main,
      headerSize: MAIN_HEADER_SIZE,
      blockSize: container.blockSize,
      fileId: container.fileId,
      keys: this.#mainRing,
      epochs: container,
    });
    this.#binding = { name, sqlitePath: vfs.newPath(name), storage, container, main, lastError: null };
    this.#db = null;
  }

  /**
   * Opens (or creates) an encrypted database. Exactly one of `password`, `key` (32 bytes) or
   * `recoveryKey` unlocks it. A wrong secret throws WRONG_KEY after one KDF run, before any page
   * is read and without writing anything.
   */
  static async open(options: DatabaseOpenOptions & InternalOpenOptions): Promise<Database> {
    const o = validateOpenOptions(options);
    const secret = secretFromMaterial(options);
    let file: SyncFile | null = null;
    let container: MainContainer | null = null;
    let releaseLock: (() => void) | null = null;
    try {
      const sqlite3 = await loadSqlite();
      const vfs = CipherliteVfs.install(sqlite3, o.aead);
      if (vfs.isOpen(o.storage, o.name)) throw new CipherliteError('BUSY', `database "${o.name}" is already open`);
      // Before anything is read: a second opener (another process or storage) gets BUSY.
      releaseLock = o.storage.lock?.(o.name) ?? null;
      await o.storage.prepare?.([o.name, `${o.name}-journal`, `${o.name}-wal`]);
      const containerOptions = { aead: o.aead, ...(o.epochWriteLimit ? { epochWriteLimit: o.epochWriteLimit } : {}) };
      // Nothing is written before the key is proven (unlock), so a wrong secret changes no byte.
      // Then a file replacement that a crash interrupted (rekey; keys/replace-file.ts) is finished
      // or discarded — only with a marker this database's key authenticates — and the open restarts.
      for (let attempt = 0; ; attempt++) {
        if (!o.storage.exists(o.name) && !o.create) throw new CipherliteError('NOT_A_DATABASE', `database "${o.name}" does not exist`);
        file = o.storage.open(o.name, { create: o.create });
        const isNew = file.getSize() === 0;
        if (isNew && !o.create) throw new CipherliteError('NOT_A_DATABASE', `database "${o.name}" is empty`);
        container = isNew
          ? await MainContainer.create(file, secret, { ...containerOptions, blockSize: o.pageSize, kdf: o.kdf })
          : await MainContainer.unlock(file, secret, containerOptions);
        if (attempt > 0 || !hasPendingReplace(o.storage, o.name)) break;
        const authority = replaceAuthority(container);
        container.close();
        file.close();
        container = null;
        file = null;
        try {
          await recoverPendingReplace(o.storage, o.name, authority);
        } finally {
          wipe(authority.macKey);
        }
      }
      const db = new Database(o.name, o.storage, sqlite3, vfs, container, file);
      db.#releaseLock = releaseLock;
      releaseLock = null;
      vfs.register(db.#binding);
      try {
        db.#openSqlite(o);
        // Only once the open has succeeded: an open that ends in an error writes nothing of ours.
        container.repairIfNeeded();
      } catch (e) {
        db.#teardown();
        throw e;
      }
      return db;
    } catch (e) {
      if (container && !(e instanceof CipherliteError && e.code === 'BUSY')) container.close();
      if (file && !(e instanceof CipherliteError && e.code === 'BUSY')) file.close();
      releaseLock?.();
      throw toCipherliteError(e, null);
    } finally {
      wipe(secret.bytes);
    }
  }

  #openSqlite(o: ResolvedOptions): void {
    const sqlite3 = this.#sqlite3 as Any;
    this.#db = this.#call(() => new sqlite3.oo1.DB({ filename: this.#binding.sqlitePath, flags: 'c', vfs: VFS_NAME }));
    const capi = sqlite3.capi;
    const ptr = this.#db!.pointer;
    // Authorizer: records which tables each statement reads and writes (for change events and
    // live queries). It only observes: it always returns SQLITE_OK.
    capi.sqlite3_set_authorizer(
      ptr,
      (_pV: number, action: number, a: string | null, _b: string | null, _db: string | null) => {
        const c = this.#capture;
        if (c && a) {
          if (action === AUTH.READ) pushUnique(c.reads, a);
          else if (action === AUTH.INSERT || action === AUTH.UPDATE || action === AUTH.DELETE) pushUnique(c.writes, a);
          else if (action === AUTH.CREATE_TABLE || action === AUTH.DROP_TABLE || action === AUTH.CREATE_TEMP_TABLE) pushUnique(c.writes, a);
          else if (action === AUTH.ALTER_TABLE && _b) pushUnique(c.writes, _b);
        }
        return 0;
      },
      0,
    );
    capi.sqlite3_rollback_hook(ptr, () => {
      this.#rolledBack = true;
    }, 0);
    const wal = o.journalMode === 'WAL';
    const pragmas = [
      // WAL without shared memory: SQLite keeps the WAL index in heap memory only when the
      // connection holds the file exclusively — which it may (one worker owns the database;
      // other tabs go through it). Must precede the first read.
      ...(wal ? ['PRAGMA locking_mode = EXCLUSIVE'] : []),
      // Every open, not only a new file's: a database closed (or crashed) before its first page
      // was written has a container but no page, and SQLite would fall back to its compiled-in
      // default. On a file with pages it is a no-op; the VFS refuses any other value anyway.
      `PRAGMA page_size = ${this.#container.blockSize}`,
      `PRAGMA journal_mode = ${o.journalMode}`,
      // After a checkpoint resets the WAL, truncate it: the next instance gets a fresh file id
      // and WAL frames are only ever appended, never rewritten in place.
      ...(wal ? ['PRAGMA journal_size_limit = 0'] : []),
      `PRAGMA synchronous = ${o.synchronous}`,
      `PRAGMA cache_size = -${o.cacheSizeKiB}`,
      // Temp tables and indices in memory (decrypted working data is not "at rest").
      'PRAGMA temp_store = MEMORY',
      // Forces page 1 to be read and authenticated now, so a damaged database fails at open.
      'SELECT count(*) FROM sqlite_schema',
    ];
    for (const p of pragmas) this.#call(() => this.#db!.exec(p));
    // By now SQLite has rolled back any hot journal, so the file must hold exactly the pages
    // SQLite's own (authenticated) header counts. Anything else is a file cut or extended
    // outside SQLite: refuse it rather than let SQLite ignore or zero-fill the difference.
    const pageCount = Number(this.#call(() => this.#db!.selectValue('PRAGMA page_count')));
    const main = this.#binding.main;
    // In WAL mode, pages may live in the WAL until the next checkpoint (and a checkpoint torn
    // by a crash is redone from the WAL), so the file is only compared while the WAL is empty.
    if (this.#walHasContent()) return;
    if (main.hasPartialTail || main.physicalBlocks !== pageCount) {
      throw new CipherliteError('CORRUPT', `database file length does not match its page count (${main.physicalBlocks} blocks${main.hasPartialTail ? ' plus a partial block' : ''}, ${pageCount} pages): truncated or extended outside SQLite`, { fileKind: 'main' });
    }
  }

  #walHasContent(): boolean {
    const wal = `${this.name}-wal`;
    if (!this.storage.exists(wal)) return false;
    const f = this.storage.open(wal, { create: false });
    try {
      return f.getSize() >= auxMinContentSize(this.#container.blockSize);
    } finally {
      f.close();
    }
  }

  // ---------------------------------------------------------------- query API

  /** Runs SQL. With `params`, exactly one statement; without, any number of statements. */
  exec(sql: string, params?: BindParams): Promise<RunResult> {
    return this.#enqueue(() => this.#execNow(sql, params));
  }

  /** Runs one statement and returns every row as an object keyed by column name. */
  query<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]> {
    return this.#enqueue(() => this.#queryNow<T>(sql, params));
  }

  /**
   * Runs one statement and returns every row as an array of values, in column order, with the
   * column names: nothing is lost when names repeat (`SELECT a.id, b.id …`), unlike `query`.
   */
  values(sql: string, params?: BindParams): Promise<ValuesResult> {
    return this.#enqueue(() => this.#valuesNow(sql, params));
  }

  /** Runs one statement and returns its first row, or undefined. */
  get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined> {
    return this.#enqueue((): T | undefined => this.#queryNow<T>(sql, params, 1)[0]);
  }

  /**
   * Runs `fn` inside BEGIN … COMMIT. If `fn` throws (or its promise rejects), the transaction is
   * rolled back and the error re-thrown. Use the `tx` argument for statements inside: calls on
   * the Database itself wait until the transaction has finished.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T, behavior: TransactionBehavior = 'IMMEDIATE'): Promise<T> {
    return this.#enqueue(async () => {
      this.#execNow(`BEGIN ${behavior}`);
      let active = true;
      const guard = <R>(f: () => R): Promise<R> => {
        if (!active) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', 'this transaction has already finished'));
        try {
          return Promise.resolve(f());
        } catch (e) {
          return Promise.reject(e);
        }
      };
      const tx: Transaction = {
        exec: (sql, params) => guard(() => this.#execNow(sql, params)),
        query: <R extends Row = Row>(sql: string, params?: BindParams) => guard(() => this.#queryNow<R>(sql, params)),
        values: (sql, params) => guard(() => this.#valuesNow(sql, params)),
        get: <R extends Row = Row>(sql: string, params?: BindParams) => guard((): R | undefined => this.#queryNow<R>(sql, params, 1)[0]),
      };
      // close() while `fn` never settles would wait forever: it ends the transaction instead.
      let closedUnder!: (e: CipherliteError) => void;
      const closing = new Promise<never>((_, reject) => (closedUnder = reject));
      this.#abortTransaction = () => closedUnder(new CipherliteError('CLOSED', 'the database was closed during this transaction; it was rolled back'));
      try {
        const result = await Promise.race([fn(tx), closing]);
        active = false;
        this.#execNow('COMMIT');
        return result;
      } catch (e) {
        active = false;
        if (this.#db && !this.#autocommit()) {
          try {
            this.#execNow('ROLLBACK');
          } catch {
            // SQLite may already have rolled back (e.g. after an I/O error); the original error matters.
          }
        }
        this.#pendingWrites.clear();
        throw e;
      } finally {
        this.#abortTransaction = null;
      }
    });
  }

  /** The tables `sql` reads and writes (via SQLite's authorizer); nothing is executed. */
  tables(sql: string): StatementTables {
    this.#assertOpen();
    const cached = this.#prepare(sql);
    return { reads: [...cached.tables.reads], writes: [...cached.tables.writes] };
  }

  /** Calls `listener` after each committed write with the names of the tables it changed. */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Throws WRONG_KEY unless `material` opens this database (used to let another tab prove its password). */
  async checkKey(material: KeyMaterial): Promise<void> {
    this.#assertOpen();
    const secret = secretFromMaterial(material);
    try {
      const cache = new Map<string, Uint8Array>();
      try {
        const opened = await openKeyslots(this.#container.header.keyslots, this.#container.fileId, secret, cache);
        if (!opened) throw new CipherliteError('WRONG_KEY', 'wrong password or key');
        wipe(opened.dek);
      } finally {
        wipeKekCache(cache);
      }
    } finally {
      wipe(secret.bytes);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Lets calls already queued finish, then closes SQLite, flushes, and wipes every key.
   * Calls made after `close()` fail with CLOSED. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    // An open transaction rolls back (its callback may never settle) so the queue can drain.
    this.#abortTransaction?.();
    this.#closing = this.#queue.then(
      () => this.#teardown(),
      () => this.#teardown(),
    );
    return this.#closing;
  }

  /**
   * @internal Tells change listeners that `tables` changed through a path SQLite's authorizer
   * does not see (restore copies pages with the backup API).
   */
  _notifyChanged(tables: readonly string[]): void {
    for (const t of tables) this.#pendingWrites.add(t);
    this.#publishIfCommitted();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- internals

  #teardown(): void {
    let error: unknown = null;
    try {
      for (const c of this.#statements.values()) c.stmt.finalize();
      this.#statements.clear();
      this.#db?.close();
    } catch (e) {
      error = e;
    }
    this.#db = null;
    try {
      this.#binding.main.flushBuffers();
      this.#mainFile.flush();
    } catch (e) {
      error ??= e;
    }
    this.#binding.main.discard();
    this.#mainRing.destroy();
    this.#container.close();
    this.#vfs.unregister(this.#binding);
    try {
      this.#mainFile.close();
    } catch {
      // closing is best effort once keys are wiped
    }
    try {
      this.#releaseLock?.();
    } catch (e) {
      error ??= e;
    }
    this.#releaseLock = null;
    this.#closed = true;
    if (error) throw toCipherliteError(error, this.#binding);
  }

  #assertOpen(): void {
    if (!this.#db) throw new CipherliteError('CLOSED', 'the database is closed');
  }

  #enqueue<R>(fn: () => R | Promise<R>): Promise<R> {
    if (this.#closed) return Promise.reject(new CipherliteError('CLOSED', 'the database is closed'));
    const run = this.#queue.then(async () => {
      this.#assertOpen(); // queued before close(): still runs, unless teardown already happened
      try {
        return await fn();
      } finally {
        this.#publishIfCommitted();
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Runs a synchronous SQLite call, translating failures into CipherliteError. */
  #call<R>(fn: () => R): R {
    this.#binding.lastError = null;
    this.#vfs.lastUnboundError = null;
    try {
      return fn();
    } catch (e) {
      throw toCipherliteError(e, this.#binding, this.#vfs.lastUnboundError);
    }
  }

  #autocommit(): boolean {
    return (this.#sqlite3 as Any).capi.sqlite3_get_autocommit(this.#db!.pointer) !== 0;
  }

  #publishIfCommitted(): void {
    if (!this.#db || !this.#autocommit()) return;
    if (this.#rolledBack) {
      this.#rolledBack = false;
      this.#pendingWrites.clear();
      return;
    }
    if (this.#pendingWrites.size === 0) return;
    const tables = [...this.#pendingWrites].filter((t) => !t.startsWith('sqlite_'));
    this.#pendingWrites.clear();
    if (tables.length === 0) return;
    for (const l of this.#listeners) {
      try {
        l(tables);
      } catch {
        // a listener's failure must not break the database call that triggered it
      }
    }
  }

  #prepare(sql: string): CachedStatement {
    const hit = this.#statements.get(sql);
    if (hit) {
      this.#statements.delete(sql);
      this.#statements.set(sql, hit);
      return hit;
    }
    const tables: StatementTables = { reads: [], writes: [] };
    this.#capture = tables;
    let stmt: PreparedStatement;
    try {
      stmt = this.#call(() => this.#db!.prepare(sql));
    } finally {
      this.#capture = null;
    }
    const entry = { stmt, tables };
    this.#statements.set(sql, entry);
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const [oldestSql, oldest] = this.#statements.entries().next().value as [string, CachedStatement];
      this.#statements.delete(oldestSql);
      oldest.stmt.finalize();
    }
    return entry;
  }

  #bind(stmt: PreparedStatement, params: BindParams | undefined): void {
    resetQuietly(stmt);
    stmt.clearBindings();
    if (params === undefined) return;
    if (!Array.isArray(params) && (typeof params !== 'object' || params === null)) invalidArgument('params must be an array or an object');
    for (const v of Array.isArray(params) ? params : Object.values(params)) checkValue(v);
    this.#call(() => stmt.bind(params as Any));
  }

  #execNow(sql: string, params?: BindParams): RunResult {
    this.#assertOpen();
    if (typeof sql !== 'string') invalidArgument('sql must be a string');
    const capi = (this.#sqlite3 as Any).capi;
    if (params === undefined) {
      const tables: StatementTables = { reads: [], writes: [] };
      this.#capture = tables;
      try {
        this.#call(() => this.#db!.exec(sql));
      } finally {
        this.#capture = null;
      }
      for (const t of tables.writes) this.#pendingWrites.add(t);
    } else {
      const { stmt, tables } = this.#prepare(sql);
      this.#bind(stmt, params);
      try {
        this.#call(() => {
          while (stmt.step()) {
            /* drain rows of e.g. INSERT … RETURNING */
          }
        });
      } finally {
        resetQuietly(stmt);
      }
      for (const t of tables.writes) this.#pendingWrites.add(t);
    }
    const rowid = capi.sqlite3_last_insert_rowid(this.#db!.pointer);
    return { changes: capi.sqlite3_changes(this.#db!.pointer), lastInsertRowid: narrowInteger(rowid) };
  }

  #valuesNow(sql: string, params?: BindParams): ValuesResult {
    this.#assertOpen();
    if (typeof sql !== 'string') invalidArgument('sql must be a string');
    const { stmt, tables } = this.#prepare(sql);
    this.#bind(stmt, params);
    const rows: SqlValue[][] = [];
    let columns: string[] = [];
    try {
      this.#call(() => {
        columns = stmt.getColumnNames();
        while (stmt.step()) rows.push(stmt.get([]) as SqlValue[]);
      });
    } finally {
      resetQuietly(stmt);
    }
    for (const t of tables.writes) this.#pendingWrites.add(t);
    return { columns, rows };
  }

  #queryNow<T extends Row>(sql: string, params?: BindParams, limit = Infinity): T[] {
    this.#assertOpen();
    if (typeof sql !== 'string') invalidArgument('sql must be a string');
    const { stmt, tables } = this.#prepare(sql);
    this.#bind(stmt, params);
    const rows: T[] = [];
    try {
      this.#call(() => {
        while (rows.length < limit && stmt.step()) rows.push(stmt.get({}) as T);
      });
    } finally {
      resetQuietly(stmt);
    }
    for (const t of tables.writes) this.#pendingWrites.add(t);
    return rows;
  }

  // ---------------------------------------------------------------- for key management & tools

  /** @internal The unlocked container (key management lives in keys.ts). */
  get _container(): MainContainer {
    this.#assertOpen();
    return this.#container;
  }
  /** The journal mode SQLite is using (`'truncate'`, `'wal'`, …). */
  get journalMode(): string {
    this.#assertOpen();
    return String(this.#call(() => this.#db!.selectValue('PRAGMA journal_mode'))).toUpperCase();
  }

  /** @internal Throws UNSUPPORTED for operations validated only with rollback journals. */
  _requireRollbackJournal(operation: string): void {
    if (this.journalMode === 'WAL') {
      throw new CipherliteError('UNSUPPORTED', `${operation} is not supported in WAL journal mode yet; open the database with journalMode 'TRUNCATE' (the default) for it`);
    }
  }

  /** @internal */
  get _binding(): DatabaseBinding {
    return this.#binding;
  }
  /** @internal Raw sqlite3 handle for tools in this package. */
  get _sqlite(): { sqlite3: Sqlite3Static; db: SqliteDb } {
    this.#assertOpen();
    return { sqlite3: this.#sqlite3, db: this.#db! };
  }
  /** @internal Runs `fn` in the queue (exclusive access). */
  _exclusive<R>(fn: () => R | Promise<R>): Promise<R> {
    return this.#enqueue(fn);
  }
  /** @internal Synchronous SQLite call with error translation. */
  _call<R>(fn: () => R): R {
    return this.#call(fn);
  }
}

// ------------------------------------------------------------------ helpers

interface ResolvedOptions {
  storage: SyncStorage;
  name: string;
  create: boolean;
  pageSize: number;
  kdf: KdfParams;
  cacheSizeKiB: number;
  journalMode: string;
  synchronous: string;
  aead: AeadKeyFactory;
  epochWriteLimit: number | undefined;
}

function validateOpenOptions(o: DatabaseOpenOptions & InternalOpenOptions): ResolvedOptions {
  if (!o || typeof o !== 'object') invalidArgument('open() needs an options object');
  if (!o.storage || typeof o.storage.open !== 'function') invalidArgument('options.storage must be a SyncStorage');
  if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 200 || /[/\\\0]/.test(o.name)) {
    invalidArgument('options.name must be a non-empty file name (no slashes), at most 200 characters');
  }
  if (/-(journal|wal)$/.test(o.name)) invalidArgument('options.name must not end in -journal or -wal');
  const pageSize = o.pageSize ?? DEFAULT_BLOCK_SIZE;
  if (!isValidBlockSize(pageSize)) invalidArgument('options.pageSize must be a power of two between 512 and 65536');
  const kdf = { ...DEFAULT_KDF, ...(o.kdf ?? {}) };
  validateKdfParams(kdf, 'option');
  const journalMode = o.journalMode ?? 'TRUNCATE';
  if (!['DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY', 'OFF', 'WAL'].includes(journalMode)) invalidArgument(`unsupported journalMode ${String(journalMode)}`);
  const synchronous = o.synchronous ?? 'FULL';
  if (!['OFF', 'NORMAL', 'FULL', 'EXTRA'].includes(synchronous)) invalidArgument(`unsupported synchronous ${String(synchronous)}`);
  const cacheSizeKiB = o.cacheSizeKiB ?? DEFAULT_CACHE_KIB;
  if (!Number.isInteger(cacheSizeKiB) || cacheSizeKiB < 64) invalidArgument('options.cacheSizeKiB must be an integer ≥ 64');
  return {
    storage: o.storage,
    name: o.name,
    create: o.create ?? true,
    pageSize,
    kdf,
    cacheSizeKiB,
    journalMode,
    synchronous,
    aead: o.aead ?? defaultAead(),
    epochWriteLimit: o.epochWriteLimit,
  };
}

let aeadOverride: AeadKeyFactory | null = null;
/** Sets the process-wide default AES-GCM implementation (the fast path registers itself here). */
export function setDefaultAead(f: AeadKeyFactory | null): void {
  aeadOverride = f;
}
function defaultAead(): AeadKeyFactory {
  return aeadOverride ?? fastestAead();
}

/** Resets a statement after use; SQLite repeats the step's error code here, which was already reported. */
function resetQuietly(stmt: PreparedStatement): void {
  try {
    stmt.reset();
  } catch {
    // the error from step() is the one that matters and has been thrown already
  }
}

function pushUnique(list: string[], v: string): void {
  if (!list.includes(v)) list.push(v);
}

function checkValue(v: unknown): asserts v is SqlValue {
  if (v === null || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || v instanceof Uint8Array) return;
  invalidArgument(`cannot bind a value of type ${v === undefined ? 'undefined' : typeof v}; use null, number, bigint, string or Uint8Array`);
}

function narrowInteger(v: number | bigint): number | bigint {
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return v;
}

/** Primary SQLite result codes (sqlite3.h) used for mapping. */
const SQLITE = { BUSY: 5, LOCKED: 6, IOERR: 10, CORRUPT: 11, FULL: 13, CANTOPEN: 14, NOTADB: 26 } as const;

/** Turns anything thrown while talking to SQLite into a CipherliteError. */
export function toCipherliteError(e: unknown, binding: DatabaseBinding | null, unbound: unknown = null): CipherliteError {
  const cause = binding?.lastError ?? unbound;
  if (binding) binding.lastError = null;
  if (e instanceof CipherliteError) return e;
  if (cause instanceof CipherliteError) return cause;
  if (isQuotaError(cause) || isQuotaError(e)) {
    return new CipherliteError('QUOTA_EXCEEDED', 'storage quota exceeded; free space and retry (SQLite rolled back the failed statement)');
  }
  const rc = (e as { resultCode?: number } | null)?.resultCode;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof rc === 'number') {
    const primary = rc & 0xff;
    const details = { sqliteCode: rc };
    const causeText = cause instanceof Error ? ` (${cause.message})` : '';
    switch (primary) {
      case SQLITE.CORRUPT:
        return new CipherliteError('CORRUPT', message, details);
      case SQLITE.NOTADB:
        return new CipherliteError('NOT_A_DATABASE', message, details);
      case SQLITE.BUSY:
      case SQLITE.LOCKED:
        return new CipherliteError('BUSY', message, details);
      case SQLITE.FULL:
        return new CipherliteError('QUOTA_EXCEEDED', message, details);
      case SQLITE.IOERR:
      case SQLITE.CANTOPEN:
        return new CipherliteError('IO', message + causeText, details);
      default:
        return new CipherliteError('SQL', message, details);
    }
  }
  return new CipherliteError('IO', message, {}, { cause: e });
}

export type { Secret };
