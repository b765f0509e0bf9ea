/**
 * Passkeys wherever a password works: in a second tab while the first holds the database, on the
 * IndexedDB backend, and as `current` of every key operation. Chromium runs the real ceremony
 * with CDP virtual authenticators (`webauthn.ts`). Firefox has no virtual authenticator for
 * Playwright, so there a stand-in `navigator.credentials` returns a fixed 32-byte PRF output:
 * what is tested is everything after the ceremony (challenges read from the stored header, the
 * PRF output → KEK derivation in the worker, slot handling), not the browser's WebAuthn.
 */
import { FAST_KDF, expect, openPage, test } from './fixtures.ts';
import type { Page, Profile } from './fixtures.ts';
import { PORT } from './env.ts';
import type {} from '../test-app/main.ts';
import { VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM, addAuthenticator, copyCredential, credentials, fixedPrfAuthenticator } from './webauthn.ts';

const PASSWORD = 'till-7 password';
const OPTIONS = { name: 'passkeys', password: PASSWORD, kdf: FAST_KDF };
/** A WebAuthn relying-party id must be a domain: the same server, addressed as localhost. */
const LOCALHOST_URL = `http://localhost:${PORT}/`;
const tab = (p: Profile, label = 'tab') => openPage(p.context, label, LOCALHOST_URL);

/** Opens `id` with the password (and `extra` options), seeds a row, adds a passkey. */
async function seedWithPasskey(page: Page, extra: Record<string, unknown> = {}) {
  expect(await page.evaluate(([o, extra]) => window.t.open('a', { ...o, ...extra }), [OPTIONS, extra] as const)).toMatchObject({ ok: true });
  return page.evaluate(async (password) => {
    const db = window.t.dbs.a!;
    await db.exec("CREATE TABLE sales (v); INSERT INTO sales VALUES ('sale 1')");
    return window.t.capture(db.addPasskey(password, { userName: 'alice', label: 'Alice (till 7)' }));
  }, PASSWORD);
}

test('a second tab unlocks with the passkey while the first holds the database (challenges from the leader)', async ({ profile, engine }) => {
  test.skip(engine === 'firefox', VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM);
  const first = await tab(await profile(), 'first');
  await addAuthenticator(first);
  expect(await seedWithPasskey(first)).toMatchObject({ ok: true });
  // The second tab is a same-origin frame of the first: its own document, client and worker (so
  // another tab to the database), under the same page's virtual authenticator. A credential
  // copied to another page's authenticator loses its PRF secret (CDP exports no hmac-secret key).
  await first.evaluate((url) => {
    const frame = document.createElement('iframe');
    frame.name = 'second';
    frame.src = url;
    document.body.append(frame);
  }, LOCALHOST_URL);
  await expect.poll(() => first.frame({ name: 'second' })?.evaluate(() => document.getElementById('status')?.textContent)).toBe('ready');
  const second = first.frame({ name: 'second' })!;

  const r = await second.evaluate(async () => {
    const opened = await window.t.open('b', { name: 'passkeys', passkey: true });
    const db = window.t.dbs.b;
    if (!db) return { opened };
    await db.exec("INSERT INTO sales VALUES ('sale 2')");
    await db.lock();
    const again = await window.t.capture(db.unlock({ passkey: true }));
    return { opened, again, rows: await db.query('SELECT v FROM sales ORDER BY v') };
  });
  expect(r.opened).toMatchObject({ ok: true, value: { role: 'follower' } });
  expect(r.again).toMatchObject({ ok: true });
  expect(r.rows).toEqual([{ v: 'sale 1' }, { v: 'sale 2' }]);
  expect(await first.evaluate(() => window.t.dbs.a!.query('SELECT count(*) AS n FROM sales'))).toEqual([{ n: 2 }]);
});

/**
 * In the frame named `frameName` — its page and every worker it starts — OPFS `getFile()` rejects
 * with the DOMException older Chromium threw for a file another worker holds a sync access handle
 * on (this Chromium reads such a file, so without this the test would pass without the bus path).
 * The worker asks the leader after any failed read, so it is that refusal, not its exact name,
 * that stands in for the engine. Workers are wrapped in a module that imports the real worker
 * script and then patches its `getFile` (static import: the patch lands before any message).
 */
function unreadableOpfsIn(frameName: string): void {
  if (window.name !== frameName) return;
  const refuse = () => {
    FileSystemFileHandle.prototype.getFile = () => Promise.reject(new DOMException('The requested file could not be read (held by another worker)', 'NotReadableError'));
  };
  refuse();
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      const source = `import ${JSON.stringify(new URL(url, location.href).href)};\n(${refuse.toString()})();`;
      super(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { ...options, type: 'module' });
    }
  };
}

test('a tab that cannot read the held file unlocks with the passkey through the leader (bus path)', async ({ profile, engine }) => {
  const p = await profile();
  // Chromium: the real ceremony (the frame shares the page's virtual authenticator). Firefox: the
  // stand-in `navigator.credentials` (see below): the bus path under test is the same.
  if (engine === 'firefox') await p.context.addInitScript(fixedPrfAuthenticator);
  await p.context.addInitScript(unreadableOpfsIn, 'second');
  const first = await tab(p, 'first');
  if (engine === 'chromium') await addAuthenticator(first);
  expect(await seedWithPasskey(first)).toMatchObject({ ok: true });
  await first.evaluate((url) => {
    const frame = document.createElement('iframe');
    frame.name = 'second';
    frame.src = url;
    document.body.append(frame);
  }, LOCALHOST_URL);
  // Waits for the frame's app as `openPage` waits for a page's.
  const second = (await (await first.waitForSelector('iframe[name=second]')).contentFrame())!;
  await second.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');

  const r = await second.evaluate(async () => {
    // The stand-in is in force here: the page cannot read the database's header itself.
    const read = await window.t.passkeySlots({ name: 'passkeys', storage: 'opfs' }).then(
      () => 'read',
      (e: unknown) => (e as Error).name,
    );
    const opened = await window.t.open('b', { name: 'passkeys', passkey: true });
    const db = window.t.dbs.b;
    if (!db) return { read, opened };
    await db.exec("INSERT INTO sales VALUES ('sale 2')");
    await db.lock();
    const again = await window.t.capture(db.unlock({ passkey: true }));
    return { read, opened, again, rows: await db.query('SELECT v FROM sales ORDER BY v') };
  });
  expect(r.read).toBe('NotReadableError');
  expect(r.opened).toMatchObject({ ok: true, value: { role: 'follower' } });
  expect(r.again).toMatchObject({ ok: true });
  expect(r.rows).toEqual([{ v: 'sale 1' }, { v: 'sale 2' }]);
});

test('IndexedDB backend: passkeySlots and the unlock read the stored header like OPFS', async ({ profile, engine }) => {
  test.skip(engine === 'firefox', VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM);
  const page = await tab(await profile());
  await addAuthenticator(page);
  expect(await seedWithPasskey(page, { storage: 'indexeddb' })).toMatchObject({ ok: true });
  const r = await page.evaluate(async () => {
    const held = await window.t.passkeySlots({ name: 'passkeys', storage: 'indexeddb' });
    await window.t.dbs.a!.close();
    const unheld = await window.t.passkeySlots({ name: 'passkeys' });
    const opened = await window.t.open('a', { name: 'passkeys', passkey: true, storage: 'indexeddb' });
    return { held, unheld, opened, rows: await window.t.dbs.a!.query('SELECT v FROM sales') };
  });
  expect(r.held).toEqual([{ label: 'Alice (till 7)' }]);
  expect(r.unheld).toEqual([{ label: 'Alice (till 7)' }]);
  expect(r.opened).toMatchObject({ ok: true, value: { storageBackend: 'indexeddb' } });
  expect(r.rows).toEqual([{ v: 'sale 1' }]);
});

test('{ passkey: true } proves `current` for every key operation; NO_PASSKEY, CANCELLED and UNSUPPORTED, never INVALID_ARGUMENT', async ({ profile, engine }) => {
  test.skip(engine === 'firefox', VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM);
  const page = await tab(await profile());
  const auth = await addAuthenticator(page);
  expect(await page.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true });
  const none = await page.evaluate(async () => window.t.capture(window.t.dbs.a!.addRecoveryKey({ passkey: true })));
  expect(none).toMatchObject({ ok: false, code: 'NO_PASSKEY' });
  expect(await page.evaluate(() => window.t.dbs.a!.close())).toBeUndefined();
  expect(await seedWithPasskey(page)).toMatchObject({ ok: true });

  const r = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    const pk = { passkey: true } as const;
    const recovery = await window.t.capture(db.addRecoveryKey(pk));
    const second = await window.t.capture(db.addPasskey(pk, { userName: 'bob', label: 'Bob' }));
    const removed = await window.t.capture(db.removeKeyslot(pk, 2));
    // A passkey's removal is proved by another one (the prompt leaves it out), never by itself.
    const removedBob = await window.t.capture(db.removeKeyslot(pk, 2));
    const lastPasskey = await window.t.capture(db.removeKeyslot(pk, 1));
    const backup = await db.backup(pk, { secret: { password: 'till-7 password' } });
    // A backup made under the passkey carries its slot: inspectBackup takes the passkey too.
    const own = await db.backup(pk);
    const inspected = await window.t.capture(db.inspectBackup(own.bytes, pk));
    if (inspected.value) await db.cancelRestore(inspected.value.id);
    const noSlot = await window.t.capture(db.inspectBackup(backup.bytes, pk));
    await db.exec("INSERT INTO sales VALUES ('sale 2')");
    const pending = await db.inspectBackup(backup.bytes, 'till-7 password');
    const restored = await window.t.capture(db.confirmRestore(pending.id, pk));
    // The passkey proves it and stays: the password slot (0) is the one replaced.
    const changed = await window.t.capture(db.changePassword(pk, 'new password', { slot: 0 }));
    const rekeyed = await window.t.capture(db.rekey(pk));
    const slots = (await db.listKeyslots()).map((s) => [s.kind, s.label ?? null]);
    return { recovery, second, removed, removedBob, lastPasskey, inspected, noSlot, restored, changed, rekeyed, slots, rows: await db.query('SELECT v FROM sales') };
  });
  expect(r.recovery).toMatchObject({ ok: true });
  expect(r.inspected).toMatchObject({ ok: true, value: { comparison: { backup: { tables: [{ name: 'sales', rows: 1 }] } } } });
  expect(r.noSlot).toMatchObject({ ok: false, code: 'NO_PASSKEY' });
  expect(r.second).toMatchObject({ ok: true, value: { kind: 'passkey', label: 'Bob' } });
  expect(r.removed).toMatchObject({ ok: true });
  expect(r.removedBob).toMatchObject({ ok: true, value: [{ kind: 'password' }, { kind: 'passkey', label: 'Alice (till 7)' }] });
  expect(r.lastPasskey).toMatchObject({ ok: false, code: 'NO_PASSKEY' });
  expect(r.restored).toMatchObject({ ok: true });
  expect(r.changed).toMatchObject({ ok: true, value: { index: 0, kind: 'password' } });
  expect(r.rekeyed).toMatchObject({ ok: true });
  expect(r.rows).toEqual([{ v: 'sale 1' }]);
  expect(r.slots.map((s) => s[0])).toEqual(['passkey']);

  // The authenticator gone: CANCELLED. One without PRF holding the credentials: UNSUPPORTED.
  const held = await credentials(auth);
  await auth.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: auth.id });
  const cancelled = await page.evaluate(() => window.t.capture(window.t.dbs.a!.backup({ passkey: { timeoutMs: 3000 } })));
  expect(cancelled).toMatchObject({ ok: false, code: 'CANCELLED' });
  const noPrf = await addAuthenticator(page, false, auth.cdp);
  for (const credential of held) await copyCredential(noPrf, credential);
  const unsupported = await page.evaluate(() => window.t.capture(window.t.dbs.a!.backup({ passkey: true })));
  expect(unsupported).toMatchObject({ ok: false, code: 'UNSUPPORTED' });
});

test('Firefox and Chromium without a ceremony: IndexedDB challenges, PRF → KEK in the worker, passkey slots as `current`', async ({ profile }) => {
  const p = await profile();
  await p.context.addInitScript(fixedPrfAuthenticator);
  const page = await tab(p);
  expect(await seedWithPasskey(page, { storage: 'indexeddb' })).toMatchObject({ ok: true, value: { kind: 'passkey' } });
  const r = await page.evaluate(async () => {
    const slots = await window.t.passkeySlots({ name: 'passkeys', storage: 'indexeddb' });
    const db = window.t.dbs.a!;
    const recovery = await window.t.capture(db.addRecoveryKey({ passkey: true }));
    const own = await db.backup({ passkey: true });
    const inspected = await window.t.capture(db.inspectBackup(own.bytes, { passkey: true }));
    if (inspected.value) await db.cancelRestore(inspected.value.id);
    await db.lock();
    const unlocked = await window.t.capture(db.unlock({ passkey: true }));
    const wrong = await window.t.capture(db.unlock({ passkey: { credentialId: new Uint8Array(16).fill(7), prfOutput: new Uint8Array(32) } }));
    return { slots, recovery, inspected, unlocked, wrong, kinds: (await db.listKeyslots()).map((s) => s.kind), rows: await db.query('SELECT v FROM sales') };
  });
  expect(r.slots).toEqual([{ label: 'Alice (till 7)' }]);
  expect(r.recovery).toMatchObject({ ok: true });
  expect(r.inspected).toMatchObject({ ok: true, value: { comparison: { backup: { tables: [{ name: 'sales', rows: 1 }] } } } });
  expect(r.unlocked).toMatchObject({ ok: true });
  expect(r.kinds).toEqual(['password', 'passkey', 'recovery']);
  expect(r.rows).toEqual([{ v: 'sale 1' }]);
  // Unlocking an unlocked tab re-proves the secret: a wrong PRF output is refused.
  expect(r.wrong).toMatchObject({ ok: false, code: 'WRONG_KEY' });
});

test("Playwright's own virtual authenticator (every engine) gives no PRF output: adding a passkey is UNSUPPORTED, the password unaffected", async ({ profile }) => {
  const p = await profile();
  await p.context.credentials.install();
  const page = await tab(p);
  const added = await seedWithPasskey(page);
  expect(added).toMatchObject({ ok: false, code: 'UNSUPPORTED' });
  expect(await page.evaluate(() => window.t.dbs.a!.listKeyslots().then((s) => s.map((k) => k.kind)))).toEqual(['password']);
});
