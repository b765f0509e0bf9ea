/**
 * Zero plaintext at rest (docs/SECURITY-TESTS.md #23, 24): after a workload that puts marker strings in
 * rows, an index, overflow pages, a rolled-back transaction (journal) and a big sort, no stored
 * byte — in OPFS or anywhere in the browser profile on disk — contains a marker or SQLite's magic.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FAST_KDF, expect, log, test } from './fixtures.ts';
import type { Engine } from './env.ts';
import type {} from '../test-app/main.ts';

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/** Where each engine keeps an origin's OPFS files inside its profile directory. */
const OPFS_ON_DISK: Record<Engine, RegExp> = {
  chromium: /File System/,
  // storage/default/<origin>/fs/… (its own metadata database aside).
  firefox: /[/]storage[/]default[/][^/]+[/]fs[/](?!.*\.sqlite)/,
};

test('no marker and no "SQLite format 3" in any stored file, in OPFS or in the profile on disk', async ({ profile, engine }) => {
  const p = await profile();
  const page = await p.page('tab');
  const id = crypto.randomUUID().replaceAll('-', '');
  const markers = { row: `ROWMARK${id}`, indexed: `IDXMARK${id}`, big: `BIGMARK${id}`, rolledBack: `RBMARK${id}`, sorted: `SORTMARK${id}` };
  expect(await page.evaluate((o) => window.t.open('a', o), { name: 'secrets', password: 'at rest', kdf: FAST_KDF })).toMatchObject({ ok: true });

  const counts = await page.evaluate(async (m) => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, tag TEXT, body TEXT)');
    await db.exec('CREATE INDEX notes_tag ON notes (tag)');
    await db.batch(Array.from({ length: 200 }, (_, i) => ({ sql: 'INSERT INTO notes (tag, body) VALUES (?, ?)', params: [`${m.indexed}-${i}`, `${m.row} number ${i}`] })));
    // Overflow pages: one value spanning many pages.
    await db.exec('INSERT INTO notes (tag, body) VALUES (?, ?)', ['big', m.big.repeat(2000)]);
    // A rolled-back transaction still writes the journal and dirty pages.
    await window.t.capture(
      db.transaction(async (tx) => {
        await tx.exec('INSERT INTO notes (tag, body) VALUES (?, ?)', ['rb', m.rolledBack.repeat(500)]);
        await tx.exec('UPDATE notes SET body = body || ? WHERE id <= 100', [m.rolledBack]);
        throw new Error('roll back');
      }),
    );
    // A sort larger than the cache, with temp files forced to "disk" (the VFS keeps them in memory, encrypted).
    await db.exec('PRAGMA temp_store = FILE');
    await db.exec('PRAGMA cache_size = -256');
    await db.exec('CREATE TABLE sortme (k TEXT)');
    await db.batch(
      Array.from({ length: 20 }, (_, j) => ({
        sql: `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 500) INSERT INTO sortme SELECT ? || hex(randomblob(40)) || i FROM c`,
        params: [`${m.sorted}${j}`],
      })),
    );
    const sorted = await db.query('SELECT k FROM sortme ORDER BY k DESC LIMIT 3');
    await db.exec('CREATE INDEX sortme_k ON sortme (k)');
    const n = await db.get<{ n: number }>('SELECT count(*) AS n FROM notes');
    const rb = await db.get<{ n: number }>("SELECT count(*) AS n FROM notes WHERE tag = 'rb'");
    return { notes: n!.n, rolledBack: rb!.n, sorted: sorted.length };
  }, markers);
  expect(counts).toEqual({ notes: 201, rolledBack: 0, sorted: 3 });

  // While open (journal mid-life) is covered by the crash tests; here, the files as left at rest.
  await page.evaluate(() => window.t.dbs.a!.close());
  const files = await page.evaluate(() => window.t.list());
  log(`stored files: ${JSON.stringify(files)}`);
  expect(files.map((f) => f.name)).toContain('secrets');
  expect(files.find((f) => f.name === 'secrets')!.size).toBeGreaterThan(400_000);
  expect(await page.evaluate((m) => window.t.scan(Object.values(m)), markers)).toEqual([]);
  // Control: the scan does find plaintext when there is some.
  await page.evaluate((m) => window.t.writeRaw('control', `xx${m.row}`), markers);
  expect(await page.evaluate((m) => window.t.scan(Object.values(m)), markers)).toEqual([{ file: 'control', needle: markers.row, at: 2 }]);
  await page.evaluate(() => window.t.remove('control'));

  // The same check on the profile directory itself, where the browser keeps OPFS on disk.
  await p.context.close();
  const needles = [...Object.values(markers), 'SQLite format 3'].map((s) => Buffer.from(s));
  let scanned = 0;
  let bytes = 0;
  let opfsBytes = 0;
  const hits: string[] = [];
  for await (const file of walk(p.dir)) {
    const data = await readFile(file);
    scanned++;
    bytes += data.length;
    const inOpfs = OPFS_ON_DISK[engine].test(file);
    if (inOpfs) opfsBytes = Math.max(opfsBytes, data.length);
    for (const [i, needle] of needles.entries()) {
      // The browser's own SQLite databases (History, Cookies, places...) legitimately start with the magic.
      if (i === needles.length - 1 && !inOpfs) continue;
      if (data.includes(needle)) hits.push(`${file}: ${needle.toString()}`);
    }
  }
  log(`scanned ${scanned} profile files, ${bytes} bytes; largest OPFS file ${opfsBytes} bytes`);
  // Proves the scan saw the database where the browser keeps OPFS.
  expect(opfsBytes).toBeGreaterThan(400_000);
  expect(hits).toEqual([]);
});
