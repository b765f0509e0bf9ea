/**
 * The page side of multi-device sync: `db.sync` (docs/SYNC.md "In the browser"). The scheduler
 * runs in the leader tab's worker (engine/leader/sync-host.ts); every tab hears its status and
 * the changes its merge rules dropped, the way it hears change events. Each method is one line
 * over the page's connection (`connection.ts`).
 */
import { CipherliteError } from '@cipherlite/core/errors';
import type { ReplicaCredentials } from '../shared/replica.js';
import { assertReplicaCredentials } from '../shared/replica.js';
import { plainSyncOptions, type SyncConflict, type SyncDeviceInfo, type SyncRefusal, type SyncStatus, type WorkerSyncOptions } from '../shared/sync.js';
import type { Connection } from './connection.js';
import { runTransaction, type Transaction } from './transaction.js';

/** `db.sync`: the sync scheduler of the tab that leads, reached from any tab. */
export class SyncControl {
  readonly #connection: Connection;

  /** @internal */
  constructor(connection: Connection) {
    this.#connection = connection;
  }

  /**
   * The first device, once: this database as it is now (schema and data) becomes the agreed
   * starting state of a new sync replica at `options.replica`, and sync starts. Run it in the tab
   * that leads, before any other device joins; the other tabs call `start` with the same options.
   * REPLICA_UNSUPPORTED when the store does not honour conditional writes.
   */
  create(options: WorkerSyncOptions): Promise<void> {
    return this.#connection.startSync(plainSyncOptions(options), true);
  }

  /**
   * Starts syncing a database that already syncs (created here, or joined with
   * `joinSyncReplica`), like the `sync` option of `openDatabase`. Call it in every tab: the tab
   * that leads — now or after a takeover — runs the scheduler with its own options. Called again
   * while sync runs, only the credentials change.
   */
  start(options: WorkerSyncOptions): Promise<void> {
    return this.#connection.startSync(plainSyncOptions(options), false);
  }

  /**
   * Runs `fn` as one local transaction whose changes are recorded for sync and pushed soon after
   * it commits. Writes to synced tables must go through here: a plain `db.exec` is not captured
   * (it changes this device only). Writing a table sync does not know fails with SYNC_TABLE and
   * rolls back. From any tab: a follower's transaction runs in the leader, like `transaction`.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T> {
    return runTransaction(this.#connection, fn, true);
  }

  /** The scheduler's status, asked of the leader now. */
  status(): Promise<SyncStatus> {
    return this.#connection.syncCall({ action: 'status' });
  }

  /** The last status this tab heard (null before the first). */
  get lastStatus(): SyncStatus | null {
    return this.#connection.syncEvents.last;
  }

  /** Pushes every pending transaction and pulls, now; rejects with the round's typed error (REPLICA_UNAVAILABLE offline, REPLICA_FORK, ...). */
  pushNow(): Promise<SyncStatus> {
    return this.#connection.syncCall({ action: 'pushNow' });
  }

  /** Stops pulling and pushing until `resume()` (local sync transactions keep queueing). */
  pause(): Promise<SyncStatus> {
    return this.#connection.syncCall({ action: 'pause' });
  }

  /** Starts the rounds again (also after a failure that stopped them: state `error`). */
  resume(): Promise<SyncStatus> {
    return this.#connection.syncCall({ action: 'resume' });
  }

  /**
   * A schema change for every device (core's `sync.migrate`, docs/SYNC.md "Schema changes"):
   * pushes what is pending, checks the DDL (it must work and leave every table an explicit
   * PRIMARY KEY), appends it to the log and applies it; a `version` at or below the current
   * schema version does nothing (the same app upgrade on two tablets). Needs the bucket.
   */
  migrate(version: number, ddl: string): Promise<SyncStatus> {
    return this.#connection.syncCall({ action: 'migrate', version, ddl });
  }

  /**
   * The devices the log registered or removed, in log order (core's `sync.devices()`), each with
   * its last contact: the newest of its log entries this device read and the time its writer put
   * on it. Read from the leader's database; works offline.
   */
  devices(): Promise<SyncDeviceInfo[]> {
    return this.#connection.syncCall({ action: 'devices' });
  }

  /**
   * Removes a device (a lost or stolen tablet): appends a `device-removed` entry, after which
   * every device refuses that device's entries (`onRefused`) and its own next pull or push fails
   * with SYNC_DEVICE_REMOVED. It keeps the data key and can still read the bucket until the
   * database is rekeyed (docs/SYNC.md "What removal cannot do"). Needs the bucket.
   */
  removeDevice(device: string): Promise<SyncStatus> {
    if (typeof device !== 'string' || device.length === 0) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', 'removeDevice: expected a device id'));
    return this.#connection.syncCall({ action: 'removeDevice', device });
  }

  /** New (short-lived) credentials for the bucket: give them to every tab, like `start`. */
  setCredentials(credentials: ReplicaCredentials): Promise<SyncStatus> {
    assertReplicaCredentials(credentials);
    const { accessKeyId, secretAccessKey, sessionToken } = credentials;
    return this.#connection.syncCall({ action: 'setCredentials', credentials: { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) } });
  }

  /** Calls `listener` with every status change of the scheduler (whichever tab leads); returns the unsubscribe function. */
  onStatus(listener: (s: SyncStatus) => void): () => void {
    return this.#connection.syncEvents.onStatus(listener);
  }

  /**
   * Calls `listener` for every change sync's merge rules dropped (docs/SYNC.md "Conflict rules"),
   * in every tab; returns the unsubscribe function.
   */
  onConflict(listener: (c: SyncConflict) => void): () => void {
    return this.#connection.syncEvents.onConflict(listener);
  }

  /**
   * Calls `listener` for every log entry sync skipped (`{ seq, device, kind, reason }`: an entry
   * of a removed or unregistered device, a bad signature, an unsigned or malformed entry), in
   * every tab, once when this device reaches it; returns the unsubscribe function.
   */
  onRefused(listener: (r: SyncRefusal) => void): () => void {
    return this.#connection.syncEvents.onRefused(listener);
  }
}
