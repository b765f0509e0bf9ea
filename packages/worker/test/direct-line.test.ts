/**
 * The direct line between tabs in Node (engine/direct-line.ts, shared/line.ts): the real pairing
 * table over in-memory ports (fake-line.ts). A follower's calls take its port once paired with the
 * leader it knows; when that leader dies the next leader's announcement sends the follower back to
 * the BroadcastChannels at once (resends included), until it pairs with the new leader; a worker
 * whose broker never answers, or whose page has none, stays on the BroadcastChannels; a tab alone
 * never reaches the broker; a port speaks only for its own tab.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_KDF } from '@cipherlite/core';
import { WorkerEngine } from '../src/engine/engine.js';
import type { WorkerPlatform } from '../src/engine/runtime/platform.js';
import type { BusMessage } from '../src/shared/bus.js';
import { FakeOrigin } from './fake-platform.js';
import { untilDirect } from './fake-line.js';
import { BrokerClient } from '../src/engine/runtime/broker-client.js';

const PASSWORD = 'correct horse battery staple';
const RPC = 'cipherlite:test/pos:rpc';

let engines: WorkerEngine[] = [];

afterEach(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  engines = [];
});

async function openTab(platform: WorkerPlatform): Promise<WorkerEngine> {
  const engine = new WorkerEngine(platform);
  engines.push(engine);
  await engine.open(
    { name: 'pos', directory: 'test', kdf: MIN_KDF },
    { password: PASSWORD },
    { lockState: () => undefined, role: () => undefined, change: () => undefined, progress: () => undefined },
  );
  return engine;
}

/** Every message posted, with its channel and sender. */
function record(origin: FakeOrigin): { channel: string; from: string; m: BusMessage }[] {
  const seen: { channel: string; from: string; m: BusMessage }[] = [];
  origin.bus.onPost = (m, channel, from) => {
    seen.push({ channel, from, m });
    return 'deliver';
  };
  return seen;
}

async function names(engine: WorkerEngine): Promise<string[]> {
  return (await engine.run('query', ['SELECT name FROM items ORDER BY id'])).map((r) => String(r.name));
}

describe('the direct line between tabs', () => {
  it("a follower's get, query, exec and transaction go over its port, and their answers come back on it", async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin.tab('A'));
    await a.run('exec', ['CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)']);
    const b = await openTab(origin.tab('B'));
    await untilDirect(b);
    const seen = record(origin);
    await b.run('exec', ['INSERT INTO items(name) VALUES (?)', ['exec']]);
    const txId = await b.txBegin();
    await b.run('exec', ['INSERT INTO items(name) VALUES (?)', ['in tx']], txId);
    await b.txEnd(txId, true);
    expect(await b.run('get', ['SELECT count(*) AS n FROM items'])).toEqual({ n: 2 });
    expect(await names(b)).toEqual(['exec', 'in tx']);
    const calls = seen.filter((s) => s.m.kind === 'req' || s.m.kind === 'started' || s.m.kind === 'res');
    expect(calls.length).toBeGreaterThanOrEqual(6 * 3); // request, started, answer for each of the six calls
    expect(calls.filter((s) => s.channel !== 'port')).toEqual([]);
  });

  it('the leader dies with calls in flight over the port: the next leader is reached over the BroadcastChannel at once, the write runs once, the read is resent; then a new port', async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin.tab('A'));
    await a.run('exec', ['CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)']);
    await a.run('exec', ["INSERT INTO items(name) VALUES ('before')"]);
    const b = await openTab(origin.tab('B')); // next in the leader lock's queue
    const c = await openTab(origin.tab('C'));
    await untilDirect(c);
    const seen: { channel: string; from: string; m: BusMessage }[] = [];
    let started = 0;
    origin.bus.onPost = (m, channel, from) => {
      seen.push({ channel, from, m });
      // A dies once it started C's write (its `started` is on the way); the read waits behind it.
      if (from === 'A' && m.kind === 'started' && ++started === 1) queueMicrotask(() => origin.kill('A'));
      return 'deliver';
    };
    const write = c.run('exec', ['INSERT INTO items(name) VALUES (?)', ['sale']]);
    const read = c.run('query', ['SELECT name FROM items ORDER BY id']);
    const [written, rows] = await Promise.all([write, read]);
    expect(started).toBe(1);
    expect(written).toMatchObject({ changes: 1 });
    expect(rows.map((r) => r.name)).toContain('before');
    // The first sends went to A over the port. Once B announced itself, C's next message (proving
    // its key to B, before any resend) took the rpc BroadcastChannel, not the dead port.
    const cReqs = seen.filter((s) => s.from === 'C' && s.m.kind === 'req').map((s) => `${s.m.kind === 'req' ? s.m.req.op : ''} ${s.channel}`);
    expect(cReqs.slice(0, 3)).toEqual(['exec port', 'query port', `auth ${RPC}`]);
    expect(cReqs.slice(3).sort()).toEqual([expect.stringMatching(/^exec /), expect.stringMatching(/^query /)]);
    expect(await names(b)).toEqual(['before', 'sale']); // once, not twice
    // C pairs with the new leader: its calls take a port again.
    const before = (await c.lineCounts()).direct;
    for (let i = 0; i < 100 && (await c.lineCounts()).direct === before; i++) await c.run('query', ['SELECT 1']);
    seen.length = 0;
    expect(await names(c)).toEqual(['before', 'sale']);
    expect(seen.filter((s) => s.from === 'C' && s.m.kind === 'req').map((s) => s.channel)).toEqual(['port']);
  });

  it('a worker whose broker never answers stays on the BroadcastChannels', async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin.tab('A'));
    await a.run('exec', ['CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)']);
    const silent = { register: () => () => undefined, connect: () => new Promise<never>(() => undefined), wanted: () => undefined };
    const b = await openTab({ ...origin.tab('B'), broker: silent });
    for (let i = 0; i < 5; i++) await b.run('exec', ['INSERT INTO items(name) VALUES (?)', [`row ${i}`]]);
    expect(await names(b)).toHaveLength(5);
    const counts = await b.lineCounts();
    expect(counts.direct).toBe(0);
    expect(counts.broadcast).toBeGreaterThan(10);
  });

  it('a tab alone never reaches the broker; a second tab does, and the leader when it first hears from it', async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin.tab('A'));
    await a.run('exec', ['CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)']);
    for (let i = 0; i < 5; i++) await a.run('exec', ['INSERT INTO items(name) VALUES (?)', [`row ${i}`]]);
    expect(await names(a)).toHaveLength(5);
    expect([...origin.broker!.reached]).toEqual([]);
    const b = await openTab(origin.tab('B'));
    await untilDirect(b);
    expect([...origin.broker!.reached].sort()).toEqual(['A', 'B']);
    expect(await names(b)).toHaveLength(5);
  });

  it("a page that has no broker to give (no SharedWorker) answers null: the follower's calls stay on the BroadcastChannels", async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin.tab('A'));
    await a.run('exec', ['CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)']);
    let asked = 0;
    const none: BrokerClient<never> = new BrokerClient<never>(
      () => {
        asked++;
        setTimeout(() => none.attach(null), 0);
      },
      () => {
        throw new Error('no port is ever paired');
      },
    );
    const b = await openTab({ ...origin.tab('B'), broker: none });
    for (let i = 0; i < 5; i++) await b.run('exec', ['INSERT INTO items(name) VALUES (?)', [`row ${i}`]]);
    expect(await names(b)).toHaveLength(5);
    expect(asked).toBe(1);
    const counts = await b.lineCounts();
    expect(counts.direct).toBe(0);
    expect(counts.broadcast).toBeGreaterThan(10);
    expect(await none.connect('any', 'epoch', 'B')).toBeNull();
  });

  it('a port speaks only for the tab it was paired for: a request naming another tab is ignored, its resend runs once', async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin.tab('A'));
    await a.run('exec', ['CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)']);
    const b = await openTab(origin.tab('B'));
    await untilDirect(b);
    let forged = 0;
    origin.bus.onPost = (m, channel) => {
      if (channel === 'port' && m.kind === 'req' && m.req.op === 'exec' && forged === 0) {
        forged++;
        (m as { from: string }).from = 'A'; // the leader's own tab, always authorized
      }
      return 'deliver';
    };
    const t0 = Date.now();
    await b.run('exec', ['INSERT INTO items(name) VALUES (?)', ['once']]);
    expect(forged).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500); // the forged one got no answer; the resend did
    expect(await names(a)).toEqual(['once']);
  });
});
