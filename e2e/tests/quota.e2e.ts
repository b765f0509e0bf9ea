/**
 * A full disk (docs/SECURITY-TESTS.md #18, browser side): OPFS throws `QuotaExceededError` from a sync
 * access handle write; it must reach the app as QUOTA_EXCEEDED, roll the transaction back, leave
 * the database readable, and writes must work again once space is available.
 * The quota is lowered with CDP `Storage.overrideQuotaForOrigin`.
 */
import { BASE_URL, FAST_KDF, expect, log, test } from './fixtures.ts';
import type {} from '../test-app/main.ts';

test('storage quota exceeded mid-transaction → QUOTA_EXCEEDED, rolled back, readable, writable again after', async ({ profile }) => {
  const p = await profile();
  const page = await p.page('tab');
  const origin = new URL(BASE_URL).origin;
  expect(await page.evaluate((o) => window.t.open('a', o), { name: 'full', password: 'quota', kdf: FAST_KDF })).toMatchObject({ ok: true });
  await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)');
    await db.exec('INSERT INTO blobs (b) VALUES (randomblob(100000))');
  });
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  const session = await p.context.newCDPSession(page);
  await session.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 3 * 1024 * 1024 });
  log(`usage ${usage} bytes; quota set to usage + 3 MiB`);

  const r = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    let committed = 0;
    let failure: Awaited<ReturnType<typeof window.t.capture>> | null = null;
    for (let i = 0; i < 100 && !failure; i++) {
      // 1 MB per transaction: the one that does not fit must fail as a whole.
      const r = await window.t.capture(db.batch(Array.from({ length: 4 }, () => ({ sql: 'INSERT INTO blobs (b) VALUES (randomblob(250000))' }))));
      if (r.ok) committed++;
      else failure = r;
    }
    const rows = await window.t.capture(db.get<{ n: number }>('SELECT count(*) AS n FROM blobs'));
    const integrity = await window.t.capture(db.query('PRAGMA integrity_check'));
    return { committed, failure, rows, integrity };
  });
  log(`quota run: ${JSON.stringify(r)}`);
  expect(r.failure).toMatchObject({ ok: false, code: 'QUOTA_EXCEEDED' });
  expect(r.committed).toBeGreaterThan(0);
  expect(r.rows).toEqual({ ok: true, value: { n: 1 + 4 * r.committed } });
  expect(r.integrity).toEqual({ ok: true, value: [{ integrity_check: 'ok' }] });

  // Space again: the same write now succeeds.
  await session.send('Storage.overrideQuotaForOrigin', { origin });
  const after = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.batch(Array.from({ length: 4 }, () => ({ sql: 'INSERT INTO blobs (b) VALUES (randomblob(250000))' })));
    return db.get<{ n: number }>('SELECT count(*) AS n FROM blobs');
  });
  expect(after).toEqual({ n: 1 + 4 * (r.committed + 1) });
});
