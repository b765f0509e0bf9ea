/**
 * A rekey (a new data key) starts a new generation of the replica: its keys object and genesis
 * under keys from the new data key, the genesis chained to the last entry of the previous
 * generation, then every page with a snapshot. A new device restores with the database's secret;
 * a secret the rekey dropped does not open the new generation. The superseded generation is
 * deleted by the retention policy once the new one has a snapshot (old enough with `keepDays`).
 * A rekey while no writer runs carries the device state over, so the next writer continues the
 * replica in a new generation. On Ceph RGW.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { secretFromMaterial } from '../../src/container/keyslots.js';
import { Database, MemoryStorage } from '../../src/index.js';
import { addRecoveryKey, rekey } from '../../src/keys/index.js';
import { objectHash } from '../../src/replica/format.js';
import { listAll, ReplicaLog, restoreFromReplica, startReplica, verifyReplica, type Replica } from '../../src/replica/index.js';
import { openReplica } from '../../src/replica/reader.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, openDb, PASSWORD, rows, sell, type Bucket } from './replica-helpers.js';

const DAY = 86_400_000;

/** A shop database with a recovery key and two sales, pushed as generation 0. */
async function pushedShop(target: object, options: object = {}): Promise<{ db: Database; replica: Replica; recoveryKey: string }> {
  const db = await openDb();
  open.push(db);
  await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
  const { recoveryKey } = await addRecoveryKey(db, { password: PASSWORD });
  await sell(db, 2);
  const replica = startReplica(db, { ...(target as { prefix: string }), debounceMs: 60_000, ...options });
  open.push(replica);
  await replica.pushNow();
  return { db, replica, recoveryKey };
}

const generationKeys = async (b: Bucket, prefix: string, g: number): Promise<string[]> => (await listAll(b.store, `${prefix}/g/${g.toString(16).padStart(8, '0')}/`)).map((o) => o.key);

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? (x.closed ? undefined : x.close()) : x.stop());
});

describe('rekey', () => {
  it('starts a new generation chained to the previous one; a new device restores it with the password, not with a dropped recovery key', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'rekeyed' };
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    const { recoveryKey } = await addRecoveryKey(db, { password: PASSWORD });
    await sell(db, 2);
    // Generation 0 is kept here (its chain is checked below); retirement has its own tests.
    const replica = startReplica(db, { ...target, debounceMs: 60_000, retention: { oldGenerations: 'keep' } });
    open.push(replica);
    await replica.pushNow();
    expect(replica.status().generation).toBe(0);

    const { db: next } = await rekey(db, { password: PASSWORD });
    open.push(next);
    await sell(next, 1, 3);
    await replica.pushNow();
    expect(replica.status()).toMatchObject({ state: 'idle', generation: 1, lastError: null });
    const expected = await rows(next);
    expect(expected).toHaveLength(3);

    const restored = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, password: PASSWORD, kdf: FAST_KDF });
    open.push(restored);
    expect(await rows(restored)).toEqual(expected);
    expect((await verifyReplica({ replica: target, password: PASSWORD })).generation).toBe(1);
    await expect(restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, recoveryKey })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    // Generation 0 is still there: verified on its own, with the secret of its time.
    expect(await verifyReplica({ replica: target, recoveryKey, generation: 0 })).toMatchObject({ generation: 0, tipSeq: expect.any(Number) as number });
    await expect(verifyReplica({ replica: target, password: PASSWORD, generation: 2 })).rejects.toMatchObject({ code: 'REPLICA_MISSING' });

    // Generation 1's genesis is chained to generation 0's last entry, and generation 1 has a snapshot.
    const gen0 = (await listAll(b.store, 'rekeyed/g/00000000/log/')).map((o) => o.key);
    const lastOfGen0 = (await b.store.get(gen0[gen0.length - 1]!))!;
    const r = await openReplica(b.store, 'rekeyed', secretFromMaterial({ password: PASSWORD }));
    expect(r.generation).toBe(1);
    const first = await new ReplicaLog(r).read(0).next();
    if (first.done) throw new Error('generation 1 has no genesis entry');
    expect(first.value.entry.kind).toBe('genesis');
    expect(first.value.entry.prevHash).toEqual(objectHash(lastOfGen0));
    expect((await listAll(b.store, 'rekeyed/g/00000001/snap/')).length).toBeGreaterThan(0);

    // A writer restarted on the rekeyed database goes on in generation 1.
    await replica.stop();
    const restarted = startReplica(next, { ...target, debounceMs: 60_000, retention: { oldGenerations: 'keep' } });
    open.push(restarted);
    await sell(next, 1, 4);
    await restarted.pushNow();
    expect(restarted.status()).toMatchObject({ state: 'idle', generation: 1 });
    const again = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, password: PASSWORD, kdf: FAST_KDF });
    open.push(again);
    expect(await rows(again)).toEqual(await rows(next));
  });
});

describe('superseded generations (retention)', () => {
  it('are deleted once the new generation has its snapshot; the current one restores and verifies; a point in time in the old one is gone', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'retire' };
    const { db, replica, recoveryKey } = await pushedShop(target);
    expect(await generationKeys(b, 'retire', 0)).not.toEqual([]);
    const { db: next } = await rekey(db, { password: PASSWORD });
    open.push(next);
    await sell(next, 1, 3);
    await replica.pushNow();
    expect(replica.status()).toMatchObject({ state: 'idle', generation: 1 });
    expect(await generationKeys(b, 'retire', 0)).toEqual([]);
    const restored = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, password: PASSWORD, kdf: FAST_KDF });
    open.push(restored);
    expect(await rows(restored)).toEqual(await rows(next));
    expect((await verifyReplica({ replica: target, password: PASSWORD })).generation).toBe(1);
    // The recovery key the rekey dropped opens nothing any more: not the current generation, and the old one is gone.
    await expect(restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, recoveryKey })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    const gone = restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, recoveryKey, pointInTime: { generation: 0, seq: 1 } });
    await expect(gone).rejects.toMatchObject({ code: 'REPLICA_MISSING', details: { generation: 0 } });
    await expect(gone).rejects.toThrow(/gone/);
  });

  it('with keepDays, stay until the new generation has a snapshot older than that; never with "keep"', async () => {
    const b = await bucket();
    let now = Date.now();
    const clock = { now: () => now };
    const target = { ...b.s3, prefix: 'days' };
    const { db, replica } = await pushedShop(target, { ...clock, snapshotEvery: 1, retention: { keepDays: 2 } });
    const { db: next } = await rekey(db, { password: PASSWORD });
    open.push(next);
    await replica.pushNow();
    expect(replica.status().generation).toBe(1);
    now += DAY;
    await sell(next, 1, 3);
    await replica.pushNow();
    expect(await generationKeys(b, 'days', 0)).not.toEqual([]);
    now += 2 * DAY;
    await sell(next, 1, 4);
    await replica.pushNow();
    expect(await generationKeys(b, 'days', 0)).toEqual([]);

    const kept = { ...b.s3, prefix: 'kept' };
    const k = await pushedShop(kept, { snapshotEvery: 1, retention: { oldGenerations: 'keep' } });
    const { db: rekeyed } = await rekey(k.db, { password: PASSWORD });
    open.push(rekeyed);
    await sell(rekeyed, 2, 3);
    await k.replica.pushNow();
    expect(k.replica.status().generation).toBe(1);
    expect(await generationKeys(b, 'kept', 0)).not.toEqual([]);
  });
});

describe('rekey while no writer runs', () => {
  it('the next writer continues the replica in a new generation; the new secret restores it, the dropped one reaches only the old generation', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'offline-rekey' };
    const { db, replica, recoveryKey } = await pushedShop(target, { retention: { oldGenerations: 'keep' } });
    const before = await rows(db);
    await replica.stop();
    const { db: next } = await rekey(db, { password: PASSWORD });
    open.push(next);
    await sell(next, 2, 3);

    const writer = startReplica(next, { ...target, debounceMs: 60_000, retention: { oldGenerations: 'keep' } });
    open.push(writer);
    await writer.pushNow();
    expect(writer.status()).toMatchObject({ state: 'idle', generation: 1, lastError: null });
    const restored = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, password: PASSWORD, kdf: FAST_KDF });
    open.push(restored);
    expect(await rows(restored)).toEqual(await rows(next));
    expect(await rows(restored)).toHaveLength(4);
    await expect(restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, recoveryKey })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    const old = await restoreFromReplica({ storage: new MemoryStorage(), name: 'old.db', replica: target, recoveryKey, pointInTime: { generation: 0 } });
    open.push(old);
    expect(await rows(old)).toEqual(before);

    // Generation 1 is chained to generation 0's last entry, under the same replica id.
    const gen0 = await generationKeys(b, 'offline-rekey', 0);
    const lastOfGen0 = (await b.store.get(gen0.filter((k) => k.includes('/log/')).pop()!))!;
    const r = await openReplica(b.store, 'offline-rekey', secretFromMaterial({ password: PASSWORD }));
    const genesis = await new ReplicaLog(r).read(0).next();
    if (genesis.done) throw new Error('generation 1 has no genesis entry');
    expect(genesis.value.entry.prevHash).toEqual(objectHash(lastOfGen0));
  });

  it('a rekey cancelled after it carried the device state over leaves the old database writing generation 0', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'cancelled' };
    const { db, replica } = await pushedShop(target);
    await replica.stop();
    const ctl = new AbortController();
    const cancelled = rekey(db, { password: PASSWORD }, { signal: ctl.signal, onProgress: (p) => p.phase === 'check' && ctl.abort() });
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    // Two records: the state under the key of the copy that was thrown away, and under the old key.
    const f = db.storage.open('shop.db-replica', { create: false });
    expect(f.getSize()).toBe(2 * 104);
    f.close();
    await sell(db, 1, 3);
    const again = startReplica(db, { ...target, debounceMs: 60_000 });
    open.push(again);
    await again.pushNow();
    expect(again.status()).toMatchObject({ state: 'idle', generation: 0, lastError: null });
    expect(await generationKeys(b, 'cancelled', 1)).toEqual([]);
  });

  it('another database on that prefix is still refused: one without a device state, and a rekeyed one whose state names another replica', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'theirs' };
    await pushedShop(target);

    const stranger = await openDb(new MemoryStorage(), 'other.db');
    open.push(stranger);
    const s1 = startReplica(stranger, { ...target, debounceMs: 60_000 });
    open.push(s1);
    await expect(s1.pushNow()).rejects.toMatchObject({ code: 'REPLICA_FOREIGN' });

    // A database with a replica of its own elsewhere, rekeyed offline, then pointed at this prefix.
    const mine = await pushedShop({ ...b.s3, prefix: 'mine' });
    await mine.replica.stop();
    const { db: rekeyed } = await rekey(mine.db, { password: PASSWORD });
    open.push(rekeyed);
    const s2 = startReplica(rekeyed, { ...target, debounceMs: 60_000 });
    open.push(s2);
    await expect(s2.pushNow()).rejects.toMatchObject({ code: 'REPLICA_FOREIGN' });
    expect(await generationKeys(b, 'theirs', 1)).toEqual([]);
  });
});
