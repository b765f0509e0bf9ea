/**
 * `openDatabase()`, `importDatabase()`, `restoreFromReplica()` and `joinSyncReplica()`: check the page can run the database, build the
 * connection record (spawner, worker options, liveness timeout, diagnostics), start the worker,
 * and hand back the handle. Nothing secret lives here after the call: the secret is posted to the
 * worker once, and errors come back as data rebuilt into a `CipherliteError` with its `code`.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import type { KeyMaterial, PasskeyUnlock } from '@cipherlite/core';
import type { ProgressCallback } from '@cipherlite/core/keys';
import { Diagnostics, consoleSink } from '../shared/diagnostics.js';
import { DEFAULT_DIRECTORY } from '../shared/protocol.js';
import type { CallOptions, WorkerOpenOptions } from '../shared/protocol.js';
import { checkCallOptions } from './call-options.js';
import { CipherliteDatabase } from './client.js';
import { Connection, rebuild, workerSpawner, type Importing } from './connection.js';
import { DEFAULT_UNRESPONSIVE_MS } from './liveness.js';
import { PersistenceAnswer } from './persistence.js';
import { plainReplicaOptions, restoreArguments, type ReplicaSecret, type RestoreReplicaPageOptions } from './replica.js';
import { plainSyncOptions, type WorkerSyncOptions } from '../shared/sync.js';

export interface OpenDatabaseBaseOptions extends Omit<WorkerOpenOptions, 'directory'> {
  /** OPFS directory for the files (default `cipherlite`). */
  directory?: string;
  /** Ask the browser to keep this origin's storage (`navigator.storage.persist()`); default `true`. */
  persist?: boolean;
  /**
   * The worker to run in. Default: this package's worker entry, spawned with
   * `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })` (`../worker.ts` in
   * the workspace), which Vite and webpack 5 bundle.
   */
  worker?: Worker | (() => Worker);
  /**
   * A worker that answers nothing (not even the heartbeat) for this long while calls wait is
   * declared lost (`WORKER_LOST`). Default 60 000 ms; 0 turns the heartbeat off (a worker that
   * dies is still noticed at once).
   */
  unresponsiveTimeoutMs?: number;
}

/** Options of `openDatabase`: a name, exactly one of `password` / `key` / `recoveryKey` / `passkey`, and tuning. */
export type OpenDatabaseOptions = OpenDatabaseBaseOptions & (KeyMaterial | PasskeyUnlock);

/** What `importDatabase` takes: a new name, the SQLite file, its new secret, and `openDatabase`'s tuning. */
export type ImportDatabaseOptions = Omit<OpenDatabaseBaseOptions, 'create' | 'pageSize'> &
  CallOptions<'copy'> & {
    /** A standard (unencrypted) SQLite database file, e.g. from `exportPlaintext` or the `sqlite3` shell. Zeroed in the worker after the import; the caller's array is not touched. */
    bytes: Uint8Array;
  } & ({ password: string; key?: never } | { key: Uint8Array; password?: never });

/** `restoreFromReplica`'s options: the replica to read, the new database's name and secret (password, recovery key or raw key), `openDatabase`'s tuning. */
export type RestoreFromReplicaOptions = Omit<OpenDatabaseBaseOptions, 'create' | 'pageSize' | 'replica'> & RestoreReplicaPageOptions & ReplicaSecret;

/** `joinSyncReplica`'s options: the sync replica to join, the new local database's name and password (or key), `openDatabase`'s tuning. */
export type JoinSyncReplicaOptions = Omit<OpenDatabaseBaseOptions, 'create' | 'pageSize' | 'replica' | 'sync'> &
  CallOptions<'download' | 'copy'> & { sync: WorkerSyncOptions } & ({ password: string; key?: never } | { key: Uint8Array; password?: never });

/** Throws `UNSUPPORTED` when this page cannot run the database (checked before spawning anything). */
export function assertBrowserSupport(): void {
  if (typeof Worker !== 'function') throw new CipherliteError('UNSUPPORTED', 'Web Workers are not available in this context (on a server: open the database in an effect or an event handler)');
  // A sandboxed frame without allow-same-origin has an opaque origin: no storage of its own, and
  // Firefox then refuses to load the worker script at all (which would read as a bundler problem).
  if (globalThis.origin === 'null') throw new CipherliteError('UNSUPPORTED', 'this page has an opaque origin (a sandboxed frame without allow-same-origin): it has no storage');
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  // The worker decides between OPFS and IndexedDB (engine/storage/backend.ts); here: is either there at all?
  if (typeof storage?.getDirectory !== 'function' && typeof indexedDB === 'undefined') {
    throw new CipherliteError('UNSUPPORTED', 'neither the Origin Private File System nor IndexedDB is available; use a current browser outside embedded modes');
  }
}

/**
 * Opens (creating by default) the encrypted database `name` in OPFS and unlocks it.
 * Rejects with `WRONG_KEY`, `UNSUPPORTED`, `CORRUPT`, `NOT_A_DATABASE`, `NOT_FOUND` (`create: false`), `BUSY`, ...
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<CipherliteDatabase> {
  assertBrowserSupport();
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  return launch(options.sync === undefined ? options : { ...options, sync: plainSyncOptions(options.sync) });
}

/**
 * A new device of a synced database: creates the local database `name` from the sync replica
 * (`sync.replica`) — the agreed starting state, restored with one of the database's secrets
 * (`password` or `key`, which then protects the new local database), every object checked — and
 * opens it with `sync`, like `openDatabase({ sync })`; the first round replays the log.
 * INVALID_ARGUMENT if `name` exists; REPLICA_* for a damaged, foreign or forked bucket.
 */
export async function joinSyncReplica(options: JoinSyncReplicaOptions): Promise<CipherliteDatabase> {
  assertBrowserSupport();
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  const { onProgress, signal, sync, ...open } = options as JoinSyncReplicaOptions & { create?: unknown; replica?: unknown };
  if ((open.password === undefined) === (open.key === undefined)) throw new CipherliteError('INVALID_ARGUMENT', 'joinSyncReplica takes exactly one of password or key');
  if (open.create !== undefined || open.replica !== undefined) throw new CipherliteError('INVALID_ARGUMENT', 'joinSyncReplica always creates, and syncs through sync.replica; drop create and replica');
  const call = checkCallOptions({ ...(onProgress !== undefined ? { onProgress: onProgress as ProgressCallback } : {}), ...(signal !== undefined ? { signal } : {}) });
  if (signal?.aborted) throw new CipherliteError('CANCELLED', 'joining was cancelled before it started');
  return launch({ ...open, sync: plainSyncOptions(sync) } as OpenDatabaseOptions, { join: true, call });
}

/**
 * Creates the encrypted database `name` from a standard SQLite file and opens it, like
 * `openDatabase` (same handle, same options; the page size is the file's own). The bytes are
 * copied into the worker, checked (`integrity_check`) and encrypted under `password` or `key`
 * there; the database is created in one transaction. Rejects with INVALID_ARGUMENT if `name`
 * exists (or is open in another tab), NOT_A_DATABASE if `bytes` is not a SQLite file, CORRUPT if
 * SQLite finds it damaged, CANCELLED if `signal` aborts first (what was created is deleted).
 * `onProgress` reports `copy` (pages encrypted).
 */
export async function importDatabase(options: ImportDatabaseOptions): Promise<CipherliteDatabase> {
  assertBrowserSupport();
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  const { bytes, onProgress, signal, ...open } = options as ImportDatabaseOptions & { recoveryKey?: unknown; passkey?: unknown; create?: unknown; pageSize?: unknown };
  if (!(bytes instanceof Uint8Array)) throw new CipherliteError('INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  if (open.recoveryKey !== undefined || open.passkey !== undefined) throw new CipherliteError('INVALID_ARGUMENT', 'a new database needs a password or a key');
  if ((open.password === undefined) === (open.key === undefined)) throw new CipherliteError('INVALID_ARGUMENT', 'expected exactly one of password or key');
  if (open.create !== undefined || open.pageSize !== undefined)
    throw new CipherliteError('INVALID_ARGUMENT', 'importDatabase always creates, with the page size of the file; drop create and pageSize');
  const call = checkCallOptions({ ...(onProgress !== undefined ? { onProgress: onProgress as ProgressCallback } : {}), ...(signal !== undefined ? { signal } : {}) });
  if (signal?.aborted) throw new CipherliteError('CANCELLED', 'the import was cancelled before it started');
  return launch(open as OpenDatabaseOptions, { bytes, call });
}

/**
 * Creates the local database `name` (OPFS or IndexedDB) from its replica — every object checked:
 * a damaged, reordered, rolled-back or foreign bucket is a typed REPLICA_* error, WRONG_KEY if the
 * secret does not open it — and opens it like `openDatabase` with the same secret: the password,
 * the recovery key or the raw key (the new file keeps every keyslot of the database). It opens
 * without a replica writer: open it with `replica` to replicate it. `pointInTime` picks an older
 * commit or generation. INVALID_ARGUMENT if `name` exists.
 * `onProgress`: `download` (log entries read), `copy` (pages written).
 */
export async function restoreFromReplica(options: RestoreFromReplicaOptions): Promise<CipherliteDatabase> {
  assertBrowserSupport();
  const { open, pointInTime, call } = restoreArguments(options);
  return launch(open as unknown as OpenDatabaseOptions, { restore: pointInTime, call });
}

/** Spawns the worker and opens (or, with `importing`, creates and opens) the database. */
async function launch(options: OpenDatabaseOptions, importing?: Importing): Promise<CipherliteDatabase> {
  const { worker, persist = true, password, key, recoveryKey, passkey, directory = DEFAULT_DIRECTORY, unresponsiveTimeoutMs = DEFAULT_UNRESPONSIVE_MS, ...rest } = options;
  const keyMaterial = { password, key, recoveryKey, passkey } as KeyMaterial | PasskeyUnlock;
  for (const k of ['password', 'key', 'recoveryKey', 'passkey'] as const) if (keyMaterial[k] === undefined) delete keyMaterial[k];

  const persistence = new PersistenceAnswer(persist);
  const log = new Diagnostics(options.logLevel ?? 'off', consoleSink);
  if (rest.replica !== undefined) rest.replica = plainReplicaOptions(rest.replica);
  const connection = new Connection(workerSpawner(options.name, worker), { ...rest, directory }, unresponsiveTimeoutMs, log);
  try {
    await connection.start(keyMaterial, importing);
  } catch (e) {
    connection.dispose();
    throw rebuild(e);
  }
  connection.setLockState('unlocked');
  return new CipherliteDatabase(connection, persistence);
}
