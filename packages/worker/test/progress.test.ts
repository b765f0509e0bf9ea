/**
 * Progress and cancellation through the worker, in Node with the in-memory platform: the
 * leader's throttle, progress reaching a follower tab's client, a cancel reaching the leader's
 * operation (only the request of that tab and id), a call cancelled while queued never running,
 * a failing progress receiver not failing the call, and importDatabase.
 */
import { MIN_KDF } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';
import type { Progress } from '@cipherlite/core/keys';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkerEngine } from '../src/engine/engine.js';
import { ProgressThrottle } from '../src/engine/runtime/progress.js';
import type { WorkerEvents } from '../src/shared/protocol.js';
import { FakeOrigin } from './fake-platform.js';

const PASSWORD = 'progress password';
const OPTIONS = { name: 'pos', directory: 'test', kdf: MIN_KDF, logLevel: 'debug' as const };

interface Tab {
  engine: WorkerEngine;
  /** Progress events the client received, by call id. */
  progress: Map<number, Progress[]>;
}

let engines: WorkerEngine[] = [];
afterEach(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  engines = [];
});

function sinkFor(tab: Tab, progress?: WorkerEvents['progress']): WorkerEvents {
  return {
    lockState: () => undefined,
    role: () => undefined,
    change: () => undefined,
    progress:
      progress ??
      ((id, p) => {
        const list = tab.progress.get(id) ?? [];
        list.push({ ...p });
        tab.progress.set(id, list);
      }),
  };
}

async function openTab(origin: FakeOrigin, name: string, progress?: WorkerEvents['progress']): Promise<Tab> {
  const engine = new WorkerEngine(origin.tab(name));
  engines.push(engine);
  const tab: Tab = { engine, progress: new Map() };
  await engine.open(OPTIONS, { password: PASSWORD }, sinkFor(tab, progress));
  return tab;
}

/** Leader A with `rows` rows of ~1 KB, follower B (`bProgress`: its progress receiver instead of the recording one). */
async function twoTabs(rows = 8000, bProgress?: (b: Tab) => WorkerEvents['progress']) {
  const origin = new FakeOrigin();
  const a = await openTab(origin, 'A');
  await a.engine.run('exec', ['CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)']);
  await a.engine.run('exec', [`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${rows}) INSERT INTO t(v) SELECT hex(randomblob(500)) FROM c`]);
  let b: Tab | null = null;
  b = await openTab(origin, 'B', bProgress && ((id, p) => bProgress(b!)(id, p)));
  return { origin, a, b };
}

async function count(tab: Tab): Promise<number> {
  const rows = await tab.engine.run('query', ['SELECT count(*) AS n FROM t']);
  return Number(rows[0]!.n);
}

/** `'resolved'` or the rejection's code (a failure message must not print a large result). */
function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => String((e as { code?: unknown }).code ?? e),
  );
}

function expectEndsAtTotal(events: Progress[]): void {
  const phases = [...new Set(events.map((e) => e.phase))];
  for (const phase of phases) {
    const of = events.filter((e) => e.phase === phase);
    for (let i = 1; i < of.length; i++) expect(of[i]!.done).toBeGreaterThanOrEqual(of[i - 1]!.done);
    expect(of.at(-1)!.done).toBe(of.at(-1)!.total);
  }
}

describe('ProgressThrottle', () => {
  it('passes phase starts and ends, at most one per interval between, and the held one on flush or timer', () => {
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout'] });
    try {
      const sent: Progress[] = [];
      const t = new ProgressThrottle((p) => sent.push(p), 100);
      t.push({ phase: 'copy', done: 1, total: 10 }); // first: sent
      t.push({ phase: 'copy', done: 2, total: 10 }); // held
      vi.advanceTimersByTime(50);
      t.push({ phase: 'copy', done: 3, total: 10 }); // replaces the held one
      expect(sent.map((p) => p.done)).toEqual([1]);
      vi.advanceTimersByTime(50); // the timer sends the newest held event
      expect(sent.map((p) => p.done)).toEqual([1, 3]);
      vi.advanceTimersByTime(100);
      t.push({ phase: 'copy', done: 4, total: 10 }); // ≥ 100 ms later: sent
      t.push({ phase: 'copy', done: 10, total: 10 }); // phase end: sent
      t.push({ phase: 'hash', done: 1, total: 5 }); // new phase: sent
      t.push({ phase: 'hash', done: 2, total: 5 }); // held
      t.flush();
      t.flush(); // nothing left to send
      expect(sent).toEqual([
        { phase: 'copy', done: 1, total: 10 },
        { phase: 'copy', done: 3, total: 10 },
        { phase: 'copy', done: 4, total: 10 },
        { phase: 'copy', done: 10, total: 10 },
        { phase: 'hash', done: 1, total: 5 },
        { phase: 'hash', done: 2, total: 5 },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('progress and cancellation through the worker', () => {
  it('a follower gets throttled progress of verify, backup, export and rekey from the leader', async () => {
    const { a, b } = await twoTabs();
    await b.engine.run('verify', [], undefined, { id: 1, progress: true });
    await b.engine.run('backup', [{ password: PASSWORD }], undefined, { id: 2, progress: true });
    await b.engine.run('exportPlaintext', [], undefined, { id: 3, progress: true });
    await b.engine.run('rekey', [{ password: PASSWORD }], undefined, { id: 4, progress: true });
    for (const id of [1, 2, 3, 4]) {
      const events = b.progress.get(id) ?? [];
      // The first and the last event at least (an export of 8 MB can take < 100 ms here).
      expect(events.length, `call ${id}`).toBeGreaterThanOrEqual(2);
      expectEndsAtTotal(events);
    }
    expect([...new Set(b.progress.get(4)!.map((e) => e.phase))]).toEqual(['copy', 'check', 'hash', 'swap']);
    // Throttled: far fewer events than core's steps (a copy step is 256 pages; verify slices 256 blocks).
    const copy = b.progress.get(3)!.filter((e) => e.phase === 'copy');
    expect(copy.length).toBeLessThan(Math.ceil(copy.at(-1)!.total / 256));
    // Nothing went to the leader's own client, nor to calls without a tag.
    expect(a.progress.size).toBe(0);
    expect(await count(a)).toBe(8000);
  });

  it("a follower's cancel aborts its own request at the leader, not another tab's call with the same id", async () => {
    // B's rekey (call 7) is cancelled at its first progress event; A's backup, also call 7, queues behind it.
    const { origin, a, b } = await twoTabs(16_000, (tab) => (id, p) => {
      tab.progress.set(id, [...(tab.progress.get(id) ?? []), { ...p }]);
      if (id === 7) void tab.engine.cancel(7);
    });
    const slotsBefore = await a.engine.run('listKeyslots', []);
    const rekey = b.engine.run('rekey', [{ password: PASSWORD }], undefined, { id: 7, progress: true });
    const backup = a.engine.run('backup', [{ password: PASSWORD }], undefined, { id: 7, progress: true });
    expect(await codeOf(rekey)).toBe('CANCELLED');
    const result = await backup;
    expect(result.meta.tables.find((t) => t.name === 't')).toEqual({ name: 't', rows: 16_000 });
    expectEndsAtTotal(a.progress.get(7)!);
    // No trace: no temporary file, the keyslot not recreated (rekey makes a new one), the old password opens it.
    expect(origin.files.list().filter((n) => n.includes('~'))).toEqual([]);
    expect(await a.engine.run('listKeyslots', [])).toEqual(slotsBefore);
    const c = await openTab(origin, 'C');
    expect(await count(c)).toBe(16_000);
  });

  it('a call cancelled while it waits in the queue never runs', async () => {
    const { a, b } = await twoTabs();
    // A's verify holds the queue; B's rekey waits behind it and is cancelled there.
    const verify = a.engine.run('verify', [], undefined, { id: 1, progress: true });
    const rekey = b.engine.run('rekey', [{ password: PASSWORD }], undefined, { id: 2, progress: true });
    await new Promise((r) => setTimeout(r, 5));
    await b.engine.cancel(2);
    expect(await codeOf(rekey)).toBe('CANCELLED');
    expect((await verify).ok).toBe(true);
    expect(b.progress.get(2)).toBeUndefined();
    expect(await b.engine.run('listKeyslots', [])).toHaveLength(1);
    expect(await count(b)).toBe(8000);
  });

  it('a progress receiver that throws is reported and does not fail the call', async () => {
    const origin = new FakeOrigin();
    const a = await openTab(origin, 'A', () => {
      throw new Error('the client went away');
    });
    await a.engine.run('exec', ['CREATE TABLE t(v); INSERT INTO t VALUES (1)']);
    const result = await a.engine.run('verify', [], undefined, { id: 1, progress: true });
    expect(result.ok).toBe(true);
    expect(origin.log.some((r) => r.event === 'engine.progress-delivery-failed')).toBe(true);
  });

  it('importDatabase creates the database from a SQLite file and opens it; an existing name is INVALID_ARGUMENT', async () => {
    const { a } = await twoTabs();
    const plain = await a.engine.run('exportPlaintext', []);
    const origin = new FakeOrigin();
    const engine = new WorkerEngine(origin.tab('I'));
    engines.push(engine);
    const tab: Tab = { engine, progress: new Map() };
    const key: KeyMaterial = { password: 'imported' };
    const bytes = plain.slice();
    const info = await engine.importDatabase({ ...OPTIONS, name: 'copy' }, key, bytes, sinkFor(tab), { id: 9, progress: true });
    expect(info.role).toBe('leader');
    expect(await count(tab)).toBe(8000);
    expectEndsAtTotal(tab.progress.get(9)!);
    // The plaintext the worker received was zeroed after use.
    expect(bytes.every((x) => x === 0)).toBe(true);
    // The name exists now (and is open in a tab): refused, whichever tab asks.
    const again = new WorkerEngine(origin.tab('J'));
    engines.push(again);
    await expect(
      again.importDatabase({ ...OPTIONS, name: 'copy' }, { password: 'x' }, plain.slice(), sinkFor({ engine: again, progress: new Map() }), { id: 1, progress: false }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await engine.close();
    const third = new WorkerEngine(origin.tab('K'));
    engines.push(third);
    await expect(
      third.importDatabase({ ...OPTIONS, name: 'copy' }, { password: 'x' }, plain.slice(), sinkFor({ engine: third, progress: new Map() }), { id: 1, progress: false }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    // Not a SQLite file: NOT_A_DATABASE, nothing created.
    const fourth = new WorkerEngine(origin.tab('L'));
    engines.push(fourth);
    await expect(
      fourth.importDatabase({ ...OPTIONS, name: 'junk' }, { password: 'x' }, new Uint8Array(8192).fill(7), sinkFor({ engine: fourth, progress: new Map() }), { id: 1, progress: false }),
    ).rejects.toMatchObject({
      code: 'NOT_A_DATABASE',
    });
    expect(origin.files.list().filter((n) => n.startsWith('junk'))).toEqual([]);
  });
});
