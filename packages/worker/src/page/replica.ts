/**
 * The page side of the replica: `db.replica` (status, events, pushNow, pause, resume, new
 * credentials) and `restoreFromReplica`. The writer runs in the leader tab's worker
 * (engine/leader/replica-host.ts); every tab hears its status, the way it hears change events.
 */
import { CipherliteError } from '@cipherlite/core';
import type { ProgressCallback } from '@cipherlite/core/keys';
import type { CallOptions } from '../shared/protocol.js';
import type { ReplicaCall, ReplicaCredentials, ReplicaStatus, WorkerReplicaOptions } from '../shared/replica.js';
import { assertReplicaCredentials, assertReplicaOptions } from '../shared/replica.js';

/** `db.replica`: the replica writer of the tab that leads, reached from any tab. */
export class ReplicaControl {
  readonly #call: (c: ReplicaCall) => Promise<ReplicaStatus>;
  readonly #start: (o: WorkerReplicaOptions) => Promise<void>;
  readonly #listeners = new Set<(s: ReplicaStatus) => void>();
  #last: ReplicaStatus | null = null;

  /** @internal */
  constructor(call: (c: ReplicaCall) => Promise<ReplicaStatus>, start: (o: WorkerReplicaOptions) => Promise<void>) {
    this.#call = call;
    this.#start = start;
  }

  /**
   * Starts replicating a database opened without `replica` (e.g. once the app read its cloud
   * settings from the encrypted database). Call it in every tab, like the `replica` option: the
   * tab that leads — now or after a takeover — runs the writer with its own options. A WAL
   * database switches to the rollback journal. Called again for the same bucket and prefix, only
   * the credentials change.
   */
  async start(options: WorkerReplicaOptions): Promise<void> {
    assertReplicaOptions(options);
    const { endpoint, bucket, prefix, region, credentials, debounceMs, snapshotEvery, retention, retryMinMs, retryMaxMs } = options;
    const plain = Object.fromEntries(
      Object.entries({ endpoint, bucket, prefix, region, credentials, debounceMs, snapshotEvery, retention, retryMinMs, retryMaxMs }).filter(([, v]) => v !== undefined),
    );
    await this.#start(plain as unknown as WorkerReplicaOptions);
  }

  /** The writer's status, asked of the leader now. */
  async status(): Promise<ReplicaStatus> {
    return this.#seen(await this.#call({ action: 'status' }));
  }

  /** The last status this tab heard (null before the first). */
  get lastStatus(): ReplicaStatus | null {
    return this.#last;
  }

  /** Resolves once the bucket holds every commit so far; rejects with the typed REPLICA_* error otherwise. */
  async pushNow(): Promise<ReplicaStatus> {
    return this.#seen(await this.#call({ action: 'pushNow' }));
  }

  /** Stops pushing until `resume()` (commits keep counting as pending). */
  async pause(): Promise<ReplicaStatus> {
    return this.#seen(await this.#call({ action: 'pause' }));
  }

  async resume(): Promise<ReplicaStatus> {
    return this.#seen(await this.#call({ action: 'resume' }));
  }

  /**
   * New (short-lived) credentials, e.g. after REPLICA_AUTH: this tab's worker keeps them for when
   * it leads, and uses them at once if it leads now. Credentials never travel between tabs, so
   * give them to every tab (like the `replica` option).
   */
  async setCredentials(credentials: ReplicaCredentials): Promise<ReplicaStatus> {
    assertReplicaCredentials(credentials);
    const { accessKeyId, secretAccessKey, sessionToken } = credentials;
    return this.#seen(await this.#call({ action: 'setCredentials', credentials: { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) } }));
  }

  /** Calls `listener` with every status change of the writer (whichever tab leads); returns the unsubscribe function. */
  onStatus(listener: (s: ReplicaStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** @internal A status event from the worker. */
  emit(status: ReplicaStatus): void {
    this.#last = status;
    for (const cb of [...this.#listeners]) cb(status);
  }

  /** @internal */
  clear(): void {
    this.#listeners.clear();
  }

  #seen(status: ReplicaStatus): ReplicaStatus {
    this.#last = status;
    return status;
  }
}

/** Where to restore from and to: the replica, the new local database's name and its secret. */
export interface RestoreReplicaPageOptions extends CallOptions<'download' | 'copy'> {
  replica: WorkerReplicaOptions;
  /** The commit to restore (default: the newest), or the last one written at or before a time. */
  pointInTime?: { seq: number } | { time: number | Date };
}

/** Splits and checks `restoreFromReplica`'s own options; the rest are `openDatabase`'s. */
export function restoreArguments<T extends RestoreReplicaPageOptions>(
  options: T,
): { open: Omit<T, 'pointInTime' | 'onProgress' | 'signal'>; pointInTime: { seq: number } | { time: number } | null; call: CallOptions } {
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  const { pointInTime, onProgress, signal, ...open } = options;
  assertReplicaOptions(open.replica);
  const o = open as { password?: unknown; key?: unknown; create?: unknown };
  if ((o.password === undefined) === (o.key === undefined)) throw new CipherliteError('INVALID_ARGUMENT', 'restoreFromReplica takes exactly one of password or key');
  if (o.create !== undefined) throw new CipherliteError('INVALID_ARGUMENT', 'restoreFromReplica always creates; drop create');
  let at: { seq: number } | { time: number } | null = null;
  if (pointInTime !== undefined) {
    if ('seq' in pointInTime && Number.isInteger(pointInTime.seq) && pointInTime.seq >= 0) at = { seq: pointInTime.seq };
    else if ('time' in pointInTime) at = { time: pointInTime.time instanceof Date ? pointInTime.time.getTime() : Number(pointInTime.time) };
    if (!at || ('time' in at && !Number.isFinite(at.time))) throw new CipherliteError('INVALID_ARGUMENT', 'pointInTime must be { seq: integer ≥ 0 } or { time: ms | Date }');
  }
  const call: CallOptions = { ...(onProgress !== undefined ? { onProgress: onProgress as ProgressCallback } : {}), ...(signal !== undefined ? { signal } : {}) };
  if (signal?.aborted) throw new CipherliteError('CANCELLED', 'the restore was cancelled before it started');
  return { open, pointInTime: at, call };
}
