/**
 * `pnpm bench:latency` (root: `npm run bench:latency`): what users wait for, measured in headless
 * Chromium (or Firefox ESR, `BENCH_BROWSER`) with a persistent profile (real OPFS), printed side by
 * side with the floor and the peer:
 *
 *  1. per-call latency main thread → worker → main thread: cipherlite (`openDatabase`), a bare
 *     worker on plain opfs-sahpool (the floor), the same through Comlink, SQLocal (the peer);
 *     median and p99;
 *  2. the same calls from a follower tab — over the direct line's port and over BroadcastChannels
 *     (a tab without SharedWorker) — and leader failover (leader tab closed → first success);
 *  3. live queries: 20 `useQuery` hooks, one write → affected hook re-rendered; unaffected re-runs;
 *  4. startup: time to first query from a fresh page load, split in phases, vs plain;
 *  5. long operations and scale: bulk insert, memory at each size, rekey/backup/verify/export MB/s,
 *     cold open — cipherlite vs plain.
 * Results: bench/results/latency-<browser>-latest.json (and a timestamped copy; not committed).
 *
 * Options (env): BENCH_QUICK=1 (small counts: checks the harness end to end, not for figures),
 * BENCH_CALLS (timed calls per operation; 5000), BENCH_LATENCY_ROWS (10000),
 * BENCH_SCALE_STEPS (row counts, comma-separated; 10000,100000,1000000), BENCH_LIVE_WRITES (100),
 * BENCH_STARTUP_LOADS (5), BENCH_ONLY (comma-separated sections: latency,follower,live,startup,scale),
 * BENCH_FOLLOWER_LINES (the follower's transports measured, in one run: port,broadcast),
 * BENCH_BROWSER (chromium, the default, or firefox: Debian's Firefox ESR over WebDriver BiDi, started
 * as the e2e suite starts it).
 *
 * In Firefox every section runs; what only Chromium can measure is printed "n/a": the renderer
 * PSS of table 5c (read from Chromium's processes) and the worker JS heap
 * (`performance.measureUserAgentSpecificMemory`, which Firefox lacks). The Chromium switch that
 * makes that call answer at once is passed to Chromium alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ClientKind, LatencyConfig, LatencyFigures, LatencyOp, LongOp, MemorySample, ScaleFigures } from './app/latency-protocol.ts';
import { LATENCY_OPS } from './app/latency-protocol.ts';
import type { LiveFigures } from './app/live-page.ts';
import { benchBrowser, BROWSER_NAMES, buildApp, forwardConsole, launchBrowser, median, rendererMemoryBytes, serve, timeFirstQuery } from './harness.ts';

const env = process.env;
const quick = env['BENCH_QUICK'] === '1';
const num = (name: string, full: number, small: number) => Number(env[name] ?? (quick ? small : full));
const latencyCfg: LatencyConfig = { rows: num('BENCH_LATENCY_ROWS', 10_000, 2_000), calls: num('BENCH_CALLS', 5_000, 200), warmup: quick ? 20 : 200 };
const scaleSteps = (env['BENCH_SCALE_STEPS'] ?? (quick ? '1000,5000,20000' : '10000,100000,1000000')).split(',').map(Number);
const liveWrites = num('BENCH_LIVE_WRITES', 100, 10);
const startupLoads = num('BENCH_STARTUP_LOADS', 5, 2);
const followerLines = (env['BENCH_FOLLOWER_LINES'] ?? 'port,broadcast').split(',').map((line): 'port' | 'broadcast' => {
  if (line !== 'port' && line !== 'broadcast') throw new Error(`BENCH_FOLLOWER_LINES: expected port and/or broadcast, got "${line}"`);
  return line;
});
const engine = benchBrowser(env['BENCH_BROWSER']);
const sections = new Set((env['BENCH_ONLY'] ?? 'latency,follower,live,startup,scale').split(','));
const KINDS: ClientKind[] = ['cipherlite', 'bare', 'bareComlink', 'sqlocal'];
const LABELS: Record<LatencyOp, string> = {
  get: 'point get',
  query20: 'query, 20 rows',
  exec: 'single-row exec (autocommit, durable)',
  transaction10: 'transaction, 10 statements (12 round trips)',
  batch10: 'batch, 10 statements (1 round trip)',
};
/** Goals of the issue. */
const GOAL = { vsBare: 1.2, followerVsLeader: 2, startupOverKdfMs: 150, longOpMBs: 100, progressGapMs: 250 };

const ms = (x: number) => x.toFixed(x < 10 ? 3 : 1);
const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
type Table = Record<string, Record<string, string | number>>;
const results: Record<string, unknown> = {};

function print(title: string, table: Table): void {
  console.log(`\n${title} [${BROWSER_NAMES[engine]}]`);
  console.table(table);
}

async function openPage(origin: string, path: string, label: string): Promise<Page> {
  const page = await browser.context.newPage();
  forwardConsole(page, label);
  await page.goto(`${origin}${path}`);
  return page;
}

async function latency(page: Page, kind: ClientKind, ops: readonly LatencyOp[]): Promise<Record<string, LatencyFigures>> {
  return page.evaluate(([k, o, c]) => window.latencyBench.latency(k, o, c), [kind, [...ops], latencyCfg] as const);
}

const server = await serve(await buildApp(), { isolated: ['/latency.html'] });
// Without the flag, measureUserAgentSpecificMemory() waits for the next garbage collection (up to 20 s).
const browser = await launchBrowser({ engine, chromiumArgs: ['--enable-blink-features=ForceEagerMeasureMemory'], origin: server.origin });
const browserVersion = browser.context.browser()?.version() ?? 'version unknown';
console.log(`cipherlite user-facing benchmark in ${BROWSER_NAMES[engine]} (${browserVersion})${quick ? ' — QUICK MODE (small counts: checks the harness, not figures to publish)' : ''}`);
console.log(
  `per-call: ${latencyCfg.calls} timed calls per operation after ${latencyCfg.warmup} warm-up calls, table of ${latencyCfg.rows} rows (~150 B each); scale steps ${scaleSteps.join(' / ')} rows`,
);

try {
  const leader = await openPage(server.origin, '/latency.html', 'tab 1');
  if (!(await leader.evaluate(() => window.latencyBench.crossOriginIsolated()))) throw new Error('latency.html is not cross-origin isolated (SQLocal needs it)');

  // ---- 1. per-call latency, the three clients interleaved operation by operation ----
  const perCall: Record<ClientKind, Record<string, LatencyFigures>> = { cipherlite: {}, bare: {}, bareComlink: {}, sqlocal: {} };
  // The follower section needs the cipherlite database alone; the other clients are for table 1.
  const opened = sections.has('latency') ? KINDS : sections.has('follower') ? (['cipherlite'] as const) : [];
  for (const kind of opened) await leader.evaluate(([k, rows]) => window.latencyBench.open(k, `latency-${k}`, rows), [kind, latencyCfg.rows] as const);
  if (sections.has('latency')) {
    for (const op of LATENCY_OPS) for (const kind of KINDS) Object.assign(perCall[kind], await latency(leader, kind, [op]));
    const table: Table = {};
    for (const op of LATENCY_OPS) {
      const [c, b, bc, s] = KINDS.map((k) => perCall[k][op]!);
      table[LABELS[op]] = {
        'cipherlite p50': ms(c!.medianMs),
        'bare p50': ms(b!.medianMs),
        'bare+Comlink p50': ms(bc!.medianMs),
        'SQLocal p50': ms(s!.medianMs),
        'cipherlite p99': ms(c!.p99Ms),
        'bare p99': ms(b!.p99Ms),
        'bare+Comlink p99': ms(bc!.p99Ms),
        'SQLocal p99': ms(s!.p99Ms),
        'ratio vs bare (p50)': (c!.medianMs / b!.medianMs).toFixed(2),
        'ratio vs bare+Comlink (p50)': (c!.medianMs / bc!.medianMs).toFixed(2),
        [`≤ ${GOAL.vsBare}× bare`]: yes(c!.medianMs <= GOAL.vsBare * b!.medianMs),
        'ahead of SQLocal': yes(c!.medianMs < s!.medianMs),
      };
    }
    print(
      `1. Per-call latency, main thread → worker → main thread, ms (${latencyCfg.calls} calls each; bare = dedicated worker + postMessage on plain opfs-sahpool; bare+Comlink = the same worker through Comlink; SQLocal 0.18.0 on the "opfs" VFS)`,
      table,
    );
    results['perCall'] = perCall;
  }
  for (const kind of ['bare', 'bareComlink', 'sqlocal'] as const) await leader.evaluate((k) => window.latencyBench.close(k), kind);

  // ---- 2. follower tab and leader failover ----
  if (sections.has('follower')) {
    const ops = ['get', 'query20', 'exec', 'transaction10'] as const;
    const leaderFigures = await latency(leader, 'cipherlite', ops);
    const followers: Partial<Record<'port' | 'broadcast', { page: Page; figures: Record<string, LatencyFigures> }>> = {};
    for (const line of followerLines) {
      const page = await openPage(server.origin, '/latency.html', `tab 2 (${line})`);
      const { role } = await page.evaluate((l) => window.latencyBench.attach('latency-cipherlite', l), line);
      if (role !== 'follower') throw new Error(`second tab is ${role}, expected follower`);
      const before = await page.evaluate(() => window.latencyBench.lineCounts());
      const figures = await latency(page, 'cipherlite', ops);
      const after = await page.evaluate(() => window.latencyBench.lineCounts());
      // The figures are of the path they are labelled with (`attach` waited for the port to pair).
      if (line === 'port' && (before.direct === 0 || after.broadcast > before.broadcast)) throw new Error(`the follower's calls did not take the port (${JSON.stringify({ before, after })})`);
      if (line === 'broadcast' && after.direct > 0) throw new Error(`the follower without SharedWorker used a port (${JSON.stringify(after)})`);
      followers[line] = { page, figures };
    }
    const table: Table = {};
    for (const op of ops) {
      const l = leaderFigures[op]!;
      const row: Table[string] = { 'leader p50': ms(l.medianMs), 'leader p99': ms(l.p99Ms) };
      for (const [line, f] of Object.entries(followers)) {
        const x = f.figures[op]!;
        row[`follower p50 (${line})`] = ms(x.medianMs);
        row[`follower p99 (${line})`] = ms(x.p99Ms);
        row[`ratio p50 (${line})`] = (x.medianMs / l.medianMs).toFixed(2);
        row[`≤ ${GOAL.followerVsLeader}× leader (${line})`] = yes(x.medianMs <= GOAL.followerVsLeader * l.medianMs);
      }
      table[LABELS[op]] = row;
    }
    print("2. Follower tab (calls forwarded to the leader tab: over the direct line's port, and over BroadcastChannels), ms — leader measured in the same run", table);
    // Failover from the first follower measured; the others leave first.
    const [first, ...others] = Object.values(followers);
    for (const other of others) {
      await other.page.evaluate(() => window.latencyBench.close('cipherlite'));
      await other.page.close();
    }
    const follower = first!.page;

    await follower.evaluate((rows) => window.latencyBench.startProbe(rows), latencyCfg.rows);
    await new Promise((r) => setTimeout(r, 200));
    const closing = Date.now();
    await leader.close();
    const closed = Date.now();
    const probe = await follower.evaluate(([after]) => window.latencyBench.probeFirstSuccessAfter(after, 30_000), [closed] as const);
    if (probe.at === null) throw new Error(`no successful call within 30 s of closing the leader tab (errors: ${probe.errors.join('; ')})`);
    const failover = {
      closeTabMs: closed - closing,
      firstSuccessMs: probe.at - closing,
      firstSuccessAsLeaderMs: probe.asLeaderAt === null ? null : probe.asLeaderAt - closing,
      newRole: probe.role,
      errorsSeen: probe.errors,
    };
    print('2b. Leader failover: leader tab closed → first successful call in the other tab, ms (with a password: the new leader runs Argon2id)', {
      failover: {
        'page.close() took': failover.closeTabMs,
        'close → first success': failover.firstSuccessMs.toFixed(0),
        'close → first success as the leader': failover.firstSuccessAsLeaderMs === null ? 'never (30 s)' : failover.firstSuccessAsLeaderMs.toFixed(0),
        'other tab is now': failover.newRole,
        'errors during the switch': failover.errorsSeen.join('; ') || 'none',
      },
    });
    await follower.evaluate(() => window.latencyBench.close('cipherlite'));
    await follower.close();
    results['follower'] = { leader: leaderFigures, followers: Object.fromEntries(Object.entries(followers).map(([line, f]) => [line, f.figures])), failover };
  } else if (!leader.isClosed()) {
    await leader.evaluate(() => window.latencyBench.close('cipherlite'));
    await leader.close();
  }

  // ---- 3. live queries ----
  if (sections.has('live')) {
    const page = await openPage(server.origin, '/live.html', 'live');
    const live = await page.evaluate<LiveFigures, readonly [number, number]>(([w, s]) => window.liveBench.run(w, s), [liveWrites, quick ? 50 : 100]);
    print(`3. Live queries: 20 useQuery hooks on 20 tables, ${live.writes} writes to one table each (React 19, production build)`, {
      'exec → affected hook re-rendered (ms)': { p50: ms(live.rerender.medianMs), p99: ms(live.rerender.p99Ms) },
      'exec round trip alone (ms)': { p50: ms(live.write.medianMs), p99: ms(live.write.p99Ms) },
    });
    print('3b. Re-runs per write', {
      'affected hook: query runs': { total: live.affectedQueryRuns, 'per write': (live.affectedQueryRuns / live.writes).toFixed(2), goal: '1' },
      'unaffected hooks: query runs': { total: live.unaffectedQueryRuns, 'per write': (live.unaffectedQueryRuns / live.writes).toFixed(2), goal: '0' },
      'unaffected hooks: renders': { total: live.unaffectedRenders, 'per write': (live.unaffectedRenders / live.writes).toFixed(2), goal: '0' },
    });
    await page.close();
    results['live'] = live;
  }

  // ---- 4. startup ----
  if (sections.has('startup')) {
    const page = await openPage(server.origin, '/', 'startup');
    const plain = await timeFirstQuery(page, server.origin, 'plain', startupLoads);
    const cipherlite = await timeFirstQuery(page, server.origin, 'cipherlite', startupLoads);
    const phases = async (overlap: boolean) => {
      const runs: Record<string, number>[] = [];
      for (let i = 0; i <= startupLoads; i++) {
        await page.goto(`${server.origin}/startup.html?overlap=${overlap ? 1 : 0}${i === 0 ? '&setup=1' : ''}`);
        const marks = await page.evaluate<Record<string, number>>(() => window.startupPhases);
        if (i > 0) runs.push(marks);
      }
      return Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, median(runs.map((r) => r[k]!))]));
    };
    const sequential = await phases(false);
    const overlapped = await phases(true);
    const order = ['pageScript', 'workerStarted', 'modulesLoaded', 'sqliteWasm', 'kdfStart', 'kdf', 'opfsHandles', 'open', 'firstQuery'];
    const table: Table = {};
    for (let i = 0; i < order.length; i++) {
      const k = order[i]!;
      const prev = i === 0 ? 0 : sequential[order[i - 1]!]!;
      table[k] = { 'at (ms since navigation)': sequential[k]!.toFixed(0), 'phase (ms)': (sequential[k]! - prev).toFixed(0), 'overlapped: at': overlapped[k]!.toFixed(0) };
    }
    const kdfMs = sequential['kdf']! - sequential['kdfStart']!;
    const plainMs = median(plain);
    const clMs = median(cipherlite);
    print(`4. Startup: time to first query from a fresh page load, median of ${startupLoads} loads, ms`, {
      'plain sqlite-wasm + opfs-sahpool in a worker': { ms: plainMs.toFixed(0) },
      'cipherlite openDatabase (worker, OPFS, Argon2id 64 MiB t=3, open, query)': {
        ms: clMs.toFixed(0),
        'over plain': (clMs - plainMs).toFixed(0),
        [`goal ≤ KDF (${kdfMs.toFixed(0)}) + ${GOAL.startupOverKdfMs}`]: yes(clMs - plainMs <= kdfMs + GOAL.startupOverKdfMs),
      },
    });
    print('4b. Startup phases (the open path step by step in a bench worker; "overlapped" is openDatabase\'s order: SQLite load started first, OPFS handles, KDF, then SQLite awaited)', table);
    await page.close();
    results['startup'] = { plain, cipherlite, sequential, overlapped };
  }

  // ---- 5. long operations and scale ----
  if (sections.has('scale')) {
    const page = await openPage(server.origin, '/latency.html', 'scale');
    const run = async (kind: 'cipherlite' | 'bare', name: string): Promise<ScaleFigures> => {
      await page.evaluate(([k, n]) => window.latencyBench.scaleOpen(k, n), [kind, name] as const);
      let insertMs = 0;
      const memory: MemorySample[] = [];
      for (const rows of scaleSteps) {
        const step = await page.evaluate(([r]) => window.latencyBench.scaleGrow(r, 1000), [rows] as const);
        insertMs += step.insertMs;
        memory.push({ rows, workerJsBytes: step.workerJsBytes, rendererBytes: engine === 'chromium' ? rendererMemoryBytes(browser.profile) : null });
      }
      const databaseBytes = await page.evaluate(() => window.latencyBench.scaleSize());
      const longOps = await page.evaluate(() => window.latencyBench.scaleLongOps());
      const coldOpenMs = await page.evaluate(() => window.latencyBench.scaleColdOpen());
      return { kind, insertMs, databaseBytes, memory, coldOpenMs, longOps };
    };
    const plain = await run('bare', 'scale-plain');
    await page.reload(); // a fresh page: no leftover of the plain run in the renderer's memory
    const ours = await run('cipherlite', 'scale');
    const rows = scaleSteps.at(-1)!;
    const MB = (b: number) => (b / 1e6).toFixed(1);
    print(`5. Scale: ${rows} rows through the worker (batches of 1000 rows, one transaction each)`, {
      [`bulk insert ${rows} rows (ms)`]: { cipherlite: ours.insertMs.toFixed(0), plain: plain.insertMs.toFixed(0), ratio: (ours.insertMs / plain.insertMs).toFixed(2) },
      'database size (MB)': { cipherlite: MB(ours.databaseBytes), plain: MB(plain.databaseBytes), ratio: (ours.databaseBytes / plain.databaseBytes).toFixed(3) },
      'cold open: new worker → open → first query (ms)': { cipherlite: ours.coldOpenMs.toFixed(0), plain: plain.coldOpenMs.toFixed(0), ratio: (ours.coldOpenMs / plain.coldOpenMs).toFixed(2) },
    });
    const MBs = (r: { ms: number } | undefined, bytes: number) => (r ? bytes / 1e6 / (r.ms / 1000) : NaN);
    const longOp = (op: LongOp, floor: LongOp | null) => {
      const r = ours.longOps[op]!;
      const f = floor === null ? undefined : plain.longOps[floor];
      const mbs = MBs(r, ours.databaseBytes);
      return {
        'cipherlite ms': r.ms.toFixed(0),
        'cipherlite MB/s': mbs.toFixed(1),
        'plain floor ms': f ? f.ms.toFixed(0) : '—',
        'plain floor MB/s': f ? MBs(f, plain.databaseBytes).toFixed(1) : '—',
        ratio: f ? (r.ms / f.ms).toFixed(2) : '—',
        [`≥ ${GOAL.longOpMBs} MB/s`]: yes(mbs >= GOAL.longOpMBs),
        'progress events': r.progressEvents ?? '—',
        'longest gap (ms)': r.maxProgressGapMs === undefined ? '—' : r.maxProgressGapMs.toFixed(0),
        'longest gap between': r.maxProgressGapAt ?? '—',
        [`gap ≤ ${GOAL.progressGapMs} ms`]: r.maxProgressGapMs === undefined ? '—' : yes(r.maxProgressGapMs <= GOAL.progressGapMs),
      };
    };
    print(
      `5b. Long operations through the worker at ${MB(ours.databaseBytes)} MB, raw-key database (no Argon2id in the figures); MB/s = database size / time; each call with an onProgress callback on the page (longest gap: start → first event, between events, last event → result)`,
      {
        'verify (every block + integrity_check) | floor: integrity_check': longOp('verify', 'plainIntegrityCheck'),
        'backup (bytes to the page) | floor: sahpool exportFile': longOp('backup', 'plainExportFile'),
        'exportPlaintext (bytes to the page) | floor: sahpool exportFile': longOp('exportPlaintext', 'plainExportFile'),
        'rekey (re-encrypt into a copy, swap)': longOp('rekey', null),
      },
    );
    const phaseTable: Table = {};
    for (const op of ['verify', 'backup', 'exportPlaintext', 'rekey'] as const) {
      const phases = ours.longOps[op]?.phaseMs ?? {};
      phaseTable[op] = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, v.toFixed(0)]));
    }
    print('5b2. Where the time of each long operation went, ms (from the progress events the page received: each phase ends at its last event)', phaseTable);
    const MiB = (b: number | null) => (b === null ? 'n/a' : (b / 1048576).toFixed(1));
    const mem: Table = {};
    ours.memory.forEach((m, i) => {
      const p = plain.memory[i]!;
      mem[`${m.rows} rows`] = {
        'cipherlite: renderer PSS': MiB(m.rendererBytes),
        'plain: renderer PSS': MiB(p.rendererBytes),
        'cipherlite: worker JS heap': MiB(m.workerJsBytes),
        'plain: worker JS heap': MiB(p.workerJsBytes),
      };
    });
    print(
      `5c. Memory after a full scan at each size, MiB (renderer PSS: page + worker incl. WebAssembly, from /proc; worker JS heap: measureUserAgentSpecificMemory${engine === 'chromium' ? '' : '; neither is measured in this browser: n/a'})`,
      mem,
    );
    await page.close();
    results['scale'] = { plain, cipherlite: ours };
  }
} finally {
  await browser.close();
  server.close();
}

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const json = JSON.stringify({ date: new Date().toISOString(), browser: { engine, version: browserVersion }, quick, latencyCfg, scaleSteps, liveWrites, startupLoads, ...results }, null, 1);
writeFileSync(join(dir, `latency-${engine}-latest.json`), json);
writeFileSync(join(dir, `latency-${engine}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), json);
console.log(`\nsaved bench/results/latency-${engine}-latest.json`);
