/**
 * The page side of the replica: `db.replica` (status, events, start, pushNow, pause, resume, new
 * credentials or signer headers), the replica options as they cross to the worker (a relative
 * signer URL resolved against the page), and the checks of `restoreFromReplica`'s own options. The writer runs in the
 * leader tab's worker (engine/leader/replica-host.ts); every tab hears its status, the way it
 * hears change events. Each method is one line over the page's connection (`connection.ts`).
 */
import { CipherliteError } from '@cipherlite/core/errors';
import type { PasskeyUnlock } from '@cipherlite/core';
import type { ProgressCallback } from '@cipherlite/core/keys';
import type { CallOptions } from '../shared/protocol.js';
import type { ReplicaCredentials, ReplicaPointInTime, ReplicaSigner, ReplicaStatus, WorkerReplicaOptions } from '../shared/replica.js';
import { assertReplicaCredentials, assertReplicaOptions, assertReplicaSigner } from '../shared/replica.js';
import { checkCallOptions } from './call-options.js';
import type { Connection } from './connection.js';

/** `db.replica`: the replica writer of the tab that leads, reached from any tab. */
export class ReplicaControl {
  readonly #connection: Connection;

  /** @internal */
  constructor(connection: Connection) {
    this.#connection = connection;
  }

  /**
   * Starts replicating a database opened without `replica` (e.g. once the app read its cloud
   * settings from the encrypted database). Call it in every tab, like the `replica` option: the
   * tab that leads — now or after a takeover — runs the writer with its own options. Called
   * again for the same bucket and prefix, only the credentials (or signer) change.
   */
  start(options: WorkerReplicaOptions): Promise<void> {
    return this.#connection.startReplica(plainReplicaOptions(options));
  }

  /** The writer's status, asked of the leader now. */
  status(): Promise<ReplicaStatus> {
    return this.#connection.replicaCall({ action: 'status' });
  }

  /** The last status this tab heard (null before the first). */
  get lastStatus(): ReplicaStatus | null {
    return this.#connection.replicaStatus;
  }

  /** Resolves once the bucket holds every commit so far; rejects with the typed REPLICA_* error otherwise. */
  pushNow(): Promise<ReplicaStatus> {
    return this.#connection.replicaCall({ action: 'pushNow' });
  }

  /** Stops pushing until `resume()` (commits keep counting as pending). */
  pause(): Promise<ReplicaStatus> {
    return this.#connection.replicaCall({ action: 'pause' });
  }

  resume(): Promise<ReplicaStatus> {
    return this.#connection.replicaCall({ action: 'resume' });
  }

  /**
   * New (short-lived) credentials, e.g. after REPLICA_AUTH: this tab's worker keeps them for when
   * it leads, and uses them at once if it leads now. Credentials never travel between tabs, so
   * give them to every tab (like the `replica` option).
   */
  setCredentials(credentials: ReplicaCredentials): Promise<ReplicaStatus> {
    return this.#connection.replicaCall({ action: 'setCredentials', credentials: plainCredentials(credentials) });
  }

  /**
   * A new signer endpoint spec (e.g. a refreshed session token in its headers), the way
   * `setCredentials` gives new credentials: kept by this tab's worker, used at once if it leads.
   */
  setSigner(signer: ReplicaSigner): Promise<ReplicaStatus> {
    return this.#connection.replicaCall({ action: 'setSigner', signer: plainSigner(signer) });
  }

  /** Calls `listener` with every status change of the writer (whichever tab leads); returns the unsubscribe function. */
  onStatus(listener: (s: ReplicaStatus) => void): () => void {
    return this.#connection.onReplicaStatus(listener);
  }
}

/** Checked credentials with only their own fields (what crosses `postMessage`). */
function plainCredentials(credentials: ReplicaCredentials): ReplicaCredentials {
  assertReplicaCredentials(credentials);
  const { accessKeyId, secretAccessKey, sessionToken } = credentials;
  return { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) };
}

/** A checked signer spec with only its own fields, its URL made absolute against the page (the worker's base may differ). */
function plainSigner(signer: ReplicaSigner): ReplicaSigner {
  assertReplicaSigner(signer, false);
  const url = new URL(signer.url, globalThis.location?.href).href;
  return { url, ...(signer.headers ? { headers: { ...signer.headers } } : {}) };
}

/** Checked replica options with only their own, defined fields (what crosses `postMessage`). */
export function plainReplicaOptions(options: WorkerReplicaOptions): WorkerReplicaOptions {
  assertReplicaOptions(options, false);
  const { endpoint, bucket, prefix, region, credentials, signer, debounceMs, snapshotEvery, retention, retryMinMs, retryMaxMs } = options;
  const plain = Object.fromEntries(Object.entries({ endpoint, bucket, prefix, region, debounceMs, snapshotEvery, retention, retryMinMs, retryMaxMs }).filter(([, v]) => v !== undefined));
  return { ...plain, ...(signer ? { signer: plainSigner(signer) } : { credentials: plainCredentials(credentials!) }) } as WorkerReplicaOptions;
}

/** Where to restore from and to: the replica, the new local database's name and its secret. */
export interface RestoreReplicaPageOptions extends CallOptions<'download' | 'copy'> {
  replica: WorkerReplicaOptions;
  /**
   * The commit to restore (default: the newest), or the last one written at or before a time;
   * `generation`: an older generation (the history before a rekey, opened with the secrets of that
   * time) instead of the current one — REPLICA_MISSING once retention deleted it.
   */
  pointInTime?: { seq: number; generation?: number } | { time: number | Date; generation?: number } | { generation: number };
}

/** The secret a replica opens with on the page: exactly one of them (a passkey: the ceremony runs on this page, for the slots of the replica's keys object). */
export type ReplicaSecret =
  | { password: string; key?: never; recoveryKey?: never; passkey?: never }
  | { key: Uint8Array; password?: never; recoveryKey?: never; passkey?: never }
  | { recoveryKey: string; password?: never; key?: never; passkey?: never }
  | PasskeyUnlock;

const SECRETS = ['password', 'key', 'recoveryKey', 'passkey'] as const;

/** Throws INVALID_ARGUMENT unless `o` carries exactly one of password, key, recoveryKey and passkey. */
export function assertOneSecret(o: object, call: string): void {
  const given = SECRETS.filter((k) => (o as Record<string, unknown>)[k] !== undefined);
  if (given.length !== 1) throw new CipherliteError('INVALID_ARGUMENT', `${call} takes exactly one of password, recoveryKey, key or passkey`);
}

/** Checks a generation number (INVALID_ARGUMENT); undefined stays undefined. */
export function checkGeneration(g: unknown): number | undefined {
  if (g !== undefined && !(Number.isInteger(g) && (g as number) >= 0)) throw new CipherliteError('INVALID_ARGUMENT', 'generation must be an integer ≥ 0');
  return g as number | undefined;
}

/** Splits and checks `restoreFromReplica`'s own options; the rest are `openDatabase`'s. */
export function restoreArguments<T extends RestoreReplicaPageOptions>(
  options: T,
): { open: Omit<T, 'pointInTime' | 'onProgress' | 'signal'>; pointInTime: ReplicaPointInTime | null; call: CallOptions } {
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  const { pointInTime, onProgress, signal, ...open } = options;
  assertReplicaOptions(open.replica, false);
  assertOneSecret(open, 'restoreFromReplica');
  if ((open as { create?: unknown }).create !== undefined) throw new CipherliteError('INVALID_ARGUMENT', 'restoreFromReplica always creates; drop create');
  const call = checkCallOptions({ ...(onProgress !== undefined ? { onProgress: onProgress as ProgressCallback } : {}), ...(signal !== undefined ? { signal } : {}) });
  if (signal?.aborted) throw new CipherliteError('CANCELLED', 'the restore was cancelled before it started');
  return { open, pointInTime: pointInTime === undefined ? null : checkPointInTime(pointInTime), call };
}

function checkPointInTime(pointInTime: NonNullable<RestoreReplicaPageOptions['pointInTime']>): ReplicaPointInTime {
  const bad = (): never => {
    throw new CipherliteError('INVALID_ARGUMENT', 'pointInTime must be { seq: integer ≥ 0 } or { time: ms | Date }, each with an optional generation, or { generation }');
  };
  if (typeof pointInTime !== 'object' || pointInTime === null) return bad();
  const g = checkGeneration((pointInTime as { generation?: unknown }).generation);
  const generation = g !== undefined ? { generation: g } : {};
  if ('seq' in pointInTime) return Number.isInteger(pointInTime.seq) && pointInTime.seq >= 0 ? { seq: pointInTime.seq, ...generation } : bad();
  if ('time' in pointInTime) {
    const time = pointInTime.time instanceof Date ? pointInTime.time.getTime() : Number(pointInTime.time);
    return Number.isFinite(time) ? { time, ...generation } : bad();
  }
  return g !== undefined ? { generation: g } : bad();
}
