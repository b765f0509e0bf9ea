/**
 * Cancellation (`signal`) of the long key-management operations: an aborted signal rejects with
 * CANCELLED before any work; an abort mid-way stops at the next step and leaves no trace (the
 * database opens with the old key and has its rows, no temporary or partial file remains); an
 * abort past an operation's point of no return is ignored. Progress is monotonic per phase and
 * ends at its total.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { internals } from '../src/internal.js';
import { Database, MemoryStorage, type SyncStorage } from '../src/index.js';
import { backup, exportPlaintext, importPlaintext, inspectBackup, listBackups, rekey, verify, type Progress } from '../src/keys/index.js';
import { KEY } from './keys-helpers.js';

/** ~3 MB: several steps of every copy (256 pages per step) and of verify (256 blocks per slice). */
async function big(storage: SyncStorage, name = 'a.db', rows = 3000): Promise<Database> {
  const db = await Database.open({ storage, name, key: KEY });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  await db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${rows}) INSERT INTO t(v) SELECT printf('row-%d-', i) || hex(randomblob(500)) FROM c`);
  return db;
}

async function rowsOf(db: Database): Promise<string> {
  return JSON.stringify(await db.query('SELECT id, v FROM t ORDER BY id'));
}

/** Reopens `name` with KEY and returns its rows (proves: the old key opens it, rows intact). */
async function reopenRows(storage: SyncStorage, name = 'a.db'): Promise<string> {
  const db = await Database.open({ storage, name, key: KEY, create: false });
  try {
    const check = await db.get<{ integrity_check: string }>('PRAGMA integrity_check');
    expect(check).toEqual({ integrity_check: 'ok' });
    return await rowsOf(db);
  } finally {
    await db.close();
  }
}

/** `'resolved'` or the rejection's code: a failure message must not print megabytes of result. */
function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => String((e as { code?: unknown }).code ?? e),
  );
}

/** Each phase's `done` never decreases and its last event reaches `total`. */
function expectMonotonic(events: Progress[], phases: readonly string[]): void {
  expect([...new Set(events.map((e) => e.phase))]).toEqual(phases);
  for (const phase of phases) {
    const of = events.filter((e) => e.phase === phase);
    for (let i = 1; i < of.length; i++) expect(of[i]!.done).toBeGreaterThanOrEqual(of[i - 1]!.done);
    expect(of.at(-1)!.done).toBe(of.at(-1)!.total);
    for (const e of of) expect(e.done).toBeLessThanOrEqual(e.total);
  }
}

/** An onProgress that aborts `ctrl` at the first event of `phase` past `after` units. */
function abortAt(ctrl: AbortController, phase: string, after = 0, events: Progress[] = []) {
  return (p: Progress) => {
    events.push({ ...p });
    if (p.phase === phase && p.done > after && p.done < p.total) ctrl.abort();
  };
}

/** Stored files, without the journals of databases that exist (a leftover temp journal stays listed). */
const storedNames = (s: MemoryStorage) =>
  s
    .list()
    .filter((n) => !(n.endsWith('-journal') && s.exists(n.slice(0, -'-journal'.length))))
    .sort();

/** Byte-equal stored files (vitest's deep equality is far too slow for megabytes). */
function expectSameFiles(now: Map<string, Uint8Array>, before: Map<string, Uint8Array>): void {
  expect([...now.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [name, bytes] of now) expect(Buffer.compare(bytes, before.get(name)!), name).toBe(0);
}

describe('cancellation', () => {
  it('an already-aborted signal rejects every operation with CANCELLED before any work', async () => {
    const storage = new MemoryStorage();
    const db = await big(storage);
    const rows = await rowsOf(db);
    const before = storage.snapshot();
    const signal = AbortSignal.abort();
    const plain = await exportPlaintext(db);
    const { bytes } = await backup(db, { key: KEY });
    expect(await codeOf(rekey(db, { key: KEY }, { signal }))).toBe('CANCELLED');
    expect(await codeOf(backup(db, { key: KEY }, { signal }))).toBe('CANCELLED');
    expect(await codeOf(verify(db, { signal }))).toBe('CANCELLED');
    expect(await codeOf(exportPlaintext(db, { signal }))).toBe('CANCELLED');
    expect(await codeOf(inspectBackup(db, bytes, { key: KEY }, { signal }))).toBe('CANCELLED');
    const pending = await inspectBackup(db, bytes, { key: KEY });
    expect(await codeOf(pending.confirm({ key: KEY }, { signal }))).toBe('CANCELLED');
    await pending.cancel();
    expect(await codeOf(importPlaintext(storage, 'imp.db', plain, { key: KEY }, { signal }))).toBe('CANCELLED');
    // Nothing was written or created, and the database is usable.
    expectSameFiles(storage.snapshot(), before);
    expect(await rowsOf(db)).toBe(rows);
    expect((await db.exec('INSERT INTO t(v) VALUES (?)', ['after'])).changes).toBe(1);
    await db.close();
  });

  it('a signal that is not an AbortSignal is INVALID_ARGUMENT', async () => {
    const storage = new MemoryStorage();
    const db = await big(storage);
    for (const signal of [{}, 'abort', { aborted: false }, null]) {
      const o = { signal } as unknown as { signal: AbortSignal };
      await expect(verify(db, o)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(rekey(db, { key: KEY }, o)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(backup(db, { key: KEY }, o)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(exportPlaintext(db, o)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(importPlaintext(storage, 'x.db', new Uint8Array(4096), { key: KEY }, o)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await db.close();
  });

  it('rekey aborted mid-copy: old key and data key kept, temporary file removed, database writable', async () => {
    const storage = new MemoryStorage();
    const db = await big(storage);
    const rows = await rowsOf(db);
    const dek = internals(db).container.dek.slice();
    const ctrl = new AbortController();
    const events: Progress[] = [];
    expect(await codeOf(rekey(db, { key: KEY }, { signal: ctrl.signal, onProgress: abortAt(ctrl, 'copy', 256, events) }))).toBe('CANCELLED');
    // It stopped at the next step: no further copy events after the abort.
    const copy = events.filter((e) => e.phase === 'copy');
    expect(copy.length).toBeGreaterThan(1);
    expect(copy.at(-1)!.done).toBeLessThan(copy.at(-1)!.total);
    expect(db.closed).toBe(false);
    expect(Buffer.compare(internals(db).container.dek, dek)).toBe(0);
    expect(storedNames(storage)).toEqual(['a.db']);
    expect(await rowsOf(db)).toBe(rows);
    expect((await db.exec('INSERT INTO t(v) VALUES (?)', ['after'])).changes).toBe(1);
    await db.close();
    expect(JSON.parse(await reopenRows(storage))).toHaveLength(3001);
  });

  it('rekey aborted after the copy (during its check) still leaves the old database writable; from the swap on the signal is ignored', async () => {
    const storage = new MemoryStorage();
    const db = await big(storage);
    const rows = await rowsOf(db);
    const ctrl = new AbortController();
    expect(await codeOf(rekey(db, { key: KEY }, { signal: ctrl.signal, onProgress: (p) => p.phase === 'check' && ctrl.abort() }))).toBe('CANCELLED');
    expect(storedNames(storage)).toEqual(['a.db']);
    // The copy had turned the old connection read-only; cancelling turned it back.
    expect((await db.exec('DELETE FROM t WHERE id > 3000')).changes).toBe(0);
    expect(await rowsOf(db)).toBe(rows);

    const late = new AbortController();
    const events: Progress[] = [];
    // Memory storage renames (sync-file.ts "Rename"): the swap has no hash phase, it is one rename.
    const { db: fresh } = await rekey(db, { key: KEY }, { signal: late.signal, onProgress: abortAt(late, 'swap', -1, events) });
    expect(late.signal.aborted).toBe(true);
    expectMonotonic(events, ['copy', 'check', 'swap']);
    expect(await rowsOf(fresh)).toBe(rows);
    expect(storedNames(storage)).toEqual(['a.db']);
    await fresh.close();
  });

  it('rekey: an abort posted as a message during the check (one synchronous quick_check) still cancels before the swap', async () => {
    const storage = new MemoryStorage();
    const db = await big(storage);
    const rows = await rowsOf(db);
    // As in a worker: the cancel is a message sent while quick_check runs; it can only land once
    // the operation lets the event loop turn, which it must do before its point of no return.
    const ctrl = new AbortController();
    const { port1, port2 } = new MessageChannel();
    port1.on('message', () => ctrl.abort());
    let sent = false;
    const onProgress = (p: Progress): void => {
      if (p.phase === 'check' && !sent) {
        sent = true;
        port2.postMessage('abort');
      }
    };
    expect(await codeOf(rekey(db, { key: KEY }, { signal: ctrl.signal, onProgress }))).toBe('CANCELLED');
    port1.close();
    expect(storedNames(storage)).toEqual(['a.db']);
    expect(await rowsOf(db)).toBe(rows);
    await db.close();
    expect(await reopenRows(storage)).toBe(rows);
  });

  it('an abort that arrives as a message while the operation runs is received (the loops yield the event loop)', async () => {
    const storage = new MemoryStorage();
    // ~40 MB: each operation runs well past its first yields (one per YIELD_EVERY_MS of work).
    const db = await big(storage, 'a.db', 40_000);
    const rows = await rowsOf(db);
    for (const run of [
      (signal: AbortSignal) => rekey(db, { key: KEY }, { signal }),
      (signal: AbortSignal) => verify(db, { signal }),
      (signal: AbortSignal) => exportPlaintext(db, { signal }),
      (signal: AbortSignal) => backup(db, { key: KEY }, { signal }),
    ]) {
      // As in a worker: the abort is a message, delivered only when the event loop gets a turn.
      const ctrl = new AbortController();
      const { port1, port2 } = new MessageChannel();
      port1.on('message', () => ctrl.abort());
      const op = run(ctrl.signal);
      port2.postMessage('abort');
      expect(await codeOf(op)).toBe('CANCELLED');
      port1.close();
    }
    expect(db.closed).toBe(false);
    expect(storedNames(storage)).toEqual(['a.db']);
    expect(await rowsOf(db)).toBe(rows);
    await db.close();
  });

  it('backup aborted mid-copy leaves no partial backup; progress of a full one is monotonic', async () => {
    const storage = new MemoryStorage();
    const db = await big(storage);
    const rows = await rowsOf(db);
    const ctrl = new AbortController();
    expect(await codeOf(backup(db, { key: KEY }, { signal: ctrl.signal, onProgress: abortAt(ctrl, 'copy', 128) }))).toBe('CANCELLED');
    expect(storedNames(storage)).toEqual(['a.db']);
    expect(await rowsOf(db)).toBe(rows);
    const events: Progress[] = [];
    const ok = await backup(db, { key: KEY }, { onProgress: (p) => events.push({ ...p }), signal: new AbortController().signal });
    expectMonotonic(events, ['copy', 'count']);
    expect(ok.meta.tables).toEqual([{ name: 't', rows: 3000 }]);
    await db.close();
    expect(await reopenRows(storage)).toBe(rows);
  });

  it('restore: cancelled during validation or the safety backup, nothing changes and no .bak file stays; once overwriting began the signal is ignored', async () => {
    const storage = new MemoryStorage();
    const db = await big(storage);
    const { bytes } = await backup(db, { key: KEY });
    await db.exec('DELETE FROM t WHERE id <= 1000');
    const rows = await rowsOf(db);

    const c1 = new AbortController();
    expect(await codeOf(inspectBackup(db, bytes, { key: KEY }, { signal: c1.signal, onProgress: abortAt(c1, 'verify', 256) }))).toBe('CANCELLED');

    const pending = await inspectBackup(db, bytes, { key: KEY });
    const c2 = new AbortController();
    expect(await codeOf(pending.confirm({ key: KEY }, { signal: c2.signal, onProgress: abortAt(c2, 'safety-backup', 64) }))).toBe('CANCELLED');
    expect(await listBackups(storage, 'a.db')).toEqual([]);
    expect(storedNames(storage)).toEqual(['a.db']);
    expect(await rowsOf(db)).toBe(rows);
    // Still pending: confirming again (an abort in the restore phase is too late) completes it.
    expect(pending.settled).toBe(false);
    const c3 = new AbortController();
    const events: Progress[] = [];
    const result = await pending.confirm({ key: KEY }, { signal: c3.signal, onProgress: abortAt(c3, 'restore', 0, events) });
    expect(c3.signal.aborted).toBe(true);
    expectMonotonic(events, ['safety-backup', 'restore']);
    expect(result.restored.tables).toEqual([{ name: 't', rows: 3000 }]);
    expect((await listBackups(storage, 'a.db')).map((b) => b.name)).toEqual([result.safetyBackup]);
    await db.close();
  });

  it('verify and exportPlaintext aborted mid-way: CANCELLED, database untouched; full runs report monotonic progress', async () => {
    const storage = new MemoryStorage();
    const db = await big(storage);
    const before = storage.snapshot();
    const c1 = new AbortController();
    expect(await codeOf(verify(db, { signal: c1.signal, onProgress: abortAt(c1, 'main', 256) }))).toBe('CANCELLED');
    const c2 = new AbortController();
    expect(await codeOf(exportPlaintext(db, { signal: c2.signal, onProgress: abortAt(c2, 'copy', 256) }))).toBe('CANCELLED');
    expectSameFiles(storage.snapshot(), before);

    const events: Progress[] = [];
    const result = await verify(db, { onProgress: (p) => events.push({ ...p }) });
    expect(result.ok).toBe(true);
    expectMonotonic(events, ['integrity', 'main']); // integrity_check first: the block pass skips what it authenticated
    expect(events.filter((e) => e.phase === 'main').at(-1)!.total).toBe(result.blocksChecked);
    const exported: Progress[] = [];
    await exportPlaintext(db, { onProgress: (p) => exported.push({ ...p }) });
    expectMonotonic(exported, ['copy']);
    await db.close();
  });

  it('importPlaintext aborted mid-copy deletes what it created; the name can be imported afterwards', async () => {
    const source = new MemoryStorage();
    const db = await big(source);
    const rows = await rowsOf(db);
    const plain = await exportPlaintext(db);
    await db.close();

    const storage = new MemoryStorage();
    const ctrl = new AbortController();
    expect(await codeOf(importPlaintext(storage, 'imp.db', plain, { key: KEY }, { signal: ctrl.signal, onProgress: abortAt(ctrl, 'copy', 256) }))).toBe('CANCELLED');
    expect(storage.list()).toEqual([]);

    const events: Progress[] = [];
    const { db: imported, tables } = await importPlaintext(storage, 'imp.db', plain, { key: KEY }, { onProgress: (p) => events.push({ ...p }) });
    expectMonotonic(events, ['copy']);
    expect(tables).toEqual([{ name: 't', rows: 3000 }]);
    expect(await rowsOf(imported)).toBe(rows);
    await imported.close();
    expect(await reopenRows(storage, 'imp.db')).toBe(rows);
  });
});
