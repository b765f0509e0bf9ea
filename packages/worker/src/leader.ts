/**
 * The leader: the one worker (per database, per origin) that owns the OPFS files and the open
 * `Database`. It runs its own tab's calls and the calls followers forward over the `rpc`
 * BroadcastChannel, one at a time (`Scheduler`), and publishes committed changes to every tab.
 *
 * A follower must prove its key material first (`auth` → `Database.checkKey`); the leader then
 * serves that tab id until the tab says `bye` or leadership moves. This stops a locked tab from
 * reading through the leader; it does not stop other code of the same origin, which the threat
 * model trusts anyway (see README, Security).
 */
import { CipherliteError, Database, toWire } from '@cipherlite/core';
import * as keys from '@cipherlite/core/keys';
import type { BindParams, KeyMaterial, Row, RunResult } from '@cipherlite/core';
import { TX_OPS, busNames } from './protocol.js';
import type { BusMessage, DbOps, LeaderRequest, OpArgs, OpName, OpResult, PendingRestoreInfo, Statement, StorageBackend, WorkerOpenOptions } from './protocol.js';
import { Scheduler } from './scheduler.js';
import { wipeKeyMaterial } from './secret.js';
import type { Secret } from './secret.js';
import { openLeaderStorage } from './storage-backend.js';
import type { LeaderStorage } from './storage-backend.js';
import { DurableCalls } from './durable-calls.js';

/** What statements run against: the database itself, or an open transaction of it. */
interface SqlTarget {
  exec(sql: string, params?: BindParams): Promise<RunResult>;
  query(sql: string, params?: BindParams): Promise<Row[]>;
  get(sql: string, params?: BindParams): Promise<Row | undefined>;
}

async function runAll(target: SqlTarget, statements: readonly Statement[]): Promise<RunResult[]> {
  if (!Array.isArray(statements)) throw new CipherliteError('INVALID_ARGUMENT', 'expected batch() to get an array of { sql, params }');
  const results: RunResult[] = [];
  for (const s of statements) results.push(await target.exec(s.sql, s.params));
  return results;
}

type Await<T> = T | Promise<T>;

/** Dispatch table: one line per database operation (see protocol.ts, `DbOps`). */
/** `rekey` replaces the leader's Database handle, so the Leader runs it itself (`#rekey`). */
type TableOp = Exclude<OpName, 'rekey'>;

const LEADER_OPS: { [K in TableOp]: (db: Database, target: SqlTarget, ...args: OpArgs<K>) => Await<OpResult<K>> } = {
  exec: (_db, t, sql, params) => t.exec(sql, params),
  query: (_db, t, sql, params) => t.query(sql, params),
  get: (_db, t, sql, params) => t.get(sql, params),
  batch: (db, t, statements) => (t === db ? db.transaction((tx) => runAll(tx, statements)) : runAll(t, statements)),
  tables: (db, _t, sql) => db.tables(sql),
  changePassword: (db, _t, current, next, options) =>
    keys.changePassword(db, current, next, options).finally(() => {
      wipeKeyMaterial(current);
      wipeKeyMaterial(next as KeyMaterial);
    }),
  listKeyslots: (db) => keys.listKeyslots(db),
  addRecoveryKey: (db, _t, current) => keys.addRecoveryKey(db, current).finally(() => wipeKeyMaterial(current)),
  removeKeyslot: (db, _t, current, index) => keys.removeKeyslot(db, current, index).finally(() => wipeKeyMaterial(current)),
  exportPlaintext: (db) => keys.exportPlaintext(db),
  verify: (db) => keys.verify(db),
  stats: (db) => keys.stats(db),
  backup: (db, _t, current, options) => keys.backup(db, current, options).finally(() => wipeKeyMaterial(current)),
  inspectBackup: (db, _t, bytes, secret) => pendingRestores.inspect(db, bytes, secret).finally(() => wipeKeyMaterial(secret)),
  confirmRestore: (db, _t, id, current, options) => pendingRestores.confirm(db, id, current, options).finally(() => wipeKeyMaterial(current)),
  cancelRestore: (db, _t, id) => pendingRestores.cancel(db, id),
  listBackups: (db) => keys.listBackups(db.storage, db.name),
  pruneBackups: (db, _t, keep) => keys.pruneBackups(db.storage, db.name, keep),
};

/**
 * Validated backups waiting for a confirmation, per database, under a number the client holds
 * (a `PendingRestore` keeps the backup open in memory and cannot cross postMessage). They live
 * and die with the leader: `cancelAll` runs when it steps down, and a client whose tab lost the
 * leadership meanwhile gets INVALID_ARGUMENT ("check the backup again").
 */
const pendingRestores = {
  byDb: new WeakMap<Database, Map<number, keys.PendingRestore>>(),
  seq: 0,
  async inspect(db: Database, bytes: Uint8Array, secret: KeyMaterial): Promise<PendingRestoreInfo> {
    const pending = await keys.inspectBackup(db, bytes, secret);
    const id = ++this.seq;
    let map = this.byDb.get(db);
    if (!map) this.byDb.set(db, (map = new Map()));
    map.set(id, pending);
    return { id, comparison: pending.comparison };
  },
  take(db: Database, id: number): keys.PendingRestore {
    const pending = this.byDb.get(db)?.get(id);
    if (!pending) throw new CipherliteError('INVALID_ARGUMENT', `no pending restore ${String(id)}: it was confirmed, cancelled, or the tab that owns the database changed; check the backup again`);
    return pending;
  },
  async confirm(db: Database, id: number, current: KeyMaterial, options: keys.ConfirmOptions = {}): Promise<keys.RestoreResult> {
    const pending = this.take(db, id);
    const result = await pending.confirm(current, options);
    this.byDb.get(db)?.delete(id);
    // The backup API copies pages below SQLite's authorizer: tell every tab's live queries.
    db._notifyChanged(pending.comparison.tables.map((t) => t.name));
    return result;
  },
  async cancel(db: Database, id: number): Promise<void> {
    const pending = this.byDb.get(db)?.get(id);
    this.byDb.get(db)?.delete(id);
    await pending?.cancel();
  },
  async cancelAll(db: Database): Promise<void> {
    const map = this.byDb.get(db);
    this.byDb.delete(db);
    for (const p of map?.values() ?? []) await p.cancel().catch(() => undefined);
  },
};

function isOpName(op: string): op is OpName {
  if (op === 'rekey') return true;
  return Object.hasOwn(LEADER_OPS, op);
}

/** Rejection reason for jobs a stepping-down leader never started (safe to resend). */
export class SteppedDown extends Error {
  constructor() {
    super('the tab that owned the database stepped down before running this call');
    this.name = 'SteppedDown';
  }
}

const ROLLBACK = Symbol('rollback');

/** How often the leader checks that its files still exist (site data can be cleared while open). */
const STORAGE_CHECK_MS = 2000;

interface OpenTx {
  readonly id: number;
  readonly owner: string;
  readonly target: SqlTarget;
  /** Resolves the transaction's body: `true` commits, `false` rolls back. */
  readonly finish: (commit: boolean) => void;
  /** Settles when COMMIT/ROLLBACK is done; rejects if COMMIT failed. */
  readonly done: Promise<void>;
  /** Cancels the watch on the owner tab's lifetime lock. */
  readonly unwatch: AbortController;
}

export class Leader {
  readonly epoch = crypto.randomUUID();
  readonly #tabId: string;
  #db: Database;
  readonly #openOptions: ReturnType<typeof openOptions>;
  readonly #storage: LeaderStorage;
  readonly #durable: DurableCalls;
  readonly #names: ReturnType<typeof busNames>;
  readonly #scheduler: Scheduler;
  readonly #authorized = new Set<string>();
  readonly #txs = new Map<number, OpenTx>();
  #txSeq = 0;
  /** `${tab}:${id}` of requests already taken, so a resent request never runs twice. */
  readonly #seen = new Set<string>();
  readonly #replies = new Map<string, BroadcastChannel>();
  #rpc: BroadcastChannel | null = null;
  readonly #events: BroadcastChannel;
  #offChange: () => void;
  #stepping: Promise<void> | null = null;
  /** Set when the files vanished (site data cleared): every later call fails with it. */
  #lost: CipherliteError | null = null;
  readonly #watch: ReturnType<typeof setInterval>;

  private constructor(tabId: string, db: Database, storage: LeaderStorage, names: ReturnType<typeof busNames>, reopen: ReturnType<typeof openOptions>, currentSecret: () => Secret | null) {
    this.#tabId = tabId;
    this.#db = db;
    this.#openOptions = reopen;
    this.#storage = storage;
    this.#durable = new DurableCalls(storage, {
      database: () => this.#db,
      reopen: (db) => this.#swap(db),
      openOptions: reopen,
      currentSecret,
    });
    this.#names = names;
    this.#authorized.add(tabId);
    this.#scheduler = new Scheduler(
      (txId) => new CipherliteError('BUSY', `transaction ${txId} is no longer open (rolled back: its tab closed or the owning tab changed)`),
    );
    this.#events = new BroadcastChannel(names.events);
    this.#offChange = this.#broadcastChanges(db);
    // Writes to a cleared file "succeed" into an orphan and are lost at close: refuse them.
    this.#watch = setInterval(() => {
      void storage.stillThere(names.name).then((there) => {
        if (there || this.#lost) return;
        this.#lost = new CipherliteError('IO', 'the database files were removed while open (site data cleared?); close and reopen the database');
        clearInterval(this.#watch);
      });
    }, STORAGE_CHECK_MS);
  }

  /**
   * Every tab hears changes on the `events` channel, this one included (its engine listens on
   * its own channel object, and BroadcastChannel delivers to every object but the sender).
   */
  #broadcastChanges(db: Database): () => void {
    return db.onChange((tables) => {
      const message: BusMessage = { kind: 'change', tables: [...tables] };
      this.#events.postMessage(message);
    });
  }

  /**
   * Re-encrypts everything under a new data key (core's `rekey`: a copy, then a crash-safe file
   * swap) and continues on the reopened database. Other tabs keep working: their password still
   * opens the new key's slot. If rekey fails after it closed the old handle (past its commit
   * point, or during the swap), the database is reopened with `current` — which opens whichever
   * consistent version is on storage.
   */
  async #rekey(current: KeyMaterial): Promise<{ droppedKeyslots: keys.KeyslotInfo[] }> {
    const old = this.#db;
    try {
      await pendingRestores.cancelAll(old);
      const result = await keys.rekey(old, current, { reopen: this.#reopenOptionsFor() });
      this.#swap(result.db);
      return { droppedKeyslots: result.droppedKeyslots };
    } catch (e) {
      if (old.closed) {
        const reopened = await Database.open({ ...this.#openOptions, create: false, storage: this.#storage.files, ...current } as Parameters<typeof Database.open>[0]);
        this.#swap(reopened);
      }
      throw e;
    } finally {
      wipeKeyMaterial(current);
    }
  }

  #reopenOptionsFor(): keys.ReopenOptions {
    const { cacheSizeKiB, journalMode, synchronous } = this.#openOptions;
    return Object.fromEntries(Object.entries({ cacheSizeKiB, journalMode, synchronous }).filter(([, v]) => v !== undefined)) as keys.ReopenOptions;
  }

  #swap(db: Database): void {
    this.#offChange();
    this.#db = db;
    this.#offChange = this.#broadcastChanges(db);
  }

  /**
   * Opens the files and the database with `secret` (which proves it: a wrong one is
   * `WRONG_KEY`), then announces itself and starts serving followers. The caller holds the
   * leader Web Lock.
   */
  static async start(tabId: string, options: WorkerOpenOptions, secret: Secret, backend: StorageBackend, currentSecret: () => Secret | null): Promise<Leader> {
    const storage = await openLeaderStorage(backend, options);
    let db: Database;
    const key = secret.toKeyMaterial();
    try {
      db = await Database.open({ ...openOptions(options), storage: storage.files, ...key } as Parameters<typeof Database.open>[0]);
    } catch (e) {
      await storage.close();
      throw e;
    } finally {
      wipeKeyMaterial(key);
    }
    try {
      // A new database's first blocks must be durable before anyone is told it exists.
      await storage.commit();
    } catch (e) {
      await db.close().finally(() => storage.close());
      throw e;
    }
    const leader = new Leader(tabId, db, storage, busNames(options.directory, options.name), openOptions(options), currentSecret);
    leader.#listen();
    return leader;
  }

  #listen(): void {
    // Announce before listening, so every `started` a follower sees from us comes after it.
    const hello: BusMessage = { kind: 'leader', tabId: this.#tabId, epoch: this.epoch };
    this.#events.postMessage(hello);
    this.#rpc = new BroadcastChannel(this.#names.rpc);
    this.#rpc.onmessage = (ev: MessageEvent<BusMessage>) => this.#onRpc(ev.data);
  }

  /** Runs one request from `from` (this tab or an authenticated follower). */
  execute(from: string, req: LeaderRequest, onStart?: () => void): Promise<unknown> {
    if (this.#lost) return Promise.reject(this.#lost);
    switch (req.op) {
      case 'auth':
        onStart?.();
        return this.#auth(from, req.key);
      // Inside an interactive transaction nothing needs to be durable until it ends.
      case 'txBegin':
        return this.#scheduler.enqueue(() => this.#txBegin(from), undefined, onStart);
      case 'txEnd':
        return this.#scheduler.enqueue(() => this.#durable.run(() => this.#txEnd(req.txId, req.commit, from)), req.txId, onStart);
      default: {
        if (!isOpName(req.op)) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', `unknown operation "${String(req.op)}"`));
        const { op, args, txId } = req;
        if (txId !== undefined && !TX_OPS.has(op)) {
          return Promise.reject(new CipherliteError('INVALID_ARGUMENT', `${op}() cannot run inside a transaction`));
        }
        if (op === 'rekey') {
          const [current] = args as OpArgs<'rekey'>;
          return this.#scheduler.enqueue(() => this.#durable.run(() => this.#rekey(current)), undefined, onStart);
        }
        const call = async () => {
          const target = txId === undefined ? this.#db : this.#ownedTx(txId, from).target;
          const fn = LEADER_OPS[op] as (db: Database, t: SqlTarget, ...a: unknown[]) => unknown;
          return fn(this.#db, target, ...(Array.isArray(args) ? args : []));
        };
        return this.#scheduler.enqueue(
          txId === undefined ? () => this.#durable.run(call) : call,
          txId,
          onStart,
        );
      }
    }
  }

  /** Throws `WRONG_KEY` unless `key` opens this database (this tab re-entering its password). */
  async checkKey(key: KeyMaterial): Promise<void> {
    try {
      await this.#db.checkKey(key);
    } finally {
      wipeKeyMaterial(key);
    }
  }

  async #auth(from: string, key: KeyMaterial): Promise<void> {
    try {
      await this.#db.checkKey(key);
    } finally {
      wipeKeyMaterial(key);
    }
    this.#authorized.add(from);
  }

  #ownedTx(txId: number, from: string): OpenTx {
    const tx = this.#txs.get(txId);
    if (!tx || tx.owner !== from) throw new CipherliteError('BUSY', `transaction ${txId} is not open`);
    return tx;
  }

  async #txBegin(owner: string): Promise<number> {
    const id = ++this.#txSeq;
    let finish!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (finish = resolve));
    let began!: (target: SqlTarget) => void;
    const opened = new Promise<SqlTarget>((resolve) => (began = resolve));
    const done = this.#db
      .transaction(async (tx) => {
        began(tx as SqlTarget);
        if (!(await decided)) throw ROLLBACK;
      })
      .then(
        () => undefined,
        (e: unknown) => {
          if (e !== ROLLBACK) throw e;
        },
      );
    // If BEGIN fails, `done` settles before the body ever ran.
    const beginFailed = done.then(() => {
      throw new CipherliteError('IO', 'the transaction ended before it began');
    });
    beginFailed.catch(() => undefined);
    const target = await Promise.race([opened, beginFailed]);
    const tx: OpenTx = { id, owner, target, finish, done, unwatch: new AbortController() };
    this.#txs.set(id, tx);
    if (owner !== this.#tabId) {
      // The owner's lifetime lock becomes free when its tab dies: roll its transaction back.
      navigator.locks
        .request(this.#names.tabLock(owner), { signal: tx.unwatch.signal }, () => this.#abortTx(id))
        .catch(() => undefined);
    }
    this.#scheduler.enterTx(id);
    return id;
  }

  async #txEnd(txId: number, commit: boolean, from: string): Promise<void> {
    const tx = this.#ownedTx(txId, from);
    tx.finish(commit);
    try {
      await tx.done;
    } finally {
      this.#endTx(tx);
    }
  }

  #endTx(tx: OpenTx): void {
    tx.unwatch.abort();
    this.#txs.delete(tx.id);
    this.#scheduler.leaveTx(tx.id);
  }

  /** Rolls back `txId` from outside its owner (owner died, leader stepping down). */
  async #abortTx(txId: number): Promise<void> {
    const tx = this.#txs.get(txId);
    if (!tx) return;
    tx.finish(false);
    await tx.done.catch(() => undefined);
    this.#endTx(tx);
  }

  #onRpc(msg: BusMessage): void {
    if (msg.kind === 'bye') {
      this.#authorized.delete(msg.from);
      for (const tx of this.#txs.values()) if (tx.owner === msg.from) void this.#abortTx(tx.id);
      return;
    }
    if (msg.kind !== 'req') return;
    const seenKey = `${msg.from}:${msg.id}`;
    if (this.#seen.has(seenKey)) return;
    this.#seen.add(seenKey);
    if (this.#seen.size > 10_000) this.#seen.delete(this.#seen.values().next().value!);

    const reply = this.#replyChannel(msg.from);
    const post = (m: BusMessage) => {
      try {
        reply.postMessage(m);
      } catch (e) {
        // A result that cannot be cloned still must answer the follower.
        if (m.kind === 'res' && m.ok) reply.postMessage({ kind: 'res', id: msg.id, ok: false, error: toWire(e) } satisfies BusMessage);
      }
    };
    if (this.#stepping) {
      this.#seen.delete(seenKey);
      post({ kind: 'res', id: msg.id, ok: false, error: toWire(new SteppedDown()), retry: 'resend' });
      return;
    }
    if (msg.req.op !== 'auth' && !this.#authorized.has(msg.from)) {
      this.#seen.delete(seenKey);
      post({ kind: 'res', id: msg.id, ok: false, error: toWire(new CipherliteError('LOCKED', 'this tab has not proven its key to the owning tab')), retry: 'reauth' });
      return;
    }
    this.execute(msg.from, msg.req, () => post({ kind: 'started', id: msg.id, epoch: this.epoch })).then(
      (value) => post({ kind: 'res', id: msg.id, ok: true, value }),
      (e: unknown) => {
        if (e instanceof SteppedDown) this.#seen.delete(seenKey);
        post({ kind: 'res', id: msg.id, ok: false, error: toWire(e), ...(e instanceof SteppedDown ? { retry: 'resend' as const } : {}) });
      },
    );
  }

  #replyChannel(tabId: string): BroadcastChannel {
    let ch = this.#replies.get(tabId);
    if (!ch) {
      ch = new BroadcastChannel(this.#names.reply(tabId));
      this.#replies.set(tabId, ch);
    }
    return ch;
  }

  /**
   * Stops serving: queued calls are refused (followers resend them to the next leader), the
   * running one finishes, open transactions roll back, then the database (keys wiped) and
   * every OPFS handle close. The caller releases the leader lock afterwards.
   */
  stepDown(): Promise<void> {
    this.#stepping ??= (async () => {
      clearInterval(this.#watch);
      const reason = new SteppedDown();
      const shutdown = this.#scheduler.shutdown(reason);
      await Promise.all([...this.#txs.keys()].map((id) => this.#abortTx(id)));
      await shutdown;
      this.#offChange();
      try {
        await pendingRestores.cancelAll(this.#db);
        await this.#db.close();
        // IndexedDB: what closing wrote (a rolled-back transaction) is saved like any call's.
        await this.#storage.commit();
      } finally {
        await this.#storage.close();
        this.#rpc?.close();
        this.#events.close();
        for (const ch of this.#replies.values()) ch.close();
        this.#replies.clear();
      }
    })();
    return this.#stepping;
  }
}

/** Only the options core's `Database.open` knows (no `undefined` values, for exactOptionalPropertyTypes). */
function openOptions(o: WorkerOpenOptions) {
  const { name, create, pageSize, kdf, cacheSizeKiB, journalMode, synchronous } = o;
  return Object.fromEntries(
    Object.entries({ name, create, pageSize, kdf, cacheSizeKiB, journalMode, synchronous }).filter(([, v]) => v !== undefined),
  ) as { name: string } & Partial<Pick<WorkerOpenOptions, 'create' | 'pageSize' | 'kdf' | 'cacheSizeKiB' | 'journalMode' | 'synchronous'>>;
}

export type { DbOps };
