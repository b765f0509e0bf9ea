/**
 * Shared steps of the quota tests (OPFS and IndexedDB): a lowered quota for the test origin
 * (CDP `Storage.overrideQuotaForOrigin`, Chromium only) and a write loop that runs into it.
 */
import { BASE_URL, log } from './fixtures.ts';
import type { Page, Profile } from './fixtures.ts';
import type { Outcome } from '../test-app/main.ts';

/** Sets the origin's quota to its current usage + 3 MiB; `restore()` lifts the override. */
export async function lowerQuota(p: Profile, page: Page): Promise<{ restore: () => Promise<void> }> {
  const origin = new URL(BASE_URL).origin;
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  const session = await p.context.newCDPSession(page);
  await session.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 3 * 1024 * 1024 });
  log(`usage ${usage} bytes; quota set to usage + 3 MiB`);
  return { restore: async () => void (await session.send('Storage.overrideQuotaForOrigin', { origin })) };
}

/** 1 MB transactions into `blobs` until one fails (at most 100); the one that does not fit must fail as a whole. */
export async function writeUntilFull(page: Page): Promise<{ committed: number; failure: Outcome | null; rows: Outcome<{ n: number } | undefined> }> {
  const r = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    let committed = 0;
    let failure: Awaited<ReturnType<typeof window.t.capture>> | null = null;
    for (let i = 0; i < 100 && !failure; i++) {
      const r = await window.t.capture(db.batch(Array.from({ length: 4 }, () => ({ sql: 'INSERT INTO blobs (b) VALUES (randomblob(250000))' }))));
      if (r.ok) committed++;
      else failure = r;
    }
    return { committed, failure, rows: await window.t.capture(db.get<{ n: number }>('SELECT count(*) AS n FROM blobs')) };
  });
  log(`quota run: ${JSON.stringify(r)}`);
  return r;
}
