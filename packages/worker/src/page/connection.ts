/**
 * The page's connection to its worker: spawning it, the Comlink proxy (pinned for the worker's
 * life), liveness (`WORKER_LOST`), the event sink the worker reports lock state, role, changes and
 * progress to, and the one call path every operation takes (`run`). The public handle
 * (`client.ts`) is methods over this.
 *
 * Its state is one record, `Link`: no worker yet (`idle`), a worker `attached`, the worker `lost`
 * (calls reject with its error until `unlock` starts a new one), or `closed`.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import { rebuild, workerLoadFailedMessage } from './worker-errors.js';
import type { KeyMaterial, PasskeyUnlock, UnlockSecret } from '@cipherlite/core';
import * as Comlink from 'comlink';
import type { ProgressCallback } from '@cipherlite/core/keys';
import type { Diagnostics } from '../shared/diagnostics.js';
import { busNames } from '../shared/protocol.js';
import type { CallOptions, CallTag, LockState, OpArgs, OpName, OpResult, Role, StorageBackend, StorageChoice, WorkerApi, WorkerEvents, WorkerOpenOptions } from '../shared/protocol.js';
import type { ReplicaCall, ReplicaPointInTime, ReplicaStatus, WorkerReplicaOptions } from '../shared/replica.js';
import type { SyncAnswer, SyncCall, SyncDeviceInfo, SyncStatus, WorkerSyncOptions } from '../shared/sync.js';
import { SyncEvents } from './sync-events.js';
import { checkCallOptions } from './call-options.js';
import { WorkerLiveness } from './liveness.js';
import { loadPasskeys } from './passkey-loader.js';
import { asKey, isPasskeyUnlock } from './secrets.js';
import { answerBrokerWanted } from './broker-port.js';

export type Remote = Comlink.Remote<WorkerApi>;

/** `close()` waits this long for the worker to close cleanly before terminating it anyway. */
const CLOSE_TIMEOUT_MS = 5000;

/**
 * What creates the database before a start opens it, with the call's progress and signal: the
 * plaintext file of `importDatabase`, the commit of `restoreFromReplica` (null: the newest), or
 * joining the sync replica of the `sync` option (`joinSyncReplica`).
 */
export type Importing =
  { readonly bytes: Uint8Array; readonly call: CallOptions } | { readonly restore: ReplicaPointInTime | null; readonly call: CallOptions } | { readonly join: true; readonly call: CallOptions };

/** A worker this connection runs on, its Comlink proxy and what watches it. */
interface Attached {
  readonly kind: 'attached';
  readonly worker: Worker;
  /** Pinned for the worker's life (a collected Comlink proxy hangs its calls). */
  readonly remote: Remote;
  readonly liveness: WorkerLiveness;
  /** Rejects with `WORKER_LOST` when the worker is found dead or wedged. */
  readonly lost: Promise<never>;
}

type Link = { readonly kind: 'idle' } | Attached | { readonly kind: 'lost'; readonly error: CipherliteError } | { readonly kind: 'closed'; readonly done: Promise<void> };

/** The default worker: this package's entry, bundled by Vite, webpack 5, Parcel and rsbuild. */
function defaultWorker(name: string): Worker {
  // Those bundlers recognize this exact pattern (tsdown.config.ts rewrites it for dist/).
  return new Worker(new URL('../worker.ts', import.meta.url), { type: 'module', name: `cipherlite:${name}` });
}

/**
 * What starts a worker for `name`: the app's factory, the instance it handed over (once: it cannot
 * be started again after it is lost), or the default.
 */
export function workerSpawner(name: string, option: Worker | (() => Worker) | undefined): () => Worker {
  let given: Worker | null = typeof option === 'object' ? option : null;
  return () => {
    if (given) {
      const w = given;
      given = null;
      return w;
    }
    if (option !== undefined && typeof option !== 'function') {
      throw new CipherliteError('WORKER_LOST', 'the database worker was lost and the app passed a Worker instance, which cannot be started again; open the database again');
    }
    return typeof option === 'function' ? option() : defaultWorker(name);
  };
}

// open.ts rebuilds the errors of a failed open with it too.
export { rebuild };

/** `{ generation }` when a point in time names one. */
const generationOf = (at: ReplicaPointInTime | null): { generation?: number } => (at && 'generation' in at && at.generation !== undefined ? { generation: at.generation } : {});

function withoutReplica({ replica: _source, ...options }: WorkerOpenOptions): WorkerOpenOptions {
  return options;
}

/** Stops watching and terminates a worker. */
function terminate(attached: Attached): void {
  attached.liveness.stop();
  attached.remote[Comlink.releaseProxy]();
  attached.worker.terminate();
}

export class Connection {
  readonly name: string;
  readonly #spawn: () => Worker;
  /** Replaced only by `startReplica` (a worker started again after WORKER_LOST replicates too). */
  #workerOptions: WorkerOpenOptions;
  readonly #unresponsiveMs: number;
  readonly #log: Diagnostics;
  #link: Link = { kind: 'idle' };
  #lockState: LockState = 'unlocking';
  #role: Role = 'none';
  /** What the last worker that opened the database stores it in; null before the first open. */
  #storageBackend: StorageBackend | null = null;
  readonly #lockListeners = new Set<(state: LockState) => void>();
  readonly #changeListeners = new Set<(tables: readonly string[]) => void>();
  readonly #replicaListeners = new Set<(status: ReplicaStatus) => void>();
  /** The replica writer's last status this tab heard (an event or a call's answer). */
  #replicaStatus: ReplicaStatus | null = null;
  /** Ends each open `transaction()` with CLOSED (see `close()`). */
  readonly #openTransactions = new Set<(e: CipherliteError) => void>();
  /** `onProgress` of the calls in flight that have one, by call id. */
  readonly #progressListeners = new Map<number, ProgressCallback>();
  #lastCallId = 0;
  /** The sync scheduler's status and dropped changes, as this tab hears them. */
  readonly syncEvents: SyncEvents;

  /** Receives the worker's events (kept as one object so the proxy stays pinned). */
  readonly #events: WorkerEvents = {
    lockState: (state) => this.setLockState(state),
    change: (tables) => {
      for (const cb of [...this.#changeListeners]) cb(tables);
    },
    role: (role) => {
      this.#role = role;
    },
    replica: (status) => {
      this.#replicaStatus = status;
      for (const cb of [...this.#replicaListeners]) cb(status);
    },
    sync: (status) => this.syncEvents.status(status),
    syncConflict: (conflict) => this.syncEvents.conflict(conflict),
    syncRefused: (refusal) => this.syncEvents.refused(refusal),
    progress: (callId, progress) => {
      const listener = this.#progressListeners.get(callId);
      if (!listener) return;
      // The app's callback must not break the call (nor the worker's delivery of the next event).
      try {
        listener(progress);
      } catch (e) {
        this.#log.report('warn', 'client.progress-callback-failed', e);
      }
    },
  };

  constructor(spawn: () => Worker, workerOptions: WorkerOpenOptions, unresponsiveMs: number, log: Diagnostics) {
    this.name = workerOptions.name;
    this.#spawn = spawn;
    this.#workerOptions = workerOptions;
    this.#unresponsiveMs = unresponsiveMs;
    this.#log = log;
    this.syncEvents = new SyncEvents(log);
  }

  get lockState(): LockState {
    return this.#lockState;
  }

  get role(): Role {
    return this.#role;
  }

  get storageBackend(): StorageBackend | null {
    return this.#storageBackend;
  }

  get closed(): boolean {
    return this.#link.kind === 'closed';
  }

  get log(): Diagnostics {
    return this.#log;
  }

  setLockState(state: LockState): void {
    if (this.#lockState === state) return;
    this.#lockState = state;
    for (const cb of [...this.#lockListeners]) cb(state);
  }

  onLockState(listener: (state: LockState) => void): () => void {
    this.#lockListeners.add(listener);
    return () => void this.#lockListeners.delete(listener);
  }

  onChange(listener: (tables: readonly string[]) => void): () => void {
    this.#changeListeners.add(listener);
    return () => void this.#changeListeners.delete(listener);
  }

  get replicaStatus(): ReplicaStatus | null {
    return this.#replicaStatus;
  }

  onReplicaStatus(listener: (status: ReplicaStatus) => void): () => void {
    this.#replicaListeners.add(listener);
    return () => void this.#replicaListeners.delete(listener);
  }

  /** A call on the leader's replica writer; its answer is the status this tab last heard. */
  async replicaCall(call: ReplicaCall): Promise<ReplicaStatus> {
    const status = await this.call((r) => r.replica(call));
    this.#replicaStatus = status;
    return status;
  }

  /** `db.replica.start`: the worker keeps the options (and leads with them); so does a worker started after a loss. */
  async startReplica(options: WorkerReplicaOptions): Promise<void> {
    await this.call((r) => r.startReplica(options));
    this.#workerOptions = { ...this.#workerOptions, replica: options };
  }

  /** A call on the leader's sync scheduler; a status it answers is the status this tab last heard. */
  async syncCall<C extends SyncCall>(call: C): Promise<SyncAnswer<C>> {
    const answer = await this.call<SyncStatus | SyncDeviceInfo[]>((r) => r.sync(call));
    if (!Array.isArray(answer)) this.syncEvents.last = answer;
    return answer as SyncAnswer<C>;
  }

  /** `db.sync.start`/`create`: the worker keeps the options (and leads with them); so does a worker started after a loss. */
  async startSync(options: WorkerSyncOptions, create: boolean): Promise<void> {
    await this.call((r) => r.startSync(options, create));
    this.#workerOptions = { ...this.#workerOptions, sync: options };
  }

  /**
   * Spawns a worker and opens the database in it with `secret` (first open, or `unlock()` after
   * the worker was lost). Rejects (after terminating it) if the worker fails to start or open.
   */
  async start(secret: KeyMaterial | PasskeyUnlock, importing?: Importing): Promise<void> {
    const previous = this.#link;
    let worker: Worker;
    try {
      worker = this.#spawn();
    } catch (e) {
      if (e instanceof CipherliteError) throw e;
      // e.g. SecurityError in an opaque-origin (sandboxed) frame, which has no OPFS either.
      throw new CipherliteError('UNSUPPORTED', `cannot start the database worker here (${e instanceof Error ? e.name : String(e)})`, {}, { cause: e });
    }
    const remote = Comlink.wrap<WorkerApi>(worker);
    answerBrokerWanted(worker, remote);
    let declareLost!: (e: CipherliteError) => void;
    const lost = new Promise<never>((_, reject) => (declareLost = reject));
    lost.catch(() => undefined); // observed through the calls racing it
    const liveness = new WorkerLiveness(
      worker,
      {
        ping: () => remote.ping(),
        lost: (e) => this.#workerLost(link, e, declareLost),
        lockUnreliable: () => this.#log.report('warn', 'client.lifetime-lock-unreliable'),
      },
      this.#unresponsiveMs,
    );
    const link: Attached = { kind: 'attached', worker, remote, liveness, lost };
    this.#link = link;
    // A worker that fails to load never answers: turn its `error` event into a rejection.
    let onError!: (ev: ErrorEvent) => void;
    const failedToStart = new Promise<never>((_, reject) => {
      onError = (ev) => {
        ev.preventDefault();
        reject(new CipherliteError('WORKER_LOAD_FAILED', workerLoadFailedMessage(ev.message)));
      };
      worker.addEventListener('error', onError);
    });
    try {
      // A passkey: the prompt runs here, for the slots the new worker reads from the file.
      // A restore's passkey: the challenges come from the replica's keys object (there is no file yet).
      const restoring = importing && 'restore' in importing ? { replica: this.#workerOptions.replica!, ...generationOf(importing.restore) } : {};
      const key = isPasskeyUnlock(secret) ? await Promise.race([loadPasskeys().then((p) => p.passkeyKeyMaterial(remote, { ...this.#where(), ...restoring }, secret.passkey)), failedToStart]) : secret;
      const events = Comlink.proxy(this.#events);
      const opening = importing
        ? this.#tracked(
            importing.call,
            (tag) =>
              'bytes' in importing
                ? remote.importDatabase(this.#workerOptions, key, importing.bytes, events, tag)
                : 'join' in importing
                  ? remote.joinSync(this.#workerOptions, key, events, tag)
                  : remote.restoreReplica(this.#workerOptions, key, importing.restore, events, tag),
            remote,
          )
        : remote.open(this.#workerOptions, key, events);
      const info = await Promise.race([opening, failedToStart]);
      liveness.watchLifetimeLock(busNames(this.#workerOptions.directory, this.#workerOptions.name).tabLock(info.tabId));
      this.#role = info.role;
      this.#storageBackend = info.storageBackend;
      // A restored database has its own data key: no writer for it, not even after a lost worker.
      if (importing && 'restore' in importing) this.#workerOptions = withoutReplica(this.#workerOptions);
    } catch (e) {
      // Lost meanwhile: already terminated, and the link says so. Otherwise back to what it was.
      if (this.#link === link) {
        this.#link = previous;
        terminate(link);
      }
      throw e;
    } finally {
      worker.removeEventListener('error', onError);
    }
  }

  /** The worker died or wedged: every waiting call fails now; the handle is locked until `unlock()`. */
  #workerLost(attached: Attached, error: CipherliteError, declare: (e: CipherliteError) => void): void {
    if (this.#link !== attached) return;
    this.#log.report('error', 'client.worker-lost', error);
    this.#link = { kind: 'lost', error };
    declare(error);
    terminate(attached);
    this.#role = 'none';
    this.setLockState('locked');
  }

  /** Unlocks this tab; after the worker was lost, starts a new one and opens the database in it. */
  async unlock(secret: UnlockSecret): Promise<void> {
    this.#assertOpen();
    try {
      if (this.#link.kind === 'lost') {
        try {
          await this.start(isPasskeyUnlock(secret) ? secret : asKey(secret));
        } catch (e) {
          throw rebuild(e);
        }
      } else {
        const km = isPasskeyUnlock(secret) ? await this.passkeyKeyMaterial(secret.passkey) : asKey(secret);
        await this.call((r) => r.unlock(km));
      }
    } catch (e) {
      // A failed unlock of a locked tab leaves it locked. The worker says so through its event
      // callback too, but that travels on another MessagePort, which Firefox may deliver after
      // this reply: without this line `lockState` could still read 'unlocking' here.
      if (this.#lockState !== 'unlocked' && !this.closed) this.setLockState('locked');
      throw e;
    }
    this.setLockState('unlocked');
  }

  /**
   * A passkey's key material for this database (the browser's prompt, then transfer to the
   * worker); `exceptCredential` (base64url) leaves that passkey out of the prompt.
   */
  passkeyKeyMaterial(request: PasskeyUnlock['passkey'], exceptCredential?: string): Promise<KeyMaterial> {
    return this.call(async (r) => (await loadPasskeys()).passkeyKeyMaterial(r, this.#where(), request, exceptCredential));
  }

  /** Settles like `work()`, or rejects with CLOSED when the database is closed first (an open transaction). */
  async untilClosed<T>(work: () => Promise<T> | T): Promise<T> {
    let endByClose!: (e: CipherliteError) => void;
    const closed = new Promise<never>((_, reject) => (endByClose = reject));
    this.#openTransactions.add(endByClose);
    try {
      return await Promise.race([work(), closed]);
    } finally {
      this.#openTransactions.delete(endByClose);
    }
  }

  /** Closes the database (keys wiped) and terminates the worker. Idempotent. */
  close(): Promise<void> {
    const link = this.#link;
    if (link.kind === 'closed') return link.done;
    const done = this.#shutDown(link);
    this.#link = { kind: 'closed', done };
    return done;
  }

  async #shutDown(link: Link): Promise<void> {
    for (const end of this.#openTransactions) end(new CipherliteError('CLOSED', 'the database was closed during this transaction; it was rolled back'));
    try {
      if (link.kind !== 'attached') return;
      // Closing on purpose releases the worker's lifetime lock: that is not a lost worker.
      link.liveness.stop();
      // A worker stuck in a browser call must not make close() hang: terminate it regardless.
      await Promise.race([link.remote.close().catch(this.#log.ignored('client.close-failed')), new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS))]);
    } finally {
      if (link.kind === 'attached') terminate(link);
      this.#forget();
    }
  }

  /** Terminates the worker without asking it (failed open, or after close). */
  dispose(): void {
    const link = this.#link;
    if (link.kind !== 'closed') this.#link = { kind: 'closed', done: Promise.resolve() };
    if (link.kind === 'attached') terminate(link);
    this.#forget();
  }

  #forget(): void {
    this.#lockListeners.clear();
    this.#changeListeners.clear();
    this.#replicaListeners.clear();
    this.syncEvents.clear();
  }

  /** Where the files are, for the worker's keyless header read. */
  #where(): { name: string; directory: string; storage?: StorageChoice } {
    const { storage } = this.#workerOptions;
    return { name: this.name, directory: this.#workerOptions.directory, ...(storage === undefined ? {} : { storage }) };
  }

  #assertOpen(): void {
    if (this.closed) throw new CipherliteError('CLOSED', `database "${this.name}" is closed`);
  }

  /** Runs operation `op` (a row of `OPERATIONS`) in the worker; `options` adds progress and cancel. */
  run<K extends OpName>(op: K, args: OpArgs<K>, txId?: number, options?: CallOptions): Promise<OpResult<K>> {
    if (options === undefined) return this.call((r) => r.run(op, args, txId) as Promise<OpResult<K>>);
    return this.call((r) => this.#tracked(options, (tag) => r.run(op, args, txId, tag) as Promise<OpResult<K>>, r));
  }

  /**
   * Runs a call with `CallOptions`: it gets an id; the worker's progress events for that id go to
   * `onProgress`, and aborting `signal` asks the worker to cancel it. The call settles with the
   * worker's answer (CANCELLED once the operation stopped and cleaned up), not at the abort.
   */
  async #tracked<T>(options: CallOptions, fn: (tag: CallTag) => Promise<T>, remote: Remote): Promise<T> {
    const { onProgress, signal } = checkCallOptions(options);
    if (signal?.aborted) throw new CipherliteError('CANCELLED', 'the call was cancelled before it was sent');
    const id = ++this.#lastCallId;
    if (onProgress) this.#progressListeners.set(id, onProgress);
    const onAbort = () => void remote.cancel(id).catch(this.#log.ignored('client.cancel-failed'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn({ id, progress: onProgress !== undefined });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#progressListeners.delete(id);
    }
  }

  /** Calls the worker: CLOSED after close, the loss's error after the worker was lost. */
  async call<T>(fn: (remote: Remote) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const link = this.#link;
    if (link.kind !== 'attached') throw link.kind === 'lost' ? link.error : new CipherliteError('WORKER_LOST', 'the database worker is not running');
    const ended = link.liveness.callStarted();
    try {
      return await Promise.race([fn(link.remote), link.lost]);
    } catch (e) {
      throw rebuild(e);
    } finally {
      ended();
    }
  }
}
