/**
 * WebKit smoke suite: the built test app in WebKitGTK's MiniBrowser, driven by WebKitWebDriver
 * (W3C WebDriver) under Xvfb — see scripts/e2e-webkit.sh. WebKitGTK has no OPFS sync access
 * handles and WebDriver sessions are private, so cipherlite must pick the IndexedDB fallback on
 * its own (`storage: 'auto'`). Create, write, read, reload, lock/unlock, wrong password, only
 * ciphertext stored, a flipped stored bit → CORRUPT, two tabs, and passkeys after the ceremony
 * (WebKitGTK has no WebAuthn: a stand-in `navigator.credentials` gives the PRF output).
 *
 * Env: WEBDRIVER_URL (the driver), APP_URL (the served test app), REPORT (JSON report path, in
 * the shape scripts/summarize-tests.mjs reads: `stats.expected/unexpected/skipped`).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fixedPrfAuthenticator } from '../tests/webauthn.ts';
import { WebDriverSession } from './webdriver.ts';

const WEBDRIVER_URL = process.env.WEBDRIVER_URL ?? 'http://127.0.0.1:4444';
const APP_URL = process.env.APP_URL ?? 'http://127.0.0.1:4391/';
const REPORT = process.env.REPORT ?? 'test-results/webkit-results.json';
const MINIBROWSER = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
/** Web platform features MiniBrowser leaves off by default that the worker uses or probes. */
const FEATURES = '+StorageAPI,+StorageAPIEstimate,+FileSystem,+AccessHandle';

const KDF = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 };
const PASSWORD = 'webkit smoke pw';
const MARKER = 'WEBKIT-PLAINTEXT-MARKER-93c2';

type Outcome = { ok: boolean; value?: unknown; code?: string; message?: string };

let session: WebDriverSession;

async function loadApp(): Promise<void> {
  await session.navigate(APP_URL);
  await session.run(`for (let i = 0; i < 200; i++) {
      if (document.getElementById('status')?.textContent === 'ready') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the test app did not become ready');`);
}

const open = (id: string, password = PASSWORD, name = 'smoke') => session.run<Outcome>('const [id, o] = args; return window.t.open(id, o);', id, { name, password, kdf: KDF });
const t = <T>(expr: string, ...args: unknown[]) => session.run<T>(`return (${expr});`, ...args);

const tests: [string, () => Promise<void>][] = [
  [
    'auto picks IndexedDB; create, write, read; rows survive a reload',
    async () => {
      await loadApp();
      const r = await open('a');
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.deepEqual(r.value, { role: 'leader', persisted: (r.value as { persisted: unknown }).persisted, storageBackend: 'indexeddb' });
      await t(
        `(async () => {
      const db = window.t.dbs.a;
      await db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
      await db.batch(Array.from({ length: 100 }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', params: [args[0] + ' ' + i] })));
    })()`,
        MARKER,
      );
      assert.deepEqual(await t("window.t.dbs.a.get('SELECT count(*) AS n FROM notes')"), { n: 100 });
      await loadApp();
      // After the reload, before any worker: auto finds the database WebKit stored in IndexedDB.
      assert.deepEqual(await t("window.t.capture(window.t.databaseExists('smoke'))"), { ok: true, value: true });
      assert.equal((await open('a')).ok, true);
      assert.deepEqual(await t("window.t.dbs.a.get('SELECT count(*) AS n, max(id) AS last FROM notes')"), { n: 100, last: 100 });
    },
  ],
  [
    'only ciphertext in IndexedDB (marker scan, with a control)',
    async () => {
      const hits = await t<{ file: string; needle: string; at: number }[]>('window.t.idbScan([args[0], "cipherlt"])', MARKER);
      assert.deepEqual(
        hits.filter((h) => h.needle !== 'cipherlt'),
        [],
      );
      assert.ok(
        hits.some((h) => h.file === 'smoke' && h.needle === 'cipherlt' && h.at === 0),
        'the scan sees the stored container',
      );
    },
  ],
  [
    'lock → LOCKED, unlock; wrong password → WRONG_KEY',
    async () => {
      const r = await t<{ locked: Outcome; after: unknown; wrong: Outcome }>(
        `(async () => {
      const db = window.t.dbs.a;
      await db.lock();
      const locked = await window.t.capture(db.query('SELECT 1'));
      await db.unlock(args[0]);
      const after = await db.get('SELECT count(*) AS n FROM notes');
      const wrong = await window.t.capture(db.unlock('not the password'));
      return { locked, after, wrong };
    })()`,
        PASSWORD,
      );
      assert.equal(r.locked.code, 'LOCKED');
      assert.deepEqual(r.after, { n: 100 });
      assert.equal(r.wrong.code, 'WRONG_KEY');
    },
  ],
  [
    'two tabs: the second follows the first; writes from both reach one database',
    async () => {
      const first = await session.currentTab();
      const second = await session.newTab();
      await session.switchTo(second);
      await loadApp();
      const r = await open('a');
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal((r.value as { role: string }).role, 'follower');
      await t('window.t.dbs.a.exec("INSERT INTO notes (body) VALUES (\'from tab two\')")');
      // Which way a follower's calls take in this engine: the direct line's port where the page
      // has a working SharedWorker (spawned once the second tab is about, then the broker pairs it
      // after a few calls), else BroadcastChannels.
      const line = await t<{ sharedWorker: string; counts: { direct: number; broadcast: number } }>(`(async () => {
        const paired = async () => typeof SharedWorker !== 'function' || (await window.t.dbs.a.lineCounts()).direct > 0;
        for (let i = 0; i < 20 || (i < 500 && !(await paired())); i++) await window.t.dbs.a.get('SELECT 1 AS one');
        return { sharedWorker: typeof SharedWorker, counts: await window.t.dbs.a.lineCounts() };
      })()`);
      console.log(`WebKitGTK follower: SharedWorker is ${line.sharedWorker}; messages ${JSON.stringify(line.counts)}`);
      assert.ok(line.counts.direct + line.counts.broadcast >= 21 * 2, JSON.stringify(line));
      // WebKitGTK 2.50 has a working SharedWorker: its follower takes the port, as Chromium's and Firefox's.
      if (line.sharedWorker === 'function') assert.ok(line.counts.direct > 0, JSON.stringify(line));
      await session.switchTo(first);
      assert.deepEqual(await t("window.t.dbs.a.get('SELECT count(*) AS n FROM notes')"), { n: 101 });
      await session.switchTo(second);
      await t('window.t.dbs.a.close()');
      await session.switchTo(first);
    },
  ],
  [
    'passkeys: no WebAuthn in WebKitGTK (UNSUPPORTED); with a stand-in PRF, a passkey slot on IndexedDB unlocks and proves key operations',
    async () => {
      await t('window.t.dbs.a.close()');
      // What this WebKitGTK offers: no WebAuthn at all (README, "Passkeys per engine").
      assert.deepEqual(await t('[typeof PublicKeyCredential, typeof navigator.credentials]'), ['undefined', 'undefined']);
      assert.equal((await open('p', PASSWORD, 'passkeys')).ok, true);
      const none = await t<Outcome>("window.t.capture(window.t.dbs.p.addPasskey(args[0], { userName: 'alice' }))", PASSWORD);
      assert.equal(none.code, 'UNSUPPORTED', JSON.stringify(none));
      // The stand-in (e2e/tests/webauthn.ts), run as a script: esbuild's keepNames wraps its
      // functions in `__name`, which the page lacks.
      await session.run(`const __name = (f) => f; (${fixedPrfAuthenticator.toString()})();`);
      const r = await t<Record<string, Outcome | unknown>>(
        `(async () => {
      const db = window.t.dbs.p;
      await db.exec("CREATE TABLE sales (v); INSERT INTO sales VALUES ('sale 1')");
      const added = await window.t.capture(db.addPasskey(args[0], { userName: 'alice', label: 'Alice' }));
      const slots = await window.t.passkeySlots({ name: 'passkeys' });
      const recovery = await window.t.capture(db.addRecoveryKey({ passkey: true }));
      await db.lock();
      const unlocked = await window.t.capture(db.unlock({ passkey: true }));
      await db.close();
      const opened = await window.t.open('p', { name: 'passkeys', passkey: true });
      const rows = await window.t.dbs.p.query('SELECT v FROM sales');
      await window.t.dbs.p.close();
      return { added, slots, recovery, unlocked, opened, rows };
    })()`,
        PASSWORD,
      );
      assert.equal((r.added as Outcome).ok, true, JSON.stringify(r.added));
      assert.deepEqual(r.slots, [{ label: 'Alice' }]);
      assert.equal((r.recovery as Outcome).ok, true, JSON.stringify(r.recovery));
      assert.equal((r.unlocked as Outcome).ok, true, JSON.stringify(r.unlocked));
      assert.deepEqual(r.opened, { ok: true, value: { role: 'leader', persisted: (r.opened as { value: { persisted: unknown } }).value.persisted, storageBackend: 'indexeddb' } });
      assert.deepEqual(r.rows, [{ v: 'sale 1' }]);
      assert.equal((await open('a')).ok, true);
    },
  ],
  [
    'a flipped stored bit → CORRUPT',
    async () => {
      await t('window.t.dbs.a.close()');
      const files = await t<{ name: string; size: number }[]>('window.t.idbFiles()');
      const size = files.find((f) => f.name === 'smoke')!.size;
      await t('window.t.idbFlip("smoke", args[0])', size - 2000);
      const r = await open('b');
      assert.equal(r.ok, true, JSON.stringify(r));
      // integrity_check reads every page: the flipped block may belong to any table (the end of the
      // file holds the worker's request log once another tab has written through this leader).
      const q = await t<Outcome>("window.t.capture(window.t.dbs.b.query('PRAGMA integrity_check'))");
      assert.equal(q.code, 'CORRUPT', JSON.stringify(q));
    },
  ],
];

async function main(): Promise<void> {
  const started = Date.now();
  let expected = 0;
  let unexpected = 0;
  session = await WebDriverSession.create(WEBDRIVER_URL, {
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation', `--features=${FEATURES}`] },
  });
  try {
    for (const [name, fn] of tests) {
      const t0 = Date.now();
      try {
        await fn();
        expected++;
        console.log(`  ✓ [webkit] ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        unexpected++;
        console.log(`  ✘ [webkit] ${name} (${Date.now() - t0} ms)\n    ${String((e as Error).stack ?? e).replaceAll('\n', '\n    ')}`);
      }
    }
  } finally {
    await session.delete().catch((e: unknown) => console.log(`  (closing the session failed: ${String(e)})`));
  }
  console.log(`\n  ${expected} passed, ${unexpected} failed (WebKit smoke, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, JSON.stringify({ stats: { expected, unexpected, skipped: 0, flaky: 0, duration: Date.now() - started } }));
  process.exitCode = unexpected > 0 ? 1 : 0;
}

await main();
