/**
 * `databaseExists(name)`: the public way for an app to choose between "create a password" and
 * "unlock" — no password, no worker. True for a created database (open in this tab's worker,
 * in another tab's, or closed); false for a missing name, directory, or a zero-length leftover.
 * With `storage`, it looks where `openDatabase` with that option would: a database in the
 * IndexedDB fallback exists for `auto` and `indexeddb`, not for `opfs` — and looking never
 * creates an IndexedDB database or an OPFS directory.
 */
import { FAST_KDF, expect, test } from './fixtures.ts';
import type { Page } from '@playwright/test';
import type {} from '../test-app/main.ts';

const OPTIONS = { name: 'shop', password: 'exists?', kdf: FAST_KDF };

test('databaseExists: false before creation, true while open and after close, per name and directory', async ({ session }) => {
  const tabs = await session();
  const page = await tabs.page('tab');
  const exists = (name: string, directory?: string) => page.evaluate(([n, d]) => window.t.databaseExists(n, d === undefined ? {} : { directory: d }), [name, directory] as const);

  expect(await exists('shop')).toBe(false);
  expect(await page.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true });
  // The worker holds the file (a sync access handle): the main thread cannot read it, yet it exists.
  expect(await exists('shop')).toBe(true);
  const other = await tabs.page('other tab');
  expect(await other.evaluate(() => window.t.databaseExists('shop'))).toBe(true);
  expect(await exists('shop-2')).toBe(false);
  expect(await exists('shop', 'elsewhere')).toBe(false);
  await page.evaluate(() => window.t.dbs.a!.close());
  expect(await exists('shop')).toBe(true);
});

test('databaseExists: a zero-length leftover reads as absent; bad names are INVALID_ARGUMENT', async ({ session }) => {
  const page = await (await session()).page('tab');
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

type Storage = 'auto' | 'opfs' | 'indexeddb';
const STORAGES: Storage[] = ['auto', 'opfs', 'indexeddb'];

const existsIn = (page: Page, name: string, storage: Storage, directory = 'cipherlite') =>
  page.evaluate(([n, s, d]) => window.t.databaseExists(n, { storage: s, directory: d }), [name, storage, directory] as const);

/** What the origin holds: IndexedDB database names and OPFS root entries (creation side effects). */
const originContents = (page: Page) =>
  page.evaluate(async () => {
    const idb = (await indexedDB.databases()).map((d) => d.name).sort();
    const opfs: string[] = [];
    for await (const key of (await navigator.storage.getDirectory()).keys()) opfs.push(key);
    return { idb, opfs: opfs.sort() };
  });

test('databaseExists: an IndexedDB database exists for auto and indexeddb, not for opfs', async ({ session }) => {
  const page = await (await session()).page('tab');
  expect(await page.evaluate((o) => window.t.open('a', o), { ...OPTIONS, storage: 'indexeddb' as const })).toMatchObject({ ok: true, value: { storageBackend: 'indexeddb' } });
  expect(await existsIn(page, 'shop', 'auto')).toBe(true);
  expect(await existsIn(page, 'shop', 'indexeddb')).toBe(true);
  expect(await existsIn(page, 'shop', 'opfs')).toBe(false);
  expect(await existsIn(page, 'shop', 'indexeddb', 'elsewhere')).toBe(false);
  expect(await existsIn(page, 'shop-2', 'auto')).toBe(false);
  await page.evaluate(() => window.t.dbs.a!.close());
  expect(await existsIn(page, 'shop', 'auto')).toBe(true);
  expect(await existsIn(page, 'shop', 'indexeddb')).toBe(true);
  // An OPFS database is not in IndexedDB.
  expect(await page.evaluate((o) => window.t.open('b', o), { ...OPTIONS, name: 'opfs-shop', storage: 'opfs' as const })).toMatchObject({ ok: true });
  expect(await existsIn(page, 'opfs-shop', 'indexeddb')).toBe(false);
  expect(await existsIn(page, 'opfs-shop', 'auto')).toBe(true);
  // A zero-length file record is an interrupted create, as in OPFS.
  const leftover = await page.evaluate(async () => {
    const idb = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('cipherlite:cipherlite');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
    });
    const tx = idb.transaction('files', 'readwrite');
    tx.objectStore('files').put({ size: 0 }, 'interrupted');
    await new Promise((resolve) => (tx.oncomplete = resolve));
    idb.close();
    return window.t.databaseExists('interrupted', { storage: 'indexeddb' });
  });
  expect(leftover).toBe(false);
});

test('databaseExists: a missing database is false in every mode and creates nothing', async ({ session }) => {
  const page = await (await session()).page('tab');
  const before = await originContents(page);
  expect(before.idb).toEqual([]);
  for (const storage of STORAGES) {
    expect(await existsIn(page, 'nothing', storage)).toBe(false);
    expect(await existsIn(page, 'nothing', storage, 'nowhere/deep')).toBe(false);
  }
  expect(await originContents(page)).toEqual(before);
});

test('databaseExists: without indexedDB.databases() the aborted-upgrade open creates nothing and still finds a database', async ({ session }) => {
  const page = await (await session()).page('tab');
  const before = await originContents(page);
  // Hides databases() (Firefox < 126 and older engines lack it) so the open-and-abort path runs.
  const withoutList = (name: string, storage: Storage) =>
    page.evaluate(
      async ([n, s]) => {
        Object.defineProperty(indexedDB, 'databases', { value: undefined, configurable: true });
        try {
          return await window.t.databaseExists(n, { storage: s });
        } finally {
          delete (indexedDB as { databases?: unknown }).databases;
        }
      },
      [name, storage] as const,
    );
  expect(await withoutList('shop', 'indexeddb')).toBe(false);
  expect(await withoutList('shop', 'auto')).toBe(false);
  expect(await originContents(page)).toEqual(before);
  expect(await page.evaluate((o) => window.t.open('a', o), { ...OPTIONS, storage: 'indexeddb' as const })).toMatchObject({ ok: true });
  expect(await withoutList('shop', 'indexeddb')).toBe(true);
  expect(await withoutList('shop', 'auto')).toBe(true);
  expect(await withoutList('shop-2', 'indexeddb')).toBe(false);
});

test('databaseExists: an unknown storage is INVALID_ARGUMENT', async ({ session }) => {
  const page = await (await session()).page('tab');
  const r = await page.evaluate(() => window.t.capture(window.t.databaseExists('shop', { storage: 'disk' as 'opfs' })));
  expect(r).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
});
