/**
 * Test harness: exposes the client and raw OPFS helpers on `window` for `page.evaluate`.
 * Raw OPFS access here is the "attacker's view" of storage: it runs on the main thread, reads
 * and edits the stored bytes directly, and never goes through the library.
 */
import { CipherliteError, databaseExists, importDatabase, joinSyncReplica, openDatabase, passkeySlots, restoreFromReplica, verifyReplica } from '@cipherlite/worker';
import type {
  CallOptions,
  CipherliteDatabase,
  ImportDatabaseOptions,
  JoinSyncReplicaOptions,
  OpenDatabaseOptions,
  Progress,
  RestoreFromReplicaOptions,
  VerifyReplicaOptions,
  VerifyReplicaResult,
} from '@cipherlite/worker';
// The app-supplied worker pattern from the README (Vite's `?worker` import of the package entry).
import DatabaseWorker from '@cipherlite/worker/worker?worker';
import { idbFiles, idbFlip, idbHold } from './idb-view.ts';

export interface Outcome<T = unknown> {
  ok: boolean;
  value?: T;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

const DIR = 'cipherlite';

async function dir(create = true): Promise<FileSystemDirectoryHandle | null> {
  const root = await navigator.storage.getDirectory();
  try {
    return await root.getDirectoryHandle(DIR, { create });
  } catch {
    return null;
  }
}

async function files(): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const d = await dir(false);
  if (!d) return out;
  for await (const [name, handle] of d.entries()) {
    if (handle.kind === 'file') out.set(name, new Uint8Array(await (await (handle as FileSystemFileHandle).getFile()).arrayBuffer()));
  }
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A progress event as the page received it, with its arrival time (ms, `performance.now()`). */
export interface TimedProgress extends Progress {
  at: number;
}

/** The operations that report progress, run the same way by `withProgress`. */
export type ProgressOp = 'rekey' | 'backup' | 'verify' | 'exportPlaintext';

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const harness = {
  openDatabase,
  importDatabase,
  databaseExists,
  passkeySlots,
  dbs: {} as Record<string, CipherliteDatabase>,
  /** Workers the harness spawned itself (`ownWorker`), so a test can terminate one. */
  workers: {} as Record<string, Worker>,
  events: [] as { db: string; kind: string; value: unknown }[],

  /** Opens and records change/lock events of `id` in `events`. */
  async open(id: string, options: OpenDatabaseOptions, ownWorker = false): Promise<Outcome<{ role: string; persisted: boolean | null; storageBackend: string | null }>> {
    return harness.capture(
      (async () => {
        const db = await openDatabase(ownWorker ? { ...options, worker: () => (harness.workers[id] = new DatabaseWorker()) } : options);
        harness.dbs[id] = db;
        db.onChange((tables) => harness.events.push({ db: id, kind: 'change', value: [...tables] }));
        db.onLockState((state) => harness.events.push({ db: id, kind: 'lock', value: state }));
        harness.listen(id, db);
        return { role: db.role, persisted: db.persisted, storageBackend: db.storageBackend };
      })(),
    );
  },

  /** Records the replica's and sync's events of `id` in `events`. */
  listen(id: string, db: CipherliteDatabase): void {
    db.replica.onStatus((status) => harness.events.push({ db: id, kind: 'replica', value: status }));
    db.sync.onStatus((status) => harness.events.push({ db: id, kind: 'sync', value: status }));
    db.sync.onConflict((conflict) => harness.events.push({ db: id, kind: 'syncConflict', value: conflict }));
    db.sync.onRefused((refusal) => harness.events.push({ db: id, kind: 'syncRefused', value: refusal }));
  },

  /** `joinSyncReplica` into the new database `options.name`, kept as `dbs[id]` (change and sync events recorded). */
  async join(id: string, options: JoinSyncReplicaOptions): Promise<Outcome<{ role: string; storageBackend: string | null }>> {
    return harness.capture(
      (async () => {
        const db = await joinSyncReplica(options);
        harness.dbs[id] = db;
        db.onChange((tables) => harness.events.push({ db: id, kind: 'change', value: [...tables] }));
        harness.listen(id, db);
        return { role: db.role, storageBackend: db.storageBackend };
      })(),
    );
  },

  /** `restoreFromReplica` into the new database `options.name`, kept as `dbs[id]`; records its progress phases. */
  async restore(id: string, options: Omit<RestoreFromReplicaOptions, 'onProgress' | 'signal'>): Promise<{ outcome: Outcome<{ role: string; storageBackend: string | null }>; phases: string[] }> {
    const phases: string[] = [];
    const outcome = await harness.capture(
      (async () => {
        const db = await restoreFromReplica({ ...options, onProgress: (p) => void (phases.at(-1) !== p.phase && phases.push(p.phase)) } as RestoreFromReplicaOptions);
        harness.dbs[id] = db;
        return { role: db.role, storageBackend: db.storageBackend };
      })(),
    );
    return { outcome, phases };
  },

  /** `verifyReplica` with progress recorded; with `abortAfter`, its signal aborts once that many progress events arrived. */
  async verifyReplica(options: Omit<VerifyReplicaOptions, 'onProgress' | 'signal'>, abortAfter?: number): Promise<{ outcome: Outcome<VerifyReplicaResult>; events: Progress[] }> {
    const events: Progress[] = [];
    const abort = new AbortController();
    const onProgress = (p: Progress): void => {
      events.push({ phase: p.phase, done: p.done, total: p.total });
      if (abortAfter !== undefined && events.length >= abortAfter) abort.abort();
    };
    const outcome = await harness.capture(verifyReplica({ ...options, onProgress, signal: abort.signal } as VerifyReplicaOptions));
    return { outcome, events };
  },

  /**
   * Runs `op` on database `id` with an `onProgress` that records each event's arrival time; with
   * `abortAfter`, aborts the call's signal once that many events arrived. The outcome's value is
   * a summary (sizes, verify's `ok`), not the bytes.
   */
  async withProgress(id: string, op: ProgressOp, password: string, abortAfter?: number): Promise<{ outcome: Outcome<unknown>; events: TimedProgress[]; settledAt: number; abortedAt: number | null }> {
    const db = harness.dbs[id]!;
    const events: TimedProgress[] = [];
    const abort = new AbortController();
    let abortedAt: number | null = null;
    const call: CallOptions = {
      signal: abort.signal,
      onProgress: (p) => {
        events.push({ phase: p.phase, done: p.done, total: p.total, at: performance.now() });
        if (abortAfter !== undefined && events.length >= abortAfter && !abort.signal.aborted) {
          abortedAt = performance.now();
          abort.abort();
        }
      },
    };
    const run = async (): Promise<unknown> => {
      if (op === 'rekey') return (await db.rekey(password, call)).droppedKeyslots.length;
      if (op === 'backup') return (await db.backup(password, call)).bytes.length;
      if (op === 'verify') return (await db.verify(call)).ok;
      return (await db.exportPlaintext(call)).length;
    };
    const outcome = await harness.capture(run());
    return { outcome, events, settledAt: performance.now(), abortedAt };
  },

  /**
   * Starts a rekey of database `id` (opened with `ownWorker`) and terminates its worker when the
   * first progress event of `phase` reaches the page — with `atEnd`, the event that ends the phase.
   * Resolves with the event it killed at (null if the rekey settled first), not with the rekey.
   */
  async rekeyKilledAt(id: string, password: string, phase: string, atEnd = false): Promise<Progress | null> {
    const worker = harness.workers[id]!;
    return new Promise((resolve) => {
      const onProgress = (p: Progress): void => {
        if (p.phase !== phase || (atEnd && p.done !== p.total)) return;
        worker.terminate();
        resolve({ phase: p.phase, done: p.done, total: p.total });
      };
      // Once its worker is gone the call settles late or never; whichever comes first wins.
      void harness.capture(harness.dbs[id]!.rekey(password, { onProgress })).then(() => resolve(null));
    });
  },

  /** `importDatabase` of `exportPlaintext`'s bytes of database `from`; keeps the new handle as `dbs[id]`, records its progress. */
  async importFrom(
    from: string,
    id: string,
    options: Omit<ImportDatabaseOptions, 'bytes' | 'onProgress' | 'signal'>,
  ): Promise<{ outcome: Outcome<{ role: string; storageBackend: string | null }>; events: TimedProgress[] }> {
    const bytes = await harness.dbs[from]!.exportPlaintext();
    const events: TimedProgress[] = [];
    const outcome = await harness.capture(
      (async () => {
        const db = await importDatabase({ ...options, bytes, onProgress: (p) => void events.push({ ...p, at: performance.now() }) } as ImportDatabaseOptions);
        harness.dbs[id] = db;
        return { role: db.role, storageBackend: db.storageBackend };
      })(),
    );
    return { outcome, events };
  },

  /** Settles `p` into a plain, cloneable outcome (errors keep their `code`). */
  async capture<T>(p: Promise<T>): Promise<Outcome<T>> {
    try {
      return { ok: true, value: await p };
    } catch (e) {
      if (e instanceof CipherliteError) return { ok: false, code: e.code, message: e.message, details: { ...e.details } };
      return { ok: false, code: `not-a-CipherliteError:${(e as Error)?.name}`, message: (e as Error)?.message ?? String(e) };
    }
  },

  /** Name and size of every stored file. */
  async list(): Promise<{ name: string; size: number }[]> {
    return [...(await files())].map(([name, bytes]) => ({ name, size: bytes.length })).sort((a, b) => a.name.localeCompare(b.name));
  },

  /** Where (file → offset) any of `markers` or SQLite's plaintext magic occurs in stored bytes. */
  async scan(markers: string[]): Promise<{ file: string; needle: string; at: number }[]> {
    const hits: { file: string; needle: string; at: number }[] = [];
    const needles = [...markers, 'SQLite format 3'];
    for (const [name, bytes] of await files()) {
      for (const needle of needles) {
        const at = indexOf(bytes, new TextEncoder().encode(needle));
        if (at >= 0) hits.push({ file: name, needle, at });
      }
    }
    return hits;
  },

  /** SHA-256 of every stored file (to prove "nothing changed"). */
  async digests(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [name, bytes] of await files()) out[name] = await sha256(bytes);
    return out;
  },

  /** XORs `mask` into the byte at `offset` of a stored file, as an attacker with disk access would. */
  async flip(name: string, offset: number, mask = 0x10): Promise<void> {
    const d = (await dir(false))!;
    const fh = await d.getFileHandle(name);
    const bytes = new Uint8Array(await (await fh.getFile()).arrayBuffer());
    if (offset < 0 || offset >= bytes.length) throw new RangeError(`offset ${offset} outside ${name} (${bytes.length} bytes)`);
    const w = await fh.createWritable({ keepExistingData: true });
    await w.write({ type: 'write', position: offset, data: new Uint8Array([bytes[offset]! ^ mask]) });
    await w.close();
  },

  /** Writes a raw file next to the database (scan controls). */
  async writeRaw(name: string, text: string): Promise<void> {
    const fh = await (await dir())!.getFileHandle(name, { create: true });
    const w = await fh.createWritable();
    await w.write(new TextEncoder().encode(text));
    await w.close();
  },

  async remove(name: string): Promise<void> {
    await (await dir())!.removeEntry(name);
  },

  /**
   * Holds an OPFS sync access handle on a stored file from another worker (as a tab that is
   * still closing would); resolves once held. `release()` lets it go.
   */
  async holdFile(name: string): Promise<{ release: () => void }> {
    const source = `onmessage = async (e) => {
      const root = await navigator.storage.getDirectory();
      const dir = await root.getDirectoryHandle(${JSON.stringify(DIR)});
      const fh = await dir.getFileHandle(e.data);
      self.h = await fh.createSyncAccessHandle();
      postMessage('held');
    };`;
    const w = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    await new Promise<void>((resolve, reject) => {
      w.onmessage = () => resolve();
      w.onerror = (e) => reject(new Error(e.message));
      w.postMessage(name);
    });
    return { release: () => w.terminate() };
  },

  /** Runs the SyncStorage conformance cases against `backend` in a dedicated worker (conformance-worker.ts). */
  async storageConformance(
    backend: 'opfs' | 'indexeddb',
  ): Promise<{ results?: { name: string; ok: boolean; error?: string }[]; ms?: number; durableBy?: string; offersRename?: boolean; error?: string }> {
    const w = new Worker(new URL('./conformance-worker.ts', import.meta.url), { type: 'module' });
    try {
      return await new Promise((resolve, reject) => {
        w.onmessage = (e: MessageEvent<{ results?: { name: string; ok: boolean; error?: string }[]; error?: string }>) => resolve(e.data);
        w.onerror = (e) => reject(new Error(e.message));
        w.postMessage({ backend, directory: `conformance-${backend}` });
      });
    } finally {
      w.terminate();
    }
  },

  /** The IndexedDB fallback's stored files (attacker's view, see idb-view.ts). */
  idbFiles: async () => [...(await idbFiles())].map(([name, bytes]) => ({ name, size: bytes.length })).sort((a, b) => a.name.localeCompare(b.name)),
  idbFlip,
  /** Holds IndexedDB (see idb-view.ts); `idbRelease()` lets go. */
  async idbHold(): Promise<void> {
    harness.idbHeld = await idbHold();
  },
  idbHeld: null as { release: () => Promise<void> } | null,
  async idbRelease(): Promise<void> {
    await harness.idbHeld?.release();
    harness.idbHeld = null;
  },

  /** Where any of `markers` or SQLite's magic occurs in what IndexedDB holds. */
  async idbScan(markers: string[]): Promise<{ file: string; needle: string; at: number }[]> {
    const hits: { file: string; needle: string; at: number }[] = [];
    for (const [name, bytes] of await idbFiles()) {
      for (const needle of [...markers, 'SQLite format 3']) {
        const at = indexOf(bytes, new TextEncoder().encode(needle));
        if (at >= 0) hits.push({ file: name, needle, at });
      }
    }
    return hits;
  },

  /** Deletes every stored file. */
  async clear(): Promise<void> {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(DIR, { recursive: true }).catch(() => undefined);
  },
};

declare global {
  interface Window {
    t: typeof harness;
  }
}

window.t = harness;
document.getElementById('status')!.textContent = 'ready';
