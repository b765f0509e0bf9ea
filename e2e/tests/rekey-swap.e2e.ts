/**
 * Rekey's swap on the browser backends, in Chromium and Firefox: where the storage renames (OPFS
 * through `FileSystemFileHandle.move()`, IndexedDB by re-keying its records in the commit's one
 * transaction) the new file takes the old one's place without a copy — no `hash` phase, and the
 * `swap` phase goes from 0 to the file's size in one step with nothing between — and a worker
 * terminated just before, at or just after the swap leaves a database that the same password opens, holding
 * either the old version (its recovery key slot still there) or the new one, with exact rows and
 * no leftover `~new` or marker.
 */
import { FAST_KDF, expect, log, test } from './fixtures.ts';
import type { Page } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const PASSWORD = 'swap pw';
const BACKENDS = ['opfs', 'indexeddb'] as const;
type Backend = (typeof BACKENDS)[number];

const optionsFor = (backend: Backend) => ({ name: 'swap', password: PASSWORD, kdf: FAST_KDF, storage: backend });

async function openOk(page: Page, id: string, backend: Backend): Promise<void> {
  const r = await page.evaluate(([i, o]) => window.t.open(i, o, true), [id, optionsFor(backend)] as const);
  expect(r, JSON.stringify(r)).toMatchObject({ ok: true, value: { role: 'leader', storageBackend: backend } });
}

/** A digest of every row, to compare versions. */
function digest(page: Page, id: string) {
  return page.evaluate((i) => window.t.dbs[i]!.get('SELECT count(*) AS n, sum(length(v)) AS bytes, min(v) AS lo, max(v) AS hi FROM t'), id);
}

/** Stored names with bytes in them (OPFS keeps a deleted file it held as an empty file, which reads as absent). */
async function storedNames(page: Page, backend: Backend): Promise<string[]> {
  const files = await page.evaluate((b) => (b === 'opfs' ? window.t.list() : window.t.idbFiles()), backend);
  return files.filter((f) => f.size > 0).map((f) => f.name);
}

for (const backend of BACKENDS) {
  test(`${backend}: rekey swaps by rename (nothing copied); a worker terminated around the swap leaves the old or the new version, rows exact`, async ({ session, engine }) => {
    test.slow();
    const page = await (await session()).page('tab');
    await openOk(page, 'a', backend);
    await page.evaluate(async () => {
      const db = window.t.dbs.a!;
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
      // ~4 MB: enough pages that a copy would report progress between 0 and the end.
      await db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 4000) INSERT INTO t (v) SELECT 'row ' || i || hex(randomblob(500)) FROM c`);
    });
    const rows = await digest(page, 'a');

    const r = await page.evaluate((pw) => window.t.withProgress('a', 'rekey', pw), PASSWORD);
    expect(r.outcome).toMatchObject({ ok: true });
    const phases = [...new Set(r.events.map((e) => e.phase))];
    const swap = r.events.filter((e) => e.phase === 'swap');
    log(`${backend} in ${engine}: phases ${phases.join(',')}; swap events ${JSON.stringify(swap.map((e) => [e.done, e.total]))}`);
    expect(phases).not.toContain('hash');
    expect(swap.length).toBeGreaterThan(0);
    const size = swap[0]!.total;
    expect(size).toBeGreaterThan(4_000_000);
    expect(swap.map((e) => e.done)).toEqual([0, size]);
    expect(await digest(page, 'a')).toEqual(rows);
    expect(await storedNames(page, backend)).toEqual(['swap']);

    // Crash at the swap: before it (the check ended), as it starts, and as it ends (the rename done).
    for (const [phase, atEnd] of [
      ['check', true],
      ['swap', false],
      ['swap', true],
    ] as const) {
      const id = `${phase}-${atEnd ? 'end' : 'start'}`;
      // A recovery key tells the versions apart: rekey drops it, so the new version has one slot.
      if ((await page.evaluate(() => window.t.dbs.a!.listKeyslots())).length === 1) await page.evaluate(() => window.t.dbs.a!.addRecoveryKey('swap pw'));
      expect(await page.evaluate(() => window.t.dbs.a!.listKeyslots())).toHaveLength(2);
      const killedAt = await page.evaluate(([pw, p, end]) => window.t.rekeyKilledAt('a', pw, p, end), [PASSWORD, phase, atEnd] as const);
      expect(killedAt, `${id}: the worker was terminated during the rekey`).not.toBeNull();
      await openOk(page, id, backend);
      const slots = (await page.evaluate((i) => window.t.dbs[i]!.listKeyslots(), id)).length;
      log(`${backend} in ${engine}: terminated at ${JSON.stringify(killedAt)} → the ${slots === 2 ? 'old' : 'new'} version opens`);
      expect([1, 2]).toContain(slots);
      expect(await digest(page, id)).toEqual(rows);
      expect(await page.evaluate((i) => window.t.dbs[i]!.verify(), id)).toMatchObject({ ok: true, failures: [] });
      expect(await storedNames(page, backend)).toEqual(['swap']);
      // The next round runs on the reopened database.
      await page.evaluate((i) => {
        window.t.dbs.a = window.t.dbs[i]!;
        window.t.workers.a = window.t.workers[i]!;
      }, id);
    }
  });
}
