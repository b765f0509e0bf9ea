/**
 * The "cipherlite" VFS: what each `sqlite3_vfs` / `sqlite3_io_methods` call does with
 * EncryptedFiles — which files exist, locking, and which result code a failure becomes. The
 * pointer side (structs, heap views, output parameters) is vfs-bridge.ts; this module speaks
 * strings, `Uint8Array`s and numbers.
 *
 * Rules kept here (they are what makes the layer above trustworthy):
 * - VFS methods never throw into SQLite. They record the cause on the database's binding and
 *   return a result code; `Database` turns (result code + recorded cause) into a typed error,
 *   so a tampered page is CORRUPT and a full disk QUOTA_EXCEEDED, not "disk I/O error".
 * - A failure is never reported as success (an encryptor that did so let `ROLLBACK TO` write
 *   garbage). Short reads zero-fill and return SQLITE_IOERR_SHORT_READ, as SQLite requires.
 * - Device characteristics: SAFE_APPEND only (see xDeviceCharacteristics); no
 *   POWERSAFE_OVERWRITE/ATOMIC, so SQLite never relies on a block rewrite leaving neighbouring
 *   bytes intact.
 * - `PRAGMA page_size` cannot change the block size of an existing container: intercepted via
 *   SQLITE_FCNTL_PRAGMA (as SQLite's cksumvfs does).
 */
import type { Sqlite3Static, WasmPointer } from '@sqlite.org/sqlite-wasm';
import { CipherliteError } from '../errors.js';
import { AUX_PREFIX_SIZE, FILE_KIND } from '../format/constants.js';
import { resultCodeFor } from '../sqlite/errors.js';
import { MemoryFile } from '../storage/memory.js';
import type { SyncStorage } from '../storage/sync-file.js';
import type { AeadKeyFactory } from '../crypto/aead.js';
import { randomBytes } from '../crypto/random.js';
import { AuxFile } from './aux-file.js';
import { beforeWalGone, beforeWriteWithoutWal, refuseMissingWal } from './wal-guard.js';
import { beforeJournalClosed, beforeJournaledWrite } from './journal-guard.js';
import { EncryptedFile } from './encrypted-file.js';
import type { MainContainer } from '../container/main-container.js';
import { TempKeys } from '../container/temp-keys.js';
import { installVfs, type VfsPolicy } from './vfs-bridge.js';
import { reportPageWrites } from './page-writes.js';
import { LockTable } from './lock-table.js';

export const VFS_NAME = 'cipherlite';
const TEMP_BLOCK_SIZE = 4096;

/** What `Database` registers before SQLite opens a database through this VFS. */
export interface DatabaseBinding {
  /** File name within `storage`. */
  readonly name: string;
  /** The unique path SQLite knows this database by (`/<n>/<name>`), so equal names in different storages never collide. */
  readonly sqlitePath: string;
  readonly storage: SyncStorage;
  readonly container: MainContainer;
  readonly main: EncryptedFile;
  /** Cause of the most recent VFS failure for this database (read and cleared by Database). */
  lastError: unknown;
  /**
   * While set, called with the offset of each read SQLite makes of the main file. SQLite runs
   * `integrity_check`/`quick_check` as one uninterruptible step; counting the pages it reads
   * (those missing from the page cache) is how a long check reports progress.
   */
  onMainRead?: ((offset: number) => void) | null;
  /**
   * While set, called with the number of each page SQLite writes to the main file or to the WAL
   * (page-writes.ts): the replica's changed-page set. Called before the write reaches storage.
   */
  onPageWrite?: ((pgno: number) => void) | null;
  /** While set, gets each main-file write's plaintext, borrowed for the call (keys/row-census.ts). */
  onMainWrite?: ((data: Uint8Array, offset: number) => void) | null;
}

interface OpenFile {
  binding: DatabaseBinding | null;
  ef: EncryptedFile;
  aux: AuxFile | null;
  /** SQLite's path (lock key). */
  path: string;
  /** Name within the binding's storage. */
  storageName: string;
  /** Keys owned by this handle (temp files), destroyed on close. */
  ring?: { destroy(): void };
  flags: number;
  lockType: number;
  /** The database's WAL (its frame headers name the pages written). */
  wal?: boolean;
}

export class CipherliteVfs implements VfsPolicy {
  readonly sqlite3: Sqlite3Static;
  readonly #capi: Sqlite3Static['capi'];
  readonly #bindings = new Map<string, DatabaseBinding>();
  readonly #openNames = new WeakMap<SyncStorage, Set<string>>();
  #nextId = 1;
  readonly #files = new Map<WasmPointer, OpenFile>();
  /** Open journals and WALs per database: sealed before its database file is written. */
  readonly #auxOf = new Map<DatabaseBinding, Set<AuxFile>>();
  readonly #locks: LockTable;
  readonly #temp: TempKeys;
  /** Cause of a failure that could not be attributed to a database (temp files, xOpen). */
  lastUnboundError: unknown = null;

  static #installed = new WeakMap<object, CipherliteVfs>();

  /** Installs the VFS once per sqlite3 module instance (idempotent). */
  static install(sqlite3: Sqlite3Static, aead: AeadKeyFactory): CipherliteVfs {
    let vfs = CipherliteVfs.#installed.get(sqlite3);
    if (!vfs) {
      vfs = new CipherliteVfs(sqlite3, aead);
      CipherliteVfs.#installed.set(sqlite3, vfs);
    }
    return vfs;
  }

  private constructor(sqlite3: Sqlite3Static, aead: AeadKeyFactory) {
    this.sqlite3 = sqlite3;
    this.#capi = sqlite3.capi;
    this.#temp = new TempKeys(aead);
    this.#locks = new LockTable(sqlite3.capi);
    installVfs(sqlite3, VFS_NAME, this, TEMP_BLOCK_SIZE);
  }

  /** A fresh SQLite path for a database about to be registered. */
  newPath(name: string): string {
    return `/${this.#nextId++}/${name}`;
  }

  register(binding: DatabaseBinding): void {
    if (this.isOpen(binding.storage, binding.name)) throw new CipherliteError('BUSY', `database "${binding.name}" is already open`);
    let names = this.#openNames.get(binding.storage);
    if (!names) this.#openNames.set(binding.storage, (names = new Set()));
    names.add(binding.name);
    this.#bindings.set(binding.sqlitePath, binding);
  }

  unregister(binding: DatabaseBinding): void {
    this.#bindings.delete(binding.sqlitePath);
    this.#locks.forget(binding.sqlitePath);
    this.#auxOf.delete(binding);
    this.#openNames.get(binding.storage)?.delete(binding.name);
  }

  isOpen(storage: SyncStorage, name: string): boolean {
    return this.#openNames.get(storage)?.has(name) ?? false;
  }

  /** Resolves a SQLite path to its database and the file's name within that database's storage. */
  #bindingFor(path: string): { binding: DatabaseBinding; kind: number; file: string } | null {
    const direct = this.#bindings.get(path);
    if (direct) return { binding: direct, kind: FILE_KIND.main, file: direct.name };
    for (const [suffix, kind] of [
      ['-journal', FILE_KIND.journal],
      ['-wal', FILE_KIND.wal],
    ] as const) {
      if (path.endsWith(suffix)) {
        const b = this.#bindings.get(path.slice(0, -suffix.length));
        if (b) return { binding: b, kind, file: b.name + suffix };
      }
    }
    return null;
  }

  #record(f: OpenFile | undefined, e: unknown): void {
    if (f?.binding) f.binding.lastError = e;
    else this.lastUnboundError = e;
  }

  // ------------------------------------------------------------------ VfsPolicy: files

  open(path: string | null, pFile: WasmPointer, flags: number): number {
    const capi = this.#capi;
    try {
      let file: OpenFile;
      const hit = path === null ? null : this.#bindingFor(path);
      if (!hit) {
        if (path !== null && flags & capi.SQLITE_OPEN_MAIN_DB) {
          throw new CipherliteError('INVALID_ARGUMENT', `database "${path}" was not opened through cipherlite's Database API`);
        }
        if (path !== null && !(flags & (capi.SQLITE_OPEN_TEMP_DB | capi.SQLITE_OPEN_TRANSIENT_DB | capi.SQLITE_OPEN_TEMP_JOURNAL | capi.SQLITE_OPEN_SUBJOURNAL))) {
          throw new CipherliteError('UNSUPPORTED', `cipherlite cannot open "${path}" (flags ${flags}): super-journals and foreign files are not supported`);
        }
        // Temp files: encrypted, in memory, under a per-process random key.
        const tempPath = path ?? `temp-${Array.from(randomBytes(8), (b) => b.toString(16).padStart(2, '0')).join('')}`;
        const id = randomBytes(16);
        const ring = this.#temp.ringFor(id, FILE_KIND.temp);
        const ef = new EncryptedFile({
          file: new MemoryFile(tempPath),
          kind: FILE_KIND.temp,
          headerSize: 0,
          blockSize: TEMP_BLOCK_SIZE,
          fileId: id,
          keys: ring,
          epochs: this.#temp,
        });
        file = { binding: null, ef, aux: null, path: tempPath, storageName: tempPath, flags, lockType: capi.SQLITE_LOCK_NONE, ring };
      } else if (hit.kind === FILE_KIND.main) {
        file = { binding: hit.binding, ef: hit.binding.main, aux: null, path: path!, storageName: hit.file, flags, lockType: capi.SQLITE_LOCK_NONE };
      } else {
        const { binding } = hit;
        const create = !!(flags & capi.SQLITE_OPEN_CREATE);
        const exists = binding.storage.exists(hit.file);
        if (!create && !exists) throw new CipherliteError('IO', `no such file: ${hit.file}`);
        if (!exists && hit.kind === FILE_KIND.wal) refuseMissingWal(binding.container); // before creating it
        const raw = binding.storage.open(hit.file, { create });
        let aux: AuxFile;
        try {
          aux = new AuxFile(raw, hit.kind, binding.container, binding.main);
        } catch (e) {
          raw.close(); // our handle only: the file stays as it is
          throw e;
        }
        let open = this.#auxOf.get(binding);
        if (!open) this.#auxOf.set(binding, (open = new Set()));
        open.add(aux);
        file = { binding, ef: aux.ef, aux, path: path!, storageName: hit.file, flags, lockType: capi.SQLITE_LOCK_NONE, wal: hit.kind === FILE_KIND.wal };
      }
      this.#files.set(pFile, file);
      return capi.SQLITE_OK;
    } catch (e) {
      const hit = path ? this.#bindingFor(path) : null;
      if (hit) hit.binding.lastError = e;
      else this.lastUnboundError = e;
      return resultCodeFor(e, capi, capi.SQLITE_CANTOPEN);
    }
  }

  close(pFile: WasmPointer): number {
    const capi = this.#capi;
    const f = this.#files.get(pFile);
    if (!f) return capi.SQLITE_OK;
    this.#files.delete(pFile);
    try {
      this.#unlock(f, capi.SQLITE_LOCK_NONE);
      if (f.binding && f.ef === f.binding.main) {
        // The main file belongs to the Database (it outlives SQLite's handle); just flush.
        f.ef.flushBuffers();
        return capi.SQLITE_OK;
      }
      f.ef.flushBuffers();
      if (f.aux && f.binding) this.#auxOf.get(f.binding)?.delete(f.aux);
      f.aux?.destroy();
      if (!f.binding) {
        // temp: memory only, gone now — and its keys with it
        f.ef.discard();
        f.ring?.destroy();
        return capi.SQLITE_OK;
      }
      f.ef.file.close();
      if (f.flags & capi.SQLITE_OPEN_DELETEONCLOSE) f.binding.storage.delete(f.storageName);
      return capi.SQLITE_OK;
    } catch (e) {
      this.#record(f, e);
      return resultCodeFor(e, capi, capi.SQLITE_IOERR_CLOSE);
    }
  }

  read(pFile: WasmPointer, dest: Uint8Array, offset: number): number {
    const capi = this.#capi;
    const f = this.#files.get(pFile);
    if (!f) return capi.SQLITE_IOERR_READ;
    try {
      const got = f.ef.read(dest, offset);
      if (f.binding?.onMainRead && f.ef === f.binding.main) f.binding.onMainRead(offset);
      return got < dest.length ? capi.SQLITE_IOERR_SHORT_READ : capi.SQLITE_OK;
    } catch (e) {
      dest.fill(0);
      this.#record(f, e);
      return resultCodeFor(e, capi, capi.SQLITE_IOERR_READ);
    }
  }

  write(pFile: WasmPointer, src: Uint8Array, offset: number): number {
    const capi = this.#capi;
    const f = this.#files.get(pFile);
    if (!f) return capi.SQLITE_IOERR_WRITE;
    try {
      const onPage = f.binding?.onPageWrite;
      if (onPage && (f.wal || !f.aux)) reportPageWrites(f.wal ? 'wal' : 'main', src, offset, f.binding!.container.blockSize, onPage);
      if (f.aux) f.aux.write(src, offset);
      else {
        if (f.binding) this.#sealJournals(f.binding);
        f.ef.write(src, offset);
        if (f.binding?.onMainWrite && f.ef === f.binding.main) f.binding.onMainWrite(src, offset);
      }
      return capi.SQLITE_OK;
    } catch (e) {
      this.#record(f, e);
      return resultCodeFor(e, capi, capi.SQLITE_IOERR_WRITE);
    }
  }

  truncate(pFile: WasmPointer, size: number): number {
    const capi = this.#capi;
    const f = this.#files.get(pFile);
    if (!f) return capi.SQLITE_IOERR_TRUNCATE;
    try {
      if (f.aux) f.aux.truncate(size);
      else {
        if (f.binding) this.#sealJournals(f.binding);
        f.ef.truncate(size);
      }
      return capi.SQLITE_OK;
    } catch (e) {
      this.#record(f, e);
      return resultCodeFor(e, capi, capi.SQLITE_IOERR_TRUNCATE);
    }
  }

  sync(pFile: WasmPointer): number {
    const capi = this.#capi;
    const f = this.#files.get(pFile);
    if (!f) return capi.SQLITE_IOERR_FSYNC;
    try {
      if (f.aux) f.aux.sync();
      else f.ef.sync();
      return capi.SQLITE_OK;
    } catch (e) {
      this.#record(f, e);
      return resultCodeFor(e, capi, capi.SQLITE_IOERR_FSYNC);
    }
  }

  /**
   * Seals every journal/WAL of `binding` written since its last seal, before its database file
   * changes. SQLite syncs (and so seals) the journal first anyway; this covers
   * `synchronous = OFF`, where it does not, and keeps the journal's own buffered blocks from
   * reaching storage after the database pages they protect.
   */
  #sealJournals(binding: DatabaseBinding): void {
    const open = this.#auxOf.get(binding);
    let wal = false;
    for (const aux of open ?? []) {
      if (aux.unsealed) aux.seal();
      aux.beforeDatabaseWrite();
      wal ||= aux.isWal;
      // The header says which journal the database file's changes are journaled in (journal-guard.ts).
      if (aux.hot) beforeJournaledWrite(binding.container, aux.fileId, aux.sealedSize);
    }
    if (!wal) beforeWriteWithoutWal(binding.container);
  }

  fileSize(pFile: WasmPointer): { rc: number; size: number } {
    const f = this.#files.get(pFile);
    return f ? { rc: this.#capi.SQLITE_OK, size: f.ef.size } : { rc: this.#capi.SQLITE_IOERR_FSTAT, size: 0 };
  }

  sectorSize(pFile: WasmPointer): number {
    return this.#files.get(pFile)?.ef.blockSize ?? TEMP_BLOCK_SIZE;
  }

  deviceCharacteristics(pFile: WasmPointer): number {
    // SAFE_APPEND (reported by the main file, which is where SQLite asks): after a crash a
    // journal may be shorter than what was written but never ends in garbage — its size
    // comes from its last *authenticated* slot, and a synced block that is rewritten in
    // place (an append into a partly filled block) is saved to the rescue slot first. With
    // it, SQLite writes the journal header once (record count from the file size) instead
    // of rewriting it and syncing twice: one flush, one encryption and one rescue copy less
    // per commit. No POWERSAFE_OVERWRITE or ATOMIC: SQLite still aligns and pads as if a
    // block rewrite could damage the whole block.
    const f = this.#files.get(pFile);
    return f?.binding && f.ef === f.binding.main ? this.#capi.SQLITE_IOCAP_SAFE_APPEND : 0;
  }

  pragma(pFile: WasmPointer, name: string, value: string | null): string | null {
    const f = this.#files.get(pFile);
    if (!f || name.toLowerCase() !== 'page_size' || value === null) return null;
    if (Number(value) === f.ef.blockSize) return null;
    return `cipherlite: page_size is fixed at ${f.ef.blockSize} (the encryption block size chosen when the database was created)`;
  }

  // ------------------------------------------------------------------ VfsPolicy: locks

  lock(pFile: WasmPointer, lockType: number): number {
    const f = this.#files.get(pFile);
    return f ? this.#locks.lock(f, lockType) : this.#capi.SQLITE_IOERR_LOCK;
  }

  unlock(pFile: WasmPointer, lockType: number): number {
    const f = this.#files.get(pFile);
    if (f) this.#unlock(f, lockType);
    return this.#capi.SQLITE_OK;
  }

  #unlock(f: OpenFile, lockType: number): void {
    // The transaction ends: what the read-ahead holds may no longer be what is stored.
    if (f.lockType > lockType && lockType === this.#capi.SQLITE_LOCK_NONE && f.binding && f.ef === f.binding.main) f.ef.dropReadAhead();
    this.#locks.unlock(f, lockType);
  }

  hasReservedLock(pFile: WasmPointer): boolean {
    const f = this.#files.get(pFile);
    return f ? this.#locks.hasReserved(f.path) : false;
  }

  // ------------------------------------------------------------------ VfsPolicy: names

  access(path: string): boolean {
    const hit = this.#bindingFor(path);
    if (!hit) return false;
    try {
      if (!hit.binding.storage.exists(hit.file)) return false;
      if (hit.kind === FILE_KIND.main) return true;
      // A journal no longer than its header and seal records holds nothing, so it can never be
      // hot. Saying so here spares SQLite from opening it — and us from authenticating its
      // header — at the start of every read transaction. Anything longer is opened, so a
      // journal cut inside its rescue area or first slot is checked against its seal.
      const f = hit.binding.storage.open(hit.file, { create: false });
      try {
        return f.getSize() > AUX_PREFIX_SIZE;
      } finally {
        f.close(); // our handle only (sync-file.ts): SQLite's own stays open
      }
    } catch {
      return false;
    }
  }

  delete(path: string): number {
    const hit = this.#bindingFor(path);
    try {
      if (hit && hit.binding.storage.exists(hit.file)) {
        if (hit.kind === FILE_KIND.wal) beforeWalGone(hit.binding.container);
        if (hit.kind === FILE_KIND.journal) beforeJournalClosed(hit.binding.container);
        hit.binding.storage.delete(hit.file);
      }
      return this.#capi.SQLITE_OK;
    } catch (e) {
      if (hit) hit.binding.lastError = e;
      return this.#capi.SQLITE_IOERR_DELETE;
    }
  }

  // ------------------------------------------------------------------ VfsPolicy: failures

  lastErrorMessage(): string | null {
    // The cause itself stays recorded for Database, which reports it.
    const e = this.lastUnboundError;
    if (!e) return null;
    if (e instanceof Error) return e.message;
    return typeof e === 'string' ? e : Object.prototype.toString.call(e);
  }

  unexpected(e: unknown): void {
    this.lastUnboundError ??= e;
  }
}
