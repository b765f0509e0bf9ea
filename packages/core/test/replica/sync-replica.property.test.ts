/**
 * The convergence property (sync-sim.ts, docs/SYNC.md) over the replica's log: the same random
 * schedules — offline periods, conflicting edits, counters, deletes, schema upgrades, lost
 * requests and answers, crashes mid-pull and restarts — with every device syncing through its own
 * ReplicaSyncLog (encrypted, chained entries created by conditional PUT) on the in-process
 * object store and on Ceph RGW. The first device of a schedule creates the multi-writer
 * generation, the others join it; the replay device joins at the end.
 *
 * SYNC_REPLICA_SCHEDULES (default 20) on the in-process store, a quarter of them on RGW.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CipherliteError, type Database, MemoryStorage } from '../../src/index.js';
import { MemoryObjectStore } from '../../src/replica/memory-store.js';
import type { ObjectStore } from '../../src/replica/object-store.js';
import { joinSyncReplica, type LogFault, type LogOperation, type ReplicaSyncLog, type SyncLog } from '../../src/sync/index.js';
import { KEY } from '../helpers.js';
import { convergence, type World } from '../sync-sim.js';
import { bucket } from './replica-helpers.js';
import { createDevice, joinDevice, NAME, reopenDevice, type LogWrap } from './sync-devices.js';

const SCHEDULES = Number(process.env['SYNC_REPLICA_SCHEDULES'] ?? 20);

/** Faults shared by every device of a world: the next call of an operation, by whichever device, fails. */
function faulty(queue: Record<LogOperation, LogFault[]>): LogWrap {
  return (log: SyncLog): SyncLog => {
    const call = async <R>(op: LogOperation, fn: () => Promise<R>): Promise<R> => {
      const fault = queue[op].shift();
      if (fault === 'lost-request') throw new CipherliteError('IO', 'sync log unreachable (the request was lost)');
      const r = await fn();
      if (fault === 'lost-response') throw new CipherliteError('IO', 'sync log unreachable (the answer was lost)');
      return r;
    };
    return { tip: () => call('tip', () => log.tip()), read: (s) => call('read', () => log.read(s)), tryAppend: (s, r) => call('append', () => log.tryAppend(s, r)) };
  };
}

function replicaWorld(store: ObjectStore): World {
  const t = { store, prefix: `prop-${randomBytes(6).toString('hex')}` };
  const queue: Record<LogOperation, LogFault[]> = { tip: [], read: [], append: [] };
  const wrap = faulty(queue);
  let created = false;
  let observer: { db: Database; log: ReplicaSyncLog } | null = null;
  return {
    device: (foreignKeys) => {
      if (created) return joinDevice(t, { foreignKeys, wrap });
      created = true;
      return createDevice(t, { foreignKeys, wrap });
    },
    reopen: (storage, foreignKeys) => reopenDevice(t, storage, { foreignKeys, wrap }),
    fresh: (foreignKeys) => joinDevice(t, { foreignKeys }),
    entries: async () => {
      observer ??= await joinSyncReplica({ storage: new MemoryStorage(), name: NAME, replica: t, key: KEY });
      return observer.log.read(1);
    },
    injectFault: (op, fault) => void queue[op].push(fault),
    transient: ['REPLICA_UNAVAILABLE'],
    close: async () => {
      await observer?.db.close();
    },
  };
}

describe('sync convergence over the replica log (property)', () => {
  it(`${SCHEDULES} random schedules on the in-process object store`, { timeout: Math.max(180_000, SCHEDULES * 6_000) }, async () => {
    const seen = await convergence(SCHEDULES, () => Promise.resolve(replicaWorld(new MemoryObjectStore({ pageSize: 7 }))));
    console.info(`sync convergence over the replica log (in-process store): ${JSON.stringify(seen)}`);
    expect(seen.schedules).toBe(SCHEDULES);
  });

  const onRgw = Math.max(1, Math.round(SCHEDULES / 4));
  it(`${onRgw} random schedules on Ceph RGW`, { timeout: Math.max(300_000, onRgw * 30_000) }, async () => {
    const { store } = await bucket();
    const seen = await convergence(onRgw, () => Promise.resolve(replicaWorld(store)));
    console.info(`sync convergence over the replica log (Ceph RGW): ${JSON.stringify(seen)}`);
    expect(seen.schedules).toBe(onRgw);
  });
});
