/**
 * `pnpm bench` (root: `npm run bench`): builds the benchmark page, serves it on 127.0.0.1, runs it
 * in headless Debian Chromium with a *persistent* profile (real OPFS — an incognito context keeps
 * OPFS in memory behind IPC and would distort every I/O figure), and prints medians per workload
 * for plain opfs-sahpool, cipherlite and in-memory, with the encrypted/plain ratio.
 * Results: bench/results/latest.json (and a timestamped copy; not committed).
 *
 * Options (env): BENCH_ROWS (100000), BENCH_RUNS (3), BENCH_PAGE_SIZE (4096), BENCH_CACHE_KIB (32768),
 * BENCH_AEAD=noble (cipherlite on @noble/ciphers instead of the WebAssembly AES: the "before"),
 * BENCH_IO_STATS=1 (log time spent per storage call during the durable-update workload).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchConfig, BenchResult, Target, WorkloadTimes } from './app/protocol.ts';
import { buildApp, forwardConsole, launchBrowser, median, serve, timeFirstQuery } from './harness.ts';

const here = import.meta.dirname;

const cfg: BenchConfig = {
  rows: Number(process.env.BENCH_ROWS ?? 100_000),
  selects: 20_000,
  updates: 2_000,
  mixedOrders: 500,
  runs: Number(process.env.BENCH_RUNS ?? 3),
  pageSize: Number(process.env.BENCH_PAGE_SIZE ?? 4096),
  cacheKiB: Number(process.env.BENCH_CACHE_KIB ?? 32768),
  journalMode: (process.env.BENCH_JOURNAL ?? 'TRUNCATE') as BenchConfig['journalMode'],
  plainJournalMode: (process.env.BENCH_PLAIN_JOURNAL ?? 'DELETE') as BenchConfig['plainJournalMode'],
  aead: process.env.BENCH_AEAD === 'noble' ? 'noble' : 'default',
  ioStats: process.env.BENCH_IO_STATS === '1',
};
const targets: Target[] = ['plain-sahpool', 'cipherlite-opfs', 'plain-sahpool-wal', 'cipherlite-opfs-wal', 'memory'];

const server = await serve(await buildApp());
const browser = await launchBrowser();
const page = browser.context.pages()[0] ?? (await browser.context.newPage());
forwardConsole(page);
console.log(
  `cipherlite benchmark — ${cfg.rows} rows, ${cfg.runs} runs, page ${cfg.pageSize} B, cache ${cfg.cacheKiB} KiB, synchronous=FULL; default journals: cipherlite ${cfg.journalMode}, plain ${cfg.plainJournalMode}; plus both in WAL (exclusive locking); AES backend ${cfg.aead}; Chromium persistent profile (real OPFS)`,
);

let output: { results: BenchResult[]; cipher: Record<string, { sealMBs: number; openMBs: number }>; unlock: Record<string, number>; wasmPeakBytes: Record<string, number>; userAgent: string };
const firstQuery: Record<string, number> = {};
try {
  await page.goto(`${server.origin}/`);
  output = (await page.evaluate(([c, t]) => window.runBench(c, t), [cfg, targets] as const)) as typeof output;
  // Time to first query from a fresh page load (median of 3 loads after a setup load).
  for (const target of ['plain', 'cipherlite'] as const) firstQuery[target] = median(await timeFirstQuery(page, server.origin, target, 3));
} finally {
  await browser.close();
  server.close();
}

const med = (r: BenchResult, k: keyof WorkloadTimes) => median(r.runs.map((x) => x[k]));
const byTarget = Object.fromEntries(output.results.map((r) => [r.target, r])) as Record<Target, BenchResult>;
const workloads: [keyof WorkloadTimes, string, number | null][] = [
  ['bulkInsert', `bulk insert ${cfg.rows} rows (tx of 1000)`, 1.25],
  ['pointSelects', `${cfg.selects} point selects (warm)`, 1.05],
  ['scanWarm', 'aggregate scan, warm', null],
  ['scanCold', 'aggregate scan, cold (reopened)', 4.0],
  ['durableUpdates', `${cfg.updates} autocommit updates (durable)`, 1.25],
  ['mixed', `mixed POS, ${cfg.mixedOrders} orders`, 1.25],
];
const rows: Record<string, Record<string, string>> = {};
for (const [k, label, target] of workloads) {
  const m = (t: Target) => med(byTarget[t], k);
  rows[label] = {
    'plain ms': m('plain-sahpool').toFixed(1),
    'cipherlite ms': m('cipherlite-opfs').toFixed(1),
    ratio: (m('cipherlite-opfs') / m('plain-sahpool')).toFixed(2),
    'plain WAL ms': m('plain-sahpool-wal').toFixed(1),
    'cipherlite WAL ms': m('cipherlite-opfs-wal').toFixed(1),
    'ratio WAL': (m('cipherlite-opfs-wal') / m('plain-sahpool-wal')).toFixed(2),
    'cl WAL ÷ plain': (m('cipherlite-opfs-wal') / m('plain-sahpool')).toFixed(2),
    'memory ms': m('memory').toFixed(1),
    target: target === null ? '—' : `≤ ${target.toFixed(2)}`,
  };
}
console.log(`\n${output.userAgent}\nMedians of ${cfg.runs} runs:`);
console.table(rows);
const plainBytes = med(byTarget['plain-sahpool'], 'bytesOnDisk');
const encBytes = med(byTarget['cipherlite-opfs'], 'bytesOnDisk');
console.log(`bytes on disk: plain ${plainBytes}, cipherlite ${encBytes} (×${(encBytes / plainBytes).toFixed(3)})`);
console.log('\nAES-256-GCM in the worker (MB/s):');
console.table(Object.fromEntries(Object.entries(output.cipher).map(([k, v]) => [k, { seal: v.sealMBs.toFixed(1), open: v.openMBs.toFixed(1) }])));
console.log('Unlock (Argon2id + open), median of 3, ms:');
console.table(Object.fromEntries(Object.entries(output.unlock).map(([k, v]) => [k, { ms: v.toFixed(0) }])));
console.log('Peak WebAssembly memory (never shrinks, so the size after the run is the peak), MiB:');
console.table(Object.fromEntries(Object.entries(output.wasmPeakBytes).map(([k, v]) => [k, { MiB: (v / 1048576).toFixed(1) }])));
console.log('Time to first query from a fresh page load (navigation start → rows), median of 3, ms:');
console.table({
  'plain sqlite-wasm + opfs-sahpool (no KDF)': { ms: firstQuery['plain']!.toFixed(0) },
  'cipherlite openDatabase (worker, OPFS, Argon2id 64 MiB t=3, open)': { ms: firstQuery['cipherlite']!.toFixed(0) },
});

const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const json = JSON.stringify({ date: new Date().toISOString(), cfg, ...output, firstQuery, summary: rows }, null, 1);
writeFileSync(join(dir, 'latest.json'), json);
writeFileSync(join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), json);
console.log(`\nsaved bench/results/latest.json`);
