/**
 * A backup's `meta.tables` row counts come from the pages the copy wrote (keys/row-census.ts):
 * exact for every kind of table, and without a second read of the database.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, type SyncFile, type SyncStorage } from '../src/index.js';
import { backup } from '../src/keys/index.js';
import { RowCensus } from '../src/keys/row-census.js';
import { KEY } from './keys-helpers.js';

/** `inner`, counting the bytes read from `name` while `counting` is set. */
function readCounting(inner: MemoryStorage, name: string): SyncStorage & { counting: boolean; bytesRead: number } {
  const s = {
    counting: false,
    bytesRead: 0,
    open: (n: string, o: { create: boolean }): SyncFile => {
      const f = inner.open(n, o);
      if (n !== name) return f;
      return {
        read: (buf, at) => {
          const got = f.read(buf, at);
          if (s.counting) s.bytesRead += got;
          return got;
        },
        write: (buf, at) => f.write(buf, at),
        truncate: (size) => f.truncate(size),
        getSize: () => f.getSize(),
        flush: () => f.flush(),
        close: () => f.close(),
      };
    },
    exists: (n: string) => inner.exists(n),
    delete: (n: string) => inner.delete(n),
    list: () => inner.list(),
  };
  return s;
}

async function countsOf(db: Database): Promise<{ name: string; rows: number }[]> {
  const names = await db.query<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
  const out = [];
  for (const { name } of names) out.push({ name, rows: (await db.get<{ n: number }>(`SELECT count(*) AS n FROM "${name.replace(/"/g, `""`)}"`))!.n });
  return out;
}

describe('backup row counts', () => {
  it('equal count(*) for deep rowid trees, WITHOUT ROWID tables, overflow rows, freed pages, empty and virtual tables', async () => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'a.db', key: KEY });
    await db.exec(`CREATE TABLE deep(id INTEGER PRIMARY KEY, v TEXT);
      CREATE TABLE nor(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
      CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB);
      CREATE TABLE thinned(id INTEGER PRIMARY KEY, v TEXT);
      CREATE TABLE "empty ""one"""(x);
      CREATE VIRTUAL TABLE docs USING fts5(body);`);
    await db.exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000)
      INSERT INTO deep SELECT x, printf('deep-%06d-%s', x, hex(randomblob(20))) FROM c;
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 7000)
      INSERT INTO nor SELECT printf('key-%06d-%s', x, hex(randomblob(30))), x FROM c;
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40)
      INSERT INTO big SELECT x, randomblob(20000) FROM c;
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
      INSERT INTO thinned SELECT x, hex(randomblob(40)) FROM c;
      DELETE FROM thinned WHERE id % 3 <> 0 OR id > 15000;
      INSERT INTO docs SELECT v FROM deep WHERE id <= 500;`);
    const expected = await countsOf(db);
    expect(expected.find((t) => t.name === 'thinned')!.rows).toBe(5000);
    expect(Number((await db.get<{ n: number }>('SELECT freelist_count AS n FROM pragma_freelist_count'))!.n)).toBeGreaterThan(0);
    const { meta } = await backup(db, { key: KEY });
    expect(meta.tables).toEqual(expected);
    await db.close();
  });

  it('take no second read of the database: the source is read about once', async () => {
    const inner = new MemoryStorage();
    const storage = readCounting(inner, 'a.db');
    // A page cache far smaller than the file, so counting with SQL would read the table again.
    const db = await Database.open({ storage, name: 'a.db', key: KEY, cacheSizeKiB: 64 });
    await db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
      INSERT INTO t SELECT x, hex(randomblob(50)) FROM c;`);
    const fileSize = inner.files.get('a.db')!.getSize();
    storage.counting = true;
    const { meta } = await backup(db, { key: KEY });
    storage.counting = false;
    expect(meta.tables).toEqual([{ name: 't', rows: 20000 }]);
    expect(storage.bytesRead).toBeGreaterThan(fileSize * 0.9);
    expect(storage.bytesRead).toBeLessThan(fileSize * 1.25);
    await db.close();
  });

  it('a census that cannot account for a tree says so (null), never a wrong count', () => {
    const census = new RowCensus(512);
    const interior = new Uint8Array(512);
    // A table interior page (type 5) with one cell whose left child is page 3, right-most page 4.
    interior[0] = 5;
    interior[4] = 1;
    new DataView(interior.buffer).setUint32(8, 4);
    new DataView(interior.buffer).setUint16(12, 500);
    new DataView(interior.buffer).setUint32(500, 3);
    census.observe(interior, 512); // page 2
    const leaf = new Uint8Array(512);
    leaf[0] = 13;
    leaf[4] = 7; // 7 cells
    census.observe(leaf, 2 * 512); // page 3
    expect(census.rows(2)).toBeNull(); // page 4 never written
    census.observe(leaf, 3 * 512);
    expect(census.rows(2)).toBe(14);
    // A partial write of page 4 forgets it; a cycle is refused.
    census.observe(leaf.subarray(0, 100), 3 * 512);
    expect(census.rows(2)).toBeNull();
    const loop = interior.slice();
    new DataView(loop.buffer).setUint32(8, 2);
    census.observe(loop, 512);
    expect(census.rows(2)).toBeNull();
  });
});
