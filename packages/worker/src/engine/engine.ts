/**
 * What a tab's dedicated worker does: the `WorkerApi` its main thread calls through Comlink.
 *
 * State per tab: locked → unlocking → unlocked (→ closed). While unlocked the worker keeps its
 * key material (`Secret`) and is either
 * - the **leader** (holds the `…:leader` Web Lock, owns the OPFS files and the `Database`), or
 * - a **follower** (proved its key to the leader, forwards calls, and waits in the Web Lock queue
 *   so that it opens the database itself — no password prompt — when the leader goes away).
 * A locked worker holds no key and is not in the queue. Locking one tab does not lock the others
 * (`lock(true)` asks all of them to).
 *
 * The state is one tagged record, `EngineState` (session.ts): `unopened`, `locked` (with the
 * `OpenedDatabase` that `open` fixed), `unlocking`/`unlocked` (with the `UnlockedSession`: router
 * and key material), `closed`; no field exists outside the states that have it. Who leads is
 * election.ts.
 *
 * Every method rejects with core's `WireError` (a plain object); the client rebuilds the error.
 */
import { CipherliteError, toWire } from '@cipherlite/core';
import type { PasskeyChallenge } from '@cipherlite/core/keys';
import type { KeyMaterial } from '@cipherlite/core';
import { Diagnostics } from '../shared/diagnostics.js';
import { SteppedDown } from './leader/service.js';
import { holdLock } from './runtime/platform.js';
import type { WorkerPlatform } from './runtime/platform.js';
import { busNames } from '../shared/protocol.js';
import type { CallHooks } from './runtime/progress.js';
import type { LeaderRequest } from '../shared/bus.js';
import { onBusMessage, type BusTab } from './bus-messages.js';
import type { CallTag, LineCounts, OpArgs, OpName, OpResult, OpenInfo, PasskeyChallengeSource, Role, StorageBackend, WorkerApi, WorkerEvents, WorkerOpenOptions } from '../shared/protocol.js';
import { Router } from './router.js';
import { readChallenges } from './passkey-challenges.js';
import { Secret, wipeKeyMaterial } from './runtime/secret.js';
import { Serial } from './runtime/serial.js';
import { AutoLock } from './runtime/auto-lock.js';
import { prepareCall, type PreparedCall } from './call-args.js';
import { transferBytes } from './runtime/transfer.js';
import { OpenCalls } from './calls.js';
import { Election } from './election.js';
import { importFile, joinFile, openedOf, restoreFile, takeSecret, verifyFile, validateOptions, type EngineState, type OpenedDatabase, type UnlockedSession } from './session.js';
import { accessInTab, startInTab } from './leader/replica-host.js';
import type { ReplicaCall, ReplicaPointInTime, ReplicaStatus, ReplicaVerifyScope, WorkerReplicaOptions } from '../shared/replica.js';
import type { VerifyReplicaResult } from '@cipherlite/core/replica';
import type { SyncAnswer, SyncCall, SyncStatus, WorkerSyncOptions } from '../shared/sync.js';

export class WorkerEngine implements WorkerApi {
  readonly #tabId = crypto.randomUUID();
  readonly #platform: WorkerPlatform;
  /** Silent until `open` knows the options' `logLevel`. */
  #log = Diagnostics.silent;
  /** The idle timer: `autoLockMs` of the open options, changed by `setAutoLock`. */
  readonly #autoLock = new AutoLock(() => this.#lockInBackground('engine.auto-lock'));
  #state: EngineState = { kind: 'unopened' };
  #role: Role = 'none';
  readonly #election: Election;
  /** Serializes open/unlock/lock/close. */
  readonly #transitions = new Serial();
  /** Calls with `CallOptions` in flight. */
  readonly #calls = new OpenCalls(
    () => openedOf(this.#state)?.events ?? null,
    () => this.#log,
  );

  /** The engine as the messages of the other tabs' workers reach it (bus-messages.ts). */
  readonly #busTab: BusTab = {
    tabId: this.#tabId,
    unlocked: () => this.#state.kind === 'unlocked',
    session: () => this.#session(),
    leader: () => this.#election.leader,
    notify: (fn) => this.#notify(fn),
    lockInBackground: (event) => this.#lockInBackground(event),
    log: () => this.#log,
  };

  /** `platform`: the browser's (`browserPlatform()`) in a worker; in-memory fakes in Node tests. */
  constructor(platform: WorkerPlatform) {
    this.#platform = platform;
    this.#election = new Election({
      tabId: this.#tabId,
      platform: this.#platform,
      log: () => this.#log,
      isCurrent: (session) => this.#session() === session,
      secret: () => this.#session()?.secret ?? null,
      leading: () => this.#setRole('leader'),
      lock: (event) => this.#lockInBackground(event),
    });
  }

  // ---- WorkerApi -------------------------------------------------------------------------

  // Key material is turned into a `Secret` before any closure is created: a closure made in a
  // scope that can see `key` would keep the password string alive (V8 shares one context per
  // scope), e.g. for the life of an event listener. The heap-snapshot e2e test checks this.
  open(options: WorkerOpenOptions, key: KeyMaterial, events: WorkerEvents): Promise<OpenInfo> {
    const secret = takeSecret(key);
    if (!(secret instanceof Secret)) return Promise.reject(secret.rejection);
    return this.#wire(() => this.#serial(() => this.#open(options, secret, events)));
  }

  importDatabase(options: WorkerOpenOptions, key: KeyMaterial, bytes: Uint8Array, events: WorkerEvents, tag: CallTag): Promise<OpenInfo> {
    const secret = takeSecret(key);
    if (!(secret instanceof Secret)) return Promise.reject(secret.rejection);
    const call = this.#calls.begin(tag);
    return this.#wire(() =>
      this.#serial(async () => {
        try {
          return await this.#open(options, secret, events, (opened) => importFile(this.#platform, this.#log, opened, bytes, secret, call.hooks));
        } finally {
          // Plaintext: nothing of it stays in this worker.
          if (bytes instanceof Uint8Array) bytes.fill(0);
          await this.#calls.end(call);
        }
      }),
    );
  }

  restoreReplica(options: WorkerOpenOptions, key: KeyMaterial, pointInTime: ReplicaPointInTime | null, events: WorkerEvents, tag: CallTag): Promise<OpenInfo> {
    const secret = takeSecret(key);
    if (!(secret instanceof Secret)) return Promise.reject(secret.rejection);
    const call = this.#calls.begin(tag);
    // The restored database has its own data key: it opens without a writer (docs/REPLICA.md).
    const { replica: source, ...rest } = options ?? {};
    const create = (opened: OpenedDatabase) => restoreFile(this.#platform, this.#log, opened, source, pointInTime, secret, call.hooks);
    return this.#wire(() => this.#serial(() => this.#open(rest as WorkerOpenOptions, secret, events, create).finally(() => this.#calls.end(call))));
  }

  verifyReplica(source: WorkerReplicaOptions, key: KeyMaterial, scope: ReplicaVerifyScope, events: Pick<WorkerEvents, 'progress'>, tag: CallTag): Promise<VerifyReplicaResult> {
    const secret = takeSecret(key);
    if (!(secret instanceof Secret)) return Promise.reject(secret.rejection);
    const call = this.#calls.begin(tag, events);
    return this.#wire(() => verifyFile(this.#log, source, scope, secret, call.hooks).finally(() => this.#calls.end(call)));
  }

  startReplica(options: WorkerReplicaOptions): Promise<void> {
    return this.#wire(() => this.#serial(async () => startInTab(this.#openedOrClosed(), this.#election.leader, options)));
  }

  replica(call: ReplicaCall): Promise<ReplicaStatus> {
    const ask = (c: ReplicaCall) => this.#request({ op: 'replica', call: c }) as Promise<ReplicaStatus>;
    const access = call?.action === 'setCredentials' || call?.action === 'setSigner';
    return this.#wire(async () => (access ? accessInTab(this.#openedOrClosed(), this.#election.leader, call, ask) : ask(call)));
  }

  joinSync(options: WorkerOpenOptions, key: KeyMaterial, events: WorkerEvents, tag: CallTag): Promise<OpenInfo> {
    const secret = takeSecret(key);
    if (!(secret instanceof Secret)) return Promise.reject(secret.rejection);
    const call = this.#calls.begin(tag);
    const create = (opened: OpenedDatabase) => joinFile(this.#platform, this.#log, opened, secret, call.hooks);
    return this.#wire(() => this.#serial(() => this.#open(options, secret, events, create).finally(() => this.#calls.end(call))));
  }

  startSync(options: WorkerSyncOptions, create: boolean): Promise<void> {
    return this.#wire(() =>
      this.#serial(async () => (await import('./leader/sync-tab.js')).startSyncInTab(this.#openedOrClosed(), (await this.#election.leader?.syncSlot()) ?? null, options, create === true)),
    );
  }

  sync(call: SyncCall): Promise<SyncAnswer> {
    const ask = (c: SyncCall) => this.#request({ op: 'sync', call: c }) as Promise<SyncAnswer>;
    if (call?.action !== 'setCredentials') return this.#wire(() => ask(call));
    const status = () => ask({ action: 'status' }) as Promise<SyncStatus>;
    return this.#wire(async () => (await import('./leader/sync-tab.js')).syncCredentialsInTab(this.#openedOrClosed(), (await this.#election.leader?.syncSlot()) ?? null, call, status));
  }

  async #open(options: WorkerOpenOptions, secret: Secret, events: WorkerEvents, prepare?: (opened: OpenedDatabase) => Promise<void>): Promise<OpenInfo> {
    let backend: StorageBackend;
    try {
      if (this.#state.kind === 'closed') throw this.#closedError();
      if (this.#state.kind !== 'unopened') throw new CipherliteError('INVALID_ARGUMENT', 'this worker already opened a database');
      validateOptions(options);
      this.#platform.assertSupport();
      backend = await this.#platform.chooseBackend(options.storage);
    } catch (e) {
      secret.wipe();
      throw e;
    }
    this.#log = new Diagnostics(options.logLevel ?? 'off', this.#platform.logSink);
    this.#autoLock.ms = options.autoLockMs ?? 0;
    const names = busNames(options.directory, options.name);
    // Held for this worker's life: the leader watches it to roll back our transactions if we die.
    const tabLock = holdLock(this.#platform.locks, names.tabLock(this.#tabId), {});
    await tabLock.granted;
    const bus = this.#platform.openChannel(names.events);
    const opened: OpenedDatabase = { options, names, backend, bus, releaseTabLock: tabLock.release, events };
    this.#state = { kind: 'locked', opened };
    bus.listen((msg) => onBusMessage(msg, this.#busTab));
    if (prepare) {
      try {
        await prepare(opened);
      } catch (e) {
        secret.wipe();
        throw e;
      }
    }
    await this.#unlock(opened, secret);
    return { tabId: this.#tabId, role: this.#role, storageBackend: backend };
  }

  unlock(key: KeyMaterial): Promise<void> {
    const secret = takeSecret(key);
    if (!(secret instanceof Secret)) return Promise.reject(secret.rejection);
    return this.#wire(() =>
      this.#serial(async () => {
        const opened = openedOf(this.#state);
        try {
          this.#assertNotClosed();
          if (!opened) throw new CipherliteError('INVALID_ARGUMENT', 'unlock() before open()');
        } catch (e) {
          secret.wipe();
          throw e;
        }
        const state = this.#state;
        if (state.kind !== 'unlocked') return this.#unlock(opened, secret);
        // Already unlocked: still verify, so a wrong password never "succeeds".
        const km = secret.toKeyMaterial();
        secret.wipe();
        const leader = this.#election.leader;
        if (leader) await leader.checkKey(km);
        else await state.session.router.request({ op: 'auth', key: km });
        this.#touch();
      }),
    );
  }

  passkeyChallenges(options: PasskeyChallengeSource): Promise<PasskeyChallenge[]> {
    return this.#wire(async () => {
      if (options?.replica !== undefined) return (await import('./leader/replica-restore.js')).replicaChallenges(options.replica, options.generation);
      const opened = openedOf(this.#state);
      const where = opened?.options ?? options;
      validateOptions({ ...where });
      const leader = this.#election.leader;
      if (leader) return leader.passkeyChallenges();
      const backend = opened ? opened.backend : await this.#platform.chooseBackend(where.storage);
      return readChallenges(this.#platform, this.#tabId, where, backend);
    });
  }

  lock(allTabs: boolean): Promise<void> {
    return this.#wire(async () => {
      this.#assertNotClosed();
      if (allTabs) openedOf(this.#state)?.bus.post({ kind: 'lockAll' });
      await this.#serial(() => this.#teardown('locked'));
    });
  }

  setAutoLock(ms: number): Promise<void> {
    return this.#wire(async () => {
      this.#assertNotClosed();
      this.#autoLock.change(ms, this.#state.kind === 'unlocked');
    });
  }

  run<K extends OpName>(op: K, args: OpArgs<K>, txId?: number, tag?: CallTag): Promise<OpResult<K>> {
    let prepared: PreparedCall;
    try {
      prepared = prepareCall(op, args, txId);
    } catch (e) {
      return Promise.reject(e);
    }
    const { req, keyArgs, args: callArgs, next, transferResult } = prepared;
    const call = tag === undefined ? null : this.#calls.begin(tag);
    return this.#wire(async () => {
      try {
        const result = (await this.#request(req, call?.hooks)) as OpResult<K>;
        if (next) this.#adoptSecret(next);
        return transferResult ? transferBytes(result) : result;
      } finally {
        if (next && this.#session()?.secret !== next) next.wipe();
        for (const i of keyArgs) wipeKeyMaterial(callArgs[i] as KeyMaterial);
        if (call) await this.#calls.end(call);
      }
    });
  }

  cancel(callId: number): Promise<void> {
    this.#calls.cancel(callId);
    return Promise.resolve();
  }

  /**
   * After this tab changed the password, it keeps the new key material, so it can still open
   * the database when it becomes the leader. Other unlocked tabs keep the old one: if one of
   * them has to take over, it gets WRONG_KEY and locks (the user enters the new password).
   */
  #adoptSecret(next: Secret): void {
    if (this.#state.kind !== 'unlocked') return;
    const session = this.#state.session;
    const old = session.secret;
    session.secret = next;
    session.router.replaceSecret(next);
    old.wipe();
  }

  txBegin(sync?: boolean): Promise<number> {
    return this.#wire(() => this.#request(sync === true ? { op: 'txBegin', sync: true } : { op: 'txBegin' }) as Promise<number>);
  }

  txEnd(txId: number, commit: boolean): Promise<void> {
    return this.#wire(() => this.#request({ op: 'txEnd', txId, commit }) as Promise<void>);
  }

  close(): Promise<void> {
    return this.#wire(() =>
      this.#serial(async () => {
        if (this.#state.kind === 'closed') return;
        await this.#teardown('closed');
        const opened = openedOf(this.#state);
        opened?.bus.close();
        opened?.releaseTabLock();
        // The client's callbacks go with it.
        this.#state = { kind: 'closed', opened: null };
      }),
    );
  }

  async ping(): Promise<void> {}

  async attachBroker(port: MessagePort | null): Promise<void> {
    if (this.#platform.attachBroker) this.#platform.attachBroker(port);
    else port?.close();
  }

  async lineCounts(): Promise<LineCounts> {
    return this.#session()?.router.lineCounts() ?? { direct: 0, broadcast: 0 };
  }

  // ---- internals -------------------------------------------------------------------------

  #request(req: LeaderRequest, hooks?: CallHooks): Promise<unknown> {
    this.#assertNotClosed();
    const state = this.#state;
    if (state.kind !== 'unlocked') throw new CipherliteError('LOCKED', 'the database is locked; call unlock() first');
    this.#touch();
    return state.session.router.request(req, hooks);
  }

  /** Rejects with a `WireError`; a call our own stepping-down leader refused becomes LOCKED/CLOSED. */
  async #wire<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof SteppedDown) {
        throw toWire(this.#state.kind === 'closed' ? this.#closedError() : new CipherliteError('LOCKED', 'the database was locked while this call waited'));
      }
      throw toWire(e);
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.#transitions.run(fn);
  }

  #closedError(): CipherliteError {
    return new CipherliteError('CLOSED', 'the database was closed');
  }

  #assertNotClosed(): void {
    if (this.#state.kind === 'closed') throw this.#closedError();
  }

  /** The opened database; CLOSED after close, INVALID_ARGUMENT before open. */
  #openedOrClosed(): OpenedDatabase {
    this.#assertNotClosed();
    const opened = openedOf(this.#state);
    if (!opened) throw new CipherliteError('INVALID_ARGUMENT', 'open() first');
    return opened;
  }

  /** The current unlocked period (unlocking included), null in any other state. */
  #session(): UnlockedSession | null {
    const state = this.#state;
    return state.kind === 'unlocking' || state.kind === 'unlocked' ? state.session : null;
  }

  /** Moves to an unlocking or unlocked state, telling the client when the lock state changed. */
  #enter(state: EngineState & { kind: 'unlocking' | 'unlocked' }): void {
    const changed = this.#state.kind !== state.kind;
    this.#state = state;
    if (changed) this.#notify((e) => e.lockState(state.kind));
  }

  #setRole(role: Role): void {
    if (this.#role === role) return;
    this.#role = role;
    this.#notify((e) => e.role(role));
  }

  /** Calls the client's callback; a client that went away must not break the worker. */
  #notify(fn: (events: WorkerEvents) => unknown): void {
    const events = openedOf(this.#state)?.events;
    if (!events) return;
    const failed = this.#log.ignored('engine.client-callback-failed', 'debug');
    try {
      Promise.resolve(fn(events)).catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  /** Locks this tab from a background event (lock-all message, rejected key, idle timer). */
  #lockInBackground(event: string): void {
    this.#log.report('info', event);
    void this.#serial(() => this.#teardown('locked')).catch(this.#log.ignored('engine.background-lock-failed', 'error'));
  }

  /** Unlocks with `secret`: leads if nobody does, else proves it to the leader and queues up. */
  async #unlock(opened: OpenedDatabase, secret: Secret): Promise<void> {
    const names = opened.names;
    const router = new Router(this.#tabId, names, secret, { onKeyRejected: () => this.#lockInBackground('engine.key-rejected-by-leader') }, this.#platform, this.#log);
    const session: UnlockedSession = { opened, router, secret };
    this.#enter({ kind: 'unlocking', session });
    try {
      if (!(await this.#election.tryLead(session))) {
        this.#setRole('follower');
        this.#election.campaign(session);
        await router.authenticate();
      }
      this.#election.resetBackoff();
      this.#enter({ kind: 'unlocked', session });
      this.#touch();
    } catch (e) {
      await this.#teardown('locked');
      throw e;
    }
  }

  /** Wipes keys, stops leading or following; ends in `next`. */
  async #teardown(next: 'locked' | 'closed'): Promise<void> {
    const state = this.#state;
    if (state.kind === 'closed' || state.kind === next || (state.kind === 'unopened' && next === 'locked')) return;
    this.#autoLock.stop();
    this.#election.stopCampaign();
    const session = this.#session();
    const opened = openedOf(state);
    // Refuse new calls at once; the event follows below.
    this.#state = next === 'closed' || !opened ? { kind: 'closed', opened } : { kind: 'locked', opened };
    session?.secret.wipe();
    const error = next === 'closed' ? this.#closedError() : new CipherliteError('LOCKED', 'the database was locked');
    const resigned = this.#election.resign();
    session?.router.dispose(error);
    if (resigned) await resigned();
    this.#setRole('none');
    if (next === 'locked') this.#notify((e) => e.lockState('locked'));
  }

  /** Restarts the idle timer (`autoLockMs`). */
  #touch(): void {
    this.#autoLock.touch(this.#state.kind === 'unlocked');
  }
}
