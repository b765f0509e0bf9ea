/**
 * Tampering with stored bytes (docs/SECURITY-TESTS.md #7): flip one bit in the ciphertext of the block
 * holding a table's leaf page → reading that table fails with CORRUPT naming the page; the page
 * (tab) keeps running and every other table stays readable.
 *
 * Layout (docs/FORMAT.md, core's format constants): main database = 8192-byte header (two 4 KiB
 * copies), then one slot per page: epoch u32 ‖ length u32 ‖ nonce 12 ‖ ciphertext (page size) ‖ tag 16.
 */
import { FAST_KDF, expect, log, test } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const MAIN_HEADER_SIZE = 8192;
const SLOT_OVERHEAD = 36;
const SLOT_CIPHERTEXT_OFFSET = 20;
const PAGE_SIZE = 4096;
const slotOffset = (page: number) => MAIN_HEADER_SIZE + (page - 1) * (PAGE_SIZE + SLOT_OVERHEAD);

test('a flipped bit in one stored page → CORRUPT for that table only; no crash; other data readable', async ({ session }) => {
  const page = await (await session()).page('tab');
  const options = { name: 'ledger', password: 'tamper test', kdf: FAST_KDF, pageSize: PAGE_SIZE };
  expect(await page.evaluate((o) => window.t.open('a', o), options)).toMatchObject({ ok: true });
  const layout = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT)');
    await db.batch(Array.from({ length: 300 }, (_, i) => ({ sql: 'INSERT INTO keep (v) VALUES (?)', params: [`keep-${i}-${'k'.repeat(40)}`] })));
    await db.exec('CREATE TABLE victim (id INTEGER PRIMARY KEY, v TEXT)');
    await db.batch(Array.from({ length: 5 }, (_, i) => ({ sql: 'INSERT INTO victim (v) VALUES (?)', params: [`victim-${i}`] })));
    const root = (await db.get<{ rootpage: number }>("SELECT rootpage FROM sqlite_schema WHERE name = 'victim'"))!.rootpage;
    const pages = (await db.get<{ page_count: number }>('PRAGMA page_count'))!.page_count;
    await db.close();
    return { root, pages, files: await window.t.list() };
  });
  log(`layout: ${JSON.stringify(layout)}`);
  const size = layout.files.find((f) => f.name === 'ledger')!.size;
  expect(size).toBe(slotOffset(layout.pages + 1));
  // A fresh table's only (leaf) page is the last page of the file.
  expect(layout.root).toBe(layout.pages);

  const before = await page.evaluate(() => window.t.digests());
  await page.evaluate(([at]) => window.t.flip('ledger', at!, 0x01), [slotOffset(layout.root) + SLOT_CIPHERTEXT_OFFSET + PAGE_SIZE / 2]);
  expect(await page.evaluate(() => window.t.digests())).not.toEqual(before);

  expect(await page.evaluate((o) => window.t.open('a', o), options)).toMatchObject({ ok: true });
  const r = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    return {
      victim: await window.t.capture(db.query('SELECT * FROM victim')),
      victimAgain: await window.t.capture(db.get('SELECT count(*) AS n FROM victim')),
      keep: await window.t.capture(db.get<{ n: number }>('SELECT count(*) AS n, max(v) AS last FROM keep')),
      write: await window.t.capture(db.exec("INSERT INTO keep (v) VALUES ('after tamper')")),
      keepAfter: await window.t.capture(db.get('SELECT count(*) AS n FROM keep')),
    };
  });
  log(`victim error: ${JSON.stringify(r.victim)}`);
  expect(r.victim).toMatchObject({ ok: false, code: 'CORRUPT' });
  expect(r.victimAgain).toMatchObject({ ok: false, code: 'CORRUPT' });
  expect(r.victim.details).toMatchObject({ page: layout.root });
  expect(r.keep).toEqual({ ok: true, value: { n: 300, last: `keep-99-${'k'.repeat(40)}` } });
  expect(r.write).toMatchObject({ ok: true });
  expect(r.keepAfter).toEqual({ ok: true, value: { n: 301 } });
  // The page is alive and the harness still answers.
  expect(await page.evaluate(() => document.getElementById('status')!.textContent)).toBe('ready');
});
