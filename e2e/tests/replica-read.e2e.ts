/**
 * Reading a replica in the browser, against a real S3 service (Ceph RGW, scripts/s3.sh) through
 * CORS: `restoreFromReplica` with the recovery key on a new device (the restored database opens
 * with it and with the password), at an older log entry of a named generation; `verifyReplica` in
 * a worker of its own — what core's verify reports, with progress, cancelled by its signal, and a
 * typed error for an object tampered with that a restore at the tip never reads.
 */
import { test, expect, FAST_KDF, log, type Page } from './fixtures.ts';
import { PORT } from './env.ts';
import { fixedPrfAuthenticator } from './webauthn.ts';
import { freshBucket, replicaOptions, scanBucket, startS3, stopS3, tamper, verify, type Bucket } from './replica-helpers.ts';

const PASSWORD = 'cloud backup pw';
/** A WebAuthn relying-party id must be a domain: the same server, addressed as localhost. */
const LOCALHOST_URL = `http://localhost:${PORT}/`;
let endpoint = '';
let started = false;

test.beforeAll(() => {
  test.setTimeout(300_000);
  ({ endpoint, started } = startS3());
  log(`RGW at ${endpoint} (${started ? 'started by this spec' : 'already up'})`);
});

test.afterAll(() => {
  if (started) stopS3();
});

/** Opens `till` with a replica on `b` in `page` and pushes `batches` commits one by one (one log entry each); returns the recovery key added after the first. */
async function pushedTill(page: Page, b: Bucket, batches: number): Promise<string> {
  const opened = await page.evaluate((o) => window.t.open('a', o), { name: 'till', password: PASSWORD, kdf: FAST_KDF, replica: { ...replicaOptions(b), snapshotEvery: 4 } });
  expect(opened).toMatchObject({ ok: true, value: { role: 'leader' } });
  return page.evaluate(
    async ([password, batches]) => {
      const db = window.t.dbs.a!;
      await db.exec('CREATE TABLE sale (id INTEGER PRIMARY KEY, note TEXT)');
      await db.replica.pushNow();
      const { recoveryKey } = await db.addRecoveryKey(password);
      for (let i = 0; i < batches; i++) {
        await db.exec('INSERT INTO sale VALUES (?, ?)', [i, `sale ${i}`]);
        await db.replica.pushNow();
      }
      return recoveryKey;
    },
    [PASSWORD, batches] as const,
  );
}

const saleIds = (page: Page, id: string) => page.evaluate(async (id) => (await window.t.dbs[id]!.query('SELECT id FROM sale ORDER BY id')).map((r) => Number(r.id)), id);

test('restoreFromReplica with the recovery key: the new device gets every sale and opens with the recovery key and the password; an older entry of generation 0 restores too', async ({ session }) => {
  const b = await freshBucket(endpoint);
  const recoveryKey = await pushedTill(await (await session()).page('till'), b, 6);
  const tip = (await verify(b, PASSWORD)).tipSeq;

  const tablet = await (await session()).page('new-tablet');
  const replica = { ...b };
  const { outcome, phases } = await tablet.evaluate((o) => window.t.restore('r', o), { name: 'till', recoveryKey, kdf: FAST_KDF, replica });
  expect(outcome).toMatchObject({ ok: true });
  expect(phases).toEqual(['download', 'copy']);
  expect(await saleIds(tablet, 'r')).toEqual([0, 1, 2, 3, 4, 5]);
  // Its own keyslots came along: it opens again with either secret, and not with a wrong one.
  await tablet.evaluate(() => window.t.dbs.r!.close());
  for (const [id, secret] of [
    ['byRecovery', { recoveryKey }],
    ['byPassword', { password: PASSWORD }],
  ] as const) {
    expect(await tablet.evaluate(([id, o]) => window.t.open(id, o), [id, { name: 'till', create: false, ...secret }] as const)).toMatchObject({ ok: true });
    expect(await saleIds(tablet, id)).toEqual([0, 1, 2, 3, 4, 5]);
    await tablet.evaluate((id) => window.t.dbs[id]!.close(), id);
  }
  const wrong = await tablet.evaluate((o) => window.t.restore('w', o), { name: 'other', recoveryKey: 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA', replica });
  expect(wrong.outcome).toMatchObject({ ok: false, code: 'WRONG_KEY' });

  // Two entries before the tip, named in generation 0 (the only one): four sales; generation 1 does not exist.
  const older = await tablet.evaluate((o) => window.t.restore('old', o), { name: 'older', password: PASSWORD, kdf: FAST_KDF, replica, pointInTime: { seq: tip - 2, generation: 0 } });
  expect(older.outcome).toMatchObject({ ok: true });
  expect(await saleIds(tablet, 'old')).toEqual([0, 1, 2, 3]);
  const missing = await tablet.evaluate((o) => window.t.restore('g1', o), { name: 'g1', password: PASSWORD, replica, pointInTime: { generation: 1 } });
  expect(missing.outcome).toMatchObject({ ok: false, code: 'REPLICA_MISSING' });
  const two = await tablet.evaluate((o) => window.t.restore('two', o), { name: 'two', password: PASSWORD, recoveryKey, replica } as never);
  expect(two.outcome).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
  // A database without a passkey slot: the ceremony has nothing to ask for.
  const passkey = await tablet.evaluate((o) => window.t.restore('pk', o), { name: 'pk', passkey: true as const, replica });
  expect(passkey.outcome).toMatchObject({ ok: false, code: 'NO_PASSKEY' });
  expect((await tablet.evaluate(() => window.t.list())).map((f) => f.name).filter((n) => /^(g1|two|pk)/.test(n))).toEqual([]);
});

test('verifyReplica in a worker of its own: what core reports, with progress; cancelled by its signal; a tampered entry a restore at the tip skips is REPLICA_CORRUPT', async ({ session }) => {
  const b = await freshBucket(endpoint);
  const recoveryKey = await pushedTill(await (await session()).page('till'), b, 24);
  const expected = await verify(b, PASSWORD);
  expect(expected.snapshots).toBeGreaterThan(1);

  const tablet = await (await session()).page('verifier');
  const replica = { ...b };
  const byPassword = await tablet.evaluate((o) => window.t.verifyReplica(o), { replica, password: PASSWORD });
  expect(byPassword.outcome).toEqual({ ok: true, value: expected });
  expect([...new Set(byPassword.events.map((e) => e.phase))]).toEqual(['entries', 'snapshots']);
  expect(byPassword.events.filter((e) => e.phase === 'entries').at(-1)).toMatchObject({ done: expected.entries, total: expected.entries });
  expect((await tablet.evaluate((o) => window.t.verifyReplica(o), { replica, recoveryKey, generation: 0 })).outcome).toEqual({ ok: true, value: expected });
  // Nothing is stored on the device that verifies.
  expect(await tablet.evaluate(() => window.t.list())).toEqual([]);

  expect((await tablet.evaluate((o) => window.t.verifyReplica(o), { replica, password: 'not it' })).outcome).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  expect((await tablet.evaluate((o) => window.t.verifyReplica(o), { replica, password: PASSWORD, generation: 1 })).outcome).toMatchObject({ ok: false, code: 'REPLICA_MISSING' });
  expect((await tablet.evaluate((o) => window.t.verifyReplica(o), { replica, password: PASSWORD, key: new Uint8Array(32) } as never)).outcome).toMatchObject({
    ok: false,
    code: 'INVALID_ARGUMENT',
  });
  const cancelled = await tablet.evaluate((o) => window.t.verifyReplica(o, 1), { replica, password: PASSWORD });
  expect(cancelled.outcome).toMatchObject({ ok: false, code: 'CANCELLED' });
  expect(cancelled.events.length).toBeLessThan(expected.entries);

  // The oldest log entry lies under a snapshot: a restore at the tip never reads it; verify does.
  const oldest = (await scanBucket(b, [])).keys.filter((k) => k.includes('/log/')).sort()[0]!;
  await tamper(b, oldest);
  const restored = await tablet.evaluate((o) => window.t.restore('r', o), { name: 'till', password: PASSWORD, kdf: FAST_KDF, replica });
  expect(restored.outcome).toMatchObject({ ok: true });
  const tampered = await tablet.evaluate((o) => window.t.verifyReplica(o), { replica, password: PASSWORD });
  expect(tampered.outcome).toMatchObject({ ok: false, code: 'REPLICA_CORRUPT' });
  expect(tampered.outcome.message).not.toContain(PASSWORD);
});

// The stand-in authenticator (webauthn.ts): the same PRF output for the same salt in every context,
// as a synced passkey gives on a new device. The ceremony itself is tested in passkey*.e2e.ts.
test('a passkey on a new device verifies the replica and restores it, its challenges read from the bucket; the restored database unlocks with it', async ({ session }) => {
  const b = await freshBucket(endpoint);
  const device = async (label: string): Promise<Page> => {
    const s = await session(LOCALHOST_URL);
    await s.context.addInitScript(fixedPrfAuthenticator);
    return s.page(label);
  };
  const till = await device('till');
  expect(await till.evaluate((o) => window.t.open('a', o), { name: 'till', password: PASSWORD, kdf: FAST_KDF, replica: replicaOptions(b) })).toMatchObject({ ok: true });
  const added = await till.evaluate(async (password) => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE sale (id INTEGER PRIMARY KEY, note TEXT)');
    const slot = await window.t.capture(db.addPasskey(password, { userName: 'till', label: 'till 1' }));
    // The keyslot goes up with the next push.
    await db.exec("INSERT INTO sale VALUES (1, 'sale 1'), (2, 'sale 2')");
    await db.replica.pushNow();
    return slot;
  }, PASSWORD);
  expect(added).toMatchObject({ ok: true, value: { kind: 'passkey' } });

  const tablet = await device('new-tablet');
  const replica = { ...b };
  const verified = await tablet.evaluate((o) => window.t.verifyReplica(o), { replica, passkey: true as const });
  expect(verified.outcome).toEqual({ ok: true, value: await verify(b, PASSWORD) });
  const restored = await tablet.evaluate((o) => window.t.restore('r', o), { name: 'till', passkey: true as const, replica });
  expect(restored.outcome).toMatchObject({ ok: true });
  expect(await saleIds(tablet, 'r')).toEqual([1, 2]);
  await tablet.evaluate(() => window.t.dbs.r!.close());
  expect(await tablet.evaluate(() => window.t.open('again', { name: 'till', create: false, passkey: true }))).toMatchObject({ ok: true });
  expect(await saleIds(tablet, 'again')).toEqual([1, 2]);
});
