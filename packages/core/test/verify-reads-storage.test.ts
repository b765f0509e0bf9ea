/**
 * verify, backup, exportPlaintext and rekey read every block from storage (docs/SECURITY-TESTS.md):
 * a page whose stored slot was damaged after the connection last read it must be reported, even
 * when it was read moments before through the VFS read-ahead buffer (a full scan with a one-page
 * SQLite cache leaves every page there) — never served from that buffer as if it were still stored.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format } from '../src/index.js';
import { backup, exportPlaintext, rekey, verify } from '../src/keys/index.js';
import { expectCode, KEY } from './helpers.js';

const NAME = 'r.db';
const DAMAGED_PAGE = 10;

/** A ~31-page database, opened with cache_size=1 and fully scanned, then page 10 damaged in storage. */
async function scannedThenDamaged(): Promise<{ db: Database; storage: MemoryStorage }> {
  const storage = new MemoryStorage();
  const setup = await Database.open({ storage, name: NAME, key: KEY });
  await setup.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  await setup.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400) INSERT INTO t SELECT x, printf('%0250d', x) FROM c");
  await setup.close();
  const db = await Database.open({ storage, name: NAME, key: KEY, create: false });
  await db.exec('PRAGMA cache_size = 1');
  const pages = Number((await db.get<{ n: number }>('SELECT page_count AS n FROM pragma_page_count'))!.n);
  expect(pages).toBeGreaterThanOrEqual(25);
  expect(pages).toBeLessThanOrEqual(40);
  expect(await db.get('SELECT count(*) AS n, sum(length(v)) AS s FROM t')).toEqual({ n: 400, s: 100000 });
  const f = storage.open(NAME, { create: false });
  const at = format.MAIN_HEADER_SIZE + (DAMAGED_PAGE - 1) * format.slotSize(4096) + 200;
  const b = new Uint8Array(1);
  f.read(b, { at });
  b[0]! ^= 0x01;
  f.write(b, { at });
  f.close();
  return { db, storage };
}

describe('storage changed behind an open connection', () => {
  it('verify reads page 10 from storage and names it', async () => {
    const { db } = await scannedThenDamaged();
    const r = await verify(db);
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([{ file: 'main', block: DAMAGED_PAGE - 1, page: DAMAGED_PAGE }]);
    await db.close();
  });

  it('backup fails CORRUPT naming page 10 instead of copying the buffered copy', async () => {
    const { db } = await scannedThenDamaged();
    const e = await expectCode(backup(db, { key: KEY }), 'CORRUPT');
    expect(e.details.page).toBe(DAMAGED_PAGE);
    await db.close();
  });

  it('exportPlaintext fails CORRUPT naming page 10', async () => {
    const { db } = await scannedThenDamaged();
    const e = await expectCode(exportPlaintext(db), 'CORRUPT');
    expect(e.details.page).toBe(DAMAGED_PAGE);
    await db.close();
  });

  it('rekey fails CORRUPT naming page 10 and leaves the database file as it was', async () => {
    const { db, storage } = await scannedThenDamaged();
    const before = storage.files.get(NAME)!.bytes();
    const e = await expectCode(rekey(db, { key: KEY }), 'CORRUPT');
    expect(e.details.page).toBe(DAMAGED_PAGE);
    expect(Buffer.compare(storage.files.get(NAME)!.bytes(), before)).toBe(0);
    await db.close();
  });
});
