/**
 * Joining a multi-writer replica from a new device (docs/SYNC.md "Joining"): the database is
 * restored from the generation's genesis (the agreed starting state, no device's pending
 * changes) with one of the database's secrets, the replica's data key is kept inside the new
 * encrypted database (the new local file has its own), and the device's sync log is opened. The
 * caller then enables sync with it: the device gets its own id and an empty pending queue, and
 * its first pull replays the log.
 */
import type { Database } from '../database/database.js';
import { CipherliteError } from '../errors.js';
import type { RestoreOptions } from '../replica/restore.js';
import { restoreGeneration } from '../replica/restore.js';
import type { KeyMaterial } from '../types.js';
import { openSyncReplica, REPLICA_KEY_TABLE, type ReplicaSyncLog, type SyncReplicaOptions } from './replica-log.js';

export type JoinSyncReplicaOptions = Omit<RestoreOptions, 'pointInTime'> & KeyMaterial & { newSecret?: { password: string } | { key: Uint8Array } } & SyncReplicaOptions;

/** Restores the database `name` from the multi-writer replica and opens its sync log; pass both to enableSync. */
export async function joinSyncReplica(options: JoinSyncReplicaOptions): Promise<{ db: Database; log: ReplicaSyncLog }> {
  const { db, r, tip } = await restoreGeneration({ ...options, pointInTime: { seq: 0 } }, true);
  try {
    await db.exec(`CREATE TABLE ${REPLICA_KEY_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), dek BLOB NOT NULL)`);
    await db.exec(`INSERT INTO ${REPLICA_KEY_TABLE} (id, dek) VALUES (1, ?)`, [r.dek]);
    const log = await openSyncReplica(db, options.replica, options.now ? { now: options.now } : {});
    // The genesis restored and the one the log checked were two reads: they must be one entry.
    if (!log.isGenesis(tip.hash)) throw new CipherliteError('REPLICA_FORK', 'the bucket served two different genesis entries while this device joined');
    return { db, log };
  } catch (e) {
    await db.close();
    throw e;
  }
}
