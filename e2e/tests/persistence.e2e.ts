/** The database outlives the page and the browser: reload and restart, then unlock again. */
import { FAST_KDF, expect, log, test } from './fixtures.ts';
import type { Page } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const OPTIONS = { name: 'pos', password: 'correct horse battery staple', kdf: FAST_KDF };

async function openOk(page: Page, password = OPTIONS.password) {
  const outcome = await page.evaluate((o) => window.t.open('a', o), { ...OPTIONS, password });
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true });
  return outcome.value!;
}

test('create → write → reload → unlock → rows are there; and after a browser restart', async ({ profile }) => {
  const p = await profile();
  const page = await p.page('tab');
  const info = await openOk(page);
  expect(info.role).toBe('leader');
  // navigator.storage.persist() was asked; the answer (granted or not) reaches the app.
  expect(typeof info.persisted === 'boolean' || info.persisted === null).toBe(true);
  log(`persisted: ${String(info.persisted)}`);

  await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, day TEXT NOT NULL, item TEXT, total REAL)');
    await db.batch(Array.from({ length: 50 }, (_, i) => ({ sql: 'INSERT INTO orders (day, item, total) VALUES (?, ?, ?)', params: [i % 2 ? '2026-11-23' : '2026-11-22', `item-${i}`, i * 1.5] })));
  });
  const before = await page.evaluate(() => window.t.dbs.a!.query('SELECT count(*) AS n, sum(total) AS s FROM orders'));
  expect(before).toEqual([{ n: 50, s: 1837.5 }]);

  await page.reload();
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  await openOk(page);
  const today = await page.evaluate(() => window.t.dbs.a!.query('SELECT item FROM orders WHERE day = ? ORDER BY id', ['2026-11-23']));
  expect(today).toHaveLength(25);
  expect(today[0]).toEqual({ item: 'item-1' });

  await page.evaluate(() => window.t.dbs.a!.exec("INSERT INTO orders (day, item, total) VALUES ('2026-11-24', 'after-reload', 1)"));
  await p.restart();
  const again = await p.page('tab-after-restart');
  await openOk(again);
  const after = await again.evaluate(() => window.t.dbs.a!.query('SELECT count(*) AS n, max(item) AS last FROM orders'));
  expect(after).toEqual([{ n: 51, last: 'item-9' }]);
  expect(await again.evaluate(() => window.t.dbs.a!.get("SELECT item FROM orders WHERE day = '2026-11-24'"))).toEqual({ item: 'after-reload' });
  const integrity = await again.evaluate(() => window.t.dbs.a!.query('PRAGMA integrity_check'));
  expect(integrity).toEqual([{ integrity_check: 'ok' }]);
});
