/**
 * Exactly-once writes across a change of leader (`src/engine/leader/request-log.ts`): a follower's write whose
 * leader dies at any step is either known committed (answered from the record) or run exactly once
 * by the next leader — never "outcome unknown". The leader tab is killed (fake platform: its
 * locks and channels go at once, its storage handles fail, so nothing it had not written lands)
 * at every step of an `exec`, a `batch` and an interactive transaction's COMMIT; each case checks
 * the rows on storage and the answer the follower got — with the follower's calls on its port of
 * the direct line, and (rollback journal) on the BroadcastChannels of an origin without a broker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database, MemoryStorage, MIN_KDF } from '@cipherlite/core';
import { WorkerEngine } from '../src/engine/engine.js';
import type { BusMessage, LeaderRequest } from '../src/shared/bus.js';
import { REQUEST_LOG_TABLE, runOnce } from '../src/engine/leader/request-log.js';
import { FakeOrigin } from './fake-platform.js';
import { untilDirect, type Transport } from './fake-line.js';

const PASSWORD = 'correct horse battery staple';
/**
 * The tabs' key: a raw key, since the request log is under test here, not the KDF. Each case
 * unlocks several times (A opens, B proves its key to A, B opens as the next leader); with a
 * password each unlock is an Argon2id run, most of this file's CPU time even at MIN_KDF.
 */
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 255);

let engines: WorkerEngine[] = [];

afterEach(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  engines = [];
});

type Mode = 'TRUNCATE' | 'WAL';

async function openTab(origin: FakeOrigin, name: string, mode: Mode, changes: (readonly string[])[] = []): Promise<WorkerEngine> {
  const engine = new WorkerEngine(origin.tab(name));
  engines.push(engine);
  await engine.open(
    { name: 'pos', directory: 'test', kdf: MIN_KDF, journalMode: mode },
    { key: KEY.slice() },
    { lockState: () => undefined, role: () => undefined, change: (t) => void changes.push(t), progress: () => undefined },
  );
  return engine;
}

type Step = 'before forward' | 'after receipt' | 'first write (journal)' | 'mid-commit' | 'after commit, before reply' | 'after reply';
const STEPS: Step[] = ['before forward', 'after receipt', 'first write (journal)', 'mid-commit', 'after commit, before reply', 'after reply'];
/** Steps at which the write had committed on the dying leader. */
const COMMITTED_BEFORE_DEATH = new Set<Step>(['after commit, before reply', 'after reply']);

function isWriteReq(m: BusMessage, op: LeaderRequest['op']): m is Extract<BusMessage, { kind: 'req' }> {
  return m.kind === 'req' && m.req.op === op;
}

/** Kills tab A at `step` of B's next `op` request; returns whether the kill happened and the channel B's request took. */
function killLeaderAt(origin: FakeOrigin, step: Step, op: LeaderRequest['op'], mode: Mode): { killed: () => boolean; channel: () => string | null } {
  let reqId: number | null = null;
  let channel: string | null = null;
  let walWrites = 0;
  let started = false;
  let killed = false;
  const kill = () => {
    if (!killed) origin.kill('A');
    killed = true;
  };
  origin.bus.onPost = (m, on, from) => {
    if (from === 'B' && isWriteReq(m, op) && reqId === null) {
      reqId = m.id;
      channel = on;
      if (step === 'before forward') {
        kill();
        return 'drop';
      }
    }
    if (from !== 'A' || reqId === null || !('id' in m) || m.id !== reqId) return 'deliver';
    if (m.kind === 'started') {
      started = true;
      if (step === 'after receipt') kill();
    }
    if (m.kind === 'res' && step === 'after commit, before reply') {
      kill();
      return 'drop';
    }
    if (m.kind === 'res' && step === 'after reply') setTimeout(kill, 0);
    return 'deliver';
  };
  origin.onWrite = (tab, file) => {
    if (tab !== 'A' || !started) return;
    if (step === 'first write (journal)') kill();
    // Mid-commit: the main file is being written after the journal was synced (rollback
    // journal), or the second frame of the commit is going into the WAL.
    if (step === 'mid-commit' && mode === 'TRUNCATE' && file === 'pos') kill();
    if (step === 'mid-commit' && mode === 'WAL' && file === 'pos-wal' && ++walWrites === 2) kill();
  };
  return { killed: () => killed, channel: () => channel };
}

/** The channel a follower's first request took on `transport`. */
const channelOf = (transport: Transport) => (transport === 'port' ? 'port' : 'cipherlite:test/pos:rpc');

async function setUp(mode: Mode, transport: Transport) {
  const origin = new FakeOrigin({ broker: transport === 'port' });
  const a = await openTab(origin, 'A', mode);
  await a.run('exec', ['CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)']);
  const changes: (readonly string[])[] = [];
  const b = await openTab(origin, 'B', mode, changes);
  await b.run('exec', ['INSERT INTO items(name) VALUES (?)', ['before']]);
  if (transport === 'port') await untilDirect(b);
  return { origin, b, changes };
}

async function names(b: WorkerEngine): Promise<string[]> {
  return (await b.run('query', ['SELECT name FROM items ORDER BY id'])).map((r) => String(r.name));
}

const CASES: readonly [Mode, Transport][] = [
  ['TRUNCATE', 'port'],
  ['WAL', 'port'],
  ['TRUNCATE', 'broadcast'],
];

describe.each(CASES)('a write forwarded to a leader that dies runs exactly once (%s, over the %s)', (mode, transport) => {
  for (const step of STEPS) {
    it(`exec, leader killed ${step}: answered, one row`, async () => {
      const { origin, b, changes } = await setUp(mode, transport);
      const { killed, channel } = killLeaderAt(origin, step, 'exec', mode);
      const result = await b.run('exec', ['INSERT INTO items(name) VALUES (?)', ['sale']]);
      expect(killed()).toBe(true);
      expect(channel()).toBe(channelOf(transport));
      expect(result).toEqual({ changes: 1, lastInsertRowid: 2 });
      expect(await names(b)).toEqual(['before', 'sale']);
      // The new leader (B) keeps working, and the bookkeeping never shows up in change events.
      await b.run('exec', ['INSERT INTO items(name) VALUES (?)', ['after']]);
      expect(await names(b)).toEqual(['before', 'sale', 'after']);
      expect(changes.flat()).not.toContain(REQUEST_LOG_TABLE);
    });

    it(`batch, leader killed ${step}: answered, both rows once`, async () => {
      const { origin, b } = await setUp(mode, transport);
      const { killed, channel } = killLeaderAt(origin, step, 'batch', mode);
      const result = await b.run('batch', [
        [
          { sql: 'INSERT INTO items(name) VALUES (?)', params: ['line 1'] },
          { sql: 'INSERT INTO items(name) VALUES (?)', params: ['line 2'] },
        ],
      ]);
      expect(killed()).toBe(true);
      expect(channel()).toBe(channelOf(transport));
      expect(result).toEqual([
        { changes: 1, lastInsertRowid: 2 },
        { changes: 1, lastInsertRowid: 3 },
      ]);
      expect(await names(b)).toEqual(['before', 'line 1', 'line 2']);
    });

    it(`transaction, leader killed ${step} of COMMIT: committed and answered, or rolled back and told so`, async () => {
      const { origin, b } = await setUp(mode, transport);
      const txId = await b.txBegin();
      await b.run('exec', ['INSERT INTO items(name) VALUES (?)', ['in tx']], txId);
      const { killed, channel } = killLeaderAt(origin, step, 'txEnd', mode);
      const outcome = await b.txEnd(txId, true).then(
        () => 'committed',
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
      expect(killed()).toBe(true);
      expect(channel()).toBe(channelOf(transport));
      if (COMMITTED_BEFORE_DEATH.has(step)) {
        expect(outcome).toBe('committed');
        expect(await names(b)).toEqual(['before', 'in tx']);
      } else {
        expect(outcome).toMatch(/^BUSY: the transaction was rolled back, not committed/);
        expect(await names(b)).toEqual(['before']);
      }
    });
  }
});

describe('the request log stays out of the way', () => {
  it("a recorded write leaves last_insert_rowid() at the user's row", async () => {
    const { b } = await setUp('TRUNCATE', 'port');
    await b.run('exec', ['INSERT INTO items(id, name) VALUES (?, ?)', [41, 'x']]);
    expect(await b.run('get', ['SELECT last_insert_rowid() AS id'])).toEqual({ id: 41 });
  });

  it('a log table from an earlier version (a rowid table) is converted in place, its records still answering', async () => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'old.db', password: PASSWORD, kdf: MIN_KDF });
    try {
      await db.exec(`CREATE TABLE ${REQUEST_LOG_TABLE} (id TEXT PRIMARY KEY, result TEXT NOT NULL)`);
      await db.exec(`INSERT INTO ${REQUEST_LOG_TABLE} (id, result) VALUES ('B:1', '{"changes":1,"lastInsertRowid":7}')`);
      let ran = 0;
      const again = await runOnce(db, 'B:1', () => Promise.resolve(++ran));
      expect(again).toEqual({ changes: 1, lastInsertRowid: 7 });
      expect(ran).toBe(0);
      expect(await runOnce(db, 'B:2', () => Promise.resolve(++ran))).toBe(1);
      expect(await runOnce(db, 'B:2', () => Promise.resolve(++ran))).toBe(1);
      const { sql } = (await db.get(`SELECT sql FROM sqlite_master WHERE name = ?`, [REQUEST_LOG_TABLE]))!;
      expect(String(sql)).toMatch(/WITHOUT ROWID/);
      expect(await db.query(`SELECT id, seq FROM ${REQUEST_LOG_TABLE} ORDER BY seq`)).toEqual([
        { id: 'B:1', seq: 1 },
        { id: 'B:2', seq: 2 },
      ]);
    } finally {
      await db.close();
    }
  });
});
