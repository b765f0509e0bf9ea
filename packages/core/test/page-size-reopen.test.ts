/**
 * The page size SQLite uses must come from the container's block size on every open, not only
 * when the file is new: a database that was opened and closed without a write (or crashed during
 * its first transaction) has a container but no page yet, and SQLite would otherwise fall back to
 * its compiled-in default page size and write pages that do not fit the container's blocks.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../src/index.js';
import { KEY } from './helpers.js';

const BLOCK_SIZES = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

async function writeAndCheck(storage: MemoryStorage, pageSize: number): Promise<void> {
  const db = await Database.open({ storage, name: 'a.db', key: KEY, create: false });
  await db.exec('CREATE TABLE IF NOT EXISTS t(x)');
  await db.exec('INSERT INTO t VALUES (?)', ['row']);
  expect(await db.get('PRAGMA page_size')).toEqual({ page_size: pageSize });
  await db.close();
  const again = await Database.open({ storage, name: 'a.db', key: KEY, create: false });
  expect(await again.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
  expect(await again.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
  await again.close();
}

describe('page size on reopen of a database with no page yet', () => {
  for (const pageSize of BLOCK_SIZES) {
    it(`block size ${pageSize}: open + close without writing, then write, then reopen`, async () => {
      const storage = new MemoryStorage();
      await (await Database.open({ storage, name: 'a.db', key: KEY, pageSize })).close();
      await writeAndCheck(storage, pageSize);
    });
  }

  it('a crash during the first transaction, at every write, leaves a database that takes writes and reopens', async () => {
    for (const pageSize of [1024, 65536]) {
      const storage = new MemoryStorage();
      const db = await Database.open({ storage, name: 'a.db', key: KEY, pageSize });
      const snapshots: Map<string, Uint8Array>[] = [];
      storage.onMutate = () => snapshots.push(storage.snapshot());
      await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
      storage.onMutate = null;
      await db.close();
      expect(snapshots.length).toBeGreaterThan(2);
      for (const snap of snapshots) {
        const s = MemoryStorage.from(snap);
        const re = await Database.open({ storage: s, name: 'a.db', key: KEY, create: false });
        await re.exec('CREATE TABLE IF NOT EXISTS u(y); INSERT INTO u VALUES (2)');
        await re.close();
        const check = await Database.open({ storage: s, name: 'a.db', key: KEY, create: false });
        expect(await check.get('SELECT count(*) AS n FROM u')).toEqual({ n: 1 });
        expect(await check.get('PRAGMA page_size')).toEqual({ page_size: pageSize });
        await check.close();
      }
    }
  });
});
