/**
 * The writer reads what changed: the VFS reports the pages SQLite writes (main file and WAL frame
 * headers), and a push after a few small commits reads those pages through `sqlite_dbpage`, not the
 * whole database. After a restart the changed-page set is unknown and the push compares every page
 * (the fallback), so a crash between a commit and its push loses nothing. Both in rollback-journal
 * (TRUNCATE) and WAL mode, on Ceph RGW.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../../src/index.js';
import { restoreFromReplica, startReplica, verifyReplica, type Replica } from '../../src/replica/index.js';
import { manifestName } from '../../src/replica/format.js';
import type { S3StoreOptions } from '../../src/replica/s3-store.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, CountingStorage, HookedStore, PASSWORD, rows, sell } from './replica-helpers.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? x.close() : x.stop());
});

type Mode = 'TRUNCATE' | 'WAL';

async function shop(storage: MemoryStorage, journalMode: Mode, cacheSizeKiB?: number): Promise<Database> {
  const db = await Database.open({ storage, name: 'shop.db', password: PASSWORD, kdf: FAST_KDF, journalMode, ...(cacheSizeKiB ? { cacheSizeKiB } : {}) });
  open.push(db);
  await db.exec('CREATE TABLE IF NOT EXISTS sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
  return db;
}

/** About 4.5 MiB of other data: more than SQLite's page cache (2 MiB), so a full read must reach storage. */
async function bulk(db: Database): Promise<void> {
  await db.exec('CREATE TABLE IF NOT EXISTS stock (id INTEGER PRIMARY KEY, photo BLOB NOT NULL)');
  await db.transaction(async (tx) => {
    for (let i = 0; i < 1100; i++) await tx.exec('INSERT INTO stock (id, photo) VALUES (?, randomblob(3500))', [i]);
  });
}

async function restored(prefix: string, s3: S3StoreOptions): Promise<Database> {
  const db = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: { ...s3, prefix }, password: PASSWORD, kdf: FAST_KDF });
  open.push(db);
  return db;
}

describe.each<Mode>(['TRUNCATE', 'WAL'])('incremental push (%s)', (mode) => {
  it('a push after 5 small commits reads the pages they wrote, not the whole database; a new device restores the same state', async () => {
    const b = await bucket();
    const storage = new CountingStorage();
    // A page cache far smaller than the database, so a full read would reach storage and count.
    const db = await shop(storage, mode, 64);
    expect(db.journalMode).toBe(mode);
    await bulk(db);
    const replica = startReplica(db, { ...b.s3, prefix: 'inc', debounceMs: 60_000 });
    open.push(replica);
    await replica.pushNow();
    const pageSize = 4096;
    const pages = (await db.query<{ page_count: number }>('PRAGMA page_count'))[0]!.page_count;
    expect(pages).toBeGreaterThan(1000);

    for (let i = 1; i <= 5; i++) await sell(db, 1, i);
    storage.bytesRead = 0;
    const before = replica.status().lastPushedSeq!;
    await replica.pushNow();
    expect(replica.status().lastPushedSeq).toBe(before + 1);
    // 5 inserts into one small table touch a handful of pages; a full read is > 1000 pages.
    expect(storage.bytesRead).toBeLessThan(32 * pageSize);
    expect(storage.bytesRead).toBeLessThan((pages * pageSize) / 20);

    const copy = await restored('inc', b.s3);
    expect(await rows(copy)).toEqual(await rows(db));
    expect(await copy.query('SELECT id, hex(photo) AS p FROM stock ORDER BY id')).toEqual(await db.query('SELECT id, hex(photo) AS p FROM stock ORDER BY id'));
    await verifyReplica({ replica: { ...b.s3, prefix: 'inc' }, password: PASSWORD });
  });

  it('a crash between commits and their push: the restarted writer compares every page and pushes them all, then goes on incrementally', async () => {
    const b = await bucket();
    const storage = new MemoryStorage();
    const db = await shop(storage, mode);
    const first = startReplica(db, { ...b.s3, prefix: 'crash', debounceMs: 60_000 });
    open.push(first);
    await sell(db, 2);
    await first.pushNow();
    await sell(db, 3, 3);
    // The process dies before the push of those three commits: its files are what remains.
    const crashed = storage.snapshot();
    const expected = await rows(db);
    expect(expected).toHaveLength(5);
    await first.stop();

    const reopened = await shop(MemoryStorage.from(crashed), mode);
    const after = startReplica(reopened, { ...b.s3, prefix: 'crash', debounceMs: 60_000 });
    open.push(after);
    await after.pushNow();
    expect(after.status()).toMatchObject({ state: 'idle', pendingCommits: 0 });
    expect(await rows(await restored('crash', b.s3))).toEqual(expected);

    if (mode === 'WAL') await reopened.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    await sell(reopened, 2, 6);
    await after.pushNow();
    expect(await rows(await restored('crash', b.s3))).toEqual(await rows(reopened));
    await verifyReplica({ replica: { ...b.s3, prefix: 'crash' }, password: PASSWORD });
  });

  it("a commit made while the initial push's chunks upload is not in its snapshot: it is the next entry, and the snapshot's seq restores the state before it", async () => {
    const b = await bucket();
    const store = new HookedStore(b.store);
    const db = await shop(new MemoryStorage(), mode);
    await bulk(db);
    await sell(db, 3);
    const before = await rows(db);
    let commit: Promise<void> | null = null;
    store.hook = async (op, key) => {
      if (op !== 'put' || !key.includes('/snap/')) return;
      // The first chunk's PUT waits for a commit the app makes meanwhile (after the read).
      commit ??= sell(db, 1, 4);
      await commit;
    };
    const replica = startReplica(db, { store, prefix: 'during', debounceMs: 60_000 });
    open.push(replica);
    await replica.pushNow();
    expect(commit).not.toBeNull();
    expect(replica.status()).toMatchObject({ state: 'idle', pendingCommits: 0, lastPushedSeq: 2 });
    expect(await b.store.head(manifestName('during', 0, 1))).not.toBeNull();
    const atSnapshot = await restoreFromReplica({ storage: new MemoryStorage(), name: 'at1.db', replica: { ...b.s3, prefix: 'during' }, password: PASSWORD, kdf: FAST_KDF, pointInTime: { seq: 1 } });
    open.push(atSnapshot);
    expect(await rows(atSnapshot)).toEqual(before);
    expect(await atSnapshot.query('SELECT id, hex(photo) AS p FROM stock ORDER BY id')).toEqual(await db.query('SELECT id, hex(photo) AS p FROM stock ORDER BY id'));
    expect(await rows(await restored('during', b.s3))).toEqual(await rows(db));
    expect((await rows(db)).length).toBe(before.length + 1);
    await verifyReplica({ replica: { ...b.s3, prefix: 'during' }, password: PASSWORD });
  });

  it('with a snapshot due at every push, a push with no page written since the last one reads no page and appends nothing', async () => {
    const b = await bucket();
    const storage = new CountingStorage();
    // A page cache far smaller than the database: a full read reaches storage.
    const db = await shop(storage, mode, 64);
    await bulk(db);
    const replica = startReplica(db, { ...b.s3, prefix: 'due', debounceMs: 60_000, snapshotEvery: 1 });
    open.push(replica);
    await replica.pushNow();
    const seq = replica.status().lastPushedSeq!;
    storage.bytesRead = 0;
    await replica.pushNow();
    expect(replica.status().lastPushedSeq).toBe(seq);
    expect(storage.bytesRead).toBeLessThan(32 * 4096);
    await sell(db, 1);
    await replica.pushNow();
    // A page written: the snapshot due is taken (a full read, every page).
    expect(replica.status().lastPushedSeq).toBe(seq + 1);
    expect(storage.bytesRead).toBeGreaterThan(4 * 1024 * 1024);
    expect(await b.store.head(manifestName('due', 0, seq + 1))).not.toBeNull();
    expect(await rows(await restored('due', b.s3))).toEqual(await rows(db));
  });
});
