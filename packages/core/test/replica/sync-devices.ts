/** Devices syncing over a replica's multi-writer generation (real sqlite-wasm, memory storage, any ObjectStore). */
import { MemoryStorage } from '../../src/index.js';
import type { ObjectStore } from '../../src/replica/object-store.js';
import { createSyncReplica, enableSync, joinSyncReplica, openSyncReplica, type SyncLog } from '../../src/sync/index.js';
import { KEY, openWithKey } from '../helpers.js';
import { POLICIES, SCHEMA, type Device } from '../sync-helpers.js';

export const NAME = 'shop.db';

export interface Target {
  store: ObjectStore;
  prefix: string;
}

/** Wraps the device's log (faults, observation) before sync sees it. */
export type LogWrap = (log: SyncLog) => SyncLog;

async function finish(storage: MemoryStorage, db: Device['db'], log: SyncLog, foreignKeys: boolean, wrap?: LogWrap): Promise<Device> {
  if (foreignKeys) await db.exec('PRAGMA foreign_keys = ON');
  const sync = await enableSync(db, { tables: POLICIES, log: wrap ? wrap(log) : log });
  const conflicts: Device['conflicts'] = [];
  sync.onConflict((c) => conflicts.push(c));
  return { storage, db, sync, conflicts };
}

/** The first device: creates the schema (and `seed`), starts the multi-writer generation, enables sync. */
export async function createDevice(t: Target, o: { seed?: string; foreignKeys?: boolean; wrap?: LogWrap } = {}): Promise<Device> {
  const storage = new MemoryStorage();
  const db = await openWithKey(storage, NAME);
  await db.exec(SCHEMA);
  if (o.seed) await db.exec(o.seed);
  const log = await createSyncReplica(db, t);
  return finish(storage, db, log, o.foreignKeys ?? false, o.wrap);
}

/** A new device: restores the genesis with the database's key, opens the log, enables sync (its first pull replays the log). */
export async function joinDevice(t: Target, o: { foreignKeys?: boolean; wrap?: LogWrap } = {}): Promise<Device> {
  const storage = new MemoryStorage();
  const { db, log } = await joinSyncReplica({ storage, name: NAME, replica: t, key: KEY });
  return finish(storage, db, log, o.foreignKeys ?? false, o.wrap);
}

/** A device restarting from its storage. */
export async function reopenDevice(t: Target, storage: MemoryStorage, o: { foreignKeys?: boolean; wrap?: LogWrap } = {}): Promise<Device> {
  const db = await openWithKey(storage, NAME);
  try {
    return await finish(storage, db, await openSyncReplica(db, t), o.foreignKeys ?? false, o.wrap);
  } catch (e) {
    await db.close();
    throw e;
  }
}
