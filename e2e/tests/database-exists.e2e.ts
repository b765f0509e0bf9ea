/**
 * `databaseExists(name)`: the public way for an app to choose between "create a password" and
 * "unlock" — no password, no worker. True for a created database (open in this tab's worker,
 * in another tab's, or closed); false for a missing name, directory, or a zero-length leftover.
 */
import { FAST_KDF, expect, test } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const OPTIONS = { name: 'shop', password: 'exists?', kdf: FAST_KDF };

test('databaseExists: false before creation, true while open and after close, per name and directory', async ({ profile }) => {
  const browser = await profile();
  const page = await browser.page('tab');
  const exists = (name: string, directory?: string) =>
    page.evaluate(([n, d]) => window.t.databaseExists(n, d === undefined ? {} : { directory: d }), [name, directory] as const);

  expect(await exists('shop')).toBe(false);
  expect(await page.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true });
  // The worker holds the file (a sync access handle): the main thread cannot read it, yet it exists.
  expect(await exists('shop')).toBe(true);
  const other = await browser.page('other tab');
  expect(await other.evaluate(() => window.t.databaseExists('shop'))).toBe(true);
  expect(await exists('shop-2')).toBe(false);
  expect(await exists('shop', 'elsewhere')).toBe(false);
  await page.evaluate(() => window.t.dbs.a!.close());
  expect(await exists('shop')).toBe(true);
});

test('databaseExists: a zero-length leftover reads as absent; bad names are INVALID_ARGUMENT', async ({ profile }) => {
  const page = await (await profile()).page('tab');
  const leftover = await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('cipherlite', { create: true });
    await dir.getFileHandle('interrupted', { create: true });
    return window.t.databaseExists('interrupted');
  });
  expect(leftover).toBe(false);
  for (const bad of ['a/b', '', 'x'.repeat(201)]) {
    const r = await page.evaluate((n) => window.t.capture(window.t.databaseExists(n)), bad);
    expect(r).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
  }
});
