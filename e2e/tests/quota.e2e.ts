/**
 * A full disk (docs/SECURITY-TESTS.md #18, browser side): OPFS throws `QuotaExceededError` from a sync
 * access handle write; it must reach the app as QUOTA_EXCEEDED, roll the transaction back, leave
 * the database readable, and writes must work again once space is available.
 * The quota is lowered with CDP `Storage.overrideQuotaForOrigin`.
 */
import { FAST_KDF, expect, test } from './fixtures.ts';
import { lowerQuota, writeUntilFull } from './quota-helpers.ts';
import type {} from '../test-app/main.ts';

test('storage quota exceeded mid-transaction → QUOTA_EXCEEDED, rolled back, readable, writable again after', async ({ profile, engine }) => {
  test.skip(engine === 'firefox', "lowering one origin's quota at run time needs CDP Storage.overrideQuotaForOrigin; Firefox has only a profile-wide limit set before start");
  const p = await profile();
  const page = await p.page('tab');
  expect(await page.evaluate((o) => window.t.open('a', o), { name: 'full', password: 'quota', kdf: FAST_KDF })).toMatchObject({ ok: true });
  await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)');
    await db.exec('INSERT INTO blobs (b) VALUES (randomblob(100000))');
  });
  const quota = await lowerQuota(p, page);
  const full = await writeUntilFull(page);
  const r = { ...full, integrity: await page.evaluate(() => window.t.capture(window.t.dbs.a!.query('PRAGMA integrity_check'))) };
  expect(r.failure).toMatchObject({ ok: false, code: 'QUOTA_EXCEEDED' });
  expect(r.committed).toBeGreaterThan(0);
  expect(r.rows).toEqual({ ok: true, value: { n: 1 + 4 * r.committed } });
  expect(r.integrity).toEqual({ ok: true, value: [{ integrity_check: 'ok' }] });

  // Space again: the same write now succeeds.
  await quota.restore();
  const after = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.batch(Array.from({ length: 4 }, () => ({ sql: 'INSERT INTO blobs (b) VALUES (randomblob(250000))' })));
    return db.get<{ n: number }>('SELECT count(*) AS n FROM blobs');
  });
  expect(after).toEqual({ n: 1 + 4 * (r.committed + 1) });
});
