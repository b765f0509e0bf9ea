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
import type { S3StoreOptions } from '../../src/replica/s3-store.js';
import type { SyncFile } from '../../src/storage/sync-file.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, PASSWORD, rows, sell } from './replica-helpers.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? x.close() : x.stop());
});

/** A MemoryStorage that counts the bytes read from any of its files. */
class CountingStorage extends MemoryStorage {
  bytesRead = 0;
  override open(name: string, options: { create: boolean }): SyncFile {
    const h = super.open(name, options);
    return {
      read: (buf, o) => {
        const n = h.read(buf, o);
        this.bytesRead += n;
        return n;
      },
      write: (buf, o) => h.write(buf, o),
      truncate: (size) => h.truncate(size),
      getSize: () => h.getSize(),
      flush: () => h.flush(),
      close: () => h.close(),
    };
  }
}

type Mode = 'TRUNCATE' | 'WAL';

async function shop(storage: MemoryStorage, journalMode: Mode): Promise<Database> {
  const db = await Database.open({ storage, name: 'shop.db', password: PASSWORD, kdf: FAST_KDF, journalMode });
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
    const db = await shop(storage, mode);
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
});
