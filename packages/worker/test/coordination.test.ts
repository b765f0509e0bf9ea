/**
 * The worker's multi-tab coordination in Node: several `WorkerEngine`s (one per "tab") on one
 * fake origin (`fake-platform.ts`: in-memory Web Locks, channels, shared files) and a real core
 * `Database` on `MemoryStorage`. Covers leader election, forwarding, deduplication of resent
 * requests, resend after a lost message, the "started"/orphan rules when a leader vanishes,
 * interactive-transaction ownership, and step-down — the rules about messages with the follower's
 * calls on its port of the direct line and on the BroadcastChannels (an origin without a broker)
 * alike. The browser glue is proven by e2e/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_KDF } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';
import { WorkerEngine } from '../src/engine/engine.js';
import type { LogSetting } from '../src/shared/diagnostics.js';
import type { BusMessage } from '../src/shared/bus.js';
import type { LockState, Role, WorkerEvents } from '../src/shared/protocol.js';
import { FakeOrigin } from './fake-platform.js';
import { TRANSPORTS, untilDirect, type Transport } from './fake-line.js';

const PASSWORD = 'correct horse battery staple';
/**
 * The tabs' key unless a test is about a password: a raw key, since the KDF is not under test here
 * and each tab's open and each follower's proof would otherwise be an Argon2id run (most of this
 * file's CPU time even at MIN_KDF).
 */
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 255);
const rawKey = (): KeyMaterial => ({ key: KEY.slice() });

interface Tab {
  readonly name: string;
  readonly engine: WorkerEngine;
  readonly states: LockState[];
  readonly roles: Role[];
  readonly changes: (readonly string[])[];
  role: Role;
}

let open: Tab[] = [];

afterEach(async () => {
  for (const tab of open) await tab.engine.close().catch(() => undefined);
  open = [];
});

async function openTab(origin: FakeOrigin, name: string, key: KeyMaterial = rawKey(), logLevel: LogSetting = 'debug', events: Partial<WorkerEvents> = {}): Promise<Tab> {
  const engine = new WorkerEngine(origin.tab(name));
  const tab: Tab = { name, engine, states: [], roles: [], changes: [], role: 'none' };
  open.push(tab);
  const sink: WorkerEvents = {
    lockState: (s) => void tab.states.push(s),
    role: (r) => {
      tab.roles.push(r);
      tab.role = r;
    },
    change: (t) => void tab.changes.push(t),
    progress: () => undefined,
    ...events,
  };
  const info = await engine.open({ name: 'pos', directory: 'test', kdf: MIN_KDF, logLevel }, key, sink);
  tab.role = info.role;
  return tab;
}

/** What the current test's follower exchanged over its port before the test's own calls. */
let lineCheck: { b: Tab; transport: Transport; direct: number } | null = null;

/** A leads, B follows (both with `key`); with `port`, B's calls take its port of the direct line from here on. */
async function twoTabs(transport: Transport = 'port', key: () => KeyMaterial = rawKey) {
  const origin = new FakeOrigin({ broker: transport === 'port' });
  const a = await openTab(origin, 'A', key());
  await a.engine.run('exec', ['CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)']);
  const b = await openTab(origin, 'B', key());
  if (transport === 'port') await untilDirect(b.engine);
  lineCheck = { b, transport, direct: (await b.engine.lineCounts()).direct };
  return { origin, a, b };
}

/** The test's calls took the transport it is about: the port (more came over it), or never one. */
async function expectTransportUsed(): Promise<void> {
  const check = lineCheck;
  lineCheck = null;
  if (!check) return;
  const { direct } = await check.b.engine.lineCounts();
  if (check.transport === 'port') expect(direct).toBeGreaterThan(check.direct);
  else expect(direct).toBe(0);
}

async function names(tab: Tab): Promise<string[]> {
  const rows = await tab.engine.run('query', ['SELECT name FROM items ORDER BY id']);
  return rows.map((r) => String(r.name));
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function isReq(m: BusMessage, op: string): m is Extract<BusMessage, { kind: 'req' }> {
  return m.kind === 'req' && m.req.op === op;
}

describe('leader election and forwarding', () => {
  it('the first tab leads; the next follows, and its calls run on the leader', async () => {
    const { a, b } = await twoTabs();
    expect(a.role).toBe('leader');
    expect(b.role).toBe('follower');
    await b.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['from B']]);
    expect(await names(a)).toEqual(['from B']);
    await until(() => a.changes.length > 0 && b.changes.length > 0, 'change events in both tabs');
    expect(b.changes.at(-1)).toEqual(['items']);
  });

  it('values() from a follower keeps every column of a join with repeated names', async () => {
    const { a, b } = await twoTabs();
    await a.engine.run('exec', ["INSERT INTO items(name) VALUES ('x')"]);
    const result = await b.engine.run('values', ['SELECT i.id, j.id, i.name FROM items i JOIN items j ON j.id = i.id']);
    expect(result).toEqual({ columns: ['id', 'id', 'name'], rows: [[1, 1, 'x']] });
  });

  it('a follower with a wrong password gets WRONG_KEY and holds nothing', async () => {
    const { origin } = await twoTabs('port', () => ({ password: PASSWORD }));
    await expect(openTab(origin, 'C', { password: 'wrong' })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    expect(origin.locks.holder('cipherlite:test/pos:leader')).toBe('A');
  });
});

describe.each(TRANSPORTS)('resend and deduplication (over the %s)', (transport) => {
  afterEach(expectTransportUsed);

  it('a request delivered twice runs once', async () => {
    const { origin, a, b } = await twoTabs(transport);
    let doubled = 0;
    origin.bus.onPost = (m) => (isReq(m, 'exec') ? (doubled++, 'twice') : 'deliver');
    await b.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['once']]);
    await new Promise((r) => setTimeout(r, 100)); // let the duplicate arrive and be dropped
    expect(doubled).toBe(1);
    expect(await names(a)).toEqual(['once']);
  });

  it('credentials or a signer spec forged into a forwarded replica call are refused by the leader (each tab gives its own)', async () => {
    const { origin, b } = await twoTabs(transport);
    const forged = [
      { action: 'setSigner', signer: { url: 'https://attacker.example/sign' } },
      { action: 'setCredentials', credentials: { accessKeyId: 'AKIAFORGED', secretAccessKey: 'forged' } },
    ];
    for (const call of forged) {
      origin.bus.onPost = (m) => {
        if (isReq(m, 'replica')) (m.req as { call: unknown }).call = call;
        return 'deliver';
      };
      await expect(b.engine.replica({ action: 'status' })).rejects.toThrow(/not accepted from another tab/);
    }
  });

  it('a request lost on the way is resent until a leader takes it, and runs once', async () => {
    const { origin, a, b } = await twoTabs(transport);
    let sent = 0;
    origin.bus.onPost = (m) => {
      if (!isReq(m, 'exec')) return 'deliver';
      sent++;
      return sent === 1 ? 'drop' : 'deliver';
    };
    const started = Date.now();
    await b.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['resent']]);
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500); // waited for the resend timer
    expect(await names(a)).toEqual(['resent']);
  });
});

describe.each(TRANSPORTS)('a lost answer (the leader is still there) (over the %s)', (transport) => {
  afterEach(expectTransportUsed);

  /** Loses the leader's messages about B's first `op` request that `lose` picks, once each. */
  function loseAnswers(origin: FakeOrigin, op: string, lose: (m: BusMessage) => boolean) {
    let reqId: number | null = null;
    const lost: string[] = [];
    const startedCount = { n: 0 };
    origin.bus.onPost = (m, _channel, from) => {
      if (from === 'B' && reqId === null && isReq(m, op)) reqId = m.id;
      if (from !== 'A' || reqId === null || !('id' in m) || m.id !== reqId) return 'deliver';
      if (m.kind === 'started') startedCount.n++;
      if (!lost.includes(m.kind) && lose(m)) {
        lost.push(m.kind);
        return 'drop';
      }
      return 'deliver';
    };
    return { lost, startedCount };
  }

  it('a recorded write whose answer was lost resolves when the follower asks again, and ran once', async () => {
    const { origin, a, b } = await twoTabs(transport);
    const { lost } = loseAnswers(origin, 'exec', (m) => m.kind === 'res');
    const result = await b.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['once']]);
    expect(lost).toEqual(['res']);
    expect(result).toMatchObject({ changes: 1 });
    expect(await names(a)).toEqual(['once']);
  });

  it('a write that cannot be recorded (PRAGMA) gets its kept answer again, without running twice', async () => {
    const { origin, b } = await twoTabs(transport);
    const { lost, startedCount } = loseAnswers(origin, 'exec', (m) => m.kind === 'res');
    await b.engine.run('exec', ['PRAGMA user_version = 7']);
    expect(lost).toEqual(['res']);
    expect(startedCount.n).toBe(1); // answered from what the leader kept, not run again
    expect(await b.engine.run('get', ['PRAGMA user_version'])).toEqual({ user_version: 7 });
  });

  it('a read whose "started" and answer were both lost still resolves', async () => {
    const { origin, a, b } = await twoTabs(transport);
    await a.engine.run('exec', ["INSERT INTO items(name) VALUES ('x')"]);
    const { lost } = loseAnswers(origin, 'query', () => true);
    expect(await b.engine.run('query', ['SELECT name FROM items'])).toEqual([{ name: 'x' }]);
    expect(lost.sort()).toEqual(['res', 'started']);
  });
});

const VANISHING_CASES = TRANSPORTS.flatMap((t) => [[t, 'raw key'] as const, [t, 'password'] as const]);

describe.each(VANISHING_CASES)('a leader that vanishes mid-call ("started" and orphan rules) (over the %s, tabs unlocked with a %s)', (transport, unlock) => {
  afterEach(expectTransportUsed);

  /**
   * B follows A; A dies right after telling B it started B's `op` request. With a password B's
   * takeover runs Argon2id, and the `started` A posted reaches B meanwhile; with a raw key B takes
   * over before that message arrives (and stops listening for it): B must still not run the
   * request again unless it may run twice.
   */
  async function killLeaderWhenStarted(op: 'exec' | 'query') {
    const { origin, a, b } = await twoTabs(transport, unlock === 'password' ? () => ({ password: PASSWORD }) : rawKey);
    await b.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['before']]);
    let startedId: number | null = null;
    let reqId: number | null = null;
    origin.bus.onPost = (m, _channel, from) => {
      if (from === 'B' && isReq(m, op)) reqId = m.id;
      if (from === 'A' && m.kind === 'started' && m.id === reqId) {
        startedId = m.id;
        queueMicrotask(() => origin.kill('A')); // after this message is on its way
      }
      return 'deliver';
    };
    return { origin, a, b, startedId: () => startedId };
  }

  it('an unrecordable write it had started (PRAGMA) fails with BUSY (outcome unknown) once another tab leads', async () => {
    const { b, startedId } = await killLeaderWhenStarted('exec');
    await expect(b.engine.run('exec', ['PRAGMA user_version = 7'])).rejects.toMatchObject({ code: 'BUSY', message: expect.stringMatching(/may or may not/) });
    expect(startedId()).not.toBeNull();
    expect(b.role).toBe('leader');
    // The database works on under the new leader.
    await b.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['after']]);
    expect(await names(b)).toEqual(['before', 'after']);
  });

  it('a read it had started is run again by the new leader', async () => {
    const { b, startedId } = await killLeaderWhenStarted('query');
    const rows = await b.engine.run('query', ['SELECT name FROM items']);
    expect(startedId()).not.toBeNull();
    expect(b.role).toBe('leader');
    expect(rows).toEqual([{ name: 'before' }]);
  });
});

describe.each(TRANSPORTS)('step-down (over the %s)', (transport) => {
  afterEach(expectTransportUsed);

  it('a call queued on a leader that locks is refused unstarted and runs on the next leader', async () => {
    const { a, b } = await twoTabs(transport);
    const txId = await a.engine.txBegin();
    await a.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['A, never committed']], txId);
    // Waits behind A's open transaction (never "started").
    const queued = b.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['from B']]);
    await new Promise((r) => setTimeout(r, 50));
    await a.engine.lock(false);
    await expect(queued).resolves.toMatchObject({ changes: 1 });
    expect(b.role).toBe('leader');
    expect(await names(b)).toEqual(['from B']);
    await expect(a.engine.txEnd(txId, true)).rejects.toMatchObject({ code: 'LOCKED' });
    expect(a.states.at(-1)).toBe('locked');
  });

  it('an unrecordable write (PRAGMA) queued on a leader that locks is refused unstarted and runs once on the next leader', async () => {
    const { a, b } = await twoTabs(transport);
    const txId = await a.engine.txBegin();
    await a.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['A, never committed']], txId);
    // Waits behind A's open transaction; A refuses it unstarted (`resend`) as it steps down.
    const queued = b.engine.run('exec', ['PRAGMA user_version = 7']);
    await new Promise((r) => setTimeout(r, 50));
    await a.engine.lock(false);
    await expect(queued).resolves.toMatchObject({ changes: 0 });
    expect(b.role).toBe('leader');
    expect(await b.engine.run('get', ['PRAGMA user_version'])).toEqual({ user_version: 7 });
  });

  it('pending restores belong to the leader that validated them', async () => {
    const { a, b } = await twoTabs(transport, () => ({ password: PASSWORD }));
    await a.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['backed up']]);
    const { bytes } = await b.engine.run('backup', [{ password: PASSWORD }]);
    const pending = await b.engine.run('inspectBackup', [bytes, { password: PASSWORD }]);
    expect(pending.comparison.tables.map((t) => t.name)).toContain('items');
    await a.engine.lock(false); // B takes over: A's pending restore is gone with A's leadership
    await until(() => b.role === 'leader', 'B to lead');
    await expect(b.engine.run('confirmRestore', [pending.id, { password: PASSWORD }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('interactive transactions', () => {
  it('only the tab that began a transaction can use or end it; other calls wait for it', async () => {
    const { a, b } = await twoTabs();
    const txId = await b.engine.txBegin();
    await b.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['in tx']], txId);
    await expect(a.engine.run('exec', ['DELETE FROM items'], txId)).rejects.toMatchObject({ code: 'BUSY' });
    await expect(a.engine.txEnd(txId, false)).rejects.toMatchObject({ code: 'BUSY' });
    let waited = false;
    const outside = a.engine.run('query', ['SELECT name FROM items']).then((rows) => {
      waited = true;
      return rows;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(waited).toBe(false);
    await b.engine.txEnd(txId, true);
    expect(await outside).toEqual([{ name: 'in tx' }]);
  });

  it("a follower's open transaction rolls back when its tab dies", async () => {
    const { origin, a, b } = await twoTabs();
    const txId = await b.engine.txBegin();
    await b.engine.run('exec', ['INSERT INTO items(name) VALUES (?)', ['lost with B']], txId);
    const waiting = names(a);
    origin.kill('B');
    expect(await waiting).toEqual([]);
  });
});

describe('diagnostics', () => {
  /** Client callbacks of a page that went away. */
  const failing: Partial<WorkerEvents> = {
    lockState: () => {
      throw new Error('the page went away');
    },
  };

  it('a failing client callback is reported at debug level and never carries the password', async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin, 'A', { password: PASSWORD }, 'debug', failing);
    await a.engine.lock(false);
    const records = origin.log.filter((r) => r.event === 'engine.client-callback-failed');
    expect(records.length).toBeGreaterThan(0);
    expect(records[0]).toMatchObject({ level: 'debug', tab: 'A', error: { name: 'Error', message: 'the page went away' } });
    expect(JSON.stringify(origin.log)).not.toContain(PASSWORD);
  });

  it('prints nothing by default', async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin, 'A', { password: PASSWORD }, 'off', failing);
    await a.engine.lock(false);
    expect(origin.log).toEqual([]);
  });
});
