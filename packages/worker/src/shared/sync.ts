/**
 * Multi-device sync's part of the worker protocol (docs/SYNC.md "In the browser"): the options
 * `openDatabase({ sync })` and `db.sync.start/create` take, the status every tab hears, and the
 * calls a tab makes on the leader's sync scheduler (engine/leader/sync-host.ts, over core's
 * `@cipherlite/core/sync`, loaded on first use).
 *
 * The replica options inside (`replica`) follow the replica's rules: credentials cross
 * `postMessage` once, page → own worker, and stay in that worker's memory.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import type { ErrorCode } from '@cipherlite/core/errors';
import type { RefusalReason, SyncConflict, SyncRefusal, TablePolicy } from '@cipherlite/core/sync';
import { assertReplicaCredentials, assertReplicaOptions, type ReplicaCredentials, type WorkerReplicaOptions } from './replica.js';

export type { RefusalReason, SyncConflict, SyncRefusal, TablePolicy };

/** Where the log lives: the replica's bucket options with an access key pair (its writer's tuning fields do not apply). */
export type SyncReplicaTarget = Pick<WorkerReplicaOptions, 'endpoint' | 'bucket' | 'prefix' | 'region'> & { credentials: ReplicaCredentials };

/** `openDatabase({ sync })`, `db.sync.start()`, `db.sync.create()`, `joinSyncReplica({ sync })`. */
export interface WorkerSyncOptions {
  /** The bucket and prefix of the multi-writer replica every device of this database shares. */
  replica: SyncReplicaTarget;
  /** Conflict policies per table (docs/SYNC.md "Conflict rules"); every device must pass the same. */
  tables?: Record<string, TablePolicy>;
  /** The newest schema version this app understands (a newer schema entry stops sync with SYNC_SCHEMA). */
  maxSchemaVersion?: number;
  /** A label for this device in its device entry (`db.sync.devices()` shows it; not secret, not checked). Used when it first writes. */
  deviceName?: string;
  /** Pull every this many ms while online and not paused (default 1000). */
  pullIntervalMs?: number;
  /** Push this long after a local sync transaction, so a burst becomes one round (default 50 ms). */
  pushDebounceMs?: number;
  /** Backoff between automatic retries while offline or refused, ms (default 1000 … 30000). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export const SYNC_DEFAULTS = { pullIntervalMs: 1000, pushDebounceMs: 50, retryMinMs: 1000, retryMaxMs: 30_000 } as const;

/**
 * `idle`: up to date as of `lastPullAt`, nothing to push; `syncing`: a pull or push is under way;
 * `offline`: the bucket could not be reached (retrying with backoff, local work queued);
 * `error`: a typed failure that retrying does not mend (fork, rollback, a schema this app does not
 * know): automatic sync stopped until `pushNow()`/`resume()`; `paused`: `pause()` was called.
 */
export type SyncStateName = 'idle' | 'syncing' | 'offline' | 'error' | 'paused';

/** Another device, as this leader last saw it in the log. */
export interface SyncDeviceContact {
  device: string;
  /** The newest log position it wrote that this leader read. */
  lastSeq: number;
  /** The time that device put on that entry (its clock, ms since the epoch; null when the log does not carry one). */
  lastSeenAt: number | null;
}

/** A device of this database's sync log (`db.sync.devices()`): what the log registered, with its last contact. */
export interface SyncDeviceInfo {
  device: string;
  /** The `deviceName` in its device entry (null: none, or removed before it registered). */
  name: string | null;
  /** The log position of its device entry (null: removed before it ever registered). */
  addedSeq: number | null;
  /** Where it was removed (null: active); its entries at later positions are refused by every device. */
  removedSeq: number | null;
  /** This device. */
  self: boolean;
  /** Its newest log entry this device read (null: none read here — this device's own entries are not counted). */
  lastSeq: number | null;
  /** The time its writer put on that entry (its clock, ms since the epoch). */
  lastSeenAt: number | null;
}

export interface SyncStatus {
  state: SyncStateName;
  /** This device's id (random, chosen when sync was first enabled on this database). */
  device: string;
  /** The last log position applied here. */
  seq: number;
  /** Local sync transactions not yet in the log. */
  pending: number;
  schemaVersion: number;
  /** When the last pull (every push pulls first) succeeded, ms since the epoch; null: not since this leader started. */
  lastPullAt: number | null;
  /** When the last push that appended something succeeded. */
  lastPushAt: number | null;
  lastError: { code: ErrorCode; message: string } | null;
  /** Other devices whose entries this device read (kept in the database across restarts), newest contact first. */
  devices: SyncDeviceContact[];
}

/** A call on the leader's sync scheduler. */
export type SyncCall =
  | { action: 'status' }
  | { action: 'pushNow' }
  | { action: 'pause' }
  | { action: 'resume' }
  | { action: 'setCredentials'; credentials: ReplicaCredentials }
  /** A schema change for every device (core's `sync.migrate`). */
  | { action: 'migrate'; version: number; ddl: string }
  /** The devices the log registered or removed (core's `sync.devices()`) with their last contact. */
  | { action: 'devices' }
  /** Core's `sync.removeDevice`: that device's later entries are refused by every device. */
  | { action: 'removeDevice'; device: string };

/** What a sync call answers: the device list for `devices`, the scheduler's status for every other. */
export type SyncAnswer<C extends SyncCall = SyncCall> = C extends { action: 'devices' } ? SyncDeviceInfo[] : SyncStatus;

const positive = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

/** Throws `INVALID_ARGUMENT` for options that cannot be sync options (core checks the policies when it enables sync). */
export function assertSyncOptions(o: unknown): asserts o is WorkerSyncOptions {
  const s = o as Partial<WorkerSyncOptions> | null;
  if (typeof s !== 'object' || s === null) throw new CipherliteError('INVALID_ARGUMENT', 'sync must be an object { replica, tables? }');
  assertReplicaOptions(s.replica);
  // A signer endpoint is the replica writer's; sync asks for credentials per request (setCredentials refreshes them).
  if ((s.replica as { signer?: unknown }).signer !== undefined) throw new CipherliteError('INVALID_ARGUMENT', 'sync.replica takes credentials; a signer endpoint is not supported for sync');
  assertReplicaCredentials(s.replica.credentials);
  if (s.deviceName !== undefined && typeof s.deviceName !== 'string') throw new CipherliteError('INVALID_ARGUMENT', 'sync.deviceName must be a string');
  if (s.tables !== undefined && (typeof s.tables !== 'object' || s.tables === null)) throw new CipherliteError('INVALID_ARGUMENT', 'sync.tables must be an object of table policies');
  for (const k of ['pullIntervalMs', 'pushDebounceMs', 'retryMinMs', 'retryMaxMs', 'maxSchemaVersion'] as const) {
    if (!positive(s[k])) throw new CipherliteError('INVALID_ARGUMENT', `sync.${k} must be a number ≥ 0`);
  }
}

/** Checked sync options with only their own, defined fields (what crosses `postMessage`). */
export function plainSyncOptions(options: WorkerSyncOptions): WorkerSyncOptions {
  assertSyncOptions(options);
  const { replica, tables, maxSchemaVersion, deviceName, pullIntervalMs, pushDebounceMs, retryMinMs, retryMaxMs } = options;
  const { endpoint, bucket, prefix, region, credentials } = replica;
  assertReplicaCredentials(credentials);
  const { accessKeyId, secretAccessKey, sessionToken } = credentials;
  const defined = (x: object) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined));
  const target = { ...defined({ endpoint, bucket, prefix, region }), credentials: { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) } };
  return { ...defined({ tables, maxSchemaVersion, deviceName, pullIntervalMs, pushDebounceMs, retryMinMs, retryMaxMs }), replica: target } as WorkerSyncOptions;
}
