/** Keys and lock state: wrong password, lock/unlock, auto-lock, close, and what a locked worker keeps in memory. */
import { FAST_KDF, expect, log, test, ANY_PHASE } from './fixtures.ts';
import type { Page } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const PASSWORD = 'Tr0ub4dor&3-e2e';
const OPTIONS = { name: 'vault', password: PASSWORD, kdf: FAST_KDF };

async function open(page: Page, extra: Record<string, unknown> = {}) {
  return page.evaluate((o) => window.t.open('a', o), { ...OPTIONS, ...extra });
}

test('wrong password → WRONG_KEY and not one stored byte changes', ANY_PHASE, async ({ session }) => {
  const page = await (await session()).page('tab');
  expect(await open(page)).toMatchObject({ ok: true });
  await page.evaluate(() => window.t.dbs.a!.exec("CREATE TABLE t (v); INSERT INTO t VALUES ('kept')"));
  await page.evaluate(() => window.t.dbs.a!.close());
  const before = await page.evaluate(() => window.t.digests());
  expect(Object.keys(before)).toContain('vault');

  expect(await open(page, { password: 'not-the-password' })).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  expect(await open(page, { key: Array.from({ length: 32 }, () => 7) })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
  expect(await page.evaluate((o) => window.t.open('a', { ...o, password: undefined, key: new Uint8Array(32).fill(7) } as never), OPTIONS)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  expect(await page.evaluate(() => window.t.digests())).toEqual(before);

  expect(await open(page)).toMatchObject({ ok: true });
  expect(await page.evaluate(() => window.t.dbs.a!.query('SELECT v FROM t'))).toEqual([{ v: 'kept' }]);
});

test('lock → calls reject with LOCKED, lock state is observable, unlock restores; close → CLOSED (idempotent)', ANY_PHASE, async ({ session }) => {
  const page = await (await session()).page('tab');
  expect(await open(page)).toMatchObject({ ok: true });
  const r = await page.evaluate(async (password) => {
    const db = window.t.dbs.a!;
    const states: string[] = [];
    db.onLockState((s) => states.push(s));
    await db.exec('CREATE TABLE t (v); INSERT INTO t VALUES (1)');
    const before = db.lockState;
    await db.lock();
    const afterLock = db.lockState;
    const whileLocked = await Promise.all([
      window.t.capture(db.query('SELECT * FROM t')),
      window.t.capture(db.exec('INSERT INTO t VALUES (2)')),
      window.t.capture(db.transaction(async (tx) => tx.exec('INSERT INTO t VALUES (3)'))),
      window.t.capture(db.tables('SELECT * FROM t')),
    ]);
    const wrong = await window.t.capture(db.unlock('wrong password'));
    const stillLocked = db.lockState;
    await db.unlock(password);
    const rows = await db.query('SELECT v FROM t');
    await db.close();
    await db.close(); // idempotent
    const afterClose = await Promise.all([window.t.capture(db.query('SELECT 1')), window.t.capture(db.unlock(password)), window.t.capture(db.lock())]);
    return { before, afterLock, whileLocked, wrong, stillLocked, rows, afterClose, states, closed: db.closed };
  }, PASSWORD);
  expect(r.before).toBe('unlocked');
  expect(r.afterLock).toBe('locked');
  for (const o of r.whileLocked) expect(o).toMatchObject({ ok: false, code: 'LOCKED' });
  expect(r.wrong).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  expect(r.stillLocked).toBe('locked');
  expect(r.rows).toEqual([{ v: 1 }]);
  for (const o of r.afterClose) expect(o).toMatchObject({ ok: false, code: 'CLOSED' });
  expect(r.closed).toBe(true);
  expect(r.states).toEqual(['locked', 'unlocking', 'locked', 'unlocking', 'unlocked']);
});

test('auto-lock fires after autoLockMs without calls, and activity postpones it', async ({ session }) => {
  const page = await (await session()).page('tab');
  expect(await open(page, { autoLockMs: 600 })).toMatchObject({ ok: true });
  const r = await page.evaluate(async () => {
    const db = window.t.dbs.a!;
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    // Calls every 200 ms for 1.2 s: never idle for 600 ms, so still unlocked.
    for (let i = 0; i < 6; i++) {
      await db.query('SELECT 1 AS one');
      await sleep(200);
    }
    const busy = db.lockState;
    const t0 = performance.now();
    while (db.lockState !== 'locked' && performance.now() - t0 < 5000) await sleep(20);
    return { busy, idleMs: performance.now() - t0, state: db.lockState, call: await window.t.capture(db.query('SELECT 1')) };
  });
  log(`auto-lock after ${Math.round(r.idleMs)} ms idle`);
  expect(r.busy).toBe('unlocked');
  expect(r.state).toBe('locked');
  expect(r.idleMs).toBeGreaterThan(300);
  expect(r.call).toMatchObject({ ok: false, code: 'LOCKED' });
});

test('after lock(), heap snapshots of the leader and follower workers hold no copy of the password (best effort: JS strings)', ANY_PHASE, async ({ session, engine }) => {
  test.skip(engine === 'firefox', 'worker heap snapshots need the Chrome DevTools Protocol (HeapProfiler); Firefox over WebDriver BiDi has no heap snapshot command');
  const p = await session();
  const [a, b] = [await p.page('tab-a'), await p.page('tab-b')];
  // Strings no other code contains, so any hit is ours.
  const password = `pw-${crypto.randomUUID()}`;
  const sqlMarker = `marker_${crypto.randomUUID().replaceAll('-', '')}`;
  expect(await open(a, { password })).toMatchObject({ ok: true, value: { role: 'leader' } });
  expect(await open(b, { password })).toMatchObject({ ok: true, value: { role: 'follower' } });
  await a.evaluate((m) => window.t.dbs.a!.query(`SELECT 1 AS ${m}`), sqlMarker);
  await b.evaluate(() => window.t.dbs.a!.query('SELECT 2 AS two'));

  // Control: a snapshot does see the worker's strings (core caches the statement's SQL).
  const unlocked = await workerHeapSnapshot(a);
  expect(unlocked.includes(sqlMarker), 'control string visible in the worker heap').toBe(true);
  log(`while unlocked, password string in leader worker heap: ${unlocked.includes(password)}`);

  await b.evaluate(() => window.t.dbs.a!.lock());
  await a.evaluate(() => window.t.dbs.a!.lock());
  for (const [label, page] of [
    ['leader', a],
    ['follower', b],
  ] as const) {
    const heap = await workerHeapSnapshot(page);
    expect(heap.length).toBeGreaterThan(100_000);
    expect(heap.includes(password), `password string in the locked ${label} worker heap`).toBe(false);
  }
});

/** Takes a heap snapshot of the page's database worker over CDP (the snapshot collects garbage first). */
async function workerHeapSnapshot(page: Page): Promise<string> {
  const session = await page.context().newCDPSession(page);
  try {
    // Auto-attach is scoped to this page's own workers (other tabs have theirs).
    const attached = new Promise<string>((resolve) =>
      session.on('Target.attachedToTarget', (ev) => {
        if (ev.targetInfo.type === 'worker' && ev.targetInfo.url.includes('/assets/worker')) resolve(ev.sessionId);
      }),
    );
    await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    const sessionId = await attached;
    const chunks: string[] = [];
    const pending = new Map<number, (msg: { error?: unknown }) => void>();
    let nextId = 1;
    session.on('Target.receivedMessageFromTarget', (ev) => {
      if (ev.sessionId !== sessionId) return;
      const msg = JSON.parse(ev.message) as { id?: number; method?: string; params?: { chunk: string }; error?: unknown };
      if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(msg.params!.chunk);
      else if (msg.id !== undefined) pending.get(msg.id)?.(msg);
    });
    const call = (method: string, params: Record<string, unknown> = {}) =>
      new Promise<void>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, (msg) => (msg.error ? reject(new Error(`${method}: ${JSON.stringify(msg.error)}`)) : resolve()));
        void session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      });
    await call('HeapProfiler.enable');
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    await session.send('Target.detachFromTarget', { sessionId });
    return chunks.join('');
  } finally {
    await session.detach();
  }
}
