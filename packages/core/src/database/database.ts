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
import type { Database as SqliteDb, Sqlite3Static, WasmPointer } from '@sqlite.org/sqlite-wasm';
import { openKeyslots, secretFromMaterial, wipeKekCache } from '../container/keyslots.js';
import type { FileKeyRing } from '../container/key-ring.js';
import type { MainContainer } from '../container/main-container.js';
import { wipe } from '../crypto/wipe.js';
import { CipherliteError } from '../errors.js';
import { AUX_PREFIX_SIZE, FILE_KIND, MAIN_HEADER_SIZE } from '../format/constants.js';
import { ChangeTracker } from '../sqlite/change-tracking.js';
import { toCipherliteError } from '../sqlite/errors.js';
import { loadedSqlite, loadSqlite } from '../sqlite/loader.js';
import { StatementCache } from '../sqlite/statement-cache.js';
import type { SyncFile, SyncStorage } from '../storage/sync-file.js';
import type { BindParams, ChangeListener, KeyMaterial, Row, RunResult, StatementTables, Transaction, TransactionBehavior, ValuesResult } from '../types.js';
import { EncryptedFile } from '../vfs/encrypted-file.js';
import { CipherliteVfs, VFS_NAME, type DatabaseBinding } from '../vfs/sqlite-vfs.js';
import { refuseUnfinishedJournal } from '../vfs/aux-file.js';
import { connectionPragmas, isWalFormat, validateOpenOptions, type DatabaseOpenOptions, type InternalOpenOptions, type ResolvedOptions } from './open-options.js';
import { registerInternals } from './internals.js';
import { execNow, prepare, queryNow, valuesNow } from './statements.js';
import { runTransaction, type TransactionHost } from './transaction.js';
import { unlockDatabaseFile } from './unlock.js';

/** `Database.open` with the options that are not public (set by the class itself, below). */
let openInternal: (options: DatabaseOpenOptions, internal: InternalOpenOptions) => Promise<Database>;

/**
 * Opens like `Database.open`, with `internal` options (tests and benchmarks: a chosen AES-GCM
 * implementation, a lower epoch limit). Reached through `@cipherlite/core/internal` only.
 */
export function openWithInternalOptions(options: DatabaseOpenOptions, internal: InternalOpenOptions): Promise<Database> {
  return openInternal(options, internal);
}

function alreadyOpen(name: string): CipherliteError {
  return new CipherliteError('BUSY', `database "${name}" is already open`);
}

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
  readonly #statements = new StatementCache();
  readonly #changes = new ChangeTracker();
  #queue: Promise<unknown> = Promise.resolve();
  /** Ends the running `transaction()` with CLOSED (set while one runs). */
  #abortTransaction: (() => void) | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  /** Releases the storage's cross-process lock on this database (SyncStorage.lock). */
  #releaseLock: (() => void) | null = null;
  /** What statements and transactions (statements.ts, transaction.ts) run on. */
  readonly #host: TransactionHost;

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
    this.#host = this.#statementHost();
    this.#registerInternals();
  }

  /**
   * Opens (or creates) an encrypted database. Exactly one of `password`, `key` (32 bytes) or
   * `recoveryKey` unlocks it. A wrong secret throws WRONG_KEY after one KDF run, before any page
   * is read and without writing anything.
   */
  static open(options: DatabaseOpenOptions): Promise<Database> {
    return Database.#open(options, {});
  }

  static {
    openInternal = (options, internal) => Database.#open(options, internal);
  }

  static async #open(options: DatabaseOpenOptions, internal: InternalOpenOptions): Promise<Database> {
    const o = validateOpenOptions(options, internal);
    const secret = secretFromMaterial(options);
    // SQLite's WebAssembly loads (fetched and compiled off this thread, in browsers) while the
    // container is unlocked — the KDF is the longest step of an open — and is awaited only once
    // the key is proven. Nothing below needs SQLite before then.
    const sqliteLoad = loadSqlite();
    sqliteLoad.catch(() => undefined); // awaited below; an open that fails earlier must not leave it unhandled
    let unlocked: { file: SyncFile; container: MainContainer } | null = null;
    let releaseLock: (() => void) | null = null;
    let auxPrepared: Promise<void> | undefined;
    try {
      // Refused before any work when this realm already has it open (no SQLite yet: nothing open).
      const loaded = loadedSqlite();
      if (loaded && CipherliteVfs.install(loaded, o.aead).isOpen(o.storage, o.name)) throw alreadyOpen(o.name);
      // Before anything is read: a second opener (another process or storage) gets BUSY.
      releaseLock = o.storage.lock?.(o.name) ?? null;
      // The KDF needs only the main file's header: its handle first, the journal's and WAL's
      // while the KDF runs (OPFS creates handles asynchronously, outside this thread).
      await o.storage.prepare?.([o.name]);
      auxPrepared = o.storage.prepare?.([`${o.name}-journal`, `${o.name}-wal`]);
      auxPrepared?.catch(() => undefined); // awaited below, on failure too
      unlocked = await unlockDatabaseFile(o, secret);
      await auxPrepared;
      const sqlite3 = await sqliteLoad;
      const vfs = CipherliteVfs.install(sqlite3, o.aead);
      // A concurrent open of the same name may have finished while this one ran its KDF.
      if (vfs.isOpen(o.storage, o.name)) throw alreadyOpen(o.name);
      const { file, container } = unlocked;
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
      if (unlocked) {
        unlocked.container.close();
        unlocked.file.close();
      }
      // A failed open (a wrong password) leaves the storage quiet: no handle still being created.
      await auxPrepared?.catch(() => undefined);
      releaseLock?.();
      throw toCipherliteError(e, null);
    } finally {
      wipe(secret.bytes);
    }
  }

  #openSqlite(o: ResolvedOptions): void {
    const sqlite3 = this.#sqlite3;
    // Before SQLite looks for a hot journal: one the header says is in flight must be there, whole.
    refuseUnfinishedJournal(this.storage, `${this.name}-journal`, this.#container, this.#binding.main);
    this.#db = this.#call(() => new sqlite3.oo1.DB({ filename: this.#binding.sqlitePath, flags: 'c', vfs: VFS_NAME }));
    this.#changes.install(sqlite3.capi, this.#pointer());
    for (const p of connectionPragmas(o, this.#container.blockSize, isWalFormat(this.#binding.main, this.#container.blockSize))) this.#call(() => this.#db!.exec(p));
    // By now SQLite has rolled back any hot journal, so the file must hold exactly the pages
    // SQLite's own (authenticated) header counts. Anything else is a file cut or extended
    // outside SQLite: refuse it rather than let SQLite ignore or zero-fill the difference.
    const pageCount = Number(this.#call(() => this.#db!.selectValue('PRAGMA page_count')));
    const main = this.#binding.main;
    // In WAL mode, pages may live in the WAL until the next checkpoint (and a checkpoint torn
    // by a crash is redone from the WAL), so the file is only compared while the WAL is empty.
    if (this.#walHasContent()) return;
    if (main.hasPartialTail || main.physicalBlocks !== pageCount) {
      throw new CipherliteError(
        'CORRUPT',
        `database file length does not match its page count (${main.physicalBlocks} blocks${main.hasPartialTail ? ' plus a partial block' : ''}, ${pageCount} pages): truncated or extended outside SQLite`,
        { fileKind: 'main' },
      );
    }
  }

  #walHasContent(): boolean {
    const wal = `${this.name}-wal`;
    if (!this.storage.exists(wal)) return false;
    const f = this.storage.open(wal, { create: false });
    try {
      return f.getSize() > AUX_PREFIX_SIZE;
    } finally {
      f.close();
    }
  }

  // ---------------------------------------------------------------- query API

  /** Runs SQL. With `params`, exactly one statement; without, any number of statements. */
  exec(sql: string, params?: BindParams): Promise<RunResult> {
    return this.#enqueue(() => execNow(this.#host, sql, params));
  }

  /** Runs one statement and returns every row as an object keyed by column name. */
  query<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]> {
    return this.#enqueue(() => queryNow<T>(this.#host, sql, params));
  }

  /**
   * Runs one statement and returns every row as an array of values, in column order, with the
   * column names: nothing is lost when names repeat (`SELECT a.id, b.id …`), unlike `query`.
   */
  values(sql: string, params?: BindParams): Promise<ValuesResult> {
    return this.#enqueue(() => valuesNow(this.#host, sql, params));
  }

  /** Runs one statement and returns its first row, or undefined. */
  get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined> {
    return this.#enqueue((): T | undefined => queryNow<T>(this.#host, sql, params, 1)[0]);
  }

  /**
   * Runs `fn` inside BEGIN … COMMIT. If `fn` throws (or its promise rejects), the transaction is
   * rolled back and the error re-thrown. Use the `tx` argument for statements inside: calls on
   * the Database itself wait until the transaction has finished.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T, behavior: TransactionBehavior = 'IMMEDIATE'): Promise<T> {
    return this.#enqueue(() => runTransaction(this.#host, fn, behavior));
  }

  /** The tables `sql` reads and writes (via SQLite's authorizer); nothing is executed. */
  tables(sql: string): StatementTables {
    this.#assertOpen();
    const cached = prepare(this.#host, sql);
    return { reads: [...cached.tables.reads], writes: [...cached.tables.writes] };
  }

  /** Calls `listener` after each committed write with the names of the tables it changed. */
  onChange(listener: ChangeListener): () => void {
    return this.#changes.subscribe(listener);
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

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- internals

  #teardown(): void {
    let error: unknown = null;
    try {
      this.#statements.finalizeAll();
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

  /** The open connection's `sqlite3*` (oo1 clears it only on close, after which no call gets here). */
  #pointer(): WasmPointer {
    const p = this.#db?.pointer;
    if (p === undefined) throw new CipherliteError('CLOSED', 'the database is closed');
    return p;
  }

  #autocommit(): boolean {
    return this.#sqlite3.capi.sqlite3_get_autocommit(this.#pointer()) !== 0;
  }

  #publishIfCommitted(): void {
    if (this.#db) this.#changes.publishIfCommitted(this.#autocommit());
  }

  // ---------------------------------------------------------------- for key management & tools

  /** The journal mode SQLite is using (`'truncate'`, `'wal'`, …). */
  get journalMode(): string {
    this.#assertOpen();
    const mode = this.#call(() => this.#db!.selectValue('PRAGMA journal_mode'));
    return (typeof mode === 'string' ? mode : '').toUpperCase();
  }

  #requireRollbackJournal(operation: string): void {
    if (this.journalMode === 'WAL') {
      throw new CipherliteError('UNSUPPORTED', `${operation} is not supported in WAL journal mode yet; open the database with journalMode 'TRUNCATE' (the default) for it`);
    }
  }

  #statementHost(): TransactionHost {
    const isOpen = (): boolean => this.#db !== null;
    return {
      sqlite3: this.#sqlite3,
      statements: this.#statements,
      changes: this.#changes,
      connection: () => {
        this.#assertOpen();
        return this.#db!;
      },
      pointer: () => this.#pointer(),
      call: (fn) => this.#call(fn),
      get isOpen() {
        return isOpen();
      },
      autocommit: () => this.#autocommit(),
      setAbort: (abort) => {
        this.#abortTransaction = abort;
      },
    };
  }

  /** Key management, tests and benchmarks reach these through database/internals.ts, not through this class. */
  #registerInternals(): void {
    const container = (): MainContainer => {
      this.#assertOpen();
      return this.#container;
    };
    const sqlite = (): { sqlite3: Sqlite3Static; db: SqliteDb } => {
      this.#assertOpen();
      return { sqlite3: this.#sqlite3, db: this.#db! };
    };
    registerInternals(this, {
      get container() {
        return container();
      },
      binding: this.#binding,
      get sqlite() {
        return sqlite();
      },
      exclusive: (fn) => this.#enqueue(fn),
      call: (fn) => this.#call(fn),
      requireRollbackJournal: (operation) => this.#requireRollbackJournal(operation),
      notifyChanged: (tables) => {
        this.#changes.wrote(tables);
        this.#publishIfCommitted();
      },
    });
  }
}

export type { DatabaseOpenOptions };
