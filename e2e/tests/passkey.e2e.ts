/**
 * Passkey keyslots in Chromium with CDP virtual authenticators (CTAP 2.1, internal transport,
 * user verification, PRF via hmac-secret): the real WebAuthn ceremony, the real PRF output, the
 * real worker and OPFS. Only the authenticator is simulated.
 */
import { FAST_KDF, expect, openPage, test } from './fixtures.ts';
import type { Page, Session } from './fixtures.ts';
import { PORT } from './env.ts';
import type {} from '../test-app/main.ts';
import { VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM, addAuthenticator, copyCredential, credentials } from './webauthn.ts';

const PASSWORD = 'till-7 password';
const OPTIONS = { name: 'passkeys', password: PASSWORD, kdf: FAST_KDF };

/** A WebAuthn relying-party id must be a domain: the same server, addressed as localhost. */
const LOCALHOST_URL = `http://localhost:${PORT}/`;
const tab = (p: Session) => openPage(p.context, 'tab', LOCALHOST_URL);

/** The password unlocked after the passkey attempts, and the data is intact. */
function expectPasswordStillWorks(r: { withPassword: unknown; rows: unknown }): void {
  expect(r.withPassword).toMatchObject({ ok: true });
  expect(r.rows).toEqual([{ v: 'sale 1' }]);
}

async function openWithPassword(page: Page) {
  return page.evaluate((o) => window.t.open('a', o), OPTIONS);
}

/** Opens with the password, seeds a row, adds a passkey; returns the new slot. */
async function seedWithPasskey(page: Page) {
  expect(await openWithPassword(page)).toMatchObject({ ok: true });
  return page.evaluate(async (password) => {
    const db = window.t.dbs.a!;
    await db.exec("CREATE TABLE sales (v); INSERT INTO sales VALUES ('sale 1')");
    return window.t.capture(db.addPasskey(password, { userName: 'alice', label: 'Alice (till 7)' }));
  }, PASSWORD);
}

test('add a passkey, reload, unlock with it; remove it → refused; the password still works', async ({ session, engine }) => {
  test.skip(engine === 'firefox', VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM);
  const page = await tab(await session());
  const auth = await addAuthenticator(page);
  const added = await seedWithPasskey(page);
  expect(added).toMatchObject({ ok: true, value: { index: 1, kind: 'passkey', label: 'Alice (till 7)' } });
  expect((await credentials(auth)).length).toBe(1);

  await page.reload();
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  const unlocked = await page.evaluate(() => window.t.open('a', { name: 'passkeys', passkey: true }));
  expect(unlocked).toMatchObject({ ok: true });
  const slots = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    return { rows: await db.query('SELECT v FROM sales'), slots: await db.listKeyslots() };
  });
  expect(slots.rows).toEqual([{ v: 'sale 1' }]);
  expect(slots.slots.map((s) => s.kind)).toEqual(['password', 'passkey']);
  expect(slots.slots[1]).toMatchObject({ label: 'Alice (till 7)', credentialId: expect.any(String) });
  expect(slots.slots[1]!.createdAt).toBeGreaterThan(Date.now() - 120_000);

  // Lock and unlock again with the passkey, in the same tab.
  const relock = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.lock();
    const again = await window.t.capture(db.unlock({ passkey: true }));
    return { again, rows: await db.query('SELECT count(*) AS n FROM sales') };
  });
  expect(relock.again).toMatchObject({ ok: true });
  expect(relock.rows).toEqual([{ n: 1 }]);

  const removed = await page.evaluate(async (password) => {
    const db = window.t.dbs.a!;
    const left = await db.removeKeyslot(password, 1);
    await db.lock();
    const withPasskey = await window.t.capture(db.unlock({ passkey: true }));
    const withPassword = await window.t.capture(db.unlock(password));
    return { left: left.map((s) => s.kind), withPasskey, withPassword, rows: await db.query('SELECT v FROM sales') };
  }, PASSWORD);
  expect(removed.left).toEqual(['password']);
  expect(removed.withPasskey).toMatchObject({ ok: false, code: 'NO_PASSKEY' });
  expectPasswordStillWorks(removed);
});

test("a second authenticator's credential → WRONG_KEY (its real PRF output); holding none of the database's passkeys → CANCELLED; the password still works", async ({ session, engine }) => {
  test.skip(engine === 'firefox', VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM);
  const page = await tab(await session());
  const first = await addAuthenticator(page);
  expect(await seedWithPasskey(page)).toMatchObject({ ok: true });
  await page.evaluate(() => window.t.dbs.a!.lock());
  await first.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: first.id });
  await addAuthenticator(page, true, first.cdp);

  const r = await page.evaluate(async (password) => {
    // The second authenticator's own passkey (made here, as another app or database on this
    // origin would), and its PRF output for some salt: a genuine credential, just not ours.
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const created = (await navigator.credentials.create({
      publicKey: {
        rp: { name: 'other' },
        user: { id: random(16), name: 'mallory', displayName: 'mallory' },
        challenge: random(32),
        pubKeyCredParams: [
          { type: 'public-key', alg: -7 },
          { type: 'public-key', alg: -257 },
        ],
        authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
        extensions: { prf: { eval: { first: random(16) } } },
      },
    })) as PublicKeyCredential;
    const first = created.getClientExtensionResults().prf?.results?.first as ArrayBuffer | undefined;
    const assertion = { credentialId: new Uint8Array(created.rawId), prfOutput: new Uint8Array(first!) };
    const db = window.t.dbs.a!;
    const wrongCredential = await window.t.capture(db.unlock({ passkey: assertion }));
    const noneOfOurs = await window.t.capture(db.unlock({ passkey: { timeoutMs: 5000 } }));
    const state = db.lockState;
    const withPassword = await window.t.capture(db.unlock(password));
    return { prfLength: assertion.prfOutput.length, wrongCredential, noneOfOurs, state, withPassword, rows: await db.query('SELECT v FROM sales') };
  }, PASSWORD);
  expect(r.prfLength).toBe(32);
  expect(r.wrongCredential).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  expect(r.noneOfOurs).toMatchObject({ ok: false, code: 'CANCELLED' });
  expect(r.state).toBe('locked');
  expectPasswordStillWorks(r);
});

test('an authenticator without PRF → UNSUPPORTED (add and unlock); password unlock unaffected; no passkey slot → NO_PASSKEY', async ({ session, engine }) => {
  test.skip(engine === 'firefox', VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM);
  const page = await tab(await session());
  await addAuthenticator(page, false);
  expect(await openWithPassword(page)).toMatchObject({ ok: true });
  const r = await page.evaluate(async (password) => {
    const db = window.t.dbs.a!;
    await db.exec("CREATE TABLE sales (v); INSERT INTO sales VALUES ('sale 1')");
    const add = await window.t.capture(db.addPasskey(password, { userName: 'bob' }));
    const slots = (await db.listKeyslots()).map((s) => s.kind);
    await db.lock();
    const unlockNoSlot = await window.t.capture(db.unlock({ passkey: true }));
    const withPassword = await window.t.capture(db.unlock(password));
    return { add, slots, unlockNoSlot, withPassword, rows: await db.query('SELECT v FROM sales') };
  }, PASSWORD);
  expect(r.add).toMatchObject({ ok: false, code: 'UNSUPPORTED' });
  expect(r.add.message).toContain('PRF');
  expect(r.slots).toEqual(['password']);
  expect(r.unlockNoSlot).toMatchObject({ ok: false, code: 'NO_PASSKEY' });
  expectPasswordStillWorks(r);
});

test('unlocking a passkey slot on an authenticator without PRF → UNSUPPORTED; openDatabase({ passkey }) fails the same way and the password opens', async ({ session, engine }) => {
  test.skip(engine === 'firefox', VIRTUAL_AUTHENTICATOR_ONLY_IN_CHROMIUM);
  const page = await tab(await session());
  const withPrf = await addAuthenticator(page);
  expect(await seedWithPasskey(page)).toMatchObject({ ok: true });
  const [credential] = await credentials(withPrf);
  await page.evaluate(() => window.t.dbs.a!.close());
  await withPrf.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: withPrf.id });
  const noPrf = await addAuthenticator(page, false, withPrf.cdp);
  await copyCredential(noPrf, credential);

  expect(await page.evaluate(() => window.t.open('a', { name: 'passkeys', passkey: true }))).toMatchObject({ ok: false, code: 'UNSUPPORTED' });
  expect(await openWithPassword(page)).toMatchObject({ ok: true });
  expect(await page.evaluate(() => window.t.dbs.a!.query('SELECT v FROM sales'))).toEqual([{ v: 'sale 1' }]);
});

test('the passkey code is a chunk loaded on first use: opening with the password never fetches it; a chunk that cannot load makes passkey calls UNSUPPORTED and the password still opens', async ({
  session,
}) => {
  const page = await tab(await session());
  const fetched: string[] = [];
  page.on('request', (r) => {
    if (/\/passkeys-[^/]*\.js$/.test(new URL(r.url()).pathname)) fetched.push(r.url());
  });
  expect(await openWithPassword(page)).toMatchObject({ ok: true });
  await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.exec("CREATE TABLE sales (v); INSERT INTO sales VALUES ('sale 1')");
    await db.close();
  });
  expect(fetched).toEqual([]);

  // The chunk cannot be fetched (offline without it in a service worker's precache).
  await page.route(/\/passkeys-[^/]*\.js$/, (route) => route.abort('internetdisconnected'));
  const r = await page.evaluate(async (o) => {
    const slots = await window.t.capture(window.t.passkeySlots({ name: o.name }));
    const unlock = await window.t.open('a', { name: o.name, passkey: true });
    const withPassword = await window.t.open('a', o);
    const rows = withPassword.ok ? await window.t.dbs.a!.query('SELECT v FROM sales') : null;
    return { slots, unlock, withPassword, rows };
  }, OPTIONS);
  expect(fetched.length).toBeGreaterThan(0);
  for (const refused of [r.slots, r.unlock]) {
    expect(refused).toMatchObject({ ok: false, code: 'UNSUPPORTED' });
    expect((refused as { message: string }).message).toContain('the passkey code did not load');
  }
  expectPasswordStillWorks(r);
});
