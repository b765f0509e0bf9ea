/**
 * A hostile or broken bucket (Ceph RGW) is detected, never believed: each attack on the objects
 * of a replica ends restore / verify / the writer in a typed REPLICA_* error naming what is
 * wrong, never in an older or mixed database.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../../src/index.js';
import { entryName, chunkName, keysName, snapshotDir } from '../../src/replica/format.js';
import { restoreFromReplica, startReplica, verifyReplica, type Replica } from '../../src/replica/index.js';
import type { S3ObjectStore, S3StoreOptions } from '../../src/replica/s3-store.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, dump, openDb, PASSWORD, putBack, rows, sell } from './replica-helpers.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? x.close() : x.stop());
});

const PREFIX = 'hostile';
const OTHER = 'other-db';
let s3: S3StoreOptions;
let store: S3ObjectStore;
/** The honest bucket: entries 0..6 (0 genesis, 1 the table, 2..6 a sale each), a snapshot at 4 (one chunk); another database under OTHER. */
let good: Map<string, Uint8Array>;
let goodRows: unknown[];
let other: Map<string, Uint8Array>;

async function pushHistory(prefix: string): Promise<{ db: Database; replica: Replica }> {
  const db = await openDb();
  await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
  const replica = startReplica(db, { ...s3, prefix, debounceMs: 10_000, snapshotEvery: 4 });
  await replica.pushNow();
  for (let i = 0; i < 5; i++) {
    await sell(db, 1, i + 1);
    await replica.pushNow();
  }
  return { db, replica };
}

beforeAll(async () => {
  ({ s3, store } = await bucket());
  const a = await pushHistory(PREFIX);
  goodRows = await rows(a.db);
  await a.replica.stop();
  await a.db.close();
  good = await dump(store, PREFIX);
  const b = await pushHistory(OTHER);
  await b.replica.stop();
  await b.db.close();
  other = await dump(store, OTHER);
}, 200_000);

const e = (seq: number, prefix = PREFIX): string => entryName(prefix, 0, seq);

async function outcome(mutate: (objects: Map<string, Uint8Array>) => void): Promise<{ restore: string; verify: string }> {
  const objects = new Map([...good].map(([k, v]) => [k, new Uint8Array(v)]));
  mutate(objects);
  await putBack(store, PREFIX, objects);
  const code = async (p: Promise<unknown>): Promise<string> => {
    try {
      const r = await p;
      if (r instanceof Database) {
        open.push(r);
        expect(await rows(r)).toEqual(goodRows); // an accepted restore is the whole, newest state
      }
      return 'ok';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    }
  };
  const replica = { ...s3, prefix: PREFIX };
  return {
    restore: await code(restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica, password: PASSWORD, kdf: FAST_KDF })),
    verify: await code(verifyReplica({ replica, password: PASSWORD })),
  };
}

describe('a hostile bucket (Ceph RGW)', () => {
  it('the honest bucket restores and verifies', async () => {
    expect(await outcome(() => undefined)).toEqual({ restore: 'ok', verify: 'ok' });
  });

  it('a replaced entry (one ciphertext bit flipped) is REPLICA_CORRUPT', async () => {
    expect(await outcome((o) => void o.get(e(5))!.set([o.get(e(5))![100]! ^ 1], 100))).toEqual({ restore: 'REPLICA_CORRUPT', verify: 'REPLICA_CORRUPT' });
  });

  it('a truncated entry is REPLICA_CORRUPT', async () => {
    expect(await outcome((o) => o.set(e(6), o.get(e(6))!.subarray(0, 200)))).toEqual({ restore: 'REPLICA_CORRUPT', verify: 'REPLICA_CORRUPT' });
  });

  it('two entries swapped (reordered) are REPLICA_REORDERED', async () => {
    expect(
      await outcome((o) => {
        const [a, b] = [o.get(e(5))!, o.get(e(6))!];
        o.set(e(5), b);
        o.set(e(6), a);
      }),
    ).toEqual({ restore: 'REPLICA_REORDERED', verify: 'REPLICA_REORDERED' });
  });

  it('an older entry replayed as the newest is REPLICA_REORDERED', async () => {
    expect(await outcome((o) => o.set(e(6), o.get(e(2))!))).toEqual({ restore: 'REPLICA_REORDERED', verify: 'REPLICA_REORDERED' });
  });

  it('a deleted entry in the middle is REPLICA_MISSING', async () => {
    expect(await outcome((o) => o.delete(e(5)))).toEqual({ restore: 'REPLICA_MISSING', verify: 'REPLICA_MISSING' });
  });

  it('a deleted snapshot chunk is REPLICA_MISSING', async () => {
    expect(await outcome((o) => o.delete(chunkName(PREFIX, 0, 4, 0)))).toEqual({ restore: 'REPLICA_MISSING', verify: 'REPLICA_MISSING' });
  });

  it("another database's entry put in place of ours is REPLICA_FOREIGN", async () => {
    expect(await outcome((o) => o.set(e(5), other.get(e(5, OTHER))!))).toEqual({ restore: 'REPLICA_FOREIGN', verify: 'REPLICA_FOREIGN' });
  });

  it("another database's keys object (same password) in place of ours is REPLICA_FOREIGN, not its data", async () => {
    expect(await outcome((o) => o.set(keysName(PREFIX, 0), other.get(keysName(OTHER, 0))!))).toEqual({ restore: 'REPLICA_FOREIGN', verify: 'REPLICA_FOREIGN' });
  });

  it("a snapshot chunk of another position (the other database's, or moved) is REPLICA_FOREIGN / REPLICA_REORDERED", async () => {
    expect(await outcome((o) => o.set(chunkName(PREFIX, 0, 4, 0), other.get(chunkName(OTHER, 0, 4, 0))!))).toEqual({ restore: 'REPLICA_FOREIGN', verify: 'REPLICA_FOREIGN' });
    expect(await outcome((o) => o.set(chunkName(PREFIX, 0, 4, 0), o.get(e(2))!))).toEqual({ restore: 'REPLICA_CORRUPT', verify: 'REPLICA_CORRUPT' });
  });
});

describe('a bucket rolled back or forked under a writer', () => {
  it('the whole bucket rolled back: the writer stops with REPLICA_ROLLBACK, verify with the known tip too', async () => {
    const b = await bucket();
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    const replica = startReplica(db, { ...b.s3, prefix: 'rb', debounceMs: 10_000 });
    open.push(replica);
    await sell(db, 1);
    await replica.pushNow();
    const before = await dump(b.store, 'rb');
    await sell(db, 1, 2);
    const known = await replica.pushNow();
    await putBack(b.store, 'rb', before);
    await sell(db, 1, 3);
    await expect(replica.pushNow()).rejects.toMatchObject({ code: 'REPLICA_ROLLBACK' });
    expect(replica.status()).toMatchObject({ state: 'error', lastError: { code: 'REPLICA_ROLLBACK' } });
    // A new device cannot tell (it never saw seq 2); a device that did can.
    const tip = { generation: 0, seq: known.lastPushedSeq!, hash: new Uint8Array(32) };
    await expect(verifyReplica({ replica: { ...b.s3, prefix: 'rb' }, password: PASSWORD, known: tip })).rejects.toMatchObject({ code: 'REPLICA_ROLLBACK' });
    // And a restarted writer (it remembers its last position, encrypted, beside the database) refuses too.
    await replica.stop();
    const again = startReplica(db, { ...b.s3, prefix: 'rb', debounceMs: 10_000 });
    open.push(again);
    await expect(again.pushNow()).rejects.toMatchObject({ code: 'REPLICA_ROLLBACK' });
  });

  it('rolled back while the next push is a snapshot: its chunks, uploaded before the refusal, are deleted; every object of the rolled-back state is kept, and it restores', async () => {
    const b = await bucket();
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    // Entries 0 (genesis), 1, 2 (a snapshot: its chunk and manifest), then 3; rolled back to 2.
    const replica = startReplica(db, { ...b.s3, prefix: 'rbs', debounceMs: 10_000, snapshotEvery: 2 });
    open.push(replica);
    await replica.pushNow();
    await sell(db, 1);
    expect(await replica.pushNow()).toMatchObject({ lastPushedSeq: 2 });
    const before = await dump(b.store, 'rbs');
    expect([...before.keys()].some((k) => k.startsWith(snapshotDir('rbs', 0, 2)))).toBe(true);
    await sell(db, 1, 2);
    expect(await replica.pushNow()).toMatchObject({ lastPushedSeq: 3 });
    await putBack(b.store, 'rbs', before);
    // The next entry (4) is an image entry: its chunks go up, then the writer finds entry 3 gone.
    await sell(db, 40, 3);
    await expect(replica.pushNow()).rejects.toMatchObject({ code: 'REPLICA_ROLLBACK' });
    const after = await dump(b.store, 'rbs');
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [key, bytes] of before) expect(after.get(key), key).toEqual(bytes);
    const restored = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: { ...b.s3, prefix: 'rbs' }, password: PASSWORD, kdf: FAST_KDF });
    open.push(restored);
    expect(await restored.query('SELECT count(*) AS n FROM sales')).toEqual([{ n: 1 }]);
    await expect(verifyReplica({ replica: { ...b.s3, prefix: 'rbs' }, password: PASSWORD })).resolves.toMatchObject({ tipSeq: 2, snapshots: 1 });
  });

  it("rolled back, with an entry planted at the position of the snapshot the writer uploads: the refusal deletes none of the chunks there (they may be that entry's)", async () => {
    const b = await bucket();
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    const replica = startReplica(db, { ...b.s3, prefix: 'rbp', debounceMs: 10_000, snapshotEvery: 2 });
    open.push(replica);
    await replica.pushNow();
    await sell(db, 1);
    await replica.pushNow();
    const before = await dump(b.store, 'rbp');
    await sell(db, 1, 2);
    await replica.pushNow();
    await putBack(b.store, 'rbp', before);
    await b.store.put(entryName('rbp', 0, 4), before.get(entryName('rbp', 0, 2))!);
    await sell(db, 40, 3);
    await expect(replica.pushNow()).rejects.toMatchObject({ code: 'REPLICA_ROLLBACK' });
    expect((await dump(b.store, 'rbp')).has(chunkName('rbp', 0, 4, 0))).toBe(true);
  });

  it('two writers of one database (a copied device): the second to push gets REPLICA_FORK, the bucket keeps one history', async () => {
    const b = await bucket();
    const storage = new MemoryStorage();
    const db = await openDb(storage);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    const r1 = startReplica(db, { ...b.s3, prefix: 'fork', debounceMs: 10_000 });
    await r1.pushNow();
    await r1.stop();
    await db.close();
    const copy = MemoryStorage.from(storage.snapshot());
    const a = await openDb(storage);
    const c = await openDb(copy);
    open.push(a, c);
    const ra = startReplica(a, { ...b.s3, prefix: 'fork', debounceMs: 10_000 });
    const rc = startReplica(c, { ...b.s3, prefix: 'fork', debounceMs: 10_000 });
    open.push(ra, rc);
    await ra.pushNow();
    await rc.pushNow();
    await sell(a, 1, 1);
    await sell(c, 1, 100);
    await ra.pushNow();
    await expect(rc.pushNow()).rejects.toMatchObject({ code: 'REPLICA_FORK' });
    const restored = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: { ...b.s3, prefix: 'fork' }, password: PASSWORD, kdf: FAST_KDF });
    open.push(restored);
    expect(await rows(restored)).toEqual(await rows(a));
  });
});
