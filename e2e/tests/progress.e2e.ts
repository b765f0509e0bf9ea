/**
 * Progress and cancellation through the worker, over a database of ~40 MB: rekey, backup, verify
 * and exportPlaintext each deliver several progress events to the page while they run, spread
 * over the operation (no stretch without an event covers half of it), in the leader tab and in a follower tab (whose calls the leader tab's worker runs);
 * aborting a rekey mid-way (from either tab) is CANCELLED and leaves the old password opening the
 * intact data; importDatabase round-trips an export under a new name, on OPFS and on IndexedDB,
 * and nothing of the plaintext is stored.
 */
import { FAST_KDF, expect, log, test, ANY_PHASE } from './fixtures.ts';
import type { Page } from './fixtures.ts';
import type { ProgressOp, TimedProgress } from '../test-app/main.ts';

const PASSWORD = 'progress pw';
const OPTIONS = { name: 'big', password: PASSWORD, kdf: FAST_KDF };
/**
 * The largest gap is logged, not asserted in ms: the goal (an event at least every 250 ms) is a
 * performance figure, measured by the benchmark on a quiet machine (bench/latency.ts); a timed
 * assertion here would fail whenever the machine is busy. What must hold on any machine: the
 * events are spread over the operation, not bunched at its start and end.
 */
const MAX_GAP_SHARE = 0.5;
/**
 * The worker sends at most one event per 100 ms (PROGRESS_INTERVAL_MS in
 * packages/worker/src/engine/runtime/progress.ts) and core reports after steps of up to ~100 ms,
 * so two intervals without an event are the throttle's own cadence, not bunching: an operation
 * short enough that half its span is below that (a fast machine, 3–4 events over ~200 ms) is held
 * to the cadence instead of to a share of a span the throttle cannot divide finer.
 */
const CADENCE_MS = 2 * 100;

/** ~40 MB in `t`, each row starting with `marker`; written in a few calls so none runs long. */
async function fill(page: Page, marker: string): Promise<number> {
  return page.evaluate(async (m) => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    for (let i = 0; i < 8; i++) {
      await db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000) INSERT INTO t (v) SELECT ? || hex(randomblob(500)) FROM c`, [m]);
    }
    const n = await db.get<{ n: number }>('SELECT count(*) AS n FROM t');
    return n!.n;
  }, marker);
}

/** A digest of every row (count, bytes, first and last values), to compare two databases. */
function digest(page: Page, id: string) {
  return page.evaluate((i) => window.t.dbs[i]!.get('SELECT count(*) AS n, sum(length(v)) AS bytes, min(v) AS lo, max(v) AS hi FROM t'), id);
}

function expectProgress(events: TimedProgress[], what: string): void {
  expect(events.length, `${what}: events`).toBeGreaterThanOrEqual(3);
  const gaps = events.slice(1).map((e, i) => e.at - events[i]!.at);
  const widest = gaps.indexOf(Math.max(...gaps));
  const at = (e: TimedProgress) => `${e.phase} ${e.done}/${e.total}`;
  log(
    `${what}: ${events.length} events over ${Math.round(events.at(-1)!.at - events[0]!.at)} ms, largest gap ${Math.round(gaps[widest]!)} ms (${at(events[widest]!)} → ${at(events[widest + 1]!)}), phases ${[...new Set(events.map((e) => e.phase))].join(',')}`,
  );
  const span = events.at(-1)!.at - events[0]!.at;
  for (const [i, gap] of gaps.entries()) expect(gap, `${what}: gap before event ${i + 1} (${JSON.stringify(events[i + 1])})`).toBeLessThanOrEqual(Math.max(MAX_GAP_SHARE * span, CADENCE_MS));
  for (const phase of new Set(events.map((e) => e.phase))) {
    const of = events.filter((e) => e.phase === phase);
    for (let i = 1; i < of.length; i++) expect(of[i]!.done, `${what}/${phase} monotonic`).toBeGreaterThanOrEqual(of[i - 1]!.done);
    expect(of.at(-1)!.done, `${what}/${phase} ends at its total`).toBe(of.at(-1)!.total);
  }
}

async function run(page: Page, op: ProgressOp, abortAfter?: number) {
  return page.evaluate(([o, pw, n]) => window.t.withProgress('a', o, pw as string, n), [op, PASSWORD, abortAfter] as const);
}

// The two tests over a large database run on a persistent profile: Chromium keeps an off-the-record
// context's OPFS in memory, where the first took 1.3 min against 28 s on a profile (minutes apart).
test('progress events over a large database reach the leader tab and a follower tab throughout each operation', async ({ profile }) => {
  test.slow();
  const p = await profile();
  const [a, b] = [await p.page('leader'), await p.page('follower')];
  expect(await a.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true, value: { role: 'leader' } });
  expect(await fill(a, 'ROW')).toBe(40_000);
  expect(await b.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true, value: { role: 'follower' } });
  const before = await digest(a, 'a');

  for (const [tab, page] of [
    ['leader', a],
    ['follower', b],
  ] as const) {
    for (const op of ['verify', 'backup', 'exportPlaintext', 'rekey'] as const) {
      const r = await run(page, op);
      expect(r.outcome, `${tab} ${op}`).toMatchObject({ ok: true });
      expectProgress(r.events, `${tab} ${op}`);
      // The last event reaches the page before the call settles.
      expect(r.events.at(-1)!.at).toBeLessThanOrEqual(r.settledAt);
    }
  }
  expect(await digest(b, 'a')).toEqual(before);
  // An already-aborted signal: rejected at once, never sent.
  expect(await b.evaluate(() => window.t.capture(window.t.dbs.a!.verify({ signal: AbortSignal.abort() })))).toMatchObject({ ok: false, code: 'CANCELLED' });
  expect(await a.evaluate(() => window.t.capture(window.t.dbs.a!.verify({ signal: 'no' as unknown as AbortSignal })))).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
});

test('abort mid-rekey (leader tab, then follower tab): CANCELLED, the old password still opens, data intact, no temporary file', async ({ profile }) => {
  test.slow();
  const p = await profile();
  const [a, b] = [await p.page('leader'), await p.page('follower')];
  expect(await a.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true, value: { role: 'leader' } });
  await fill(a, 'ROW');
  expect(await b.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true, value: { role: 'follower' } });
  const before = await digest(a, 'a');
  const slots = await a.evaluate(() => window.t.dbs.a!.listKeyslots());

  for (const [tab, page] of [
    ['leader', a],
    ['follower', b],
  ] as const) {
    const r = await run(page, 'rekey', 3);
    expect(r.outcome, tab).toMatchObject({ ok: false, code: 'CANCELLED' });
    // It stopped before the swap, promptly (the abort travels to the worker, from a follower over the bus first).
    expect(
      r.events.every((e) => e.phase === 'copy' || e.phase === 'check'),
      `${tab}: ${JSON.stringify(r.events.at(-1))}`,
    ).toBe(true);
    log(`${tab}: rekey cancelled ${Math.round(r.settledAt - r.abortedAt!)} ms after the abort`);
    expect(r.settledAt - r.abortedAt!).toBeLessThan(2000);
    // No temporary file with content (OPFS keeps a deleted file's handle open as an empty file, which reads as absent).
    expect((await a.evaluate(() => window.t.list())).filter((f) => f.name.includes('~') && f.size > 0)).toEqual([]);
    // Same keyslot (a rekey would have made a new one), same rows, still writable.
    expect(await page.evaluate(() => window.t.dbs.a!.listKeyslots())).toEqual(slots);
    expect(await digest(page, 'a')).toEqual(before);
  }
  expect(await b.evaluate(() => window.t.dbs.a!.exec("INSERT INTO t (v) VALUES ('after')"))).toMatchObject({ changes: 1 });
  await b.evaluate(() => window.t.dbs.a!.exec("DELETE FROM t WHERE v = 'after'"));
  // The old password opens it in a new tab, and the data is intact.
  const c = await p.page('third');
  expect(await c.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true });
  expect(await digest(c, 'a')).toEqual(before);
  expect(await c.evaluate(() => window.t.dbs.a!.verify())).toMatchObject({ ok: true });
});

test('importDatabase: export → import under a new name (OPFS and IndexedDB) → same rows; no plaintext stored; an existing name is refused', ANY_PHASE, async ({ session }) => {
  test.slow();
  const p = await session();
  const page = await p.page('tab');
  const marker = `IMPORTMARK${crypto.randomUUID().replaceAll('-', '')}`;
  expect(await page.evaluate((o) => window.t.open('a', o), { ...OPTIONS, name: 'source' })).toMatchObject({ ok: true });
  await page.evaluate(async (m) => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) INSERT INTO t (v) SELECT ? || i || hex(randomblob(200)) FROM c`, [m]);
  }, marker);
  const source = await digest(page, 'a');

  for (const storage of ['opfs', 'indexeddb'] as const) {
    const name = `copy-${storage}`;
    const r = await page.evaluate(([n, s, pw]) => window.t.importFrom('a', n, { name: n, password: pw, kdf: { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 }, storage: s }), [
      name,
      storage,
      'imported pw',
    ] as const);
    expect(r.outcome, storage).toMatchObject({ ok: true, value: { role: 'leader', storageBackend: storage } });
    expect(r.events.length).toBeGreaterThanOrEqual(2);
    expect(r.events.at(-1)).toMatchObject({ phase: 'copy' });
    expect(r.events.at(-1)!.done).toBe(r.events.at(-1)!.total);
    expect(await digest(page, name)).toEqual(source);
    expect(await page.evaluate((n) => window.t.dbs[n]!.verify(), name)).toMatchObject({ ok: true });
    // The new password opens it in a fresh handle (the import's own worker closed first).
    await page.evaluate((n) => window.t.dbs[n]!.close(), name);
    expect(await page.evaluate(([n, s]) => window.t.open(n, { name: n, password: 'imported pw', storage: s as 'opfs', create: false }), [name, storage] as const)).toMatchObject({ ok: true });
    expect(await digest(page, name)).toEqual(source);
    // The name exists now: refused.
    const again = await page.evaluate(([n, s]) => window.t.importFrom('a', 'x', { name: n, password: 'other', storage: s }), [name, storage] as const);
    expect(again.outcome).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
  }
  // Nothing of the plaintext at rest: no marker and no "SQLite format 3" in OPFS or IndexedDB.
  expect(await page.evaluate((m) => window.t.scan([m]), marker)).toEqual([]);
  expect(await page.evaluate((m) => window.t.idbScan([m]), marker)).toEqual([]);
  // Not a SQLite file.
  const junk = await page.evaluate(() => window.t.capture(window.t.importDatabase({ name: 'junk', password: 'x', bytes: new Uint8Array(8192).fill(1) })));
  expect(junk).toMatchObject({ ok: false, code: 'NOT_A_DATABASE' });
  expect((await page.evaluate(() => window.t.list())).map((f) => f.name).filter((n) => n.startsWith('junk'))).toEqual([]);
});
