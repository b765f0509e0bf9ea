/**
 * The sqlite-wasm glue: a JavaScript `sqlite3_vfs` named "cipherlite" whose files are
 * EncryptedFiles. This is the only module that touches WASM pointers; everything below it speaks
 * `Uint8Array`s.
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
import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { CipherliteError } from '../errors.js';
import { auxMinContentSize, FILE_KIND } from '../format/constants.js';
import { resultCodeFor } from '../sqlite/errors.js';
import { MemoryFile } from '../storage/memory.js';
import type { SyncStorage } from '../storage/sync-file.js';
import type { AeadKeyFactory } from '../crypto/aead.js';
import { randomBytes } from '../crypto/random.js';
import { AuxFile } from './aux-file.js';
import { EncryptedFile } from './encrypted-file.js';
import type { MainContainer } from '../container/main-container.js';
import { TempKeys } from '../container/temp-keys.js';

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
}

interface FileLock {
  nShared: number;
  lockType: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export class CipherliteVfs {
  readonly sqlite3: Sqlite3Static;
  readonly #bindings = new Map<string, DatabaseBinding>();
  readonly #openNames = new WeakMap<SyncStorage, Set<string>>();
  #nextId = 1;
  readonly #files = new Map<number, OpenFile>();
  readonly #locks = new Map<string, FileLock>();
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
    this.#temp = new TempKeys(aead);
    this.#installStructs();
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
    this.#locks.delete(binding.sqlitePath);
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

  /**
   * Wraps every method so that nothing can throw into SQLite's C stack (an exception unwinding
   * through WASM skips SQLite's own cleanup and replaces the real cause with the glue's). Each
   * method already records the causes it expects; this is the last line: an unexpected exception
   * is recorded as the unattributed cause and the method returns its documented failure code.
   */
  #neverThrow<M extends Record<string, (...args: Any[]) => number>>(methods: M, fallback: Record<keyof M, number>): M {
    const guarded: Record<string, (...args: Any[]) => number> = {};
    for (const [name, method] of Object.entries(methods)) {
      const code = fallback[name as keyof M];
      if (code === undefined) throw new Error(`VFS method ${name} has no failure code`);
      guarded[name] = (...args: Any[]): number => {
        try {
          return method(...args);
        } catch (e) {
          this.lastUnboundError ??= e;
          return code;
        }
      };
    }
    return guarded as M;
  }

  #installStructs(): void {
    const sqlite3 = this.sqlite3 as Any;
    const { capi, wasm } = sqlite3;
    const files = this.#files;
    const locks = this.#locks;
    const self = this;
    const heap = (): Uint8Array => wasm.heap8u();

    const io = {
      xCheckReservedLock(pFile: number, pOut: number): number {
        const f = files.get(pFile);
        const lk = f ? locks.get(f.path) : undefined;
        wasm.poke32(pOut, lk && lk.lockType >= capi.SQLITE_LOCK_RESERVED ? 1 : 0);
        return 0;
      },
      xClose(pFile: number): number {
        const f = files.get(pFile);
        if (!f) return 0;
        files.delete(pFile);
        try {
          io.xUnlock(pFile, capi.SQLITE_LOCK_NONE, f);
          if (f.binding && f.ef === f.binding.main) {
            // The main file belongs to the Database (it outlives SQLite's handle); just flush.
            f.ef.flushBuffers();
            return 0;
          }
          f.ef.flushBuffers();
          f.aux?.destroy();
          if (!f.binding) {
            // temp: memory only, gone now — and its keys with it
            f.ef.discard();
            f.ring?.destroy();
            return 0;
          }
          f.ef.file.close();
          if (f.flags & capi.SQLITE_OPEN_DELETEONCLOSE) f.binding.storage.delete(f.storageName);
          return 0;
        } catch (e) {
          self.#record(f, e);
          return resultCodeFor(e, capi, capi.SQLITE_IOERR_CLOSE);
        }
      },
      xDeviceCharacteristics(pFile: number): number {
        // SAFE_APPEND (reported by the main file, which is where SQLite asks): after a crash a
        // journal may be shorter than what was written but never ends in garbage — its size
        // comes from its last *authenticated* slot, and a synced block that is rewritten in
        // place (an append into a partly filled block) is saved to the rescue slot first. With
        // it, SQLite writes the journal header once (record count from the file size) instead
        // of rewriting it and syncing twice: one flush, one encryption and one rescue copy less
        // per commit. No POWERSAFE_OVERWRITE or ATOMIC: SQLite still aligns and pads as if a
        // block rewrite could damage the whole block.
        const f = files.get(pFile);
        return f?.binding && f.ef === f.binding.main ? capi.SQLITE_IOCAP_SAFE_APPEND : 0;
      },
      xFileControl(pFile: number, op: number, pArg: number): number {
        const f = files.get(pFile);
        if (op === capi.SQLITE_FCNTL_PRAGMA && f) {
          const name = wasm.cstrToJs(wasm.peekPtr(wasm.ptr.add(pArg, wasm.ptr.size)));
          const argPtr = wasm.peekPtr(wasm.ptr.add(pArg, 2 * wasm.ptr.size));
          if (name.toLowerCase() === 'page_size' && argPtr) {
            const wanted = Number(wasm.cstrToJs(argPtr));
            if (wanted !== f.ef.blockSize) {
              // The message must be allocated with sqlite3_malloc: SQLite frees it.
              wasm.pokePtr(pArg, wasm.allocCString(`cipherlite: page_size is fixed at ${f.ef.blockSize} (the encryption block size chosen when the database was created)`));
              return capi.SQLITE_ERROR;
            }
          }
        }
        return capi.SQLITE_NOTFOUND;
      },
      xFileSize(pFile: number, pSz64: number): number {
        const f = files.get(pFile);
        if (!f) return capi.SQLITE_IOERR_FSTAT;
        wasm.poke64(pSz64, BigInt(f.ef.size));
        return 0;
      },
      xLock(pFile: number, lockType: number): number {
        const f = files.get(pFile);
        if (!f) return capi.SQLITE_IOERR_LOCK;
        if (f.lockType >= lockType) return 0;
        let lk = locks.get(f.path);
        if (!lk) {
          lk = { nShared: 0, lockType: capi.SQLITE_LOCK_NONE };
          locks.set(f.path, lk);
        }
        // Same in-process lock semantics as sqlite-wasm's opfs-sahpool: only connections of
        // this worker can contend (another tab's worker cannot even open the files).
        if (f.lockType !== lk.lockType && (lk.lockType >= capi.SQLITE_LOCK_PENDING || lockType > capi.SQLITE_LOCK_SHARED)) return capi.SQLITE_BUSY;
        if (lockType === capi.SQLITE_LOCK_SHARED) {
          ++lk.nShared;
          if (lk.lockType === capi.SQLITE_LOCK_NONE) lk.lockType = lockType;
        } else if (lockType === capi.SQLITE_LOCK_EXCLUSIVE && lk.nShared > 1) {
          if (f.lockType === capi.SQLITE_LOCK_RESERVED) f.lockType = lk.lockType = capi.SQLITE_LOCK_PENDING;
          return capi.SQLITE_BUSY;
        } else {
          lk.lockType = lockType;
        }
        f.lockType = lockType;
        return 0;
      },
      xRead(pFile: number, pDest: number, n: number, offset64: bigint | number): number {
        const f = files.get(pFile);
        if (!f) return capi.SQLITE_IOERR_READ;
        const dest = heap().subarray(Number(pDest), Number(pDest) + n);
        try {
          const got = f.ef.read(dest, Number(offset64));
          if (f.binding?.onMainRead && f.ef === f.binding.main) f.binding.onMainRead(Number(offset64));
          return got < n ? capi.SQLITE_IOERR_SHORT_READ : 0;
        } catch (e) {
          dest.fill(0);
          self.#record(f, e);
          return resultCodeFor(e, capi, capi.SQLITE_IOERR_READ);
        }
      },
      xSectorSize(pFile: number): number {
        return files.get(pFile)?.ef.blockSize ?? TEMP_BLOCK_SIZE;
      },
      xSync(pFile: number): number {
        const f = files.get(pFile);
        if (!f) return capi.SQLITE_IOERR_FSYNC;
        try {
          f.ef.sync();
          return 0;
        } catch (e) {
          self.#record(f, e);
          return resultCodeFor(e, capi, capi.SQLITE_IOERR_FSYNC);
        }
      },
      xTruncate(pFile: number, sz64: bigint | number): number {
        const f = files.get(pFile);
        if (!f) return capi.SQLITE_IOERR_TRUNCATE;
        try {
          if (f.aux) f.aux.truncate(Number(sz64));
          else f.ef.truncate(Number(sz64));
          return 0;
        } catch (e) {
          self.#record(f, e);
          return resultCodeFor(e, capi, capi.SQLITE_IOERR_TRUNCATE);
        }
      },
      xUnlock(pFile: number, lockType: number, known?: OpenFile): number {
        const f = known ?? files.get(pFile);
        if (!f || f.lockType <= lockType) return 0;
        const lk = locks.get(f.path);
        if (lk) {
          if (f.lockType > capi.SQLITE_LOCK_SHARED) lk.lockType = capi.SQLITE_LOCK_SHARED;
          if (lockType === capi.SQLITE_LOCK_NONE && --lk.nShared <= 0) locks.delete(f.path);
        }
        f.lockType = lockType;
        return 0;
      },
      xWrite(pFile: number, pSrc: number, n: number, offset64: bigint | number): number {
        const f = files.get(pFile);
        if (!f) return capi.SQLITE_IOERR_WRITE;
        try {
          f.ef.write(heap().subarray(Number(pSrc), Number(pSrc) + n), Number(offset64));
          return 0;
        } catch (e) {
          self.#record(f, e);
          return resultCodeFor(e, capi, capi.SQLITE_IOERR_WRITE);
        }
      },
    };
    const ioStruct = new capi.sqlite3_io_methods();
    ioStruct.$iVersion = 1;
    const ioFallback: Record<keyof typeof io, number> = {
      xCheckReservedLock: capi.SQLITE_IOERR_CHECKRESERVEDLOCK,
      xClose: capi.SQLITE_IOERR_CLOSE,
      xDeviceCharacteristics: 0,
      xFileControl: capi.SQLITE_IOERR,
      xFileSize: capi.SQLITE_IOERR_FSTAT,
      xLock: capi.SQLITE_IOERR_LOCK,
      xRead: capi.SQLITE_IOERR_READ,
      xSectorSize: TEMP_BLOCK_SIZE,
      xSync: capi.SQLITE_IOERR_FSYNC,
      xTruncate: capi.SQLITE_IOERR_TRUNCATE,
      xUnlock: capi.SQLITE_IOERR_UNLOCK,
      xWrite: capi.SQLITE_IOERR_WRITE,
    };
    sqlite3.vfs.installVfs({ io: { struct: ioStruct, methods: this.#neverThrow(io, ioFallback) } });

    const vfsStruct = new capi.sqlite3_vfs();
    const pDefault = capi.sqlite3_vfs_find(null);
    const defaultVfs = pDefault ? new capi.sqlite3_vfs(pDefault) : null;
    vfsStruct.$iVersion = 2;
    vfsStruct.$szOsFile = capi.sqlite3_file.structInfo.sizeof;
    vfsStruct.$mxPathname = 512;
    if (defaultVfs) {
      vfsStruct.$xRandomness = defaultVfs.$xRandomness;
      defaultVfs.dispose();
    }
    const vfsMethods: Record<string, Any> = {
      xAccess(_pVfs: number, zName: number, _flags: number, pOut: number): number {
        const path = wasm.cstrToJs(zName);
        const hit = self.#bindingFor(path);
        let exists = false;
        try {
          exists = hit ? hit.binding.storage.exists(hit.file) : false;
          // A journal holding no complete block has no content (a torn first block is dropped
          // on open), so it can never be hot. Saying so here spares SQLite from opening it —
          // and us from authenticating its header — at the start of every read transaction.
          if (exists && hit && hit.kind !== FILE_KIND.main) {
            const f = hit.binding.storage.open(hit.file, { create: false });
            try {
              if (f.getSize() < auxMinContentSize(hit.binding.container.blockSize)) exists = false;
            } finally {
              f.close(); // our handle only (sync-file.ts): SQLite's own stays open
            }
          }
        } catch {
          exists = false;
        }
        wasm.poke32(pOut, exists ? 1 : 0);
        return 0;
      },
      xCurrentTime(_pVfs: number, pOut: number): number {
        wasm.poke(pOut, 2440587.5 + Date.now() / 864e5, 'double');
        return 0;
      },
      xCurrentTimeInt64(_pVfs: number, pOut: number): number {
        wasm.poke(pOut, 0xbfc83e532200n + BigInt(Date.now()), 'i64');
        return 0;
      },
      xDelete(_pVfs: number, zName: number): number {
        const path = wasm.cstrToJs(zName);
        const hit = self.#bindingFor(path);
        try {
          if (hit && hit.binding.storage.exists(hit.file)) hit.binding.storage.delete(hit.file);
          return 0;
        } catch (e) {
          if (hit) hit.binding.lastError = e;
          return capi.SQLITE_IOERR_DELETE;
        }
      },
      xFullPathname(_pVfs: number, zName: number, nOut: number, pOut: number): number {
        if (!zName || !pOut || nOut <= 0) return capi.SQLITE_CANTOPEN;
        return wasm.cstrncpy(pOut, zName, nOut) < nOut ? 0 : capi.SQLITE_CANTOPEN;
      },
      xGetLastError(_pVfs: number, nOut: number, pOut: number): number {
        // SQLite calls this with (0, NULL) after every I/O or CANTOPEN error only to learn an
        // errno for sqlite3_system_errno(); we have none. The cause itself stays recorded for
        // Database, which reports it (a copy goes into the buffer when SQLite passes one).
        const e = self.lastUnboundError;
        if (!e || !pOut || nOut <= 0) return 0;
        const msg = new TextEncoder().encode(e instanceof Error ? e.message : String(e));
        const n = Math.min(msg.length, nOut - 1);
        heap().set(msg.subarray(0, n), Number(pOut));
        wasm.poke8(wasm.ptr.add(pOut, n), 0);
        return 0;
      },
      xOpen(_pVfs: number, zName: number, pFile: number, flags: number, pOutFlags: number): number {
        try {
          const named = zName && wasm.peek8(zName);
          const path = named ? wasm.cstrToJs(zName) : `temp-${Array.from(randomBytes(8), (b) => b.toString(16).padStart(2, '0')).join('')}`;
          let file: OpenFile;
          const hit = named ? self.#bindingFor(path) : null;
          if (!hit) {
            if (named && flags & capi.SQLITE_OPEN_MAIN_DB) {
              throw new CipherliteError('INVALID_ARGUMENT', `database "${path}" was not opened through cipherlite's Database API`);
            }
            if (named && !(flags & (capi.SQLITE_OPEN_TEMP_DB | capi.SQLITE_OPEN_TRANSIENT_DB | capi.SQLITE_OPEN_TEMP_JOURNAL | capi.SQLITE_OPEN_SUBJOURNAL))) {
              throw new CipherliteError('UNSUPPORTED', `cipherlite cannot open "${path}" (flags ${flags}): super-journals and foreign files are not supported`);
            }
            // Temp files: encrypted, in memory, under a per-process random key.
            const id = randomBytes(16);
            const ring = self.#temp.ringFor(id, FILE_KIND.temp);
            const ef = new EncryptedFile({
              file: new MemoryFile(path),
              kind: FILE_KIND.temp,
              headerSize: 0,
              blockSize: TEMP_BLOCK_SIZE,
              fileId: id,
              keys: ring,
              epochs: self.#temp,
            });
            file = { binding: null, ef, aux: null, path, storageName: path, flags, lockType: capi.SQLITE_LOCK_NONE, ring };
          } else if (hit.kind === FILE_KIND.main) {
            file = { binding: hit.binding, ef: hit.binding.main, aux: null, path, storageName: hit.file, flags, lockType: capi.SQLITE_LOCK_NONE };
          } else {
            const { binding } = hit;
            const create = !!(flags & capi.SQLITE_OPEN_CREATE);
            if (!create && !binding.storage.exists(hit.file)) throw new CipherliteError('IO', `no such file: ${hit.file}`);
            const raw = binding.storage.open(hit.file, { create });
            const aux = new AuxFile(raw, hit.kind, binding.container);
            file = { binding, ef: aux.ef, aux, path, storageName: hit.file, flags, lockType: capi.SQLITE_LOCK_NONE };
          }
          files.set(pFile, file);
          const sq3File = new capi.sqlite3_file(pFile);
          sq3File.$pMethods = ioStruct.pointer;
          sq3File.dispose();
          wasm.poke32(pOutFlags, flags);
          return 0;
        } catch (e) {
          const path = zName ? wasm.cstrToJs(zName) : '';
          const hit = path ? self.#bindingFor(path) : null;
          if (hit) hit.binding.lastError = e;
          else self.lastUnboundError = e;
          return resultCodeFor(e, capi, capi.SQLITE_CANTOPEN);
        }
      },
      // In this environment only connections of one thread can contend, and sleeping cannot
      // resolve that; SQLite's busy handler would just spin (same as opfs-sahpool).
      xSleep(): number {
        return 0;
      },
    };
    if (!vfsStruct.$xRandomness) {
      vfsMethods['xRandomness'] = (_pVfs: number, nOut: number, pOut: number): number => {
        heap().set(randomBytes(nOut), Number(pOut));
        return nOut;
      };
    }
    const vfsFallback: Record<string, number> = {
      xAccess: capi.SQLITE_IOERR_ACCESS,
      xCurrentTime: capi.SQLITE_IOERR,
      xCurrentTimeInt64: capi.SQLITE_IOERR,
      xDelete: capi.SQLITE_IOERR_DELETE,
      xFullPathname: capi.SQLITE_CANTOPEN,
      xGetLastError: 0,
      xOpen: capi.SQLITE_CANTOPEN,
      xSleep: 0,
      // No random bytes produced: SQLite falls back to its own PRNG state.
      xRandomness: 0,
    };
    sqlite3.vfs.installVfs({ vfs: { struct: vfsStruct, methods: this.#neverThrow(vfsMethods, vfsFallback), name: VFS_NAME } });
  }
}
