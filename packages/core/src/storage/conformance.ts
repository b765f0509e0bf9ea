/**
 * The `SyncStorage` conformance suite: one backend-agnostic list of cases, each a function of a
 * storage factory, checking the contract written in sync-file.ts. Vitest runs it against the
 * in-memory and Node-fs backends; the e2e test-app runs it in a dedicated worker against OPFS and
 * the worker's IndexedDB backend (Chromium and Firefox); any new backend runs the same list by
 * passing its own factory.
 *
 * No test framework is imported (the browser runs this module as it is): a case throws an
 * `Error` saying what was expected and what arrived, and `runStorageConformance` collects results.
 */
import type { SyncFile, SyncStorage } from './sync-file.js';

/** Makes a fresh, empty storage for one case (a new directory, store or map). */
export type StorageFactory = () => SyncStorage | Promise<SyncStorage>;

/** What the cases need to know about a backend beyond the `SyncStorage` interface. */
export interface ConformanceOptions {
  /**
   * Ends `storage` (closing what the backend holds open) and opens a new storage over the same
   * place — directory, IndexedDB database — to see what outlived it. In-memory storage: the
   * storage itself (the map is its place).
   */
  reopen: (storage: SyncStorage) => Promise<SyncStorage>;
  /**
   * Only for a backend that cannot honour `flush()`'s durability (the one clause of the contract a
   * backend may declare inapplicable, saying why): the asynchronous step that makes the earlier
   * writes durable instead, which its caller awaits before reporting success.
   */
  durableBy?: { reason: string; commit: (storage: SyncStorage) => Promise<void> };
}

export interface ConformanceCase {
  name: string;
  run(storage: SyncStorage, options: ConformanceOptions): Promise<void>;
}

export interface ConformanceResult {
  name: string;
  ok: boolean;
  error?: string;
}

function fail(what: string, expected: unknown, got: unknown): never {
  throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
}
function equal(what: string, got: unknown, expected: unknown): void {
  if (JSON.stringify(got) !== JSON.stringify(expected)) fail(what, expected, got);
}
function throws(what: string, fn: () => unknown, check?: (e: unknown) => boolean): void {
  try {
    fn();
  } catch (e) {
    if (check && !check(e)) fail(`${what} (the error)`, 'a matching error', e instanceof Error ? `${e.name}: ${e.message}` : e);
    return;
  }
  fail(what, 'a thrown error', 'no error');
}
/** A call on a closed handle is the caller's mistake: CipherliteError CLOSED, not IO (sync-file.ts). */
const isClosedError = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === 'CLOSED';
const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);
function readAll(f: SyncFile): number[] {
  const buf = new Uint8Array(f.getSize());
  const n = f.read(buf, { at: 0 });
  return [...buf.subarray(0, n)];
}
async function opened(s: SyncStorage, name: string, create: boolean): Promise<SyncFile> {
  await s.prepare?.([name]);
  return s.open(name, { create });
}
const isIoErrorNaming =
  (name: string) =>
  (e: unknown): boolean =>
    (e as { code?: unknown }).code === 'IO' && e instanceof Error && e.message.includes(name);

export const storageConformanceCases: readonly ConformanceCase[] = [
  {
    name: 'open without create: a missing file throws a CipherliteError IO naming it, and is not created',
    async run(s) {
      await s.prepare?.(['missing']);
      equal('exists(missing)', s.exists('missing'), false);
      throws('open(missing, { create: false })', () => s.open('missing', { create: false }), isIoErrorNaming('missing'));
      equal('exists after the failed open', s.exists('missing'), false);
      equal('list after the failed open', s.list().includes('missing'), false);
    },
  },
  {
    name: 'open with create: a new zero-length file exists and is listed',
    async run(s) {
      const f = await opened(s, 'a', true);
      equal('size of a new file', f.getSize(), 0);
      equal('exists(a)', s.exists('a'), true);
      equal('list()', s.list(), ['a']);
      f.close();
      equal('exists after close', s.exists('a'), true);
      const again = s.open('a', { create: false });
      equal('size after reopen', again.getSize(), 0);
      again.close();
    },
  },
  {
    name: 'read and write at offsets: short reads at the end, zero-filled gaps, exact sizes',
    async run(s) {
      const f = await opened(s, 'rw', true);
      equal('write returns the byte count', f.write(bytes(1, 2, 3), { at: 0 }), 3);
      equal('write past the end returns the byte count', f.write(bytes(9), { at: 6 }), 1);
      equal('size after a gap write', f.getSize(), 7);
      equal('content with a zero-filled gap', readAll(f), [1, 2, 3, 0, 0, 0, 9]);
      const buf = new Uint8Array(4).fill(0xee);
      equal('read across the end returns what exists', f.read(buf, { at: 5 }), 2);
      equal('bytes read across the end', [...buf.subarray(0, 2)], [0, 9]);
      equal('read at the end returns 0', f.read(new Uint8Array(2), { at: 7 }), 0);
      equal('read beyond the end returns 0', f.read(new Uint8Array(2), { at: 100 }), 0);
      f.write(bytes(7, 7), { at: 1 });
      equal('overwrite in place', readAll(f), [1, 7, 7, 0, 0, 0, 9]);
      f.flush();
      f.close();
    },
  },
  {
    name: 'truncate shrinks, and extends with zeros (old bytes never reappear)',
    async run(s) {
      const f = await opened(s, 't', true);
      f.write(bytes(1, 2, 3, 4, 5), { at: 0 });
      f.truncate(2);
      equal('size after shrinking', f.getSize(), 2);
      equal('content after shrinking', readAll(f), [1, 2]);
      f.truncate(5);
      equal('size after extending', f.getSize(), 5);
      equal('extension reads as zeros', readAll(f), [1, 2, 0, 0, 0]);
      f.truncate(0);
      equal('size after truncate(0)', f.getSize(), 0);
      equal('a zero-length file still exists', s.exists('t'), true);
      f.close();
    },
  },
  {
    name: 'two handles on one file share its bytes; closing one leaves the other usable',
    async run(s) {
      const a = await opened(s, 'shared', true);
      const b = s.open('shared', { create: false });
      a.write(bytes(5, 6), { at: 0 });
      equal('a write through one handle is read through the other', readAll(b), [5, 6]);
      b.truncate(1);
      equal('a truncate through one handle is seen by the other', a.getSize(), 1);
      a.close();
      equal('the other handle still reads after one is closed', readAll(b), [5]);
      b.write(bytes(8), { at: 1 });
      b.close();
      const c = s.open('shared', { create: false });
      equal('content after every handle was closed', readAll(c), [5, 8]);
      c.close();
    },
  },
  {
    name: 'a closed handle refuses every call; close is idempotent',
    async run(s) {
      const f = await opened(s, 'closed', true);
      f.write(bytes(1), { at: 0 });
      f.close();
      f.close();
      throws('read on a closed handle', () => f.read(new Uint8Array(1), { at: 0 }), isClosedError);
      throws('write on a closed handle', () => f.write(bytes(1), { at: 0 }), isClosedError);
      throws('getSize on a closed handle', () => f.getSize(), isClosedError);
      throws('truncate on a closed handle', () => f.truncate(0), isClosedError);
      const g = s.open('closed', { create: false });
      equal('the file is intact', readAll(g), [1]);
      g.close();
    },
  },
  {
    name: 'delete removes the file (a later create starts empty); deleting a missing file is a no-op',
    async run(s) {
      const f = await opened(s, 'd', true);
      f.write(bytes(1, 2, 3), { at: 0 });
      f.close();
      s.delete('d');
      equal('exists after delete', s.exists('d'), false);
      equal('list after delete', s.list().includes('d'), false);
      throws('open(create: false) after delete', () => s.open('d', { create: false }), isIoErrorNaming('d'));
      const g = s.open('d', { create: true });
      equal('a re-created file is empty', g.getSize(), 0);
      g.close();
      s.delete('never-existed');
      equal('deleting a missing file creates nothing', s.exists('never-existed'), false);
    },
  },
  {
    name: 'create does not truncate an existing file; list names exactly the stored files',
    async run(s) {
      await s.prepare?.(['x', 'x-journal', 'x-wal']);
      const f = s.open('x', { create: true });
      f.write(bytes(4, 2), { at: 0 });
      f.close();
      const g = s.open('x', { create: true });
      equal('open(create: true) of an existing file keeps its bytes', readAll(g), [4, 2]);
      g.close();
      s.open('x-journal', { create: true }).close();
      equal('list()', [...s.list()].sort(), ['x', 'x-journal']);
      equal('a prepared but never created name does not exist', s.exists('x-wal'), false);
    },
  },
  {
    name: 'prepare calls that overlap in time and name the same files all complete, and the files work',
    async run(s) {
      // Database.open prepares the journal while its KDF runs, and a recovery may prepare it too.
      const both = Promise.all([s.prepare?.(['p', 'p-journal']), s.prepare?.(['p-journal', 'p-wal']), s.prepare?.(['p'])]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 3000)));
      const outcome = await Promise.race([both.then(() => 'done' as const), late]);
      clearTimeout(timer);
      equal('overlapping prepare() calls', outcome, 'done');
      const f = s.open('p-journal', { create: true });
      f.write(bytes(7), { at: 0 });
      equal('a file prepared twice at once', readAll(f), [7]);
      f.close();
    },
  },
  {
    name: 'flush makes writes and truncates durable: a storage reopened over the same place reads them',
    async run(s, { reopen, durableBy }) {
      const f = await opened(s, 'durable', true);
      f.write(bytes(1, 2, 3, 4, 5), { at: 0 });
      f.truncate(4);
      f.write(bytes(9), { at: 6 });
      f.flush();
      await durableBy?.commit(s);
      f.close();
      const t = await reopen(s);
      await t.prepare?.(['durable']);
      equal('exists after reopening', t.exists('durable'), true);
      const g = t.open('durable', { create: false });
      equal('content after reopening', readAll(g), [1, 2, 3, 4, 0, 0, 9]);
      g.truncate(2);
      g.flush();
      await durableBy?.commit(t);
      g.close();
      const u = await reopen(t);
      await u.prepare?.(['durable']);
      const h = u.open('durable', { create: false });
      equal('content after a durable shrink and reopening', readAll(h), [1, 2]);
      h.close();
    },
  },
  {
    // An optional capability (sync-file.ts "Rename"): a backend without it has nothing to check here.
    name: 'rename, where offered: the target takes the source bytes, the source is gone, durably; a missing source changes nothing',
    async run(s, { reopen, durableBy }) {
      if (!s.rename) return;
      await s.prepare?.(['old', 'new', 'moved']);
      for (const [name, content] of [
        ['old', bytes(1, 2, 3)],
        ['new', bytes(9, 8)],
      ] as const) {
        const f = s.open(name, { create: true });
        f.write(content, { at: 0 });
        f.flush();
        f.close();
      }
      await s.rename('new', 'old');
      equal('exists(new) after rename', s.exists('new'), false);
      equal('list after rename', s.list().sort(), ['old']);
      const f = s.open('old', { create: false });
      equal('content of the replaced file', readAll(f), [9, 8]);
      f.close();
      let error: unknown = null;
      await s.rename('missing', 'old').catch((e: unknown) => (error = e));
      if (!isIoErrorNaming('missing')(error)) fail('rename of a missing source (the error)', 'a CipherliteError IO naming it', String(error));
      await s.rename('old', 'moved');
      await durableBy?.commit(s);
      const t = await reopen(s);
      await t.prepare?.(['old', 'moved']);
      equal('names after reopening', t.list().sort(), ['moved']);
      const g = t.open('moved', { create: false });
      equal('content after reopening', readAll(g), [9, 8]);
      g.close();
    },
  },
];

/**
 * Runs every case, each on a fresh storage from `factory`; never throws for a failing case. The
 * storages a case reopened are made by `options.reopen`, which should track them for cleanup.
 */
export async function runStorageConformance(factory: StorageFactory, options: ConformanceOptions): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const c of storageConformanceCases) {
    try {
      await c.run(await factory(), options);
      results.push({ name: c.name, ok: true });
    } catch (e) {
      results.push({ name: c.name, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
}
