/**
 * The replica end to end on Ceph RGW: a database pushes its commits, a new device restores them
 * with the password (the tip and a point in time), the bucket holds no plaintext, verifyReplica
 * checks every object, and a restarted writer pushes what it committed while stopped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../../src/index.js';
import { restoreFromReplica, startReplica, verifyReplica, type Replica } from '../../src/replica/index.js';
import { FAST_KDF, indexOfBytes } from '../helpers.js';
import { bucket, dump, openDb, PASSWORD, rows, sell } from './replica-helpers.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? x.close() : x.stop());
});

async function writer(prefix = 'shop/till-1', snapshotEvery = 100) {
  const b = await bucket();
  const db = await openDb();
  await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
  const replica = startReplica(db, { ...b.s3, prefix, debounceMs: 10, snapshotEvery });
  open.push(db, replica);
  return { b, db, replica, prefix };
}

const restoreOpts = (b: { s3: object }, prefix: string) => ({ storage: new MemoryStorage(), name: 'restored.db', replica: { ...b.s3, prefix }, password: PASSWORD, kdf: FAST_KDF });

describe('replica on Ceph RGW', () => {
  it('pushes every commit and a new device restores them with the password', async () => {
    const { b, db, replica, prefix } = await writer();
    await sell(db, 5);
    const status = await replica.pushNow();
    expect(status).toMatchObject({ state: 'idle', pendingCommits: 0, lastError: null });
    expect(status.lastPushedSeq).toBeGreaterThanOrEqual(1);
    const restored = await restoreFromReplica(restoreOpts(b, prefix));
    open.push(restored);
    expect(await rows(restored)).toEqual(await rows(db));
    expect(await rows(restored)).toHaveLength(5);
  });

  it('pushes on its own after commits (debounced), with status events', async () => {
    const { db, replica } = await writer();
    await replica.pushNow();
    const states: string[] = [];
    replica.onStatus((s) => states.push(s.state));
    await sell(db, 1);
    expect(replica.status().pendingCommits).toBe(1);
    await expect.poll(() => replica.status().pendingCommits, { timeout: 20_000 }).toBe(0);
    expect(states).toContain('pushing');
    expect(states[states.length - 1]).toBe('idle');
  });

  it('restores a point in time (a seq, and a time) and refuses a seq that is not there', async () => {
    const { b, db, replica, prefix } = await writer('pit', 2);
    await replica.pushNow();
    await sell(db, 2);
    const mid = (await replica.pushNow()).lastPushedSeq!;
    const midTime = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await sell(db, 3, 3);
    await replica.pushNow();
    const atSeq = await restoreFromReplica({ ...restoreOpts(b, prefix), pointInTime: { seq: mid } });
    open.push(atSeq);
    expect(await rows(atSeq)).toHaveLength(2);
    const atTime = await restoreFromReplica({ ...restoreOpts(b, prefix), name: 'by-time.db', pointInTime: { time: new Date(midTime) } });
    open.push(atTime);
    expect(await rows(atTime)).toHaveLength(2);
    await expect(restoreFromReplica({ ...restoreOpts(b, prefix), name: 'x.db', pointInTime: { seq: 999 } })).rejects.toMatchObject({ code: 'REPLICA_MISSING' });
  });

  it('the bucket holds no plaintext: no table name, row value or SQLite header in any object or name', async () => {
    const { b, db, replica, prefix } = await writer('scan', 2);
    await sell(db, 40);
    await replica.pushNow();
    await db.exec('CREATE TABLE customers_secret_table (name TEXT)');
    await replica.pushNow();
    await db.exec("INSERT INTO customers_secret_table VALUES ('Alice Marker-Customer')");
    await replica.pushNow();
    const objects = await dump(b.store, prefix);
    expect([...objects.keys()].filter((n) => n.endsWith('/manifest')).length).toBeGreaterThanOrEqual(1);
    const markers = ['SQLite format 3', 'sales', 'espresso-marker', 'customers_secret_table', 'Alice Marker-Customer', 'CREATE TABLE'];
    const enc = new TextEncoder();
    const hits: string[] = [];
    for (const [name, bytes] of objects) {
      for (const m of markers) {
        if (name.includes(m)) hits.push(`${m} in name ${name}`);
        if (indexOfBytes(bytes, enc.encode(m)) >= 0) hits.push(`${m} in ${name}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('verifyReplica downloads and checks every object, with progress', async () => {
    const { b, db, replica, prefix } = await writer('verify', 2);
    await sell(db, 4);
    await replica.pushNow();
    await sell(db, 4, 5);
    await replica.pushNow();
    const phases = new Set<string>();
    const result = await verifyReplica({ replica: { ...b.s3, prefix }, password: PASSWORD, onProgress: (p) => phases.add(p.phase) });
    expect(result.tipSeq).toBe(replica.status().lastPushedSeq);
    expect(result.snapshots).toBeGreaterThanOrEqual(1);
    expect(result.entries).toBeGreaterThanOrEqual(1);
    expect([...phases]).toEqual(['entries', 'snapshots']);
    await expect(verifyReplica({ replica: { ...b.s3, prefix }, password: 'wrong' })).rejects.toMatchObject({ code: 'WRONG_KEY' });
  });

  it('a writer restarted after commits it could not push pushes them then (nothing lost, one history)', async () => {
    const { b, db, replica, prefix } = await writer('restart');
    await sell(db, 2);
    await replica.pushNow();
    await replica.stop();
    await sell(db, 3, 3); // committed while no replica runs (a crash before the push)
    const again = startReplica(db, { ...b.s3, prefix, debounceMs: 10 });
    open.push(again);
    await again.pushNow();
    const restored = await restoreFromReplica(restoreOpts(b, prefix));
    open.push(restored);
    expect(await rows(restored)).toHaveLength(5);
    expect((await verifyReplica({ replica: { ...b.s3, prefix }, password: PASSWORD })).tipSeq).toBe(again.status().lastPushedSeq);
  });

  it('retention keeps N snapshots and drops older log entries, never what the newest state needs', async () => {
    const { b, db, replica, prefix } = await writer('retention', 2);
    const r2 = replica;
    for (let i = 0; i < 8; i++) {
      await sell(db, 1, i + 1);
      await r2.pushNow();
    }
    const names = [...(await dump(b.store, prefix)).keys()];
    const manifests = names.filter((n) => n.endsWith('/manifest'));
    expect(manifests).toHaveLength(2);
    expect(names.some((n) => n.endsWith('/log/0000000000000000'))).toBe(false);
    const restored = await restoreFromReplica(restoreOpts(b, prefix));
    open.push(restored);
    expect(await rows(restored)).toHaveLength(8);
  });
});
