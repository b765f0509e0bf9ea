/**
 * Multi-device sync in the browser, against a real S3 service (Ceph RGW, scripts/s3.sh) through
 * CORS: browser contexts are tablets (each its own storage). Tablet A creates the sync replica,
 * B joins with the password; both go offline and ring up sales (an order + a stock counter
 * decrement each) and edit one product's price; back online they hold the same orders, the same
 * totals, the price of the later entry in log order, and the stock lowered by both. A third
 * tablet joins afterwards and converges; A removes B, whose next push is SYNC_DEVICE_REMOVED; on tablet A a second tab (a follower) writes through the
 * leader, whose scheduler alone syncs, and takes over when the leader tab closes. Short intervals come from the options, not from sleeps.
 */
import { test, expect, FAST_KDF, log, type Page } from './fixtures.ts';
import { freshBucket, scanBucket, startS3, type Bucket } from './replica-helpers.ts';

const PASSWORD = 'shop sync pw';
const MARKER = 'SYNC-MARKER-41c9';
let endpoint = '';

test.beforeAll(() => {
  test.setTimeout(300_000);
  // Started when down, never stopped here: other specs and engineers share the gateway.
  ({ endpoint } = startS3());
  log(`RGW at ${endpoint}`);
});

/** Fast rounds for the test: pull every 150 ms, push 20 ms after a sale, retry every 200–400 ms. */
const syncOptions = (b: Bucket) => ({
  replica: { endpoint: b.endpoint, bucket: b.bucket, prefix: b.prefix, credentials: b.credentials },
  tables: { product: { counters: ['stock'] } },
  pullIntervalMs: 150,
  pushDebounceMs: 20,
  retryMinMs: 200,
  retryMaxMs: 400,
});

const SCHEMA = `
  CREATE TABLE product (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL, stock INTEGER NOT NULL CHECK (stock >= 0));
  CREATE TABLE orders (id TEXT PRIMARY KEY, tablet TEXT NOT NULL, product INTEGER NOT NULL REFERENCES product(id), qty INTEGER NOT NULL, total INTEGER NOT NULL, note TEXT);
  INSERT INTO product VALUES (1, 'coffee', 300, 100), (2, 'bagel', 450, 50);`;

/** Tablet A: the database with its baseline schema and stock, made the first device of a new sync replica. */
async function createShop(page: Page, b: Bucket): Promise<void> {
  expect(await page.evaluate((o) => window.t.open('shop', o), { name: 'shop', password: PASSWORD, kdf: FAST_KDF })).toMatchObject({ ok: true, value: { role: 'leader' } });
  const created = await page.evaluate(
    async ([schema, options]) => {
      const db = window.t.dbs.shop!;
      for (const sql of schema.split(';').filter((s) => s.trim())) await db.exec(sql);
      return window.t.capture(db.sync.create(options));
    },
    [SCHEMA, syncOptions(b)] as const,
  );
  expect(created).toEqual({ ok: true, value: undefined });
}

async function joinShop(page: Page, b: Bucket): Promise<void> {
  const joined = await page.evaluate((o) => window.t.join('shop', o), { name: 'shop', password: PASSWORD, kdf: FAST_KDF, sync: syncOptions(b) });
  expect(joined).toMatchObject({ ok: true, value: { role: 'leader' } });
}

/** Rings up `count` sales of `qty` items of `product` (1: coffee) on tablet `tablet`: one sync transaction each (order + stock counter). */
async function sell(page: Page, tablet: string, count: number, qty: number, product = 1): Promise<void> {
  await page.evaluate(
    async ([tablet, count, qty, product, marker]) => {
      const db = window.t.dbs.shop!;
      for (let i = 0; i < count; i++) {
        await db.sync.transaction(async (tx) => {
          const price = Number((await tx.get('SELECT price FROM product WHERE id = ?', [product]))!.price);
          await tx.exec('INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)', [`${tablet}-${i}-${crypto.randomUUID()}`, tablet, product, qty, qty * price, `${marker} ${tablet}`]);
          await tx.exec('UPDATE product SET stock = stock - ? WHERE id = ?', [qty, product]);
        });
      }
    },
    [tablet, count, qty, product, MARKER] as const,
  );
}

const setPrice = (page: Page, price: number) => page.evaluate((price) => window.t.dbs.shop!.sync.transaction((tx) => tx.exec('UPDATE product SET price = ? WHERE id = 1', [price])), price);

/** What every tablet must agree on. */
const shopState = (page: Page, id = 'shop') =>
  page.evaluate(async (id) => {
    const db = window.t.dbs[id]!;
    const orders = (await db.query('SELECT id, tablet, qty, total FROM orders ORDER BY id')).map((r) => `${String(r.id)}:${String(r.tablet)}:${Number(r.qty)}:${Number(r.total)}`);
    const totals = await db.query('SELECT tablet, count(*) AS n, sum(total) AS total FROM orders GROUP BY tablet ORDER BY tablet');
    const product = await db.query('SELECT id, price, stock FROM product ORDER BY id');
    return { orders, totals, product };
  }, id);

const syncStatus = (page: Page, id = 'shop') => page.evaluate((id) => window.t.dbs[id]!.sync.status(), id);

test('two tablets sell offline, converge online (same orders and totals, later price in log order, stock lowered by both, a sale below zero stock dropped and reported); a third joins later; a second tab writes through the leader and takes over', async ({
  session,
}) => {
  const b = await freshBucket(endpoint);
  const a = await session();
  const tb = await session();
  const pageA = await a.page('tablet-a');
  const pageB = await tb.page('tablet-b');
  await createShop(pageA, b);
  await joinShop(pageB, b);
  // B's first round replays the log (nothing yet) and both sit at the genesis, idle.
  for (const p of [pageA, pageB]) await expect.poll(() => syncStatus(p), { timeout: 15_000 }).toMatchObject({ state: 'idle', pending: 0, lastError: null });
  const devA = (await syncStatus(pageA)).device;
  const devB = (await syncStatus(pageB)).device;
  expect(devA).not.toBe(devB);

  await a.context.setOffline(true);
  await tb.context.setOffline(true);
  await sell(pageA, 'A', 3, 2);
  await sell(pageB, 'B', 4, 1);
  await setPrice(pageA, 320);
  await setPrice(pageB, 350);
  // Each sells 30 of the 50 bagels: merged, the later sale would break CHECK (stock >= 0).
  await sell(pageA, 'A', 1, 30, 2);
  await sell(pageB, 'B', 1, 30, 2);
  for (const [p, pending] of [
    [pageA, 5],
    [pageB, 6],
  ] as const) {
    await expect.poll(() => syncStatus(p), { timeout: 15_000 }).toMatchObject({ state: 'offline', pending, lastError: { code: 'REPLICA_UNAVAILABLE' } });
  }
  const changesBefore = await pageA.evaluate(() => window.t.events.length);

  // A comes back first, then B: B's entries follow A's in the log, so B's price (350) is the later write.
  // Each device's first push begins with its signed registration entry (docs/SYNC.md "Device identity
  // and removal"): A's is at 1 and its 5 transactions at 2..6; B's at 7 and its 6 at 8..13.
  await a.context.setOffline(false);
  await expect.poll(() => syncStatus(pageA), { timeout: 15_000 }).toMatchObject({ state: 'idle', pending: 0, seq: 6 });
  await tb.context.setOffline(false);
  await expect.poll(() => syncStatus(pageB), { timeout: 15_000 }).toMatchObject({ state: 'idle', pending: 0, seq: 13 });
  await expect.poll(() => syncStatus(pageA), { timeout: 15_000 }).toMatchObject({ seq: 13, pending: 0 });

  const stateA = await shopState(pageA);
  expect(await shopState(pageB)).toEqual(stateA);
  expect(stateA.orders).toHaveLength(9);
  // Sales ran on each tablet's own price at the time: A's 3 × 2 coffees at 300 and 30 bagels at 450, B's 4 × 1 coffees and 30 bagels.
  expect(stateA.totals).toEqual([
    { tablet: 'A', n: 4, total: 1800 + 13_500 },
    { tablet: 'B', n: 5, total: 1200 + 13_500 },
  ]);
  // Coffee: both decrements. Bagels: B's decrement (the later entry) would go below 0 and is dropped on every device; its order stays.
  expect(stateA.product).toEqual([
    { id: 1, price: 350, stock: 100 - 6 - 4 },
    { id: 2, price: 450, stock: 20 },
  ]);
  // Every tab hears the dropped change: on A it came from the log, written by B.
  const dropped = await pageA.evaluate(() => window.t.events.filter((e) => e.kind === 'syncConflict').map((e) => e.value));
  expect(dropped).toEqual([expect.objectContaining({ table: 'product', op: 'UPDATE', reason: 'constraint', origin: 'log', seq: 13, device: devB })]);
  // A's live queries heard B's orders arrive (change events for the tables the pull touched).
  const heard = await pageA.evaluate(
    (from) =>
      window.t.events
        .slice(from)
        .filter((e) => e.db === 'shop' && e.kind === 'change')
        .flatMap((e) => e.value as string[]),
    changesBefore,
  );
  expect(heard).toEqual(expect.arrayContaining(['orders', 'product']));
  // Each tablet saw the other in the log, with the time it wrote.
  const seen = (await syncStatus(pageA)).devices;
  expect(seen.map((d) => d.device)).toEqual([devB]);
  expect(seen[0]!.lastSeq).toBe(13);
  expect(seen[0]!.lastSeenAt).toBeGreaterThan(Date.now() - 120_000);

  // A third tablet joins later: it replays the log and holds the same state.
  const tc = await session();
  const pageC = await tc.page('tablet-c');
  await joinShop(pageC, b);
  await expect.poll(() => syncStatus(pageC), { timeout: 15_000 }).toMatchObject({ state: 'idle', seq: 13, pending: 0 });
  expect(await shopState(pageC)).toEqual(stateA);

  // A second tab on tablet A: a follower, its sync transaction runs in the leader's worker, which pushes it.
  const pageA2 = await a.page('tablet-a-tab-2');
  expect(await pageA2.evaluate((o) => window.t.open('shop', o), { name: 'shop', password: PASSWORD, kdf: FAST_KDF, sync: syncOptions(b) })).toMatchObject({ ok: true, value: { role: 'follower' } });
  await sell(pageA2, 'A', 1, 5);
  // The follower asks the leader: one device (A's), one scheduler.
  expect(await syncStatus(pageA2)).toMatchObject({ device: devA });
  // The device list too: the follower's call runs in A's leader (A is this device; B's last contact is its entry 13).
  expect(await pageA2.evaluate(() => window.t.dbs.shop!.sync.devices())).toEqual([
    expect.objectContaining({ device: devA, self: true, removedSeq: null }),
    expect.objectContaining({ device: devB, self: false, removedSeq: null, lastSeq: 13 }),
  ]);
  await expect.poll(() => syncStatus(pageC), { timeout: 15_000 }).toMatchObject({ seq: 14 });
  expect((await shopState(pageC)).product[0]).toEqual({ id: 1, price: 350, stock: 85 });
  await expect.poll(() => shopState(pageB), { timeout: 15_000 }).toEqual(await shopState(pageA2));
  // Every tab hears the leader's status; the follower's came from A's leader.
  const followerHeard = await pageA2.evaluate(() => window.t.events.filter((e) => e.kind === 'sync').map((e) => (e.value as { device: string }).device));
  expect(new Set(followerHeard)).toEqual(new Set([devA]));
  // C saw entries of A and B only: the follower tab wrote as device A, through A's leader.
  expect(new Set((await syncStatus(pageC)).devices.map((d) => d.device))).toEqual(new Set([devA, devB]));

  // The leader tab closes: the follower takes over and its own scheduler continues from the same queue and position.
  await pageA.close();
  await expect.poll(() => pageA2.evaluate(() => window.t.dbs.shop!.role), { timeout: 15_000 }).toBe('leader');
  await sell(pageA2, 'A', 1, 1);
  await expect.poll(() => syncStatus(pageC), { timeout: 15_000 }).toMatchObject({ seq: 15 });
  expect(await syncStatus(pageA2)).toMatchObject({ device: devA, seq: 15, pending: 0 });
  expect((await shopState(pageC)).product[0]).toEqual({ id: 1, price: 350, stock: 84 });

  // A lost tablet: A removes B. B's next push is refused (SYNC_DEVICE_REMOVED) with its sale kept in its queue, never in the log;
  // B's tabs hear it in the status; C lists B as removed, with its last contact (its newest entry, 13) and nothing of the sale.
  expect(await pageA2.evaluate((id) => window.t.dbs.shop!.sync.removeDevice(id), devB)).toMatchObject({ seq: 16 });
  await sell(pageB, 'B', 1, 1);
  await expect.poll(() => syncStatus(pageB), { timeout: 15_000 }).toMatchObject({ state: 'error', pending: 1, lastError: { code: 'SYNC_DEVICE_REMOVED' } });
  expect(await pageB.evaluate(() => window.t.capture(window.t.dbs.shop!.sync.pushNow()))).toMatchObject({ ok: false, code: 'SYNC_DEVICE_REMOVED' });
  const removedHeard = await pageB.evaluate(
    () => window.t.events.filter((e) => e.kind === 'sync' && (e.value as { lastError: { code: string } | null }).lastError?.code === 'SYNC_DEVICE_REMOVED').length,
  );
  expect(removedHeard).toBeGreaterThan(0);
  await expect.poll(() => syncStatus(pageC), { timeout: 15_000 }).toMatchObject({ seq: 16 });
  const listedOnC = await pageC.evaluate(() => window.t.dbs.shop!.sync.devices());
  expect(listedOnC).toEqual([
    expect.objectContaining({ device: devA, addedSeq: 1, removedSeq: null, self: false, lastSeq: 16 }),
    expect.objectContaining({ device: devB, addedSeq: 7, removedSeq: 16, self: false, lastSeq: 13 }),
  ]);
  expect(listedOnC[1]!.lastSeenAt).toBeGreaterThan(Date.now() - 120_000);
  expect((await shopState(pageC)).product[0]).toEqual({ id: 1, price: 350, stock: 84 });
  // Nothing of B's reached the log after its removal, so no device skipped an entry.
  for (const p of [pageA2, pageB, pageC]) expect(await p.evaluate(() => window.t.events.filter((e) => e.kind === 'syncRefused'))).toEqual([]);

  const scan = await scanBucket(b, [MARKER, 'coffee', 'CREATE TABLE', PASSWORD]);
  expect(scan.keys.length).toBeGreaterThan(5);
  expect(scan.hits).toEqual([]);
});

test('a write outside the synced tables is refused (SYNC_TABLE) and rolls back; a schema change travels through the log; a sync transaction without sync running is INVALID_ARGUMENT', async ({
  session,
}) => {
  const b = await freshBucket(endpoint);
  const page = await (await session()).page('tablet');
  await createShop(page, b);
  const refused = await page.evaluate(async () => {
    const db = window.t.dbs.shop!;
    await db.exec('CREATE TABLE scratch (id INTEGER PRIMARY KEY)');
    const outcome = await window.t.capture(
      db.sync.transaction(async (tx) => {
        await tx.exec('UPDATE product SET stock = 0 WHERE id = 2');
        await tx.exec('INSERT INTO scratch VALUES (1)');
      }),
    );
    return { outcome, stock: Number((await db.get('SELECT stock FROM product WHERE id = 2'))!.stock), pending: (await db.sync.status()).pending };
  });
  expect(refused).toMatchObject({ outcome: { ok: false, code: 'SYNC_TABLE' }, stock: 50, pending: 0 });

  // A schema change goes through the log; the same version again is a no-op.
  const migrated = await page.evaluate(async () => {
    const db = window.t.dbs.shop!;
    const first = await db.sync.migrate(1, 'ALTER TABLE product ADD COLUMN note TEXT');
    await db.sync.transaction((tx) => tx.exec(`UPDATE product SET note = 'seasonal' WHERE id = 2`));
    const again = await db.sync.migrate(1, 'ALTER TABLE product ADD COLUMN note TEXT');
    return { first, again, pushed: await db.sync.pushNow(), note: (await db.get('SELECT note FROM product WHERE id = 2'))!.note };
  });
  // The device's registration entry (1) precedes its first write, the schema entry (2).
  expect(migrated.first).toMatchObject({ schemaVersion: 1, seq: 2 });
  expect(migrated.again).toMatchObject({ schemaVersion: 1 });
  expect(migrated.pushed).toMatchObject({ state: 'idle', seq: 3, pending: 0 });
  expect(migrated.note).toBe('seasonal');

  expect(await page.evaluate((o) => window.t.open('plain', o), { name: 'plain', password: PASSWORD, kdf: FAST_KDF })).toMatchObject({ ok: true });
  const noSync = await page.evaluate(() => window.t.capture(window.t.dbs.plain!.sync.transaction((tx) => tx.exec('SELECT 1'))));
  expect(noSync).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
});
