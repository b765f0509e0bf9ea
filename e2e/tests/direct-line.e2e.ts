/**
 * The direct line between tabs in real browsers: a follower's calls take a MessagePort to the
 * leader's worker, paired by the SharedWorker broker (packages/worker/src/broker.ts). The page's
 * handle counts the messages its worker exchanged with the leader per transport (`lineCounts`).
 * A tab alone never spawns the broker. A leader that closes with a follower's calls in flight over
 * the port loses none and runs none twice; a page without SharedWorker runs everything over
 * BroadcastChannels.
 */
import { FAST_KDF, expect, log, test, ANY_PHASE } from './fixtures.ts';
import type { Page } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const OPTIONS = { name: 'line', password: 'tab password', kdf: FAST_KDF };

async function open(page: Page) {
  return page.evaluate((o) => window.t.open('a', o), OPTIONS);
}

const counts = (page: Page) => page.evaluate(() => window.t.dbs.a!.lineCounts());

/** Reads until the follower's worker got a message over its port (the broker pairs it after its first call). */
async function untilDirect(page: Page): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.evaluate(() => window.t.dbs.a!.get('SELECT 1 AS one'));
        return (await counts(page)).direct;
      },
      { intervals: [20] },
    )
    .toBeGreaterThan(0);
}

test("a follower's get, query, exec and transaction travel over its port to the leader's worker", ANY_PHASE, async ({ session }) => {
  const p = await session();
  const [a, b] = [await p.page('tab-a'), await p.page('tab-b')];
  expect(await open(a)).toMatchObject({ ok: true, value: { role: 'leader' } });
  await a.evaluate(() => window.t.dbs.a!.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)'));
  expect(await open(b)).toMatchObject({ ok: true, value: { role: 'follower' } });
  await untilDirect(b);
  const before = await counts(b);
  const result = await b.evaluate(async () => {
    const db = window.t.dbs.a!;
    for (let i = 0; i < 10; i++) await db.exec('INSERT INTO items (name) VALUES (?)', [`row ${i}`]);
    await db.transaction(async (tx) => {
      await tx.exec("INSERT INTO items (name) VALUES ('in tx')");
    });
    const one = await db.get<{ n: number }>('SELECT count(*) AS n FROM items');
    const all = await db.query('SELECT name FROM items');
    return { n: one!.n, rows: all.length };
  });
  expect(result).toEqual({ n: 11, rows: 11 });
  const after = await counts(b);
  log(`follower messages: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  // Each call is a request, `started` and an answer; none of them took a BroadcastChannel.
  expect(after.direct - before.direct).toBeGreaterThanOrEqual(13 * 3);
  expect(after.broadcast).toBe(before.broadcast);
});

test('a tab alone spawns no broker; a second tab on the database makes both spawn it, and the follower takes the port', ANY_PHASE, async ({ session }) => {
  const p = await session();
  const [a, b] = [await p.page('tab-a'), await p.page('tab-b')];
  // Count the SharedWorkers each page constructs (the page looks the constructor up when it spawns one).
  for (const page of [a, b])
    await page.evaluate(() => {
      const Real = globalThis.SharedWorker;
      const w = globalThis as unknown as { brokers: number; SharedWorker: typeof SharedWorker };
      w.brokers = 0;
      w.SharedWorker = class extends Real {
        constructor(...args: ConstructorParameters<typeof SharedWorker>) {
          super(...args);
          w.brokers++;
        }
      };
    });
  const brokers = (page: Page) => page.evaluate(() => (globalThis as unknown as { brokers: number }).brokers);
  expect(await open(a)).toMatchObject({ ok: true, value: { role: 'leader' } });
  const n = await a.evaluate(async () => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)');
    for (let i = 0; i < 20; i++) await db.exec('INSERT INTO items (name) VALUES (?)', [`row ${i}`]);
    await db.transaction(async (tx) => {
      await tx.exec("INSERT INTO items (name) VALUES ('in tx')");
    });
    return (await db.get<{ n: number }>('SELECT count(*) AS n FROM items'))!.n;
  });
  expect(n).toBe(21);
  expect(await brokers(a)).toBe(0);
  expect(await open(b)).toMatchObject({ ok: true, value: { role: 'follower' } });
  await untilDirect(b);
  expect([await brokers(a), await brokers(b)]).toEqual([1, 1]);
});

test('without SharedWorker (deleted from the page) every call goes over BroadcastChannels and works', ANY_PHASE, async ({ session }) => {
  const p = await session();
  const [a, b] = [await p.page('tab-a'), await p.page('tab-b')];
  for (const page of [a, b]) await page.evaluate(() => delete (globalThis as { SharedWorker?: unknown }).SharedWorker);
  expect(await open(a)).toMatchObject({ ok: true, value: { role: 'leader' } });
  await a.evaluate(() => window.t.dbs.a!.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)'));
  expect(await open(b)).toMatchObject({ ok: true, value: { role: 'follower' } });
  const n = await b.evaluate(async () => {
    const db = window.t.dbs.a!;
    for (let i = 0; i < 10; i++) await db.exec('INSERT INTO items (name) VALUES (?)', [`row ${i}`]);
    return (await db.get<{ n: number }>('SELECT count(*) AS n FROM items'))!.n;
  });
  expect(n).toBe(10);
  const c = await counts(b);
  expect(c.direct).toBe(0);
  expect(c.broadcast).toBeGreaterThanOrEqual(11 * 3);
});

test("the leader tab closes while a follower's calls are in flight over its port: writes once, reads resent, then a port to the new leader", async ({ session }) => {
  const p = await session();
  const [a, b, c] = [await p.page('tab-a'), await p.page('tab-b'), await p.page('tab-c')];
  expect(await open(a)).toMatchObject({ ok: true, value: { role: 'leader' } });
  await a.evaluate(() => window.t.dbs.a!.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, tab TEXT, seq INTEGER)'));
  expect(await open(b)).toMatchObject({ ok: true, value: { role: 'follower' } }); // next in the leader lock's queue
  expect(await open(c)).toMatchObject({ ok: true, value: { role: 'follower' } });
  await untilDirect(c);

  // C writes and reads in a loop (each write recorded, each read repeatable) while A closes.
  const loop = c.evaluate(async () => {
    const db = window.t.dbs.a!;
    let ok = 0;
    const failures: string[] = [];
    for (let i = 0; i < 300; i++) {
      const w = await window.t.capture(db.exec("INSERT INTO orders (tab, seq) VALUES ('c', ?)", [i]));
      const r = await window.t.capture(db.get("SELECT count(*) AS n FROM orders WHERE tab = 'c'"));
      if (w.ok) ok++;
      else failures.push(`write ${w.code}: ${w.message}`);
      if (!r.ok) failures.push(`read ${r.code}: ${r.message}`);
    }
    return { ok, failures };
  });
  await expect.poll(() => counts(c).then((n) => n.direct), { intervals: [20] }).toBeGreaterThan(60);
  await a.close({ runBeforeUnload: false });
  const rc = await loop;
  log(`follower over the port: ${rc.ok} writes acknowledged; failures: ${JSON.stringify(rc.failures)}`);
  expect(rc).toEqual({ ok: 300, failures: [] });
  expect(await b.evaluate(() => window.t.dbs.a!.role)).toBe('leader');
  // Every write exactly once.
  expect(await b.evaluate(() => window.t.dbs.a!.query("SELECT count(*) AS n, count(DISTINCT seq) AS d FROM orders WHERE tab = 'c'"))).toEqual([{ n: 300, d: 300 }]);
  // C pairs with the new leader: its calls take a port again.
  const before = await counts(c);
  await expect
    .poll(
      async () => {
        await c.evaluate(() => window.t.dbs.a!.get('SELECT 1 AS one'));
        return (await counts(c)).direct - before.direct;
      },
      { intervals: [20] },
    )
    .toBeGreaterThan(0);
  const settled = await counts(c);
  await c.evaluate(() => window.t.dbs.a!.query('SELECT count(*) FROM orders'));
  const last = await counts(c);
  expect(last.broadcast).toBe(settled.broadcast);
  expect(last.direct).toBeGreaterThan(settled.direct);
});
