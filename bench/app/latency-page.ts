/**
 * Page of `npm run bench:latency` (cross-origin isolated: SQLocal needs SharedArrayBuffer, and
 * isolation gives all three clients the same 5 µs timer resolution). The driver (bench/latency.ts)
 * calls the functions on `window.latencyBench`; each tab of the same profile is one page.
 */
import { BareClient, openCipherlite, openClient, type Client } from './latency-clients.ts';
import type { ClientKind, LatencyConfig, LatencyFigures, LatencyOp, LongOpFigures, ScaleFigures } from './latency-protocol.ts';
import { CREATE_ITEMS, ensureItems, idSequence, insertItems, timeOp } from './latency-workload.ts';

const clients = new Map<ClientKind, Client>();

function client(kind: ClientKind): Client {
  const c = clients.get(kind);
  if (!c) throw new Error(`${kind} is not open in this tab`);
  return c;
}

/** Wall-clock milliseconds, comparable with the driver's Date.now() (same machine). */
const wallNow = () => performance.timeOrigin + performance.now();

interface Probe {
  /** Wall-clock time of each successful call, and this tab's role when it settled. */
  successes: { at: number; role: string }[];
  errors: string[];
  stop: boolean;
}
let probe: Probe | null = null;

/**
 * Bytes the browser attributes to the dedicated workers of this page. In Chromium this is the
 * JavaScript heap only: WebAssembly memories (SQLite's heap and page cache) are not counted, so
 * the driver also reads the renderer process's memory.
 */
async function workerJsMemory(): Promise<number | null> {
  const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ breakdown: { bytes: number; attribution: { scope?: string }[] }[] }> }).measureUserAgentSpecificMemory;
  if (typeof measure !== 'function') return null;
  const m = await measure.call(performance);
  return m.breakdown.filter((b) => b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')).reduce((sum, b) => sum + b.bytes, 0);
}

async function scanAll(c: Client): Promise<void> {
  // Reads every page once, so the page cache is as full as the database lets it be.
  await c.get({ sql: 'SELECT sum(length(note)) + sum(qty) AS s FROM items', params: [] });
}

/** The raw key of the scale database (no KDF on open, rekey, backup). */
const SCALE_KEY = new Uint8Array(32).fill(0x5c);
let scale: { kind: 'cipherlite' | 'bare'; name: string; rows: number; client: Client } | null = null;
const cipherliteDb = (c: Client) => (c as Awaited<ReturnType<typeof openCipherlite>>).db;

const api = {
  crossOriginIsolated: () => globalThis.crossOriginIsolated,

  async open(kind: ClientKind, name: string, rows: number): Promise<{ role: string }> {
    const c = await openClient(kind, name);
    clients.set(kind, c);
    await ensureItems(c, rows);
    return { role: kind === 'cipherlite' ? cipherliteDb(c).role : 'none' };
  },

  /**
   * Opens `name` without creating or filling anything (a second tab of an existing database).
   * `broadcast`: without SharedWorker on this page, so its calls take the BroadcastChannels (the
   * path of browsers without one) instead of the direct line's port.
   */
  async attach(name: string, line: 'port' | 'broadcast' = 'port'): Promise<{ role: string }> {
    if (line === 'broadcast') delete (globalThis as { SharedWorker?: unknown }).SharedWorker;
    const c = await openCipherlite(name);
    clients.set('cipherlite', c);
    // The broker pairs the port after the follower's first call to the leader: measure from there.
    for (let i = 0; line === 'port' && c.db.role === 'follower' && i < 500 && (await c.db.lineCounts()).direct === 0; i++) await c.db.get('SELECT 1 AS one');
    return { role: c.db.role };
  },

  /** Messages this tab's worker exchanged with the leader's, per transport. */
  lineCounts: () => cipherliteDb(client('cipherlite')).lineCounts(),

  role: () => (clients.has('cipherlite') ? cipherliteDb(clients.get('cipherlite')!).role : 'none'),

  async latency(kind: ClientKind, ops: readonly LatencyOp[], cfg: LatencyConfig): Promise<Record<string, LatencyFigures>> {
    const out: Record<string, LatencyFigures> = {};
    for (const op of ops) out[op] = await timeOp(client(kind), op, cfg, cfg.rows);
    return out;
  },

  async close(kind: ClientKind): Promise<void> {
    await clients.get(kind)?.close();
    clients.delete(kind);
  },

  /** Point gets in a loop, recording the wall-clock time of every success (for failover). */
  startProbe(rows: number): void {
    const p: Probe = { successes: [], errors: [], stop: false };
    probe = p;
    const next = idSequence(rows);
    void (async () => {
      while (!p.stop) {
        try {
          await client('cipherlite').get({ sql: 'SELECT id FROM items WHERE id = ?', params: [next()] });
          p.successes.push({ at: wallNow(), role: api.role() });
        } catch (e) {
          p.errors.push(e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e));
          // A call that fails at once must not starve the timers (the driver's wait polls with them).
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    })();
  },

  /**
   * First success after `afterWall` (waits for it up to `timeoutMs`), and the first success this
   * tab ran as the leader: a closed tab's worker may still answer for a moment, so the first
   * success alone does not show that leadership moved. Stops the probe.
   */
  async probeFirstSuccessAfter(afterWall: number, timeoutMs: number): Promise<{ at: number | null; asLeaderAt: number | null; errors: string[]; role: string }> {
    const p = probe!;
    const deadline = performance.now() + timeoutMs;
    const first = () => p.successes.find((s) => s.at > afterWall);
    const firstAsLeader = () => p.successes.find((s) => s.at > afterWall && s.role === 'leader');
    while ((first() === undefined || firstAsLeader() === undefined) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    p.stop = true;
    return { at: first()?.at ?? null, asLeaderAt: firstAsLeader()?.at ?? null, errors: [...new Set(p.errors)].slice(0, 5), role: api.role() };
  },

  /** Opens the scale database (cipherlite with a raw key: the KDF is measured under startup). */
  async scaleOpen(kind: 'cipherlite' | 'bare', name: string): Promise<void> {
    scale = { kind, name, rows: 0, client: kind === 'cipherlite' ? await openCipherlite(name, SCALE_KEY) : await BareClient.open(name) };
    await scale.client.exec({ sql: CREATE_ITEMS, params: [] });
  },

  /** Inserts rows up to `rows` (timed), then reads every page; returns the time and the worker's JS memory. */
  async scaleGrow(rows: number, batchRows: number): Promise<{ insertMs: number; workerJsBytes: number | null }> {
    const s = scale!;
    const t = performance.now();
    await insertItems(s.client, s.rows, rows, batchRows);
    const insertMs = performance.now() - t;
    s.rows = rows;
    await scanAll(s.client);
    return { insertMs, workerJsBytes: await workerJsMemory() };
  },

  /** Bytes of the database (cipherlite: main file + journal on storage; plain: pages). */
  async scaleSize(): Promise<number> {
    const s = scale!;
    if (s.kind === 'cipherlite') return (await cipherliteDb(s.client).stats()).totalBytes;
    return ((await s.client.get({ sql: 'SELECT page_count * page_size AS b FROM pragma_page_count, pragma_page_size', params: [] })) as { b: number }).b;
  },

  /** The long operations through the worker, each timed with what it returned (see `LongOp`). */
  async scaleLongOps(): Promise<ScaleFigures['longOps']> {
    const s = scale!;
    const timed = async (f: () => Promise<number>) => {
      const t = performance.now();
      const bytes = await f();
      return { ms: performance.now() - t, bytes };
    };
    if (s.kind === 'bare') {
      const bare = s.client as BareClient;
      return {
        plainIntegrityCheck: await timed(async () => {
          const rows = (await bare.request({ op: 'integrityCheck' })) as { integrity_check: string }[];
          if (rows[0]?.integrity_check !== 'ok') throw new Error(`integrity_check: ${JSON.stringify(rows.slice(0, 3))}`);
          return 0;
        }),
        plainExportFile: await timed(async () => ((await bare.request({ op: 'exportFile' })) as Uint8Array).byteLength),
      };
    }
    const db = cipherliteDb(s.client);
    const current = { key: SCALE_KEY };
    // Each operation runs with an onProgress callback, as a UI with a progress bar would: the
    // figures include the events' trip to the page, and the longest silence is recorded.
    const tracked = async (f: (onProgress: (p: { phase: string }) => void) => Promise<number>): Promise<LongOpFigures> => {
      let events = 0;
      let last = performance.now();
      let lastPhase = 'start';
      let maxGap = 0;
      let maxGapAt = '';
      const phases: Record<string, { first: number; last: number }> = {};
      const onProgress = (p: { phase: string }) => {
        const now = performance.now();
        const ph = (phases[p.phase] ??= { first: now, last: now });
        ph.last = now;
        if (now - last > maxGap) [maxGap, maxGapAt] = [now - last, `${lastPhase} → ${p.phase}`];
        last = now;
        lastPhase = p.phase;
        events++;
      };
      const t = last;
      const bytes = await f(onProgress);
      const end = performance.now();
      if (end - last > maxGap) [maxGap, maxGapAt] = [end - last, `${lastPhase} → result`];
      // Where the time went: each phase from the event before its first one to its last event.
      const phaseMs: Record<string, number> = {};
      let prev = t;
      for (const [name, ph] of Object.entries(phases).sort((a, b) => a[1].first - b[1].first)) {
        phaseMs[name] = ph.last - prev;
        prev = ph.last;
      }
      phaseMs['after the last event'] = end - prev;
      return { ms: end - t, bytes, progressEvents: events, maxProgressGapMs: maxGap, maxProgressGapAt: maxGapAt, phaseMs };
    };
    return {
      verify: await tracked(async (onProgress) => {
        const r = await db.verify({ onProgress });
        if (!r.ok) throw new Error(`verify failed: ${JSON.stringify(r.failures.slice(0, 3))}`);
        return r.blocksChecked;
      }),
      backup: await tracked(async (onProgress) => (await db.backup(current, { onProgress })).bytes.byteLength),
      exportPlaintext: await tracked(async (onProgress) => (await db.exportPlaintext({ onProgress })).byteLength),
      // Nothing else in the timing: the size comes from scaleSize (stats() would scan every page).
      rekey: await tracked(async (onProgress) => {
        await db.rekey(current, { onProgress });
        return 0;
      }),
    };
  },

  /** Closes, then times a new worker → open → first point query; closes again. */
  async scaleColdOpen(): Promise<number> {
    const s = scale!;
    await s.client.close();
    const t = performance.now();
    const c = s.kind === 'cipherlite' ? await openCipherlite(s.name, SCALE_KEY) : await BareClient.open(s.name);
    await c.get({ sql: 'SELECT id FROM items WHERE id = ?', params: [1] });
    const ms = performance.now() - t;
    await c.close();
    scale = null;
    return ms;
  },
};

declare global {
  interface Window {
    latencyBench: typeof api;
  }
}
window.latencyBench = api;
document.getElementById('log')!.textContent = 'ready';
