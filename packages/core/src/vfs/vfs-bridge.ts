/**
 * The pointer side of a JavaScript `sqlite3_vfs`: builds the `sqlite3_vfs` and
 * `sqlite3_io_methods` structs, registers them, and turns each C call into a call on a
 * `VfsPolicy` with JavaScript values (strings, heap views, numbers) — and the policy's answers
 * back into C results and output parameters. What each method *does* (which files exist, locking,
 * which error code a failure becomes) is the policy's; this module only marshals.
 *
 * The VFS methods SQLite calls that involve no policy (time, full path names, sleeping,
 * randomness) are answered here.
 */
import type { Sqlite3Static, WasmPointer } from '@sqlite.org/sqlite-wasm';
import { randomBytes } from '../crypto/random.js';
import { vfsSurface, type IoMethodImpls, type VfsMethodImpls } from '../sqlite/wasm-types.js';

/** What a VFS does, in JavaScript values. `file` is SQLite's `sqlite3_file*`: the handle's identity. */
export interface VfsPolicy {
  /** Opens `path` (null: a nameless temp file) as handle `file`; a result code. */
  open(path: string | null, file: WasmPointer, flags: number): number;
  close(file: WasmPointer): number;
  /** Fills `dest` (a view of SQLite's buffer) from `offset`; a result code. */
  read(file: WasmPointer, dest: Uint8Array, offset: number): number;
  write(file: WasmPointer, src: Uint8Array, offset: number): number;
  truncate(file: WasmPointer, size: number): number;
  sync(file: WasmPointer): number;
  fileSize(file: WasmPointer): { rc: number; size: number };
  lock(file: WasmPointer, lockType: number): number;
  unlock(file: WasmPointer, lockType: number): number;
  /** Whether any connection holds a RESERVED or stronger lock on the file. */
  hasReservedLock(file: WasmPointer): boolean;
  sectorSize(file: WasmPointer): number;
  deviceCharacteristics(file: WasmPointer): number;
  /**
   * `PRAGMA name = value` seen through SQLITE_FCNTL_PRAGMA before SQLite acts on it: an error
   * message refuses it, null lets SQLite handle it as usual.
   */
  pragma(file: WasmPointer, name: string, value: string | null): string | null;
  access(path: string): boolean;
  delete(path: string): number;
  /** The message of the most recent failure no database could be blamed for (xGetLastError). */
  lastErrorMessage(): string | null;
  /** An exception escaped a policy method; the bridge then returns that method's failure code. */
  unexpected(e: unknown): void;
}

/** Result codes of sqlite3.h the bridge itself returns. */
interface BridgeCodes {
  readonly SQLITE_OK: number;
  readonly SQLITE_ERROR: number;
  readonly SQLITE_NOTFOUND: number;
  readonly SQLITE_CANTOPEN: number;
  readonly SQLITE_FCNTL_PRAGMA: number;
}

/** sqlite3_vfs.mxPathname: the longest path SQLite will hand us (ours are `/<n>/<name>`). */
const MAX_PATHNAME = 512;
/** Julian day number of the Unix epoch, and the same in milliseconds (xCurrentTime, xCurrentTimeInt64). */
const UNIX_EPOCH_JULIAN_DAYS = 2440587.5;
const UNIX_EPOCH_JULIAN_MS = 0xbfc83e532200n;
const MS_PER_DAY = 864e5;

/** Registers a VFS called `name` whose methods are `policy`'s. */
export function installVfs(sqlite3: Sqlite3Static, name: string, policy: VfsPolicy, sectorSizeOnFailure: number): void {
  const { capi, wasm, vfs } = vfsSurface(sqlite3);
  const codes: BridgeCodes = capi;
  const heap = (ptr: WasmPointer, n: number): Uint8Array => wasm.heap8u().subarray(Number(ptr), Number(ptr) + n);

  const io: IoMethodImpls = {
    xCheckReservedLock(pFile, pOut) {
      wasm.poke32(pOut, policy.hasReservedLock(pFile) ? 1 : 0);
      return codes.SQLITE_OK;
    },
    xClose: (pFile) => policy.close(pFile),
    xDeviceCharacteristics: (pFile) => policy.deviceCharacteristics(pFile),
    xFileControl(pFile, op, pArg) {
      if (op === codes.SQLITE_FCNTL_PRAGMA) {
        // pArg is char*[3]: [0] an error message we may set, [1] the pragma name, [2] its argument.
        const pragma = wasm.cstrToJs(wasm.peekPtr(wasm.ptr.add(pArg, wasm.ptr.size)));
        const argPtr = wasm.peekPtr(wasm.ptr.add(pArg, 2 * wasm.ptr.size));
        const refusal = policy.pragma(pFile, pragma, argPtr ? wasm.cstrToJs(argPtr) : null);
        if (refusal !== null) {
          // The message must be allocated with sqlite3_malloc: SQLite frees it.
          wasm.pokePtr(pArg, wasm.allocCString(refusal));
          return codes.SQLITE_ERROR;
        }
      }
      return codes.SQLITE_NOTFOUND;
    },
    xFileSize(pFile, pSz64) {
      const { rc, size } = policy.fileSize(pFile);
      if (rc === codes.SQLITE_OK) wasm.poke64(pSz64, BigInt(size));
      return rc;
    },
    xLock: (pFile, lockType) => policy.lock(pFile, lockType),
    xRead: (pFile, pDest, n, offset64) => policy.read(pFile, heap(pDest, n), Number(offset64)),
    xSectorSize: (pFile) => policy.sectorSize(pFile),
    xSync: (pFile) => policy.sync(pFile),
    xTruncate: (pFile, sz64) => policy.truncate(pFile, Number(sz64)),
    xUnlock: (pFile, lockType) => policy.unlock(pFile, lockType),
    xWrite: (pFile, pSrc, n, offset64) => policy.write(pFile, heap(pSrc, n), Number(offset64)),
  };
  const ioStruct = new capi.sqlite3_io_methods();
  ioStruct.$iVersion = 1;
  const ioFallback: Record<keyof IoMethodImpls, number> = {
    xCheckReservedLock: capi.SQLITE_IOERR_CHECKRESERVEDLOCK,
    xClose: capi.SQLITE_IOERR_CLOSE,
    xDeviceCharacteristics: 0,
    xFileControl: capi.SQLITE_IOERR,
    xFileSize: capi.SQLITE_IOERR_FSTAT,
    xLock: capi.SQLITE_IOERR_LOCK,
    xRead: capi.SQLITE_IOERR_READ,
    xSectorSize: sectorSizeOnFailure,
    xSync: capi.SQLITE_IOERR_FSYNC,
    xTruncate: capi.SQLITE_IOERR_TRUNCATE,
    xUnlock: capi.SQLITE_IOERR_UNLOCK,
    xWrite: capi.SQLITE_IOERR_WRITE,
  };
  vfs.installVfs({ io: { struct: ioStruct, methods: neverThrow(io, ioFallback, policy) } });

  const vfsStruct = new capi.sqlite3_vfs();
  const pDefault = capi.sqlite3_vfs_find(null);
  const defaultVfs = pDefault ? new capi.sqlite3_vfs(pDefault) : null;
  vfsStruct.$iVersion = 2;
  vfsStruct.$szOsFile = capi.sqlite3_file.structInfo.sizeof;
  vfsStruct.$mxPathname = MAX_PATHNAME;
  if (defaultVfs) {
    // The default VFS's randomness is SQLite's own well-seeded source: borrow its C function.
    vfsStruct.$xRandomness = defaultVfs.$xRandomness;
    defaultVfs.dispose();
  }
  const vfsMethods: VfsMethodImpls = {
    xAccess(_pVfs, zName, _flags, pOut) {
      wasm.poke32(pOut, policy.access(wasm.cstrToJs(zName)) ? 1 : 0);
      return codes.SQLITE_OK;
    },
    xCurrentTime(_pVfs, pOut) {
      wasm.poke(pOut, UNIX_EPOCH_JULIAN_DAYS + Date.now() / MS_PER_DAY, 'double');
      return codes.SQLITE_OK;
    },
    xCurrentTimeInt64(_pVfs, pOut) {
      wasm.poke(pOut, UNIX_EPOCH_JULIAN_MS + BigInt(Date.now()), 'i64');
      return codes.SQLITE_OK;
    },
    xDelete: (_pVfs, zName) => policy.delete(wasm.cstrToJs(zName)),
    xFullPathname(_pVfs, zName, nOut, pOut) {
      if (!zName || !pOut || nOut <= 0) return codes.SQLITE_CANTOPEN;
      return wasm.cstrncpy(pOut, zName, nOut) < nOut ? codes.SQLITE_OK : codes.SQLITE_CANTOPEN;
    },
    xGetLastError(_pVfs, nOut, pOut) {
      // SQLite calls this with (0, NULL) after every I/O or CANTOPEN error only to learn an
      // errno for sqlite3_system_errno(); we have none. A copy of the message goes into the
      // buffer when SQLite passes one.
      if (!pOut || nOut <= 0) return 0;
      const message = policy.lastErrorMessage();
      if (message === null) return 0;
      const bytes = new TextEncoder().encode(message);
      const n = Math.min(bytes.length, nOut - 1);
      heap(pOut, n).set(bytes.subarray(0, n));
      wasm.poke8(wasm.ptr.add(pOut, n), 0);
      return 0;
    },
    xOpen(_pVfs, zName, pFile, flags, pOutFlags) {
      const named = zName && wasm.peek8(zName);
      const rc = policy.open(named ? wasm.cstrToJs(zName) : null, pFile, flags);
      if (rc !== codes.SQLITE_OK) return rc;
      const file = new capi.sqlite3_file(pFile);
      file.$pMethods = ioStruct.pointer;
      file.dispose();
      wasm.poke32(pOutFlags, flags);
      return codes.SQLITE_OK;
    },
    // In this environment only connections of one thread can contend, and sleeping cannot
    // resolve that; SQLite's busy handler would just spin (same as opfs-sahpool).
    xSleep: () => 0,
  };
  if (!vfsStruct.$xRandomness) {
    vfsMethods.xRandomness = (_pVfs, nOut, pOut) => {
      heap(pOut, nOut).set(randomBytes(nOut));
      return nOut;
    };
  }
  const vfsFallback: Record<keyof VfsMethodImpls, number> = {
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
  vfs.installVfs({ vfs: { struct: vfsStruct, methods: neverThrow(vfsMethods, vfsFallback, policy), name } });
}

/**
 * Wraps every method so that nothing can throw into SQLite's C stack (an exception unwinding
 * through WASM skips SQLite's own cleanup and replaces the real cause with the glue's). The
 * policy records the causes it expects; this is the last line: an unexpected exception goes to
 * `policy.unexpected` and the method returns its documented failure code.
 */
function neverThrow<M extends object>(methods: M, fallback: Record<keyof M, number>, policy: Pick<VfsPolicy, 'unexpected'>): M {
  const guarded: Record<string, (...args: never[]) => number> = {};
  for (const [name, method] of Object.entries(methods) as [keyof M & string, (...args: never[]) => number][]) {
    const code = fallback[name];
    if (code === undefined) throw new Error(`VFS method ${name} has no failure code`);
    guarded[name] = (...args: never[]): number => {
      try {
        return method(...args);
      } catch (e) {
        policy.unexpected(e);
        return code;
      }
    };
  }
  return guarded as M;
}
