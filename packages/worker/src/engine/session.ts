/**
 * The engine's state as records: what `open` fixed for the worker's life (`OpenedDatabase`), one
 * unlocked period (`UnlockedSession`), and what `open` does before either exists — validate the
 * options, take the key material, import a plaintext file (`importDatabase`).
 */
import { CipherliteError, toWire } from '@cipherlite/core';
import type { Database, KeyMaterial } from '@cipherlite/core';
import { importPlaintext } from '@cipherlite/core/keys';
import { assertLogSetting } from '../shared/diagnostics.js';
import type { Diagnostics } from '../shared/diagnostics.js';
import { assertDatabaseLocation } from '../shared/protocol.js';
import type { busNames, StorageBackend, WorkerOpenOptions } from '../shared/protocol.js';
import { holdLock } from './runtime/platform.js';
import type { BusChannel, WorkerPlatform } from './runtime/platform.js';
import { ProgressThrottle, guardedProgress, type CallHooks } from './runtime/progress.js';
import { Secret, wipeKeyMaterial } from './runtime/secret.js';
import type { Router } from './router.js';

/** What `open` fixed for the life of this worker: set once, when the tab lock is held and the bus listens. */
export interface OpenedDatabase {
  readonly options: WorkerOpenOptions;
  readonly names: ReturnType<typeof busNames>;
  readonly backend: StorageBackend;
  readonly bus: BusChannel;
  readonly releaseTabLock: () => void;
}

/**
 * One unlocked period (unlocking included): what it runs with, and its identity — async work
 * started in an older one stands down (`this.#session !== session`).
 */
export interface UnlockedSession {
  readonly opened: OpenedDatabase;
  readonly router: Router;
}

export function validateOptions(o: WorkerOpenOptions): void {
  if (typeof o !== 'object' || o === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  assertDatabaseLocation(o.name, o.directory);
  if (o.autoLockMs !== undefined && !(Number.isFinite(o.autoLockMs) && o.autoLockMs >= 0)) {
    throw new CipherliteError('INVALID_ARGUMENT', `expected autoLockMs to be a number >= 0, got ${String(o.autoLockMs)}`);
  }
  assertLogSetting(o.logLevel);
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

/**
 * Creates the database from a standard SQLite file (core's `importPlaintext`) and closes it
 * again; the engine's `open` then opens it the usual way. The leader lock is held meanwhile, so no other
 * tab opens or creates the name under the import; if another tab holds it, the database is in
 * use there, i.e. it exists.
 */
export async function importFile(platform: WorkerPlatform, log: Diagnostics, opened: OpenedDatabase, bytes: Uint8Array, secret: Secret, hooks: CallHooks): Promise<void> {
  const { options, backend } = opened;
  const lock = holdLock(platform.locks, opened.names.leaderLock, { ifAvailable: true });
  if (!(await lock.granted)) throw new CipherliteError('INVALID_ARGUMENT', `"${options.name}" already exists (another tab has it open); importDatabase only creates new databases`);
  try {
    const storage = await platform.openStorage(options, backend, log);
    try {
      const throttle = hooks.onProgress ? new ProgressThrottle(guardedProgress(hooks.onProgress, log)) : null;
      const key = secret.toKeyMaterial();
      let db: Database;
      try {
        ({ db } = await importPlaintext(storage.files, options.name, bytes, key, {
          ...(options.kdf ? { kdf: options.kdf } : {}),
          ...(throttle ? { onProgress: (p) => throttle.push(p) } : {}),
          ...(hooks.signal ? { signal: hooks.signal } : {}),
        }));
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
