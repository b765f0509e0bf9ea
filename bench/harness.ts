/**
 * What both benchmark drivers (`run.ts`, `latency.ts`) need around the page: the built Vite app,
 * a static server on 127.0.0.1, and a headless browser with a *persistent* profile (real OPFS — an
 * incognito context keeps OPFS in memory behind IPC and would distort every I/O figure): Debian
 * Chromium, or Debian Firefox ESR driven over WebDriver BiDi as the e2e suite starts it
 * (`channel: 'moz-firefox'`, e2e/tests/env.ts).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, firefox, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';

const here = import.meta.dirname;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

/**
 * Headers that make a document cross-origin isolated (SharedArrayBuffer, 5 µs timers). Every
 * other response carries COEP + CORP too, so a worker started by an isolated page may load.
 */
const ISOLATION_HEADERS: OutgoingHttpHeaders = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const SUBRESOURCE_HEADERS: OutgoingHttpHeaders = { 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' };

export interface ServeOptions {
  /** Documents (paths like `/latency.html`) served cross-origin isolated; others are not. */
  isolated?: readonly string[];
}

/** Builds the benchmark page (all entries of app/vite.config.ts) into app/dist. */
export async function buildApp(): Promise<string> {
  await build({ configFile: join(here, 'app/vite.config.ts'), logLevel: 'warn' });
  return join(here, 'app/dist');
}

/** Serves `dist` on an ephemeral port of 127.0.0.1. */
export async function serve(dist: string, options: ServeOptions = {}): Promise<{ origin: string; close(): void }> {
  const isolated = new Set(options.isolated ?? []);
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dist, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const extra = isolated.size === 0 ? {} : extname(file) === '.html' ? (isolated.has(path) ? ISOLATION_HEADERS : {}) : SUBRESOURCE_HEADERS;
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', ...extra });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { origin: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** The engines a benchmark can run in (`BENCH_BROWSER`). */
export type BenchBrowser = 'chromium' | 'firefox';
export const BROWSER_NAMES: Record<BenchBrowser, string> = { chromium: 'Chromium', firefox: 'Firefox ESR' };

/** `BENCH_BROWSER`'s value: `chromium` when unset; anything else but `firefox` is refused. */
export function benchBrowser(value: string | undefined): BenchBrowser {
  if (value === undefined || value === '' || value === 'chromium') return 'chromium';
  if (value === 'firefox') return 'firefox';
  throw new Error(`BENCH_BROWSER: expected "chromium" or "firefox", got "${value}"`);
}

export interface LaunchOptions {
  /** `chromium` by default. */
  engine?: BenchBrowser;
  /** Chromium command-line switches beside the defaults (ignored in Firefox, which has none of them). */
  chromiumArgs?: readonly string[];
  /**
   * The origin the pages are served from. Firefox asks the user before `navigator.storage.persist()`
   * settles (it never does headless): the permission is granted there, as a user would (e2e/tests/env.ts).
   */
  origin?: string;
}

/** A browser with a fresh persistent profile; `close()` also deletes the profile. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<{ engine: BenchBrowser; context: BrowserContext; profile: string; close(): Promise<void> }> {
  const engine = options.engine ?? 'chromium';
  if (engine === 'chromium' && !existsSync(CHROMIUM)) execFileSync('bash', [join(here, '../scripts/install-chromium.sh')], { stdio: 'inherit' });
  if (engine === 'firefox' && !existsSync(FIREFOX)) throw new Error(`BENCH_BROWSER=firefox: no Firefox at ${FIREFOX} (FIREFOX_PATH); scripts/install-browsers.sh installs Debian's firefox-esr`);
  const profile = mkdtempSync(join(tmpdir(), 'cipherlite-bench-'));
  const context =
    engine === 'chromium'
      ? await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: [...ARGS, ...(options.chromiumArgs ?? [])], headless: true })
      : await firefox.launchPersistentContext(profile, { channel: 'moz-firefox', executablePath: FIREFOX, headless: true });
  if (engine === 'firefox' && options.origin !== undefined) await context.grantPermissions(['persistent-storage'], { origin: options.origin });
  return {
    engine,
    context,
    profile,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Forwards the page's console and uncaught errors to ours, so the log alone explains a failure. */
export function forwardConsole(page: Page, label = 'page'): void {
  page.on('console', (m) => console.log(`  [${label}] ${m.text()}`));
  page.on('pageerror', (e) => console.error(`  [${label} error] ${e.message}`));
}

/** The middle value (upper middle for an even count). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Time to first query from fresh page loads of first-query.html (navigation start → rows in
 * hand): one setup load that creates the database, then `loads` timed loads.
 */
export async function timeFirstQuery(page: Page, origin: string, target: 'plain' | 'cipherlite', loads: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= loads; i++) {
    await page.goto(`${origin}/first-query.html?target=${target}${i === 0 ? '&setup=1' : ''}`);
    const r = await page.evaluate<{ ms: number; rows: number }>(() => (window as unknown as { firstQuery: Promise<{ ms: number; rows: number }> }).firstQuery);
    if (r.rows !== 50) throw new Error(`first query returned ${r.rows} rows`);
    if (i > 0) times.push(r.ms);
  }
  return times;
}

/** Linux: parent pid and command line of every process, read from /proc. */
function processTable(): { pid: number; ppid: number; cmdline: string }[] {
  const out: { pid: number; ppid: number; cmdline: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after ")".
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(name), ppid, cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ') });
    } catch {
      // The process exited while we listed it.
    }
  }
  return out;
}

/**
 * Proportional set size (bytes) of the renderer processes of the Chromium using `profile`:
 * pages and their dedicated workers, WebAssembly memory included. `null` where /proc is missing.
 * Chromium only (it reads Chromium's process switches): Firefox's content processes are not found.
 */
export function rendererMemoryBytes(profile: string): number | null {
  if (!existsSync('/proc/self/smaps_rollup')) return null;
  const procs = processTable();
  const family = new Set(procs.filter((p) => p.cmdline.includes(`--user-data-dir=${profile}`) && !p.cmdline.includes('--type=')).map((p) => p.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (family.has(p.ppid) && !family.has(p.pid)) grew = family.add(p.pid) !== null;
  }
  let total = 0;
  for (const p of procs) {
    if (!family.has(p.pid) || !p.cmdline.includes('--type=renderer')) continue;
    try {
      const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'));
      total += Number(pss?.[1] ?? 0) * 1024;
    } catch {
      // Exited meanwhile.
    }
  }
  return total;
}
