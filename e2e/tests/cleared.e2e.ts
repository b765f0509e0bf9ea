/**
 * "Clear site data" while the database is open (docs/SECURITY-TESTS.md #28): every call afterwards either
 * works or fails with a typed CipherliteError — no crash, no hang; within a few seconds the leader
 * notices the files are gone and refuses further calls with IO (writes into the orphaned files
 * would be lost at close); the app can close and start over.
 */
import { BASE_URL, FAST_KDF, expect, log, test } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const OPTIONS = { name: 'wiped', password: 'clear me', kdf: FAST_KDF };

test('site data cleared while open → typed errors or success, no crash; reopening starts a new database', async ({ profile, engine }) => {
  test.skip(engine === 'firefox', 'clearing site data of an origin needs CDP Storage.clearDataForOrigin; WebDriver BiDi (Firefox) has no equivalent command');
  const p = await profile();
  const page = await p.page('tab');
  expect(await page.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true });
  await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await db.batch(Array.from({ length: 200 }, (_, i) => ({ sql: 'INSERT INTO t (v) VALUES (?)', params: [`row ${i} ${'x'.repeat(200)}`] })));
  });
  const session = await p.context.newCDPSession(page);
  await session.send('Storage.clearDataForOrigin', { origin: new URL(BASE_URL).origin, storageTypes: 'all' });

  const after = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    const out = [];
    out.push(await window.t.capture(db.get('SELECT count(*) AS n FROM t')));
    out.push(await window.t.capture(db.exec("INSERT INTO t (v) VALUES ('after clear')")));
    out.push(await window.t.capture(db.batch(Array.from({ length: 50 }, () => ({ sql: 'INSERT INTO t (v) VALUES (hex(randomblob(3000)))' })))));
    out.push(await window.t.capture(db.query('PRAGMA integrity_check')));
    // Within a few seconds the loss is noticed and surfaced.
    let noticed = null;
    for (let i = 0; i < 80 && !noticed; i++) {
      const r = await window.t.capture(db.exec("INSERT INTO t (v) VALUES ('probe')"));
      if (!r.ok) noticed = r;
      else await new Promise((res) => setTimeout(res, 100));
    }
    out.push(await window.t.capture(db.close()));
    return { out, noticed };
  });
  log(`after clearing: ${JSON.stringify(after)}`);
  expect(after.noticed).toMatchObject({ ok: false, code: 'IO' });
  expect(after.noticed!.message).toMatch(/removed while open/);
  for (const o of after.out) {
    if (!o.ok) expect(o.code, JSON.stringify(o)).not.toMatch(/^not-a-CipherliteError/);
  }
  expect(await page.evaluate(() => document.getElementById('status')!.textContent)).toBe('ready');
  // Starting over works: the files are gone, so this creates a fresh database (or finds the old one intact).
  const reopened = await page.evaluate((o) => window.t.open('b', o), OPTIONS);
  log(`reopen: ${JSON.stringify(reopened)}`);
  expect(reopened).toMatchObject({ ok: true });
  const rows = await page.evaluate(() => window.t.capture(window.t.dbs.b!.query("SELECT name FROM sqlite_schema WHERE name = 't'")));
  log(`after reopen, table t: ${JSON.stringify(rows)}`);
  expect(rows.ok).toBe(true);
});
