/**
 * The leader: the one worker (per database, per origin) that owns the storage and the open
 * `Database`. It runs its own tab's calls and the calls followers forward over the `rpc`
 * channel, one at a time (`Scheduler`), and publishes committed changes to every tab.
 *
 * A follower must prove its key material first (`auth` → `Database.checkKey`); the leader then
 * serves that tab id until the tab says `bye` or leadership moves. This stops a locked tab from
 * reading through the leader; it does not stop other code of the same origin, which the threat
 * model trusts anyway (see docs/DESIGN.md, threat model). How other tabs are served — dedupe,
 * re-authentication, `started`, resend on step-down — is `LeaderService`.
 */
import { CipherliteError, Database, format } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';
import { passkeyChallenges, type PasskeyChallenge } from '@cipherlite/core/header';
import type { KeyslotInfo } from '@cipherlite/core/keys';
import type { Diagnostics } from '../../shared/diagnostics.js';
import { LeaderService, SteppedDown } from './service.js';
import type { ServingLeader } from './service.js';
import { InteractiveTransactions } from './interactive-transactions.js';
import { coreOpenOptions, isTableOp, loadKeyManagement, runTableOp } from './ops.js';
import { CORE_OPEN_OPTIONS, DEFAULT_JOURNAL_MODE, REOPEN_OPTIONS, type CoreOpenOptions, type OpenArgs } from './open-options.js';
import type { CoreCallOptions, SqlTarget, TableOp } from './op-context.js';
import { ProgressThrottle, guardedProgress, type CallHooks } from '../runtime/progress.js';
import { PendingRestores } from './pending-restores.js';
import { addRecord, canRecord, findRecord, runOnce } from './request-log.js';
import type { BusChannel, LeaderStorage, WorkerPlatform } from '../runtime/platform.js';
import { DurableCalls } from './durable-calls.js';
import { KEY_CHANGING_OPS, PROGRESS_OPS, busNames, operationRow } from '../../shared/protocol.js';
import type { LeaderRequest } from '../../shared/bus.js';
import type { OpArgs, OpName, OpResult, StorageBackend, WorkerOpenOptions } from '../../shared/protocol.js';
import { Scheduler } from './scheduler.js';
import { ReplicaHost } from './replica-host.js';
import type { ReplicaCall, ReplicaStatus, WorkerReplicaOptions } from '../../shared/replica.js';
import type { SyncSlot, SyncSlotContext } from './sync-slot.js';
import { wipeKeyMaterial } from '../runtime/secret.js';
import type { Secret } from '../runtime/secret.js';

/** Refused when both would run on one database (a synced database's replica is its sync log). */
const SYNC_EXCLUSIVE = 'sync and replica are exclusive';
/** The library's own tables (`_cipherlite_requests`, sync's `_cipherlite_sync_*`): never reported as the app's changes. */
const LIBRARY_TABLES = '_cipherlite_';

/** How often the leader checks that its files still exist (site data can be cleared while open). */
const STORAGE_CHECK_MS = 2000;

/** Operations the leader runs itself (they replace its `Database` handle). */
type LeaderOwnOp = Exclude<OpName, TableOp>;

/**
 * A job that checks its call's signal when the queue reaches it: a call cancelled while it waited
 * is CANCELLED without running (not even the WAL → TRUNCATE switch around key management).
 */
function notIfCancelled<T>(call: CoreCallOptions, job: () => Promise<T>): () => Promise<T> {
  return async () => {
    if (call.signal?.aborted) throw new CipherliteError('CANCELLED', 'the call was cancelled before it started');
    return job();
  };
}

export class Leader implements ServingLeader {
  readonly epoch = crypto.randomUUID();
  readonly #tabId: string;
  #db: Database;
  readonly #openOptions: CoreOpenOptions;
  readonly #storage: LeaderStorage;
  readonly #durable: DurableCalls;
  readonly #log: Diagnostics;
  readonly #names: ReturnType<typeof busNames>;
  readonly #scheduler: Scheduler;
  readonly #txs: InteractiveTransactions;
  readonly #restores: PendingRestores;
  readonly #followers: LeaderService;
  readonly #events: BusChannel;
  #offChange: () => void;
  #stepping: Promise<void> | null = null;
  /** Set when the files vanished (site data cleared): every later call fails with it. */
  #lost: CipherliteError | null = null;
  readonly #watch: ReturnType<typeof setInterval>;
  /** The replica writer, when the database was opened with `replica` options. */
  #replica: ReplicaHost | null = null;
  /** The sync scheduler, when the database was opened with `sync` options (or `db.sync.start/create`). */
  #sync: Promise<SyncSlot> | null = null;
  /** `#sync` once loaded (the transaction runner needs it synchronously). */
  #syncLoaded: SyncSlot | null = null;
  readonly #syncContext: SyncSlotContext;

  private constructor(tabId: string, db: Database, storage: LeaderStorage, options: WorkerOpenOptions, platform: WorkerPlatform, log: Diagnostics, currentSecret: () => Secret | null) {
    this.#tabId = tabId;
    this.#db = db;
    this.#openOptions = coreOpenOptions(options, CORE_OPEN_OPTIONS) as CoreOpenOptions;
    this.#storage = storage;
    this.#durable = new DurableCalls(storage, {
      database: () => this.#db,
      reopen: (reopened) => this.#swap(reopened),
      openOptions: this.#openOptions,
      currentSecret,
    });
    this.#log = log;
    this.#names = busNames(options.directory, options.name);
    this.#followers = new LeaderService(this, this.#names, platform, log);
    this.#followers.authorize(tabId);
    this.#scheduler = new Scheduler((txId) => new CipherliteError('BUSY', `transaction ${txId} is no longer open (rolled back: its tab closed or the owning tab changed)`));
    this.#txs = new InteractiveTransactions(
      this.#scheduler,
      {
        watchOwner: (owner, signal, onDeath) => {
          platform.locks.request(this.#names.tabLock(owner), { signal }, onDeath).catch(log.ignored('leader.owner-watch-ended', 'debug'));
        },
      },
      log,
    );
    this.#restores = new PendingRestores(log);
    this.#events = platform.openChannel(this.#names.events);
    this.#offChange = this.#broadcastChanges(db);
    this.#syncContext = {
      storage,
      events: this.#events,
      log,
      database: () => this.#db,
      replicaRunning: () => this.#replica !== null,
      persist: () => this.#scheduler.enqueue(() => this.#durable.run(() => Promise.resolve())),
      exclusively: (fn) => this.#scheduler.enqueue(() => this.#durable.run(() => this.#withRollbackJournal(fn))),
    };
    // Writes to a cleared file "succeed" into an orphan and are lost at close: refuse them.
    this.#watch = setInterval(() => {
      void storage.stillThere(this.#names.name).then((there) => {
        if (there || this.#lost) return;
        this.#lost = new CipherliteError('IO', 'the database files were removed while open (site data cleared?); close and reopen the database');
        this.#log.report('error', 'leader.storage-lost');
        clearInterval(this.#watch);
      }, log.ignored('leader.storage-check-failed'));
    }, STORAGE_CHECK_MS);
  }

  /**
   * Opens the storage (`backend`) and the database with `secret` (which proves it: a wrong one is
   * `WRONG_KEY`), then announces itself and starts serving followers. The caller holds the
   * leader Web Lock. `currentSecret` hands out this tab's key material of the moment (it changes
   * with changePassword and is gone once locked): reopening after a failed IndexedDB save needs it.
   */
  static async start(
    tabId: string,
    options: WorkerOpenOptions,
    secret: Secret,
    platform: WorkerPlatform,
    log: Diagnostics,
    backend: StorageBackend,
    currentSecret: () => Secret | null,
  ): Promise<Leader> {
    if (options.replica && options.sync) throw new CipherliteError('INVALID_ARGUMENT', SYNC_EXCLUSIVE);
    // A replica changes nothing here: core's writer reads committed pages through SQLite, from the
    // WAL or the main file alike (core's replica/pages.ts).
    if (options.journalMode === undefined) options = { ...options, journalMode: DEFAULT_JOURNAL_MODE };
    const storage = await platform.openStorage(options, backend, log);
    let db: Database;
    const key = secret.toKeyMaterial();
    try {
      db = await Database.open({ ...coreOpenOptions(options, CORE_OPEN_OPTIONS), storage: storage.files, ...key } as OpenArgs);
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
    const leader = new Leader(tabId, db, storage, options, platform, log, currentSecret);
    if (options.replica || options.sync) {
      try {
        if (options.replica) leader.#replica = await ReplicaHost.start(db, storage, options.replica, leader.#events, log);
        if (options.sync) await (await leader.syncSlot()).start(options.sync, false);
      } catch (e) {
        await leader.stepDown();
        throw e;
      }
    }
    leader.#listen();
    return leader;
  }

  /**
   * Every tab hears changes on the `events` channel, this one included (its engine listens on
   * its own channel end, and a broadcast reaches every end but the sender's).
   */
  #broadcastChanges(db: Database): () => void {
    return db.onChange((tables) => {
      // The request log is bookkeeping, not the app's data.
      // The library's tables (the request log, sync's) are bookkeeping, not the app's data.
      const changed = tables.filter((t) => !t.startsWith(LIBRARY_TABLES));
      if (changed.length > 0) this.#events.post({ kind: 'change', tables: changed });
    });
  }

  #listen(): void {
    // Announce before listening, so every `started` a follower sees from us comes after it.
    this.#events.post({ kind: 'leader', tabId: this.#tabId, epoch: this.epoch });
    this.#followers.listen();
  }

  /**
   * Runs one request from `from` (this tab or an authenticated follower). `hooks` carry the call's
   * progress (throttled here, for every tab alike) and its abort signal, for `PROGRESS_OPS`.
   */
  execute(from: string, req: LeaderRequest, onStart?: () => void, hooks: CallHooks = {}): Promise<unknown> {
    if (!PROGRESS_OPS.has(req.op)) return this.#keysChangedAfter(from, req, this.#execute(from, req, onStart, {}));
    const { signal, onProgress } = hooks;
    const throttle = onProgress ? new ProgressThrottle(guardedProgress(onProgress, this.#log)) : null;
    const call: CoreCallOptions = { ...(throttle ? { onProgress: (p) => throttle.push(p) } : {}), ...(signal ? { signal } : {}) };
    const run = this.#execute(from, req, onStart, call).finally(() => throttle?.flush());
    return this.#keysChangedAfter(from, req, run);
  }

  #keysChangedAfter(from: string, req: LeaderRequest, run: Promise<unknown>): Promise<unknown> {
    if (!KEY_CHANGING_OPS.has(req.op)) return run;
    // Every other tab re-proves what it holds now, so a revoked secret does not live on in a tab.
    return run.then((value) => {
      this.#events.post({ kind: 'keysChanged', by: from });
      return value;
    });
  }

  #execute(from: string, req: LeaderRequest, onStart: (() => void) | undefined, call: CoreCallOptions): Promise<unknown> {
    if (this.#lost) return Promise.reject(this.#lost);
    switch (req.op) {
      case 'auth':
        onStart?.();
        return this.#auth(from, req.key);
      // Outside the queue: a push reads the database through core's own queue, and waiting for the
      // bucket must not hold up other calls.
      case 'replica':
      case 'sync':
        onStart?.();
        // Credentials and signer specs are taken only from this tab (the engine), never from a forwarded request.
        if ((req.call.action === 'setCredentials' || req.call.action === 'setSigner') && from !== this.#tabId) {
          return Promise.reject(new CipherliteError('INVALID_ARGUMENT', 'credentials and signers are not accepted from another tab'));
        }
        return req.op === 'sync' ? this.syncSlot().then((s) => s.call(req.call)) : this.replicaCall(req.call);
      // Inside an interactive transaction nothing needs to be durable until it ends.
      case 'txBegin':
        return this.#scheduler.enqueue(async () => this.#txs.begin(this.#db, from, from !== this.#tabId, this.#syncRunner(req.sync === true)), undefined, onStart);
      case 'txEnd': {
        const { txId, commit, record } = req;
        const end = () => this.#durable.run(() => this.#txs.end(txId, commit, from, record === undefined ? undefined : (target) => addRecord(target, record, undefined)));
        if (record === undefined) return this.#scheduler.enqueue(end, txId, onStart);
        // Resent after its leader vanished: the transaction died with it unless its COMMIT (with the record) landed.
        if (!this.#txs.isOpen(txId, from)) return this.#scheduler.enqueue(() => this.#committedBefore(record), undefined, onStart);
        return this.#scheduler.enqueue(end, txId, onStart);
      }
      default: {
        const { op, args, txId, record } = req;
        const row = operationRow(op);
        if (!row) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', `unknown operation "${String(op)}"`));
        if (txId !== undefined && !row.inTransaction) {
          return Promise.reject(new CipherliteError('INVALID_ARGUMENT', `${op}() cannot run inside a transaction`));
        }
        const argList = Array.isArray(args) ? args : [];
        const runOn = (target: SqlTarget) => (isTableOp(op) ? runTableOp(op, { db: this.#db, target, restores: this.#restores, call }, argList) : this.#ownOps[op as LeaderOwnOp](argList, call));
        if (row.rollbackJournal) {
          return this.#scheduler.enqueue(
            notIfCancelled(call, () => this.#durable.run(() => this.#withRollbackJournal(() => runOn(this.#db)))),
            undefined,
            onStart,
          );
        }
        if (record !== undefined && canRecord(op, argList, txId)) {
          return this.#scheduler.enqueue(() => this.#durable.run(() => this.#db.transaction((tx) => runOnce(tx as SqlTarget, record, () => runOn(tx)))), undefined, onStart);
        }
        const runOp = async () => runOn(txId === undefined ? this.#db : this.#txs.owned(txId, from).target);
        return this.#scheduler.enqueue(notIfCancelled(call, txId === undefined ? () => this.#durable.run(runOp) : runOp), txId, onStart);
      }
    }
  }

  /** The operations that replace `#db` (`OperationRow.replacesDatabase`): run here, not through `LEADER_OPS`. */
  readonly #ownOps: { readonly [K in LeaderOwnOp]: (args: unknown[], call: CoreCallOptions) => Promise<OpResult<K>> } = {
    rekey: (args, call) => this.#rekey((args as OpArgs<'rekey'>)[0], call),
  };

  /**
   * Runs `fn` on a rollback-journal database: core's copy-based key management (rekey, backup,
   * restore, export, stats) reads the main file directly, so pages still in a WAL would be
   * missed. A WAL database is switched to TRUNCATE for the call — SQLite checkpoints every frame
   * into the main file and removes the WAL first (allowed: the leader holds the database in
   * exclusive locking mode) — and back to WAL afterwards. A rekey reopens the database in the
   * journal mode it was opened with.
   */
  async #withRollbackJournal<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#db.journalMode !== 'WAL') return fn();
    await this.#db.exec('PRAGMA journal_mode = TRUNCATE');
    try {
      return await fn();
    } finally {
      if (!this.#db.closed && this.#db.journalMode !== 'WAL') await this.#db.exec('PRAGMA journal_mode = WAL');
    }
  }

  /** A resent `txEnd` whose transaction is not open here: it committed iff its record is there. */
  async #committedBefore(record: string): Promise<void> {
    const found = await this.#db.transaction((tx) => findRecord(tx as SqlTarget, record));
    if (!found) {
      throw new CipherliteError('BUSY', 'the transaction was rolled back, not committed: the tab that owned the database closed before COMMIT');
    }
  }

  /** True once `stepDown` began: new requests are refused for the next leader. */
  get stepping(): boolean {
    return this.#stepping !== null;
  }

  /** The tab `from` locked or closed: its open transactions roll back. */
  forget(from: string): void {
    this.#txs.abortOwnedBy(from);
  }

  /**
   * The passkey challenges of the open file, read through this leader's own storage (the handle
   * it holds is why other tabs cannot read the file themselves). Parsed by core, like any header.
   */
  passkeyChallenges(): PasskeyChallenge[] {
    const file = this.#storage.files.open(this.#names.name, { create: false });
    try {
      const head = new Uint8Array(format.MAIN_HEADER_SIZE);
      const n = file.read(head, { at: 0 });
      return passkeyChallenges(head.subarray(0, n));
    } finally {
      file.close();
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
    await this.checkKey(key);
    this.#followers.authorize(from);
  }

  /**
   * Re-encrypts everything under a new data key (core's `rekey`: a copy, then a crash-safe file
   * swap) and continues on the reopened database. Other tabs keep working: their password still
   * opens the new key's slot. If rekey fails after it closed the old handle (past its commit
   * point, or during the swap), the database is reopened with `current` — which opens whichever
   * consistent version is on storage.
   */
  async #rekey(current: KeyMaterial, call: CoreCallOptions): Promise<{ droppedKeyslots: KeyslotInfo[] }> {
    const old = this.#db;
    try {
      const { rekey } = await loadKeyManagement();
      await this.#restores.cancelAll();
      const result = await rekey(old, current, { ...call, reopen: coreOpenOptions(this.#openOptions, REOPEN_OPTIONS) });
      this.#swap(result.db);
      return { droppedKeyslots: result.droppedKeyslots };
    } catch (e) {
      if (old.closed) {
        const reopened = await Database.open({ ...this.#openOptions, create: false, storage: this.#storage.files, ...current });
        this.#swap(reopened);
      }
      throw e;
    } finally {
      wipeKeyMaterial(current);
    }
  }

  #swap(db: Database): void {
    this.#offChange();
    this.#db = db;
    this.#offChange = this.#broadcastChanges(db);
    this.#replica?.moveTo(db).catch(this.#log.ignored('leader.replica-move-failed', 'error'));
    this.#syncLoaded?.moveTo(db).catch(this.#log.ignored('leader.sync-move-failed', 'error'));
  }

  /** The sync scheduler's place (`db.sync`, engine/leader/sync-slot.ts). */
  syncSlot(): Promise<SyncSlot> {
    // Loaded on first use, with the scheduler: a database without sync never downloads either.
    return (this.#sync ??= import('./sync-slot.js').then(({ SyncSlot }) => (this.#syncLoaded = new SyncSlot(this.#syncContext))));
  }

  /** How a sync transaction runs (`txBegin` with `sync`): through the running scheduler, else INVALID_ARGUMENT. */
  #syncRunner(sync: boolean) {
    if (sync && !this.#syncLoaded) throw new CipherliteError('INVALID_ARGUMENT', 'sync is not running');
    return this.#syncLoaded?.runner(sync);
  }

  /**
   * Starts the replica writer on the open database (`db.replica.start`), in its journal mode. A
   * writer already running for the same bucket and prefix only takes the new credentials or signer.
   */
  async startReplica(options: WorkerReplicaOptions): Promise<void> {
    if (this.#syncLoaded?.host) throw new CipherliteError('INVALID_ARGUMENT', SYNC_EXCLUSIVE);
    const running = this.#replica;
    if (running?.sameTarget(options)) {
      await running.call(options.signer ? { action: 'setSigner', signer: options.signer } : { action: 'setCredentials', credentials: options.credentials! });
      return;
    }
    this.#replica = null;
    await running?.stop();
    this.#replica = await ReplicaHost.start(this.#db, this.#storage, options, this.#events, this.#log);
  }

  replicaCall(call: ReplicaCall): Promise<ReplicaStatus> {
    if (!this.#replica) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', 'this database was opened without replica options (the tab that leads passes them)'));
    return this.#replica.call(call);
  }

  /**
   * Stops serving: queued calls are refused (followers resend them to the next leader), the
   * running one finishes, open transactions roll back, then the database (keys wiped) and
   * every storage handle close. The caller releases the leader lock afterwards.
   */
  stepDown(): Promise<void> {
    this.#stepping ??= (async () => {
      clearInterval(this.#watch);
      const shutdown = this.#scheduler.shutdown(new SteppedDown());
      await this.#txs.abortAll();
      await shutdown;
      this.#offChange();
      try {
        await this.#replica?.stop();
        await this.#syncLoaded?.stop();
        await this.#restores.cancelAll();
        await this.#db.close();
        // IndexedDB: what closing wrote (a checkpoint, a rolled-back transaction) is saved like any
        // call's. It holds nothing acknowledged that is not stored already, so a save that fails
        // (no space left) loses nothing — storage keeps the last acknowledged state — and must not
        // keep a lock or close from wiping the keys.
        await this.#storage.commit().catch(this.#log.ignored('leader.closing-save-failed'));
      } finally {
        await this.#storage.close();
        this.#followers.close();
        this.#events.close();
      }
    })();
    return this.#stepping;
  }
}
