/**
 * The leader's sync scheduler (docs/SYNC.md "In the browser"): core's `Sync` on the leader's
 * `Database`, over the multi-writer replica (`@cipherlite/core/sync`, loaded on first use so a
 * database without sync never downloads it), and what runs it in the background:
 *
 * - a local sync transaction that commits schedules a push `pushDebounceMs` later (a burst of
 *   them goes out in one round; core pushes every pending transaction in order);
 * - otherwise a pull every `pullIntervalMs` (every push pulls first): there is no server to hint
 *   other devices, so a push reaches them at their next pull, through the log alone;
 * - a failure the network or the store may mend (`REPLICA_UNAVAILABLE` = `offline`,
 *   `REPLICA_AUTH`, `IO`, `BUSY`, `QUOTA_EXCEEDED` = `error`) is retried with doubling backoff
 *   (`retryMinMs` … `retryMaxMs`); any other (a fork, a rollback, a schema this app does not know)
 *   stops the automatic rounds until `pushNow()` or `resume()`. Local transactions keep queueing.
 *
 * Only the leader syncs. Leadership moving is a restart: the next leader enables sync on the same
 * database, whose pending queue and agreed position are in it, and opens the log again.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Database, Transaction } from '@cipherlite/core';
import type { ReplicaSyncLog, Sync, SyncLog } from '@cipherlite/core/sync';
import type { Diagnostics } from '../../shared/diagnostics.js';
import { assertReplicaCredentials } from '../../shared/replica.js';
import type { ReplicaCredentials } from '../../shared/replica.js';
import { assertSyncOptions, SYNC_DEFAULTS, type SyncAnswer, type SyncCall, type SyncStateName, type SyncStatus, type WorkerSyncOptions } from '../../shared/sync.js';
import { DeviceContacts } from './sync-contacts.js';
import type { ObjectStore } from '@cipherlite/core/replica';
import type { BusChannel, LeaderStorage } from '../runtime/platform.js';

/** Where core keeps this device's last checked log position (core's `localStateName`). */
const deviceStateName = (name: string): string => `${name}-replica`;

/** Failures worth retrying on their own (the same list as the replica writer's). */
const RETRYABLE: readonly string[] = ['REPLICA_UNAVAILABLE', 'REPLICA_AUTH', 'QUOTA_EXCEEDED', 'IO', 'BUSY'];

type SyncModule = typeof import('@cipherlite/core/sync');

/** What the host needs from the leader. */
export interface SyncHostContext {
  readonly storage: Pick<LeaderStorage, 'files'>;
  readonly events: BusChannel;
  readonly log: Diagnostics;
  /** Makes what a round wrote durable (IndexedDB), as a job of the leader's queue. */
  persist(): Promise<void>;
  /** Another object store than the S3 one the options name (Node tests: core's in-process `MemoryObjectStore`). */
  readonly store?: ObjectStore;
}

/** What status fields come from the database (refreshed after every round and local commit). */
type Snapshot = Pick<SyncStatus, 'device' | 'seq' | 'pending' | 'schemaVersion'>;

/**
 * Refuses a database that neither created a sync replica (sync's state table) nor joined one (the
 * replica key kept at join): enabling sync on it would give it a device id and bookkeeping that
 * `db.sync.create` then refuses, and its log could never open.
 */
async function assertSyncing(db: Database): Promise<void> {
  const found = await db.query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('_cipherlite_sync_state', '_cipherlite_sync_replica')`);
  if (found.length === 0) {
    throw new CipherliteError(
      'INVALID_ARGUMENT',
      `"${db.name}" is not part of a sync replica yet: create one from it with db.sync.create (the first device), or join one with joinSyncReplica (a new device)`,
    );
  }
}

export class SyncHost {
  readonly #options: WorkerSyncOptions;
  readonly #context: SyncHostContext;
  #credentials: ReplicaCredentials;
  #core!: SyncModule;
  #db!: Database;
  #sync!: Sync;
  /** The opened log; null until the first round reaches the bucket (a device starts offline too). */
  #remote: ReplicaSyncLog | null = null;
  #state: SyncStateName = 'idle';
  #snapshot: Snapshot = { device: '', seq: 0, pending: 0, schemaVersion: 0 };
  #lastPullAt: number | null = null;
  #lastPushAt: number | null = null;
  #lastError: CipherliteError | null = null;
  /** Other devices' last contact (loaded when sync is first enabled here; the same data after `moveTo`). */
  #contacts: DeviceContacts | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #round: Promise<void> | null = null;
  /** A round was asked for while one ran: run another right after. */
  #again = false;
  #retryMs = 0;
  #paused = false;
  /** A failure retrying does not mend: no automatic rounds until pushNow/resume. */
  #halted = false;
  #stopped = false;

  private constructor(options: WorkerSyncOptions, context: SyncHostContext) {
    this.#options = options;
    this.#context = context;
    this.#credentials = options.replica.credentials;
  }

  /**
   * Enables sync on `db` and starts the rounds. `create`: `db` as it is now becomes the genesis
   * of a new multi-writer generation (core's `createSyncReplica`: the first device, once; the
   * caller runs it on a rollback-journal database, with nothing else writing). Otherwise the log
   * is opened by the first round, so a device that starts offline still writes locally.
   */
  static async start(db: Database, options: WorkerSyncOptions, context: SyncHostContext, create: boolean): Promise<SyncHost> {
    assertSyncOptions(options);
    await context.storage.files.prepare?.([deviceStateName(db.name)]);
    const host = new SyncHost(options, context);
    host.#core = await import('@cipherlite/core/sync');
    if (create) host.#remote = await host.#core.createSyncReplica(db, host.#target());
    else await assertSyncing(db);
    await host.#enable(db);
    host.#schedule(0);
    return host;
  }

  async #enable(db: Database): Promise<void> {
    this.#db = db;
    const { tables, maxSchemaVersion, deviceName } = this.#options;
    this.#sync = await this.#core.enableSync(db, {
      log: this.#logView(),
      ...(tables ? { tables } : {}),
      ...(maxSchemaVersion !== undefined ? { maxSchemaVersion } : {}),
      ...(deviceName !== undefined ? { deviceName } : {}),
    });
    this.#sync.onConflict((conflict) => this.#context.events.post({ kind: 'syncConflict', conflict }));
    this.#sync.onRefused((refusal) => this.#context.events.post({ kind: 'syncRefused', refusal }));
    await this.#refresh();
    this.#contacts ??= await DeviceContacts.load(db, this.#snapshot.device);
  }

  /** The replica target, asking for the credentials per request (so `setCredentials` needs no restart). */
  #target() {
    const { endpoint, bucket, prefix, region } = this.#options.replica;
    if (this.#context.store) return { prefix, store: this.#context.store };
    return { endpoint, bucket, prefix, ...(region !== undefined ? { region } : {}), credentials: () => Promise.resolve(this.#credentials) };
  }

  /** The log core's `Sync` runs on: the replica's, opened on first use, noting who wrote what it reads. */
  #logView(): SyncLog {
    const remote = async (): Promise<ReplicaSyncLog> => (this.#remote ??= await this.#core.openSyncReplica(this.#db, this.#target()));
    return {
      tip: async () => (await remote()).tip(),
      read: async (fromSeq) => {
        const entries = await (await remote()).read(fromSeq);
        this.#contacts?.saw(entries);
        return entries;
      },
      tryAppend: async (seq, record) => (await remote()).tryAppend(seq, record),
    };
  }

  /** Runs `fn` as a local sync transaction (core's `sync.transaction`); a commit schedules a push. */
  async transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T> {
    const result = await this.#sync.transaction(fn);
    this.#committed();
    return result;
  }

  #committed(): void {
    void this.#refresh().then(() => this.#post(), this.#context.log.ignored('sync.refresh-failed', 'debug'));
    // Offline or failing: the backoff decides when to try next; a commit does not hammer the store.
    if (this.#state !== 'offline' && this.#state !== 'error') this.#schedule(this.#options.pushDebounceMs ?? SYNC_DEFAULTS.pushDebounceMs);
  }

  /** A tab's call on the scheduler (shared/sync.ts `SyncCall`). */
  call<C extends SyncCall>(call: C): Promise<SyncAnswer<C>> {
    return this.#call(call) as Promise<SyncAnswer<C>>;
  }

  async #call(call: SyncCall): Promise<SyncAnswer> {
    switch (call.action) {
      case 'status':
        await this.#refresh();
        return this.status();
      case 'pushNow':
        return this.pushNow();
      case 'pause':
        this.#paused = true;
        this.#clearTimer();
        await this.#round;
        this.#set('paused');
        return this.status();
      case 'resume':
        this.#paused = false;
        this.#halted = false;
        this.#set('idle');
        this.#schedule(0);
        return this.status();
      case 'migrate':
        // Core checks both (an integer ≥ 1; DDL that works and leaves every table a PRIMARY KEY) and runs it after the pending pushes.
        await this.#sync.migrate(call.version, call.ddl);
        await this.#afterWrite();
        return this.status();
      case 'devices':
        return this.#contacts!.describe(await this.#sync.devices());
      case 'removeDevice':
        // Core checks the id, appends the removal (after a pull) and applies it; it needs the bucket.
        await this.#sync.removeDevice(call.device);
        await this.#afterWrite();
        return this.status();
      case 'setCredentials':
        assertReplicaCredentials(call.credentials);
        this.#credentials = call.credentials;
        this.#context.log.report('info', 'sync.credentials-replaced');
        // A round waiting on refused credentials tries again at once.
        if (this.#lastError) this.#schedule(0);
        return this.status();
      default:
        throw new CipherliteError('INVALID_ARGUMENT', 'unknown sync call');
    }
  }

  /**
   * One round now (after the one under way): pushes every pending transaction and pulls. Resolves
   * with the status once done; rejects with the round's typed error. Also lifts a halt.
   */
  async pushNow(): Promise<SyncStatus> {
    if (this.#stopped) throw new CipherliteError('CLOSED', 'sync stopped (the leader is closing)');
    this.#halted = false;
    await this.#round;
    await this.#runRound();
    if (this.#lastError) throw this.#lastError;
    return this.status();
  }

  status(): SyncStatus {
    const e = this.#lastError;
    return {
      state: this.#state,
      ...this.#snapshot,
      lastPullAt: this.#lastPullAt,
      lastPushAt: this.#lastPushAt,
      lastError: e ? { code: e.code, message: e.message } : null,
      devices: this.#contacts?.list() ?? [],
    };
  }

  #schedule(ms: number): void {
    if (this.#stopped || this.#paused || this.#halted) return;
    if (this.#round) {
      this.#again = true;
      return;
    }
    this.#clearTimer();
    this.#timer = setTimeout(() => void this.#runRound(), ms);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** One round at a time; a request during a round runs another right after it. */
  #runRound(): Promise<void> {
    if (this.#round) {
      this.#again = true;
      return this.#round;
    }
    this.#clearTimer();
    this.#round = this.#roundBody().then((next) => {
      this.#round = null;
      if (this.#again) {
        this.#again = false;
        next = 0;
      }
      if (next !== null) this.#schedule(next);
    });
    return this.#round;
  }

  /** One round (never throws: its failure is the status); returns when the next one is due, null: none. */
  async #roundBody(): Promise<number | null> {
    if (this.#stopped) return null;
    this.#set('syncing');
    const before = this.#snapshot;
    let next: number | null = this.#options.pullIntervalMs ?? SYNC_DEFAULTS.pullIntervalMs;
    try {
      if ((await this.#sync.status()).pending > 0) {
        if ((await this.#sync.push()) > 0) this.#lastPushAt = Date.now();
      } else {
        await this.#sync.pull();
      }
      this.#lastPullAt = Date.now();
      this.#lastError = null;
      this.#retryMs = 0;
    } catch (e) {
      const error = e instanceof CipherliteError ? e : new CipherliteError('IO', `sync round failed: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
      this.#lastError = error;
      this.#context.log.report('warn', 'sync.round-failed', error);
      if (RETRYABLE.includes(error.code)) {
        const min = this.#options.retryMinMs ?? SYNC_DEFAULTS.retryMinMs;
        this.#retryMs = Math.min(this.#options.retryMaxMs ?? SYNC_DEFAULTS.retryMaxMs, Math.max(min, this.#retryMs * 2));
        next = this.#retryMs;
      } else {
        this.#halted = true;
        next = null;
      }
    }
    if (this.#stopped) return null;
    await this.#refresh().catch(this.#context.log.ignored('sync.refresh-failed', 'debug'));
    if (this.#snapshot.seq !== before.seq || this.#snapshot.pending !== before.pending) await this.#persist();
    const failed = this.#lastError;
    this.#set(this.#paused ? 'paused' : !failed ? 'idle' : failed.code === 'REPLICA_UNAVAILABLE' ? 'offline' : 'error');
    return next;
  }

  /** After a call that appended and pulled outside a round: the status, the contacts and durability follow. */
  async #afterWrite(): Promise<void> {
    await this.#refresh();
    await this.#persist();
    this.#post();
  }

  /** Writes the contacts a round read and makes what it wrote durable; failures are reported, the round's result stands. */
  async #persist(): Promise<void> {
    await this.#contacts?.save(this.#db).catch(this.#context.log.ignored('sync.contacts-failed', 'warn'));
    await this.#context.persist().catch(this.#context.log.ignored('sync.persist-failed', 'error'));
  }

  async #refresh(): Promise<void> {
    const { device, seq, pending, schemaVersion } = await this.#sync.status();
    this.#snapshot = { device, seq, pending, schemaVersion };
  }

  #set(state: SyncStateName): void {
    this.#state = state;
    this.#post();
  }

  #post(): void {
    if (!this.#stopped) this.#context.events.post({ kind: 'sync', status: this.status() });
  }

  /** The leader's database was reopened (rekey, a failed IndexedDB save): sync follows it. */
  async moveTo(db: Database): Promise<void> {
    await this.#round;
    this.#remote = null;
    await this.#enable(db);
    this.#schedule(0);
  }

  /** Stops the rounds (one under way finishes first); the leader closes the database after. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    await this.#round;
  }
}
