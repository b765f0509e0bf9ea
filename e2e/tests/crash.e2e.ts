/**
 * Killed mid-transaction (docs/SECURITY-TESTS.md #19, 20): a large write transaction — it rewrites every
 * existing row (so the rollback journal holds real pages) and appends thousands — is cut off by
 * closing the tab without waiting, by CDP `Page.crash`, by `worker.terminate()`, and by killing
 * the whole browser. Reopening must give `integrity_check` ok and the transaction either fully
 * there or fully absent, never a mix. A small page cache makes SQLite spill and journal during
 * the transaction, not only at COMMIT, so every phase of the write is exposed to the kill.
 */
import { readdir, readFile } from 'node:fs/promises';
import { BASE_URL, FAST_KDF, expect, log, openPage, test } from './fixtures.ts';
import type { Page, Profile } from './fixtures.ts';
import { engineTimeout, launchPersistent } from './env.ts';
import type { Engine } from './env.ts';
import type {} from '../test-app/main.ts';

// The rollback-journal runs name their mode: the worker's default is WAL.
const BASE_OPTIONS = { name: 'crashy', password: 'crash test', kdf: FAST_KDF, cacheSizeKiB: 256, journalMode: 'TRUNCATE' as 'TRUNCATE' | 'WAL' };
let OPTIONS: typeof BASE_OPTIONS = BASE_OPTIONS;
const BASE_ROWS = 3000;
const NEW_ROWS = 10_000;

const CHUNKS = 20;

/**
 * One transaction: every base row gets generation `gen` (payload rotated), plus NEW_ROWS rows of
 * batch `gen`, inserted in CHUNKS statements.
 */
const bigTransaction = (gen: number) => [
  { sql: 'UPDATE big SET gen = ?, payload = substr(payload, 2) || substr(payload, 1, 1) WHERE batch = 0', params: [gen] },
  ...Array.from({ length: CHUNKS }, () => ({
    sql: `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${NEW_ROWS / CHUNKS})
          INSERT INTO big (batch, gen, payload) SELECT ?, ?, hex(randomblob(600)) FROM c`,
    params: [gen, gen],
  })),
];

async function open(page: Page, ownWorker = false) {
  const r = await page.evaluate(([o, own]) => window.t.open('a', o, own), [OPTIONS, ownWorker] as const);
  expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
}

/** The database's state: must be exactly "before gen" or "after gen". */
async function state(page: Page) {
  return page.evaluate(async () => {
    const db = window.t.dbs.a!;
    return {
      integrity: (await db.query<{ integrity_check: string }>('PRAGMA integrity_check')).map((r) => r.integrity_check),
      baseGens: await db.query<{ gen: number; n: number }>('SELECT gen, count(*) AS n FROM big WHERE batch = 0 GROUP BY gen'),
      batches: await db.query<{ batch: number; n: number }>('SELECT batch, count(*) AS n FROM big WHERE batch > 0 GROUP BY batch ORDER BY batch'),
    };
  });
}

/** Checks the all-or-nothing invariant; returns whether generation `gen` committed. */
function checkState(s: Awaited<ReturnType<typeof state>>, committed: number[], gen: number): boolean {
  expect(s.integrity).toEqual(['ok']);
  expect(s.baseGens).toHaveLength(1); // never a mix of generations among the base rows
  expect(s.baseGens[0]!.n).toBe(BASE_ROWS);
  const present = s.baseGens[0]!.gen === gen;
  const expected = [...committed, ...(present ? [gen] : [])].map((batch) => ({ batch, n: NEW_ROWS }));
  expect(s.batches).toEqual(expected);
  return present;
}

/**
 * Starts the transaction without waiting for it: as one `batch` (one long task in the worker), or
 * `interactive`ly, one round trip per statement (many short tasks: Chromium's `terminate()` stops
 * a worker at the next task boundary and interrupts a running task only after a 2 s grace period).
 */
async function startTransaction(page: Page, gen: number, interactive = false) {
  await page.evaluate(
    ([stmts, interactive, gen]) => {
      const db = window.t.dbs.a!;
      const run = interactive
        ? db.transaction(async (tx) => {
            for (const s of stmts) await tx.exec(s.sql, s.params);
          })
        : db.batch(stmts);
      // Marks the page once the commit is acknowledged (the answer reached the page).
      void run.then(
        () => (document.body.dataset.acknowledged = String(gen)),
        () => undefined,
      );
    },
    [bigTransaction(gen), interactive, gen] as const,
  );
}

/** Waits until the page holds the acknowledgement of generation `gen`'s commit. */
async function acknowledged(page: Page, gen: number): Promise<void> {
  await page.waitForFunction((g) => document.body.dataset.acknowledged === String(g), gen, { timeout: 60_000 });
}

async function listFiles(page: Page) {
  for (let i = 0; i < 20; i++) {
    const files = await page.evaluate(() => window.t.capture(window.t.list()));
    if (files.ok) return files.value;
    await page.waitForTimeout(100);
  }
  return 'unavailable';
}

type Kill = 'close' | 'crash' | 'terminate' | 'browser';

/**
 * When to kill: at `fraction` of the measured duration of one uninterrupted transaction, or
 * `acknowledged`: as soon as the commit's answer reached the page — an acknowledged commit must
 * survive any kill.
 */
type Step = { kill: Kill; fraction: number } | { kill: Kill; acknowledged: true };

const ROLLBACK_JOURNAL_PLAN: Step[] = [
  { kill: 'close', fraction: 0.2 },
  { kill: 'close', fraction: 0.6 },
  { kill: 'crash', fraction: 0.4 },
  { kill: 'crash', fraction: 0.9 },
  { kill: 'terminate', fraction: 0.5 },
  { kill: 'terminate', fraction: 0.8 },
  { kill: 'browser', fraction: 0.5 },
  // After the commit was acknowledged: the transaction must survive the kill.
  { kill: 'crash', acknowledged: true },
];

const WAL_PLAN: Step[] = [
  { kill: 'close', fraction: 0.5 },
  { kill: 'crash', fraction: 0.7 },
  { kill: 'terminate', fraction: 0.6 },
  { kill: 'browser', fraction: 0.5 },
  { kill: 'crash', acknowledged: true },
];

/**
 * Firefox: a content process cannot be crashed from the test (that is CDP `Page.crash`; WebDriver
 * BiDi has no such command), so its 'crash' steps close the tab instead; the browser is killed
 * with SIGKILL to its process (CDP `Browser.crash` in Chromium).
 */
function forEngine(plan: Step[], engine: Engine): Step[] {
  return engine === 'firefox' ? plan.map((s) => (s.kill === 'crash' ? { ...s, kill: 'close' } : s)) : plan;
}

/** SIGKILLs the browser this test started on profile `dir` (found by its command line). */
async function killBrowserOn(dir: string): Promise<void> {
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0');
    if (argv[0]?.includes('firefox') && argv.includes(dir)) process.kill(Number(pid), 'SIGKILL');
  }
}

test('killed mid-transaction (tab closed, renderer crashed, worker terminated, browser killed) → before or after, never a mix', async ({ profile, engine }) => {
  OPTIONS = BASE_OPTIONS;
  await killTest(await profile(), forEngine(ROLLBACK_JOURNAL_PLAN, engine), engine);
});

test('the same in WAL mode (exclusive locking): killed mid-transaction → before or after, never a mix', async ({ profile, engine }) => {
  OPTIONS = { ...BASE_OPTIONS, journalMode: 'WAL' };
  await killTest(await profile(), forEngine(WAL_PLAN, engine), engine);
});

async function killTest(p: Profile, plan: Step[], engine: Engine) {
  test.setTimeout(engineTimeout(engine, 240_000));
  let page = await p.page('setup');
  await open(page);
  await page.evaluate(async (n) => {
    const db = window.t.dbs.a!;
    await db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, gen INTEGER NOT NULL, payload TEXT NOT NULL)');
    await db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}) INSERT INTO big (batch, gen, payload) SELECT 0, 0, hex(randomblob(600)) FROM c`);
  }, BASE_ROWS);

  // Generation 1 runs uninterrupted: it measures how long the transaction takes.
  const ms = await page.evaluate(async (stmts) => {
    const t0 = performance.now();
    await window.t.dbs.a!.batch(stmts);
    return performance.now() - t0;
  }, bigTransaction(1));
  log(`one big transaction takes ${Math.round(ms)} ms`);
  const committed = [1];
  checkState(await state(page), [], 1);

  const outcomes: string[] = [];
  let gen = 1;
  for (const step of plan) {
    const { kill } = step;
    gen++;
    if (kill === 'terminate') {
      // The app-supplied worker, so the page can terminate it.
      await page.evaluate(() => window.t.dbs.a?.close());
      await open(page, true);
    }
    await startTransaction(page, gen, kill === 'terminate');
    if ('acknowledged' in step) await acknowledged(page, gen);
    else await page.waitForTimeout(Math.round(ms * step.fraction));
    switch (kill) {
      case 'close':
        void page.close({ runBeforeUnload: false }); // not awaited: the next tab races the dying one
        page = await p.page(`after-close-${gen}`);
        break;
      case 'crash': {
        const session = await p.context.newCDPSession(page);
        void session.send('Page.crash').catch(() => undefined);
        await page.waitForEvent('crash');
        await page.close().catch(() => undefined);
        page = await p.page(`after-crash-${gen}`);
        break;
      }
      case 'terminate':
        await page.evaluate(() => window.t.workers.a!.terminate());
        await page.evaluate(() => window.t.dbs.a?.dispose());
        break;
      case 'browser': {
        const closed = new Promise<void>((resolve) => p.context.once('close', () => resolve()));
        if (engine === 'chromium') {
          const session = await p.context.browser()!.newBrowserCDPSession();
          void session.send('Browser.crash').catch(() => undefined);
        } else {
          await killBrowserOn(p.dir);
        }
        await closed;
        p.context = await launchPersistent(engine, p.dir, { baseURL: BASE_URL });
        page = await openPage(p.context, `after-browser-kill-${gen}`);
        break;
      }
    }
    const files = await listFiles(page);
    await open(page);
    const present = checkState(await state(page), committed, gen);
    if (present) committed.push(gen);
    const when = 'acknowledged' in step ? 'once acknowledged' : `at ${Math.round(step.fraction * 100)}%`;
    const outcome = `${kill} ${when}: ${present ? 'committed' : 'rolled back'}; files before reopen ${JSON.stringify(files)}`;
    log(outcome);
    outcomes.push(outcome);
  }
  // The kills landed inside transactions, not only after them.
  expect(outcomes.filter((o) => o.includes('rolled back')).length).toBeGreaterThanOrEqual(2);
  expect(outcomes.at(-1)).toContain('committed');
  // And the database is still fully usable.
  expect(await page.evaluate(() => window.t.dbs.a!.exec("INSERT INTO big (batch, gen, payload) VALUES (-1, -1, 'alive')"))).toMatchObject({ changes: 1 });
}
