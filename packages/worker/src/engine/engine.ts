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
 * Every method rejects with core's `WireError` (a plain object); the client rebuilds the error.
 */
import { CipherliteError, format, toWire } from '@cipherlite/core';
import { importPlaintext, passkeyChallenges, type PasskeyChallenge, type Progress } from '@cipherlite/core/keys';
import type { Database, KeyMaterial } from '@cipherlite/core';
import { Diagnostics, assertLogSetting } from '../shared/diagnostics.js';
import { SteppedDown } from './leader/service.js';
import { Leader } from './leader/leader.js';
import { holdLock } from './runtime/platform.js';
import type { BusChannel, LeaderStorage, WorkerPlatform } from './runtime/platform.js';
import { assertDatabaseLocation, busNames, KEY_MATERIAL_ARGS } from '../shared/protocol.js';
import { ProgressThrottle, guardedProgress, type CallHooks } from './runtime/progress.js';
import type { BusMessage, CallTag, LeaderRequest, LockState, OpArgs, OpName, OpResult, OpenInfo, Role, StorageBackend, WorkerApi, WorkerEvents, WorkerOpenOptions } from '../shared/protocol.js';
import { Router } from './router.js';
import { passwordAsBytes, Secret, wipeKeyMaterial } from './runtime/secret.js';
import { transferBytes } from './runtime/transfer.js';
import { assertReplicaCredentials, assertReplicaOptions, type ReplicaCall, type ReplicaStatus, type WorkerReplicaOptions } from '../shared/replica.js';
import { restoreReplicaInto } from './leader/replica-restore.js';

const TAKEOVER_RETRY_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
/** Calls whose result is a whole file, created for the call: moved to the page (runtime/transfer.ts). */
const TRANSFERRED_RESULTS: ReadonlySet<OpName> = new Set<OpName>(['backup', 'exportPlaintext', 'readBackup']);

/** How long a finished call waits for the client to acknowledge its last progress event. */
const LAST_PROGRESS_WAIT_MS = 1000;

interface OpenCall {
  readonly abort: AbortController;
  hooks: CallHooks;
  /** Settles when the client ran the newest progress event sent so far. */
  delivered: Promise<unknown>;
}

function validateOptions(o: WorkerOpenOptions): void {
  if (typeof o !== 'object' || o === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  assertDatabaseLocation(o.name, o.directory);
  if (o.autoLockMs !== undefined && !(Number.isFinite(o.autoLockMs) && o.autoLockMs >= 0)) {
    throw new CipherliteError('INVALID_ARGUMENT', `expected autoLockMs to be a number >= 0, got ${String(o.autoLockMs)}`);
  }
  assertLogSetting(o.logLevel);
  if (o.replica !== undefined) assertReplicaOptions(o.replica);
}

/**
 * The worker's copy of `key` as a `Secret`, the caller's key material wiped either way; key
 * material that is not valid comes back as the wire error to reject the call with.
 */
function takeSecret(key: KeyMaterial): Secret | { rejection: unknown } {
  try {
    return Secret.from(key);
  } catch (e) {
    return { rejection: toWire(e) };
  } finally {
    wipeKeyMaterial(key);
  }
}

export class WorkerEngine implements WorkerApi {
  readonly #tabId = crypto.randomUUID();
  readonly #platform: WorkerPlatform;
  /** Silent until `open` knows the options' `logLevel`. */
  #log = Diagnostics.silent;
  #options: WorkerOpenOptions | null = null;
  #names: ReturnType<typeof busNames> | null = null;
  #events: WorkerEvents | null = null;
  #state: LockState | 'closed' = 'locked';
  #role: Role = 'none';
  #backend: StorageBackend = 'opfs';
  #secret: Secret | null = null;
  /** Identity of the current unlocked period: async work started in an older one stands down. */
  #session: object | null = null;
  #router: Router | null = null;
  #leader: Leader | null = null;
  #releaseLeaderLock: (() => void) | null = null;
  #campaign: AbortController | null = null;
  #takeoverFailures = 0;
  #bus: BusChannel | null = null;
  #releaseTabLock: (() => void) | null = null;
  #autoLock: ReturnType<typeof setTimeout> | undefined;
  /** Serializes open/unlock/lock/close. */
  #transition: Promise<unknown> = Promise.resolve();
  /** Calls with `CallOptions` in flight, by the client's call id. */
  readonly #calls = new Map<number, OpenCall>();

  /** `platform`: the browser's (`browserPlatform()`) in a worker; in-memory fakes in Node tests. */
  constructor(platform: WorkerPlatform) {
    this.#platform = platform;
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
    const call = this.#beginCall(tag);
    return this.#wire(() =>
      this.#serial(async () => {
        try {
          return await this.#open(options, secret, events, () =>
            this.#createFile(secret, call.hooks, (files, key, progress) =>
              importPlaintext(files, options.name, bytes, key, { ...(options.kdf ? { kdf: options.kdf } : {}), ...progress }).then((r) => r.db),
            ),
          );
        } finally {
          // Plaintext: nothing of it stays in this worker.
          if (bytes instanceof Uint8Array) bytes.fill(0);
          await this.#endCall(tag.id, call);
        }
      }),
    );
  }

  restoreReplica(options: WorkerOpenOptions, key: KeyMaterial, pointInTime: { seq: number } | { time: number } | null, events: WorkerEvents, tag: CallTag): Promise<OpenInfo> {
    const secret = takeSecret(key);
    if (!(secret instanceof Secret)) return Promise.reject(secret.rejection);
    const call = this.#beginCall(tag);
    return this.#wire(() =>
      this.#serial(async () => {
        try {
          const { replica: source, ...rest } = options ?? {};
          if (!source) throw new CipherliteError('INVALID_ARGUMENT', 'restoreFromReplica needs replica options');
          // The restored database has its own data key: it opens without a writer (docs/REPLICA.md).
          return await this.#open(rest, secret, events, () =>
            this.#createFile(secret, call.hooks, (files, km, progress) => restoreReplicaInto(files, { ...rest, replica: source }, km, pointInTime, progress)),
          );
        } finally {
          await this.#endCall(tag.id, call);
        }
      }),
    );
  }

  startReplica(options: WorkerReplicaOptions): Promise<void> {
    return this.#wire(() =>
      this.#serial(async () => {
        this.#assertNotClosed();
        assertReplicaOptions(options);
        if (this.#options?.journalMode === 'WAL') throw new CipherliteError('INVALID_ARGUMENT', "a replica needs the rollback journal; this tab opened with journalMode 'WAL'");
        this.#options = { ...this.#options!, replica: options };
        await this.#leader?.startReplica(options);
      }),
    );
  }

  replica(call: ReplicaCall): Promise<ReplicaStatus> {
    if (call?.action !== 'setCredentials') return this.#wire(() => this.#request({ op: 'replica', call }) as Promise<ReplicaStatus>);
    // Credentials never travel to another tab: this tab keeps them for when it leads, and its
    // leader (if it is one) takes them now. Every tab is given the new ones, as with `start`.
    return this.#wire(async () => {
      assertReplicaCredentials(call.credentials);
      const replica = this.#options?.replica;
      if (!replica) throw new CipherliteError('INVALID_ARGUMENT', 'this tab has no replica options (openDatabase({ replica }) or db.replica.start)');
      this.#options = { ...this.#options!, replica: { ...replica, credentials: call.credentials } };
      if (this.#leader) return this.#leader.replicaCall(call);
      return this.#request({ op: 'replica', call: { action: 'status' } }) as Promise<ReplicaStatus>;
    });
  }

  /**
   * Creates the database with `create` (from a standard SQLite file, or from a replica) and closes
   * it again; `#open` then opens it the usual way. The leader lock is held meanwhile, so no other
   * tab opens or creates the name meanwhile; if another tab holds it, the database is in use
   * there, i.e. it exists.
   */
  async #createFile(
    secret: Secret,
    hooks: CallHooks,
    create: (files: LeaderStorage['files'], key: KeyMaterial, progress: { onProgress?: (p: Progress) => void; signal?: AbortSignal }) => Promise<Database>,
  ): Promise<void> {
    const options = this.#options!;
    const lock = holdLock(this.#platform.locks, this.#names!.leaderLock, { ifAvailable: true });
    if (!(await lock.granted)) throw new CipherliteError('INVALID_ARGUMENT', `"${options.name}" already exists (another tab has it open); only a new database can be created this way`);
    try {
      const storage = await this.#platform.openStorage(options, this.#backend, this.#log);
      try {
        const throttle = hooks.onProgress ? new ProgressThrottle(guardedProgress(hooks.onProgress, this.#log)) : null;
        const key = secret.toKeyMaterial();
        let db: Database;
        try {
          db = await create(storage.files, key, {
            ...(throttle ? { onProgress: (p: Progress) => throttle.push(p) } : {}),
            ...(hooks.signal ? { signal: hooks.signal } : {}),
          });
        } finally {
          wipeKeyMaterial(key);
          throttle?.flush();
        }
        await db.close();
        // IndexedDB: the new database becomes durable here, in one transaction (nothing before).
        await storage.commit();
      } finally {
        await storage.close();
      }
    } finally {
      lock.release();
    }
  }

  async #open(options: WorkerOpenOptions, secret: Secret, events: WorkerEvents, prepare?: () => Promise<void>): Promise<OpenInfo> {
    try {
      if (this.#options) throw new CipherliteError('INVALID_ARGUMENT', 'this worker already opened a database');
      validateOptions(options);
      this.#platform.assertSupport();
      this.#backend = await this.#platform.chooseBackend(options.storage);
    } catch (e) {
      secret.wipe();
      throw e;
    }
    this.#options = options;
    this.#log = new Diagnostics(options.logLevel ?? 'off', this.#platform.logSink);
    this.#events = events;
    const names = busNames(options.directory, options.name);
    this.#names = names;
    // Held for this worker's life: the leader watches it to roll back our transactions if we die.
    const tabLock = holdLock(this.#platform.locks, names.tabLock(this.#tabId), {});
    this.#releaseTabLock = tabLock.release;
    await tabLock.granted;
    this.#bus = this.#platform.openChannel(names.events);
    this.#bus.listen((msg) => this.#onBus(msg));
    if (prepare) {
      try {
        await prepare();
      } catch (e) {
        secret.wipe();
        throw e;
      }
    }
    await this.#unlock(secret);
    return { tabId: this.#tabId, role: this.#role, storageBackend: this.#backend };
  }

  unlock(key: KeyMaterial): Promise<void> {
    const secret = takeSecret(key);
    if (!(secret instanceof Secret)) return Promise.reject(secret.rejection);
    return this.#wire(() =>
      this.#serial(async () => {
        try {
          this.#assertNotClosed();
        } catch (e) {
          secret.wipe();
          throw e;
        }
        if (this.#state !== 'unlocked') return this.#unlock(secret);
        // Already unlocked: still verify, so a wrong password never "succeeds".
        const km = secret.toKeyMaterial();
        secret.wipe();
        if (this.#leader) await this.#leader.checkKey(km);
        else await this.#router!.request({ op: 'auth', key: km });
        this.#touch();
      }),
    );
  }

  passkeyChallenges(options: Pick<WorkerOpenOptions, 'name' | 'directory'>): Promise<PasskeyChallenge[]> {
    return this.#wire(async () => {
      const where = this.#options ?? options;
      validateOptions({ ...where });
      const head = await this.#platform.readFileStart(where, format.MAIN_HEADER_SIZE);
      if (!head) throw new CipherliteError('NOT_A_DATABASE', `database "${where.name}" does not exist`);
      return passkeyChallenges(head);
    });
  }

  lock(allTabs: boolean): Promise<void> {
    return this.#wire(async () => {
      this.#assertNotClosed();
      if (allTabs) this.#bus?.post({ kind: 'lockAll' });
      await this.#serial(() => this.#teardown('locked'));
    });
  }

  setAutoLock(ms: number): Promise<void> {
    return this.#wire(async () => {
      this.#assertNotClosed();
      if (!(Number.isFinite(ms) && ms >= 0)) throw new CipherliteError('INVALID_ARGUMENT', `expected autoLockMs to be a number >= 0, got ${String(ms)}`);
      this.#options = { ...this.#options!, autoLockMs: ms };
      if (ms === 0) {
        clearTimeout(this.#autoLock);
        this.#autoLock = undefined;
      } else this.#touch();
    });
  }

  run<K extends OpName>(op: K, args: OpArgs<K>, txId?: number, tag?: CallTag): Promise<OpResult<K>> {
    // Built before any closure, so no closure keeps the arguments (they may hold passwords).
    // Passwords become bytes at once: what core gets, and what can be wiped once the call ends.
    const keyArgs: readonly number[] = KEY_MATERIAL_ARGS[op] ?? [];
    const callArgs: unknown[] = [];
    let req: LeaderRequest;
    let next: Secret | null;
    try {
      args.forEach((a: unknown, i) => callArgs.push(keyArgs.includes(i) ? passwordAsBytes(a) : a));
      req = { op, args: callArgs, ...(txId === undefined ? {} : { txId }) };
      next = op === 'changePassword' ? Secret.from(callArgs[1] as KeyMaterial) : null;
    } catch (e) {
      return Promise.reject(e instanceof CipherliteError ? e : new CipherliteError('INVALID_ARGUMENT', String(e)));
    }
    const call = tag === undefined ? null : this.#beginCall(tag);
    return this.#wire(async () => {
      try {
        const result = (await this.#request(req, call?.hooks)) as OpResult<K>;
        if (next) this.#adoptSecret(next);
        return TRANSFERRED_RESULTS.has(op) ? transferBytes(result) : result;
      } finally {
        if (next && this.#secret !== next) next.wipe();
        for (const i of keyArgs) wipeKeyMaterial(callArgs[i] as KeyMaterial);
        if (call) await this.#endCall(tag!.id, call);
      }
    });
  }

  cancel(callId: number): Promise<void> {
    this.#calls.get(callId)?.abort.abort();
    return Promise.resolve();
  }

  /**
   * Registers call `tag` for `cancel` and, if the client listens, sends it its progress. Progress
   * goes through the client's one long-lived event proxy, tagged with the call id, rather than
   * through a `Comlink.proxy` callback per call: that would open a MessageChannel per call and
   * need releasing, and a follower's calls reach the leader's worker as bus messages anyway, so
   * an id has to name the call on that path in any case.
   */
  #beginCall(tag: CallTag): OpenCall {
    const abort = new AbortController();
    const call: OpenCall = { abort, hooks: { signal: abort.signal }, delivered: Promise.resolve() };
    if (tag.progress) {
      const failed = this.#log.ignored('engine.progress-delivery-failed', 'debug');
      call.hooks = {
        signal: abort.signal,
        onProgress: (progress) => {
          const events = this.#events;
          if (!events) return;
          try {
            call.delivered = Promise.resolve(events.progress(tag.id, progress)).catch(failed);
          } catch (e) {
            failed(e);
          }
        },
      };
    }
    this.#calls.set(tag.id, call);
    return call;
  }

  /**
   * The result travels on another MessagePort than the events, and a browser may deliver it
   * first: wait (briefly) until the client has the last progress event, so `onProgress` never
   * runs after the call settled.
   */
  async #endCall(id: number, call: OpenCall): Promise<void> {
    this.#calls.delete(id);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([call.delivered, new Promise((resolve) => (timer = setTimeout(resolve, LAST_PROGRESS_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * After this tab changed the password, it keeps the new key material, so it can still open
   * the database when it becomes the leader. Other unlocked tabs keep the old one: if one of
   * them has to take over, it gets WRONG_KEY and locks (the user enters the new password).
   */
  #adoptSecret(next: Secret): void {
    if (this.#state !== 'unlocked' || !this.#secret) return;
    const old = this.#secret;
    this.#secret = next;
    this.#router?.replaceSecret(next);
    old.wipe();
  }

  txBegin(): Promise<number> {
    return this.#wire(() => this.#request({ op: 'txBegin' }) as Promise<number>);
  }

  txEnd(txId: number, commit: boolean): Promise<void> {
    return this.#wire(() => this.#request({ op: 'txEnd', txId, commit }) as Promise<void>);
  }

  close(): Promise<void> {
    return this.#wire(() =>
      this.#serial(async () => {
        if (this.#state === 'closed') return;
        await this.#teardown('closed');
        this.#bus?.close();
        this.#bus = null;
        this.#releaseTabLock?.();
        this.#events = null;
      }),
    );
  }

  async ping(): Promise<void> {}

  // ---- internals -------------------------------------------------------------------------

  #request(req: LeaderRequest, hooks?: CallHooks): Promise<unknown> {
    this.#assertNotClosed();
    if (this.#state !== 'unlocked' || !this.#router) {
      throw new CipherliteError('LOCKED', 'the database is locked; call unlock() first');
    }
    this.#touch();
    return this.#router.request(req, hooks);
  }

  /** Rejects with a `WireError`; a call our own stepping-down leader refused becomes LOCKED/CLOSED. */
  async #wire<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof SteppedDown) {
        throw toWire(this.#state === 'closed' ? this.#closedError() : new CipherliteError('LOCKED', 'the database was locked while this call waited'));
      }
      throw toWire(e);
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#transition.then(fn, fn);
    // The chain only orders transitions: `run`'s caller gets its error, the next one starts anyway.
    this.#transition = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #closedError(): CipherliteError {
    return new CipherliteError('CLOSED', 'the database was closed');
  }

  #assertNotClosed(): void {
    if (this.#state === 'closed') throw this.#closedError();
  }

  #setState(state: LockState | 'closed'): void {
    if (this.#state === state) return;
    this.#state = state;
    if (state !== 'closed') this.#notify((e) => e.lockState(state));
  }

  #setRole(role: Role): void {
    if (this.#role === role) return;
    this.#role = role;
    this.#notify((e) => e.role(role));
  }

  /** Calls the client's callback; a client that went away must not break the worker. */
  #notify(fn: (events: WorkerEvents) => unknown): void {
    const events = this.#events;
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

  #onBus(msg: BusMessage): void {
    switch (msg.kind) {
      case 'change':
        if (this.#state === 'unlocked') {
          const tables = [...msg.tables];
          this.#notify((e) => e.change(tables));
        }
        return;
      case 'leader':
        if (!this.#leader) this.#router?.leaderChanged(msg.epoch);
        return;
      case 'replica': {
        const status = msg.status;
        if (this.#state === 'unlocked' || this.#state === 'unlocking') this.#notify((e) => e.replica?.(status));
        return;
      }
      case 'lockAll':
        this.#lockInBackground('engine.lock-all-received');
        return;
      case 'keysChanged':
        // The tab that made the change already holds what opens the database now.
        if (msg.by !== this.#tabId && this.#state === 'unlocked') void this.#reprove();
        return;
      default:
        return;
    }
  }

  /**
   * The keyslots changed in another tab: proves this tab's key material again; if it no longer
   * opens the database (password changed, slot removed), this tab locks and wipes it at once.
   */
  async #reprove(): Promise<void> {
    const session = this.#session;
    try {
      if (this.#leader && this.#secret) await this.#leader.checkKey(this.#secret.toKeyMaterial());
      else await this.#router?.reauthenticate();
    } catch (e) {
      if (this.#session !== session) return;
      if (e instanceof CipherliteError && e.code === 'WRONG_KEY') {
        // A follower's router already locked through onKeyRejected; the leader locks here.
        if (this.#leader) this.#lockInBackground('engine.key-revoked');
        return;
      }
      this.#log.report('warn', 'engine.reprove-failed', e);
    }
  }

  /** Unlocks with `secret`: leads if nobody does, else proves it to the leader and queues up. */
  async #unlock(secret: Secret): Promise<void> {
    const names = this.#names!;
    this.#setState('unlocking');
    this.#secret = secret;
    this.#router = new Router(this.#tabId, names, secret, { onKeyRejected: () => this.#lockInBackground('engine.key-rejected-by-leader') }, this.#platform, this.#log);
    const session = {};
    this.#session = session;
    try {
      const lock = holdLock(this.#platform.locks, names.leaderLock, { ifAvailable: true });
      if (await lock.granted) {
        await this.#lead(session, lock.release);
      } else {
        this.#setRole('follower');
        this.#campaignForLeadership(session);
        await this.#router.authenticate();
      }
      this.#takeoverFailures = 0;
      this.#setState('unlocked');
      this.#touch();
    } catch (e) {
      await this.#teardown('locked');
      throw e;
    }
  }

  /** Opens the database as leader with this tab's key material; on failure lets the lock go. */
  async #lead(session: object, release: () => void): Promise<void> {
    let leader: Leader;
    try {
      if (this.#session !== session || !this.#secret) throw new CipherliteError('LOCKED', 'the database was locked');
      // The leader may need the key again (reopening after a failed IndexedDB commit): it asks
      // for this tab's current one, which changes with changePassword and is gone once locked.
      leader = await Leader.start(this.#tabId, this.#options!, this.#secret, this.#platform, this.#log, this.#backend, () => this.#secret);
    } catch (e) {
      release();
      throw e;
    }
    if (this.#session !== session) {
      // Locked or closed while opening.
      await leader.stepDown().finally(release);
      return;
    }
    this.#leader = leader;
    this.#releaseLeaderLock = release;
    this.#setRole('leader');
    this.#router!.becameLeader(leader);
  }

  /** Waits in the leader lock's queue; takes over (with the key it already holds) when granted. */
  #campaignForLeadership(session: object): void {
    const abort = new AbortController();
    this.#campaign = abort;
    const lock = holdLock(this.#platform.locks, this.#names!.leaderLock, { signal: abort.signal });
    void lock.granted.then(async (granted) => {
      if (!granted) return;
      if (abort.signal.aborted || this.#session !== session) {
        lock.release();
        return;
      }
      try {
        await this.#lead(session, lock.release);
        this.#takeoverFailures = 0;
      } catch (e) {
        if (this.#session !== session) return;
        if (e instanceof CipherliteError && e.code === 'WRONG_KEY') {
          // The password changed since this tab unlocked: it must be entered again.
          this.#lockInBackground('engine.takeover-wrong-key');
          return;
        }
        this.#log.report('warn', 'engine.takeover-failed', e);
        // Could not open (files still held, corruption...): fail what waits, try again later.
        this.#router?.failPending(e instanceof CipherliteError ? e : new CipherliteError('IO', String(e)));
        const delay = TAKEOVER_RETRY_MS[Math.min(this.#takeoverFailures++, TAKEOVER_RETRY_MS.length - 1)]!;
        setTimeout(() => {
          if (this.#session === session && !this.#leader && this.#campaign === abort) this.#campaignForLeadership(session);
        }, delay);
      }
    });
  }

  /** Wipes keys, stops leading or following; ends in `next`. */
  async #teardown(next: 'locked' | 'closed'): Promise<void> {
    if (this.#state === 'closed' || (this.#state === next && !this.#secret)) return;
    clearTimeout(this.#autoLock);
    this.#autoLock = undefined;
    this.#campaign?.abort();
    this.#campaign = null;
    const secret = this.#secret;
    this.#secret = null;
    this.#session = null;
    secret?.wipe();
    this.#state = next; // refuse new calls at once; the event follows below
    const error = next === 'closed' ? this.#closedError() : new CipherliteError('LOCKED', 'the database was locked');
    const leader = this.#leader;
    this.#leader = null;
    this.#router?.dispose(error);
    this.#router = null;
    if (leader) {
      try {
        await leader.stepDown();
      } finally {
        this.#releaseLeaderLock?.();
        this.#releaseLeaderLock = null;
      }
    }
    this.#setRole('none');
    if (next === 'locked') this.#notify((e) => e.lockState('locked'));
  }

  /** Restarts the idle timer (`autoLockMs`). */
  #touch(): void {
    const ms = this.#options?.autoLockMs;
    if (!ms || this.#state !== 'unlocked') return;
    clearTimeout(this.#autoLock);
    this.#autoLock = setTimeout(() => this.#lockInBackground('engine.auto-lock'), ms);
  }
}
