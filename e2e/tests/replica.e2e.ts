/**
 * The replica in the browser, against a real S3 service (Ceph RGW, scripts/s3.sh) through CORS:
 * the leader tab's worker pushes every commit; a second browser context (a new tablet, its own storage) restores
 * from the bucket with the password; offline commits queue and go out once online; a worker
 * killed mid-push loses and duplicates nothing (OPFS and IndexedDB); a tampered object stops the
 * restore with a typed error; no object in the bucket holds a plaintext marker; a WAL database
 * keeps WAL. With a signer endpoint (the app's, holding the keys) instead of credentials: push,
 * follower tab, failover and restore, the worker never given a key.
 */
import { startPresignEndpoint, type PresignEndpoint } from '../../packages/core/test/replica/presign-endpoint.ts';
import { test, expect, FAST_KDF, log, type Page, ANY_PHASE } from './fixtures.ts';
import { CREDENTIALS, freshBucket, replicaOptions, scanBucket, startS3, stopS3, tamper, verify, type Bucket } from './replica-helpers.ts';

const PASSWORD = 'cloud backup pw';
const MARKER = 'REPLICA-MARKER-7f3a';
const TOKEN = 'pos-session-5d1e';
let endpoint = '';
let started = false;
/** The app's signer endpoint: it alone holds the S3 keys, and signs for `shop/till-1/…`. */
let signerEndpoint: PresignEndpoint;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  ({ endpoint, started } = startS3());
  log(`RGW at ${endpoint} (${started ? 'started by this spec' : 'already up'})`);
  signerEndpoint = await startPresignEndpoint({ s3: { endpoint, credentials: CREDENTIALS }, prefix: 'shop/till-1', token: TOKEN });
});

test.afterAll(async () => {
  await signerEndpoint.close();
  if (started) stopS3();
});

type Extra = { storage?: 'indexeddb'; journalMode?: 'WAL'; signer?: boolean };

/** The app's endpoint spec, as a tab passes it (no key). */
const signerSpec = () => ({ url: signerEndpoint.url, headers: { authorization: `Bearer ${TOKEN}` } });

/** The replica options a tab passes: credentials, or (`signer`) only the endpoint's spec. */
function replicaFor(b: Bucket, signer = false) {
  if (!signer) return replicaOptions(b);
  const { credentials: _none, ...rest } = replicaOptions(b);
  return { ...rest, signer: signerSpec() };
}

const open = (page: Page, id: string, b: Bucket, ownWorker = false, extra: Extra = {}) => {
  const { signer, ...tuning } = extra;
  return page.evaluate(([id, o, own]) => window.t.open(id, o, own), [id, { name: 'till', password: PASSWORD, kdf: FAST_KDF, ...tuning, replica: replicaFor(b, signer) }, ownWorker] as const);
};

async function sell(page: Page, id: string, from: number, count: number): Promise<void> {
  await page.evaluate(
    async ([id, from, count, marker]) => {
      const db = window.t.dbs[id]!;
      await db.exec('CREATE TABLE IF NOT EXISTS sale (id INTEGER PRIMARY KEY, note TEXT)');
      for (let i = from; i < from + count; i++) await db.exec('INSERT INTO sale VALUES (?, ?)', [i, `${marker} sale ${i}`]);
    },
    [id, from, count, MARKER] as const,
  );
}

const pushNow = (page: Page, id: string) => page.evaluate((id) => window.t.capture(window.t.dbs[id]!.replica.pushNow()), id);

/** Restores the bucket's replica in a fresh context (another device); returns the restored sale ids (or the error outcome). */
async function restoreElsewhere(
  device: () => Promise<{ page(l: string): Promise<Page> }>,
  b: Bucket,
  extra: Omit<Extra, 'journalMode'> = {},
): Promise<{ ok: boolean; code?: string; ids: number[]; rows?: unknown[]; phases: string[]; storageBackend?: string | null }> {
  const tablet = await (await device()).page('new-tablet');
  const { signer, ...tuning } = extra;
  const { credentials: _c, ...target } = b;
  const replica = signer ? { ...target, signer: signerSpec() } : { ...b };
  const { outcome, phases } = await tablet.evaluate((o) => window.t.restore('r', o), { name: 'till', password: PASSWORD, kdf: FAST_KDF, ...tuning, replica });
  if (!outcome.ok) return { ok: false, code: outcome.code!, ids: [], phases };
  const rows = await tablet.evaluate(async () => window.t.dbs.r!.query('SELECT id, note FROM sale ORDER BY id'));
  return { ok: true, ids: rows.map((r) => Number(r.id)), rows, phases, storageBackend: outcome.value!.storageBackend };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('sales pushed through CORS are restored with the password in a second context; the bucket holds no plaintext', ANY_PHASE, async ({ session }) => {
  const b = await freshBucket(endpoint);
  const page = await (await session()).page('till');
  expect(await open(page, 'a', b)).toMatchObject({ ok: true, value: { role: 'leader' } });
  await sell(page, 'a', 0, 25);
  const pushed = await pushNow(page, 'a');
  expect(pushed).toMatchObject({ ok: true, value: { state: 'idle', pendingCommits: 0, lastError: null } });
  // Every tab hears the status the way it hears change events: this one saw the push happen.
  const states = await page.evaluate(() => window.t.events.filter((e) => e.kind === 'replica').map((e) => (e.value as { state: string }).state));
  expect(states).toContain('pushing');

  const report = await verify(b, PASSWORD);
  expect(report.tipSeq).toBeGreaterThanOrEqual(1);
  const restored = await restoreElsewhere(session, b);
  expect(restored).toMatchObject({ ok: true, ids: range(25) });
  expect(restored.phases).toEqual(['download', 'copy']);

  const scan = await scanBucket(b, [MARKER, 'sale', 'CREATE TABLE', PASSWORD]);
  expect(scan.keys.length).toBeGreaterThan(2);
  expect(scan.hits).toEqual([]);
});

test('offline: commits queue (state offline, pending counted), and are pushed once online', async ({ session }) => {
  const b = await freshBucket(endpoint);
  const p = await session();
  const page = await p.page('till');
  expect(await open(page, 'a', b)).toMatchObject({ ok: true });
  await sell(page, 'a', 0, 5);
  expect(await pushNow(page, 'a')).toMatchObject({ ok: true });
  const before = (await verify(b, PASSWORD)).tipSeq;

  await p.context.setOffline(true);
  await sell(page, 'a', 5, 10);
  await expect.poll(() => page.evaluate(() => window.t.dbs.a!.replica.status()), { timeout: 30_000 }).toMatchObject({ state: 'offline' });
  const queued = await page.evaluate(() => window.t.dbs.a!.replica.status());
  expect(queued.pendingCommits).toBeGreaterThan(0);
  expect(queued.lastError?.code).toBe('REPLICA_UNAVAILABLE');
  expect((await verify(b, PASSWORD)).tipSeq).toBe(before);

  await p.context.setOffline(false);
  await expect.poll(() => page.evaluate(() => window.t.dbs.a!.replica.status()), { timeout: 30_000 }).toMatchObject({ state: 'idle', pendingCommits: 0 });
  expect((await verify(b, PASSWORD)).tipSeq).toBeGreaterThan(before);
  expect(await restoreElsewhere(session, b)).toMatchObject({ ok: true, ids: range(15) });
});

for (const storage of ['opfs', 'indexeddb'] as const) {
  test(`a worker killed mid-push (${storage}): the next leader pushes the rest; nothing lost, nothing duplicated; restored into ${storage}`, async ({ session }) => {
    const b = await freshBucket(endpoint);
    const page = await (await session()).page('till');
    const extra: Extra = storage === 'indexeddb' ? { storage } : {};
    expect(await open(page, 'a', b, true, extra)).toMatchObject({ ok: true, value: { storageBackend: storage } });
    await sell(page, 'a', 0, 10);
    expect(await pushNow(page, 'a')).toMatchObject({ ok: true });
    expect(await killMidPush(page, 'a', 10, 40)).toBe('pushing');

    // Reopened on the same storage: every acknowledged commit is there, and the rest is pushed.
    expect(await open(page, 'b', b, false, extra)).toMatchObject({ ok: true, value: { role: 'leader', storageBackend: storage } });
    expect(await page.evaluate(async () => (await window.t.dbs.b!.query('SELECT id FROM sale ORDER BY id')).map((r) => Number(r.id)))).toEqual(range(40));
    expect(await pushNow(page, 'b')).toMatchObject({ ok: true, value: { pendingCommits: 0, lastError: null } });
    // One chain (a retried entry is the same object, never a second history), every entry authentic.
    const report = await verify(b, PASSWORD);
    expect(report.entries).toBe(report.tipSeq + 1);
    expect(await restoreElsewhere(session, b, extra)).toMatchObject({ ok: true, ids: range(40), storageBackend: storage });
  });
}

/** Commits `from … to-1` (acknowledged locally), then kills tab `id`'s own worker as soon as its writer reports a push under way. */
function killMidPush(page: Page, id: string, from: number, to: number): Promise<string> {
  return page.evaluate(
    async ([id, from, to, marker]) => {
      const db = window.t.dbs[id]!;
      const pushing = new Promise<string>((resolve) => db.replica.onStatus((s) => s.state === 'pushing' && resolve(s.state)));
      for (let i = from; i < to; i++) await db.exec('INSERT INTO sale VALUES (?, ?)', [i, `${marker} sale ${i}`]);
      const state = await pushing;
      window.t.workers[id]!.terminate();
      return state;
    },
    [id, from, to, MARKER] as const,
  );
}

test('an object tampered with between push and restore: the restore fails with REPLICA_CORRUPT and creates nothing', ANY_PHASE, async ({ session }) => {
  const b = await freshBucket(endpoint);
  const page = await (await session()).page('till');
  expect(await open(page, 'a', b)).toMatchObject({ ok: true });
  await sell(page, 'a', 0, 5);
  expect(await pushNow(page, 'a')).toMatchObject({ ok: true });
  const { keys } = await scanBucket(b, []);
  const newest = keys
    .filter((k) => k.includes('/log/'))
    .sort()
    .at(-1)!;
  await tamper(b, newest);
  const tablet = await (await session()).page('new-tablet');
  const { outcome } = await tablet.evaluate((o) => window.t.restore('r', o), { name: 'till', password: PASSWORD, kdf: FAST_KDF, replica: { ...b } });
  expect(outcome).toMatchObject({ ok: false, code: 'REPLICA_CORRUPT' });
  expect(await tablet.evaluate(() => window.t.list())).toEqual([]);
});

const journalMode = (page: Page, id: string) => page.evaluate(async (id) => (await window.t.dbs[id]!.get('PRAGMA journal_mode'))?.journal_mode, id);

test("a WAL database keeps WAL with a replica (journalMode 'WAL' allowed); pushes across checkpoints restore exactly; a second tab pushes through the leader", ANY_PHASE, async ({ session }) => {
  const b = await freshBucket(endpoint);
  const p = await session();
  const page = await p.page('till');
  // The worker's default is WAL: written without a replica first.
  expect(await page.evaluate((o) => window.t.open('plain', o), { name: 'till', password: PASSWORD, kdf: FAST_KDF })).toMatchObject({ ok: true });
  await sell(page, 'plain', 0, 3);
  expect(await journalMode(page, 'plain')).toBe('wal');
  await page.evaluate(() => window.t.dbs.plain!.close());

  expect(await open(page, 'a', b, false, { journalMode: 'WAL' })).toMatchObject({ ok: true, value: { role: 'leader' } });
  expect(await journalMode(page, 'a')).toBe('wal');
  await sell(page, 'a', 3, 2);
  expect(await pushNow(page, 'a')).toMatchObject({ ok: true, value: { pendingCommits: 0, lastError: null } });
  // Commits that stay in the WAL, then a checkpoint that moves them into the main file between pushes.
  await sell(page, 'a', 5, 3);
  await page.evaluate(() => window.t.dbs.a!.exec('PRAGMA wal_checkpoint(TRUNCATE)'));
  await sell(page, 'a', 8, 2);
  expect(await pushNow(page, 'a')).toMatchObject({ ok: true, value: { pendingCommits: 0, lastError: null } });
  expect(await journalMode(page, 'a')).toBe('wal');

  const other = await p.page('second-tab');
  expect(await open(other, 'f', b)).toMatchObject({ ok: true, value: { role: 'follower' } });
  await sell(other, 'f', 10, 4);
  expect(await pushNow(other, 'f')).toMatchObject({ ok: true, value: { pendingCommits: 0, lastError: null } });
  await expect.poll(() => other.evaluate(() => window.t.events.filter((e) => e.db === 'f' && e.kind === 'replica').length)).toBeGreaterThan(0);
  const report = await verify(b, PASSWORD);
  expect(report.entries).toBe(report.tipSeq + 1);
  const restored = await restoreElsewhere(session, b);
  expect(restored).toMatchObject({ ok: true, ids: range(14) });
  expect(restored.rows).toEqual(await page.evaluate(async () => window.t.dbs.a!.query('SELECT id, note FROM sale ORDER BY id')));
});

test('replica.start() on a database opened without one (an app that keeps its cloud settings in the database)', ANY_PHASE, async ({ session }) => {
  const b = await freshBucket(endpoint);
  const page = await (await session()).page('till');
  expect(await page.evaluate((o) => window.t.open('a', o), { name: 'till', password: PASSWORD, kdf: FAST_KDF })).toMatchObject({ ok: true });
  await sell(page, 'a', 0, 6);
  expect(await page.evaluate(() => window.t.capture(window.t.dbs.a!.replica.status()))).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
  expect(await page.evaluate((o) => window.t.capture(window.t.dbs.a!.replica.start(o)), replicaOptions(b))).toMatchObject({ ok: true });
  expect(await journalMode(page, 'a')).toBe('wal');
  expect(await pushNow(page, 'a')).toMatchObject({ ok: true, value: { pendingCommits: 0, lastError: null } });
  expect(await restoreElsewhere(session, b)).toMatchObject({ ok: true, ids: range(6) });
});

// Measures no time: it waits for a state (the refusal), then pushes on demand (`pushNow`), not on a retry's schedule.
test('refused credentials: commits kept, nothing pushed; setCredentials resumes the push', ANY_PHASE, async ({ session }) => {
  const b = await freshBucket(endpoint);
  const page = await (await session()).page('till');
  const wrong = { ...replicaOptions(b), credentials: { accessKeyId: b.credentials.accessKeyId, secretAccessKey: 'not-the-secret' } };
  expect(await page.evaluate((o) => window.t.open('a', o), { name: 'till', password: PASSWORD, kdf: FAST_KDF, replica: wrong })).toMatchObject({ ok: true });
  await sell(page, 'a', 0, 4);
  // RGW answers the bad signature with a 403 that carries no CORS headers, so the browser reports
  // a network failure: the writer sees REPLICA_UNAVAILABLE (offline) here, REPLICA_AUTH where the
  // store sends CORS headers on errors. Either way the commits wait.
  await expect
    .poll(
      async () => {
        const s = await page.evaluate(() => window.t.dbs.a!.replica.status());
        return (s.state === 'error' || s.state === 'offline') && ['REPLICA_AUTH', 'REPLICA_UNAVAILABLE'].includes(s.lastError?.code ?? '') && s.pendingCommits > 0 && s.lastPushedSeq === null;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  expect((await scanBucket(b, [])).keys).toEqual([]);
  expect(await page.evaluate((c) => window.t.capture(window.t.dbs.a!.replica.setCredentials(c)), b.credentials)).toMatchObject({ ok: true });
  expect(await pushNow(page, 'a')).toMatchObject({ ok: true, value: { pendingCommits: 0, lastError: null } });
  expect(await restoreElsewhere(session, b)).toMatchObject({ ok: true, ids: range(4) });
});

test('a signer endpoint instead of credentials: pushes, a follower tab, failover to a new leader and a restore elsewhere, no key ever given to a worker', async ({ session }) => {
  const b = await freshBucket(endpoint);
  const signed = (method: string) => signerEndpoint.requests.filter((r) => r.bucket === b.bucket && r.method === method).length;
  const p = await session();
  const page = await p.page('till');
  expect(await open(page, 'a', b, true, { signer: true })).toMatchObject({ ok: true, value: { role: 'leader' } });
  await sell(page, 'a', 0, 6);
  expect(await pushNow(page, 'a')).toMatchObject({ ok: true, value: { state: 'idle', pendingCommits: 0, lastError: null } });
  const putsByFirstLeader = signed('PUT');
  expect(putsByFirstLeader).toBeGreaterThan(0);

  // A second tab with the same spec follows; its commits go out through the leader.
  const other = await p.page('second-tab');
  expect(await open(other, 'f', b, false, { signer: true })).toMatchObject({ ok: true, value: { role: 'follower' } });
  await sell(other, 'f', 6, 4);
  expect(await pushNow(other, 'f')).toMatchObject({ ok: true, value: { pendingCommits: 0, lastError: null } });

  // The leader's worker dies mid-push; the follower takes over and pushes the rest, signed by the endpoint.
  expect(await killMidPush(page, 'a', 10, 30)).toBe('pushing');
  await expect.poll(() => other.evaluate(() => window.t.dbs.f!.role), { timeout: 30_000 }).toBe('leader');
  await sell(other, 'f', 30, 2);
  expect(await pushNow(other, 'f')).toMatchObject({ ok: true, value: { pendingCommits: 0, lastError: null } });
  expect(signed('PUT')).toBeGreaterThan(putsByFirstLeader);

  const report = await verify(b, PASSWORD);
  expect(report.entries).toBe(report.tipSeq + 1);
  expect(await restoreElsewhere(session, b, { signer: true })).toMatchObject({ ok: true, ids: range(32) });
  expect(signerEndpoint.requests.some((r) => r.bucket === b.bucket && r.key === '' && r.query['list-type'] === '2')).toBe(true);
  // No signing request carried an object's bytes.
  expect(Math.max(...signerEndpoint.bodySizes)).toBeLessThan(600);
});

// Measures no time, as the test above.
test('a signer endpoint that refuses: REPLICA_AUTH with commits kept; setSigner with a valid token resumes the push', ANY_PHASE, async ({ session }) => {
  const b = await freshBucket(endpoint);
  const page = await (await session()).page('till');
  const stale = { ...replicaFor(b, true), signer: { url: signerEndpoint.url, headers: { authorization: 'Bearer expired-session' } } };
  expect(await page.evaluate((o) => window.t.open('a', o), { name: 'till', password: PASSWORD, kdf: FAST_KDF, replica: stale })).toMatchObject({ ok: true });
  await sell(page, 'a', 0, 3);
  await expect
    .poll(
      async () => {
        const s = await page.evaluate(() => window.t.dbs.a!.replica.status());
        return s.state === 'error' && s.lastError?.code === 'REPLICA_AUTH' && s.pendingCommits > 0 && s.lastPushedSeq === null;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  expect((await scanBucket(b, [])).keys).toEqual([]);
  expect(await page.evaluate((s) => window.t.capture(window.t.dbs.a!.replica.setSigner(s)), signerSpec())).toMatchObject({ ok: true });
  expect(await pushNow(page, 'a')).toMatchObject({ ok: true, value: { pendingCommits: 0, lastError: null } });
  expect(await restoreElsewhere(session, b, { signer: true })).toMatchObject({ ok: true, ids: range(3) });
});
