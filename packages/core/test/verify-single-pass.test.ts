/**
 * verify decrypts each block once: integrity_check's reads authenticate most pages, and the block
 * pass only checks the rest. These tests pin both halves: the cost (one AES-GCM open per block,
 * counted on the real WebAssembly AES) and the guarantee (a block integrity_check never reads
 * from storage — a page in SQLite's cache, a free page — is still authenticated and reported).
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format } from '../src/index.js';
import { verify } from '../src/keys/index.js';
import { createAesGcmKey } from '../src/crypto/aes-gcm-wasm/index.js';
import type { AeadKeyFactory } from '../src/crypto/aead.js';
import { KEY } from './keys-helpers.js';
import { openWithInternalOptions } from '../src/internal.js';

/** The real WebAssembly AES-GCM, counting how many blocks it opens. */
function countingAead(): { aead: AeadKeyFactory; opens: () => number } {
  let opens = 0;
  const aead: AeadKeyFactory = (raw) => {
    const k = createAesGcmKey(raw);
    return {
      seal: (n, a, p, o, t) => k.seal(n, a, p, o, t),
      open: (n, a, c, t, o) => {
        opens++;
        return k.open(n, a, c, t, o);
      },
      destroy: () => k.destroy(),
    };
  };
  return { aead, opens: () => opens };
}

async function build(storage: MemoryStorage, rows: number): Promise<void> {
  const db = await Database.open({ storage, name: 'v.db', key: KEY });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  await db.exec('CREATE INDEX t_v ON t(v)');
  await db.exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) INSERT INTO t SELECT x, printf('row-%06d-%s', x, hex(randomblob(60))) FROM c`);
  await db.close();
}

/** Flips one ciphertext byte of page `page` (1-based) in the stored file. */
function tamper(storage: MemoryStorage, page: number): void {
  const f = storage.open('v.db', { create: false });
  const at = format.MAIN_HEADER_SIZE + (page - 1) * format.slotSize(4096) + 100;
  const b = new Uint8Array(1);
  f.read(b, { at });
  b[0]! ^= 0x01;
  f.write(b, { at });
  f.close();
}

describe('verify: one decryption per block', () => {
  it('opens each block of a cold database once (integrity_check and the block pass share the work)', async () => {
    const storage = new MemoryStorage();
    await build(storage, 3000);
    const { aead, opens } = countingAead();
    const db = await openWithInternalOptions({ storage, name: 'v.db', key: KEY, create: false }, { aead });
    const before = opens();
    const r = await verify(db);
    const during = opens() - before;
    expect(r.ok).toBe(true);
    expect(r.blocksChecked).toBeGreaterThan(100);
    // Every block at least once (the guarantee), and not twice (the point): a few pages may be
    // read again when integrity_check revisits them, never a second pass over the file.
    const pages = Number((await db.get<{ n: number }>('SELECT page_count AS n FROM pragma_page_count'))!.n);
    expect(r.blocksChecked).toBe(pages);
    expect(during).toBeGreaterThanOrEqual(pages - 2); // page 1 and the schema are cached since open
    expect(during).toBeLessThan(pages * 1.2);
    await db.close();
  });

  it('still authenticates pages integrity_check takes from SQLite’s cache and reports a damaged one', async () => {
    const storage = new MemoryStorage();
    await build(storage, 3000);
    const db = await Database.open({ storage, name: 'v.db', key: KEY, create: false });
    // Warm the cache with every page, then damage one page on storage behind SQLite's back.
    await db.query('SELECT count(*), sum(length(v)) FROM t');
    await db.query('SELECT count(*) FROM t INDEXED BY t_v WHERE v > ?', ['']);
    tamper(storage, 7);
    const r = await verify(db);
    // integrity_check saw the intact cached copy; the block pass read the damaged slot.
    expect(r.integrity).toEqual(['ok']);
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([{ file: 'main', block: 6, page: 7 }]);
    await db.close();
  });

  it('reports a damaged free page (one integrity_check never reads) and a damaged page it does read', async () => {
    const storage = new MemoryStorage();
    await build(storage, 3000);
    const setup = await Database.open({ storage, name: 'v.db', key: KEY, create: false });
    await setup.exec('DELETE FROM t WHERE id > 1500');
    const free = Number((await setup.get<{ n: number }>('SELECT freelist_count AS n FROM pragma_freelist_count'))!.n);
    const pages = Number((await setup.get<{ n: number }>('SELECT page_count AS n FROM pragma_page_count'))!.n);
    await setup.close();
    expect(free).toBeGreaterThan(10);
    // Free-list leaf pages are only counted by integrity_check, never read; the last page of the
    // file is one of them here (the deleted rows were the last inserted). Page 5 is a b-tree page.
    tamper(storage, pages);
    tamper(storage, 5);
    const db = await Database.open({ storage, name: 'v.db', key: KEY, create: false });
    const r = await verify(db);
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([
      { file: 'main', block: 4, page: 5 },
      { file: 'main', block: pages - 1, page: pages },
    ]);
    expect(r.integrity.join(' ')).toMatch(/page 5|authentication/i);
    await db.close();
  });
});
