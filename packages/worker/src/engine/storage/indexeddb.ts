/**
 * `SyncStorage` kept in the worker's memory and made durable in IndexedDB: the fallback for
 * engines without OPFS sync access handles (WebKit private sessions and WebKitGTK, older Safari
 * and Firefox, some kiosk modes).
 *
 * SQLite's VFS calls are synchronous and IndexedDB is not, so the files live in memory
 * (core's `MemoryFile`) and every write marks the fixed-size chunks it touched. The leader calls
 * `commit()` after each database call: the changed chunks, the new file sizes and the deleted
 * files go to IndexedDB in ONE readwrite transaction (`durability: 'strict'`), and the call is
 * answered only after that transaction completed. IndexedDB transactions are atomic, so what is
 * stored is always the state after some acknowledged call — a crash (tab killed, worker
 * terminated) between SQLite's commit and ours leaves the last acknowledged state. Any such
 * state is one SQLite itself could have left at that point (a prefix of its writes), so a hot
 * journal caught in it is rolled back at the next open as usual.
 *
 * Rename (sync-file.ts "Rename"): the file's bytes change name in memory, without a copy, and the
 * next commit deletes the source's records and rewrites the target's (every chunk, and none past
 * its new size), in its one transaction — so what is stored is the state before the rename or
 * after it, never neither. The chunks are keyed by file name, so the target's records are written
 * anyway (as they were by the copy); what rekey saves is the hash pass, the copy in memory and the
 * marker.
 *
 * Only what core's VFS writes reaches IndexedDB: ciphertext blocks and non-secret headers.
 *
 * Layout (stores, chunk size, record shapes): shared/indexeddb-layout.ts, which the page reads too
 * (`databaseExists`).
 *
 * Limits: the whole directory is held in memory (about its size, up to twice while a file grows);
 * `flush()` is a no-op because durability is the leader's `commit()` (the storage contract's
 * `flush` clause is the one this backend declares inapplicable; see sync-file.ts).
 */
import { CipherliteError, FileView, MemoryFile } from '@cipherlite/core';
import type { AtOption, SyncFile, SyncStorage } from '@cipherlite/core';
import { CHUNKS_STORE, CHUNK_SIZE, FILES_STORE, openIdb, requestResult, storageError, type FileRecord } from '../../shared/indexeddb-layout.js';

/** What changed in one file since the last commit. */
interface PendingChanges {
  readonly dirty: Set<number>;
  /** Size stored in IndexedDB (0 for a file created since). */
  storedSize: number;
}

const chunkOf = (offset: number) => Math.floor(offset / CHUNK_SIZE);
const chunkCount = (size: number) => Math.ceil(size / CHUNK_SIZE);
const allChunksOf = (name: string) => IDBKeyRange.bound([name, 0], [name, Infinity]);

/** Settles when `tx` completes; rejects with the reason it aborted. */
function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('IndexedDB transaction aborted', 'AbortError'));
    tx.onerror = (ev) => ev.preventDefault(); // the abort above carries the reason
  });
}

/**
 * A file of this storage: core's `MemoryFile` for the bytes, plus the chunks each write touched.
 * One per file, shared by every handle on it (see `IdbHandle`).
 */
class TrackedFile {
  readonly bytes: MemoryFile;
  readonly changes: PendingChanges;

  constructor(bytes: MemoryFile, changes: PendingChanges) {
    this.bytes = bytes;
    this.changes = changes;
  }

  /** Marks chunks `[from, to)` (byte offsets) as changed. */
  #mark(from: number, to: number): void {
    for (let c = chunkOf(from); c < chunkCount(to); c++) this.changes.dirty.add(c);
  }

  read(buf: Uint8Array, opts: AtOption): number {
    return this.bytes.read(buf, opts);
  }

  write(buf: Uint8Array, { at }: AtOption): number {
    const before = this.bytes.getSize();
    const n = this.bytes.write(buf, { at });
    // A write past the end zero-fills the gap: those chunks change too.
    this.#mark(Math.min(at, before), at + n);
    return n;
  }

  truncate(size: number): void {
    const before = this.bytes.getSize();
    this.bytes.truncate(size);
    // Growing zero-fills [before, size); shrinking shortens the chunk that now ends the file.
    if (size > before) this.#mark(before, size);
    else if (size < before && size % CHUNK_SIZE !== 0) this.changes.dirty.add(chunkOf(size));
    else if (size < before) this.changes.dirty.add(-1); // size-only change
  }

  getSize(): number {
    return this.bytes.getSize();
  }

  /** Nothing to do: durability is the leader's commit() after the call (see the header comment). */
  flush(): void {}
}

export class IndexedDbStorage implements SyncStorage {
  readonly #directory: string;
  #idb: IDBDatabase;
  readonly #files = new Map<string, TrackedFile>();
  /** Files removed since the last commit (their records go in the next one). */
  readonly #deleted = new Set<string>();
  /** Set when the browser closed our connection (site data cleared, database deleted). */
  #lost = false;
  #closed = false;

  private constructor(directory: string, idb: IDBDatabase) {
    this.#directory = directory;
    this.#idb = idb;
    this.#watch(idb);
  }

  /** Opens the IndexedDB database of `directory` and loads every file into memory. */
  static async open(directory: string): Promise<IndexedDbStorage> {
    const storage = new IndexedDbStorage(directory, await openIdb(directory));
    await storage.#load();
    return storage;
  }

  #watch(idb: IDBDatabase): void {
    idb.onclose = () => (this.#lost = true);
    // Someone deletes or upgrades the database (site data cleared): let go, the files are gone.
    idb.onversionchange = () => {
      this.#lost = true;
      idb.close();
    };
  }

  async #load(): Promise<void> {
    this.#files.clear();
    this.#deleted.clear();
    const tx = this.#idb.transaction([FILES_STORE, CHUNKS_STORE], 'readonly');
    const done = transactionDone(tx);
    const files = tx.objectStore(FILES_STORE);
    const chunks = tx.objectStore(CHUNKS_STORE);
    const [names, records] = (await Promise.all([requestResult(files.getAllKeys()), requestResult(files.getAll())])) as [string[], FileRecord[]];
    await Promise.all(
      names.map(async (name, i) => {
        const size = records[i]!.size;
        const parts = (await requestResult(chunks.getAll(allChunksOf(name)))) as Uint8Array[];
        const bytes = new Uint8Array(size);
        // Chunks past `size` cannot exist (commit deletes them); a missing chunk reads as zeros.
        parts.forEach((part, index) => bytes.set(part.subarray(0, Math.max(0, Math.min(part.length, size - index * CHUNK_SIZE))), index * CHUNK_SIZE));
        this.#files.set(name, new TrackedFile(new MemoryFile(name, bytes), { dirty: new Set(), storedSize: size }));
      }),
    );
    await done;
  }

  open(name: string, { create }: { create: boolean }): SyncFile {
    this.#assertOpen();
    let file = this.#files.get(name);
    if (!file) {
      if (!create) throw new CipherliteError('IO', `file "${name}" does not exist`);
      file = new TrackedFile(new MemoryFile(name), { dirty: new Set([-1]), storedSize: 0 });
      this.#files.set(name, file);
    }
    return new FileView(file, name);
  }

  exists(name: string): boolean {
    return this.#files.has(name);
  }

  delete(name: string): void {
    if (this.#files.delete(name)) this.#deleted.add(name);
  }

  /**
   * Replaces `to` by `from` (see the header comment): durable, like every change, once the next
   * `commit()` completed; atomic because that commit is one transaction.
   */
  async rename(from: string, to: string): Promise<void> {
    this.#assertOpen();
    const file = this.#files.get(from);
    if (!file) throw new CipherliteError('IO', `file "${from}" does not exist`);
    const size = file.getSize();
    // Every chunk of `to` is rewritten; its stored chunks past the new size are deleted by the
    // commit (as after a shrink), so none of its old records survives.
    const dirty = new Set([-1, ...Array.from({ length: chunkCount(size) }, (_, c) => c)]);
    const storedSize = this.#files.get(to)?.changes.storedSize ?? 0;
    this.#files.delete(from);
    this.#deleted.add(from);
    this.#files.set(to, new TrackedFile(file.bytes.renamed(to), { dirty, storedSize }));
  }

  list(): string[] {
    return [...this.#files.keys()];
  }

  /** True when a commit has something to write. */
  get dirty(): boolean {
    if (this.#deleted.size > 0) return true;
    for (const f of this.#files.values()) if (f.changes.dirty.size > 0) return true;
    return false;
  }

  /**
   * Writes every change since the last commit in one IndexedDB transaction and resolves when it
   * completed (QUOTA_EXCEEDED / IO when it aborted; then nothing of it is stored — see `revert`).
   */
  async commit(): Promise<void> {
    this.#assertOpen();
    if (!this.dirty) return;
    if (this.#lost) throw new CipherliteError('IO', 'the IndexedDB database was closed by the browser (site data cleared?); close and reopen the database');
    let tx: IDBTransaction;
    try {
      tx = this.#idb.transaction([FILES_STORE, CHUNKS_STORE], 'readwrite', { durability: 'strict' });
    } catch (e) {
      throw storageError(e, 'saving a commit');
    }
    const done = transactionDone(tx);
    let written: TrackedFile[];
    try {
      written = this.#queueChanges(tx);
    } catch (e) {
      // A request refused as it was made (Firefox, once the origin ran out of quota: InvalidStateError)
      // must not leave the ones made before it to commit on their own — the WAL's deletion without
      // the checkpointed pages would lose the last acknowledged call. Nothing of this commit is stored.
      try {
        tx.abort();
      } catch {
        // Already aborted by the browser: nothing of it is stored either.
      }
      await done.catch(() => undefined);
      throw storageError(e, 'saving a commit');
    }
    try {
      await done;
    } catch (e) {
      throw storageError(e, 'saving a commit');
    }
    this.#deleted.clear();
    for (const file of written) {
      file.changes.dirty.clear();
      file.changes.storedSize = file.getSize();
    }
  }

  /** Makes the requests of one commit in `tx` (in order: deletions first, then the new contents); returns the files written. */
  #queueChanges(tx: IDBTransaction): TrackedFile[] {
    const files = tx.objectStore(FILES_STORE);
    const chunks = tx.objectStore(CHUNKS_STORE);
    for (const name of this.#deleted) {
      files.delete(name);
      chunks.delete(allChunksOf(name));
    }
    const written: TrackedFile[] = [];
    for (const [name, file] of this.#files) {
      const { dirty, storedSize } = file.changes;
      if (dirty.size === 0) continue;
      const size = file.getSize();
      if (size < storedSize) chunks.delete(IDBKeyRange.bound([name, chunkCount(size)], [name, Infinity]));
      for (const c of dirty) {
        if (c < 0 || c * CHUNK_SIZE >= size) continue;
        const part = new Uint8Array(Math.min(CHUNK_SIZE, size - c * CHUNK_SIZE));
        file.read(part, { at: c * CHUNK_SIZE });
        chunks.put(part, [name, c]);
      }
      files.put({ size } satisfies FileRecord, name);
      written.push(file);
    }
    return written;
  }

  /**
   * Drops every change since the last successful commit: memory is reloaded from IndexedDB. The
   * database must be closed first (it holds the old file objects).
   */
  async revert(): Promise<void> {
    this.#assertOpen();
    if (this.#lost) {
      this.#idb = await openIdb(this.#directory);
      this.#watch(this.#idb);
      this.#lost = false;
    }
    await this.#load();
  }

  /** False once the browser closed our connection (site data cleared while open). */
  stillThere(): boolean {
    return !this.#lost;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#files.clear();
    this.#idb.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new CipherliteError('CLOSED', 'IndexedDB storage is closed');
  }
}
