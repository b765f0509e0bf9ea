/**
 * The engine's state as records: what `open` fixed for the worker's life (`OpenedDatabase`), one
 * unlocked period (`UnlockedSession`), and what `open` does before either exists — validate the
 * options, take the key material, import a plaintext file (`importDatabase`).
 */
import { CipherliteError, toWire } from '@cipherlite/core';
import type { Database, KeyMaterial, SyncStorage } from '@cipherlite/core';
import type { Progress } from '@cipherlite/core/keys';
import { assertLogSetting } from '../shared/diagnostics.js';
import type { Diagnostics } from '../shared/diagnostics.js';
import { assertDatabaseLocation } from '../shared/protocol.js';
import { assertReplicaOptions } from '../shared/replica.js';
import type { busNames, StorageBackend, WorkerEvents, WorkerOpenOptions } from '../shared/protocol.js';
import { holdLock } from './runtime/platform.js';
import type { BusChannel, WorkerPlatform } from './runtime/platform.js';
import { ProgressThrottle, guardedProgress, type CallHooks } from './runtime/progress.js';
import { Secret, wipeKeyMaterial } from './runtime/secret.js';
import type { Router } from './router.js';
import { loadKeyManagement } from './leader/ops.js';
import type { ReplicaPointInTime, ReplicaVerifyScope, WorkerReplicaOptions } from '../shared/replica.js';
import type { VerifyReplicaResult } from '@cipherlite/core/replica';

/** What `open` fixed for the life of this worker: set once, when the tab lock is held and the bus listens. */
export interface OpenedDatabase {
  /** Replaced only to keep new replica options or credentials (`db.replica.start`/`setCredentials`, leader/replica-host.ts). */
  options: WorkerOpenOptions;
  readonly names: ReturnType<typeof busNames>;
  readonly backend: StorageBackend;
  readonly bus: BusChannel;
  readonly releaseTabLock: () => void;
  /** The client's callbacks (until `close`). */
  readonly events: WorkerEvents;
}

/**
 * One unlocked period (unlocking included): what it runs with, and its identity — async work
 * started in an older one stands down (the engine's current session is no longer `session`).
 */
export interface UnlockedSession {
  readonly opened: OpenedDatabase;
  readonly router: Router;
  /** The key material this tab holds; replaced (the old one wiped) when this tab changed the password. */
  secret: Secret;
}

/**
 * The engine's state, one record: what exists is what the state has. Before `open` nothing; a
 * locked tab has its opened database and no key; an unlocking or unlocked tab has its session
 * (router and key material); a closed one keeps what `close` still releases.
 */
export type EngineState =
  | { readonly kind: 'unopened' }
  | { readonly kind: 'locked'; readonly opened: OpenedDatabase }
  | { readonly kind: 'unlocking' | 'unlocked'; readonly session: UnlockedSession }
  | { readonly kind: 'closed'; readonly opened: OpenedDatabase | null };

/** The opened database of `state`, if `open` ran. */
export function openedOf(state: EngineState): OpenedDatabase | null {
  switch (state.kind) {
    case 'unopened':
      return null;
    case 'unlocking':
    case 'unlocked':
      return state.session.opened;
    default:
      return state.opened;
  }
}

export function validateOptions(o: WorkerOpenOptions): void {
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
export function takeSecret(key: KeyMaterial): Secret | { rejection: unknown } {
  try {
    return Secret.from(key);
  } catch (e) {
    return { rejection: toWire(e) };
  } finally {
    wipeKeyMaterial(key);
  }
}

/** What creates a new database on the storage: core's `importPlaintext`, `restoreFromReplica`. */
export type CreateDatabase = (files: SyncStorage, key: KeyMaterial, call: { onProgress?: (p: Progress) => void; signal?: AbortSignal }) => Promise<Database>;

/** Creates the database from a standard SQLite file (core's `importPlaintext`); see `createFile`. */
export function importFile(platform: WorkerPlatform, log: Diagnostics, opened: OpenedDatabase, bytes: Uint8Array, secret: Secret, hooks: CallHooks): Promise<void> {
  const { kdf } = opened.options;
  return createFile(platform, log, opened, secret, hooks, async (files, key, call) => {
    const { importPlaintext } = await loadKeyManagement();
    return (await importPlaintext(files, opened.options.name, bytes, key, { ...(kdf ? { kdf } : {}), ...call })).db;
  });
}

/** Creates the database from the replica `source` (core's `restoreFromReplica`, at `pointInTime` or the newest commit); see `createFile`. */
export function restoreFile(
  platform: WorkerPlatform,
  log: Diagnostics,
  opened: OpenedDatabase,
  source: WorkerReplicaOptions | undefined,
  pointInTime: ReplicaPointInTime | null,
  secret: Secret,
  hooks: CallHooks,
): Promise<void> {
  const options = { ...opened.options, ...(source ? { replica: source } : {}) };
  return createFile(platform, log, opened, secret, hooks, async (files, key, call) =>
    // Loaded on first use, like core's restore it calls: most workers never restore.
    (await import('./leader/replica-restore.js')).restoreReplicaInto(files, options, key, pointInTime, call),
  );
}

/** Checks every object of the replica `source` (core's `verifyReplica`) with `secret`; no database is opened. */
export async function verifyFile(log: Diagnostics, source: WorkerReplicaOptions, scope: ReplicaVerifyScope, secret: Secret, hooks: CallHooks): Promise<VerifyReplicaResult> {
  try {
    assertReplicaOptions(source);
    const { verifyReplicaWith } = await import('./leader/replica-restore.js');
    return await withKey(log, secret, hooks, (key, call) => verifyReplicaWith(source, key, scope ?? {}, call));
  } finally {
    secret.wipe(); // nothing is opened after: the worker keeps no key
  }
}

/**
 * Runs `fn` with the key material of `secret` (wiped after) and the call's throttled progress and
 * signal: what a long call of a worker does with its secret and its client's hooks.
 */
async function withKey<T>(log: Diagnostics, secret: Secret, hooks: CallHooks, fn: (key: KeyMaterial, call: { onProgress?: (p: Progress) => void; signal?: AbortSignal }) => Promise<T>): Promise<T> {
  const throttle = hooks.onProgress ? new ProgressThrottle(guardedProgress(hooks.onProgress, log)) : null;
  const key = secret.toKeyMaterial();
  try {
    return await fn(key, {
      ...(throttle ? { onProgress: (p: Progress) => throttle.push(p) } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
  } finally {
    wipeKeyMaterial(key);
    throttle?.flush();
  }
}

/** Creates the database by joining its sync replica (core's `joinSyncReplica`); see `createFile`. */
export function joinFile(platform: WorkerPlatform, log: Diagnostics, opened: OpenedDatabase, secret: Secret, hooks: CallHooks): Promise<void> {
  return createFile(platform, log, opened, secret, hooks, async (files, key, call) => (await import('./leader/sync-join.js')).joinSyncInto(files, opened.options, key, call));
}

/**
 * Creates the database with `create` (from a SQLite file, or from a replica) and closes it again;
 * the engine's `open` then opens it the usual way. The leader lock is held meanwhile, so no other
 * tab opens or creates the name under it; if another tab holds it, the database is in use there,
 * i.e. it exists.
 */
export async function createFile(platform: WorkerPlatform, log: Diagnostics, opened: OpenedDatabase, secret: Secret, hooks: CallHooks, create: CreateDatabase): Promise<void> {
  const { options, backend } = opened;
  const lock = holdLock(platform.locks, opened.names.leaderLock, { ifAvailable: true });
  if (!(await lock.granted)) throw new CipherliteError('INVALID_ARGUMENT', `"${options.name}" already exists (another tab has it open); only a new database can be created this way`);
  try {
    const storage = await platform.openStorage(options, backend, log);
    try {
      const db = await withKey(log, secret, hooks, (key, call) => create(storage.files, key, call));
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
