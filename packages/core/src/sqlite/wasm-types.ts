/**
 * Types for the parts of sqlite-wasm's low-level API that the VFS bridge uses and that
 * `@sqlite.org/sqlite-wasm`'s own declarations leave out or get wrong. Everything else comes from
 * the package's declarations unchanged.
 *
 * Where the declarations differ from the runtime:
 * - `sqlite3InitModule` is declared without its options argument.
 * - `wasm.ptr` (pointer size and pointer arithmetic) is not declared.
 * - `peekPtr`/`peek8` are declared to return a result code; they return a pointer / a byte.
 * - The struct wrappers' members are `$`-prefixed at runtime (`$iVersion`, `$xRandomness` — the
 *   latter a function *pointer*); the declarations name some without the `$` or as JS functions.
 * - `structInfo` is a static member of a struct class, declared on instances.
 * - 64-bit arguments (`sqlite3_int64` offsets and sizes) arrive as `bigint` when the build has
 *   BigInt support (it does), not as `number`; method results are plain numbers, not the narrow
 *   result-code union `installVfs` demands.
 */
import type { CAPI, Sqlite3Static, WasmPointer, WASM_API } from '@sqlite.org/sqlite-wasm';

/** `sqlite3InitModule` with the Emscripten module overrides it accepts (declared without any). */
export type Sqlite3Init = (overrides?: { print?: (...args: unknown[]) => void; printErr?: (...args: unknown[]) => void }) => Promise<Sqlite3Static>;

/** A C `sqlite3_int64` as the build hands it to JavaScript. */
export type I64 = bigint | number;

/** `sqlite3_io_methods` (version 1) as implemented in JavaScript. */
export interface IoMethodImpls {
  xCheckReservedLock(pFile: WasmPointer, pResOut: WasmPointer): number;
  xClose(pFile: WasmPointer): number;
  xDeviceCharacteristics(pFile: WasmPointer): number;
  xFileControl(pFile: WasmPointer, op: number, pArg: WasmPointer): number;
  xFileSize(pFile: WasmPointer, pSize: WasmPointer): number;
  xLock(pFile: WasmPointer, lockType: number): number;
  xRead(pFile: WasmPointer, pDest: WasmPointer, n: number, offset: I64): number;
  xSectorSize(pFile: WasmPointer): number;
  xSync(pFile: WasmPointer, flags: number): number;
  xTruncate(pFile: WasmPointer, size: I64): number;
  xUnlock(pFile: WasmPointer, lockType: number): number;
  xWrite(pFile: WasmPointer, pSrc: WasmPointer, n: number, offset: I64): number;
}

/** `sqlite3_vfs` (version 2) methods as implemented in JavaScript; the unlisted ones stay NULL. */
export interface VfsMethodImpls {
  xAccess(pVfs: WasmPointer, zName: WasmPointer, flags: number, pResOut: WasmPointer): number;
  xCurrentTime(pVfs: WasmPointer, pOut: WasmPointer): number;
  xCurrentTimeInt64(pVfs: WasmPointer, pOut: WasmPointer): number;
  xDelete(pVfs: WasmPointer, zName: WasmPointer, syncDir: number): number;
  xFullPathname(pVfs: WasmPointer, zName: WasmPointer, nOut: number, zOut: WasmPointer): number;
  xGetLastError(pVfs: WasmPointer, nBuf: number, zBuf: WasmPointer): number;
  xOpen(pVfs: WasmPointer, zName: WasmPointer, pFile: WasmPointer, flags: number, pOutFlags: WasmPointer): number;
  xRandomness?(pVfs: WasmPointer, nByte: number, zOut: WasmPointer): number;
  xSleep(pVfs: WasmPointer, microseconds: number): number;
}

/** A struct wrapper: the pointer it wraps, and freeing the wrapper (not the C struct it points at). */
interface StructWrapper {
  readonly pointer: WasmPointer;
  dispose(): void;
}

export interface IoMethodsStruct extends StructWrapper {
  $iVersion: number;
}

export interface VfsStruct extends StructWrapper {
  $iVersion: number;
  $szOsFile: number;
  $mxPathname: number;
  /** A function pointer (0 when unset). */
  $xRandomness: WasmPointer;
}

export interface FileStruct extends StructWrapper {
  $pMethods: WasmPointer;
}

/** The C API subset the VFS needs: the struct classes and the one function it calls. */
export interface VfsCapi {
  readonly sqlite3_io_methods: new () => IoMethodsStruct;
  readonly sqlite3_vfs: new (pointer?: WasmPointer) => VfsStruct;
  readonly sqlite3_file: { new (pointer: WasmPointer): FileStruct; readonly structInfo: { readonly sizeof: number } };
  sqlite3_vfs_find(name: string | null): WasmPointer;
}

/** The heap accessors the VFS needs, typed as they behave. */
export interface VfsWasm {
  readonly ptr: {
    /** Pointer size in bytes (4 in the wasm32 build). */
    readonly size: number;
    /** Pointer arithmetic in the build's pointer type. */
    add(...args: WasmPointer[]): WasmPointer;
  };
  heap8u: WASM_API['heap8u'];
  cstrToJs(ptr: WasmPointer): string;
  cstrncpy(tgtPtr: WasmPointer, srcPtr: WasmPointer, n: number): number;
  allocCString(s: string): WasmPointer;
  peekPtr(ptr: WasmPointer): WasmPointer;
  peek8(ptr: WasmPointer): number;
  poke8: WASM_API['poke8'];
  poke32: WASM_API['poke32'];
  poke64: WASM_API['poke64'];
  pokePtr: WASM_API['pokePtr'];
  poke(ptr: WasmPointer, value: number | bigint, representation: 'double' | 'i64'): unknown;
}

export interface VfsInstaller {
  installVfs(obj: { io?: { struct: IoMethodsStruct; methods: IoMethodImpls }; vfs?: { struct: VfsStruct; methods: VfsMethodImpls; name: string } }): unknown;
}

/** The low-level surface of one sqlite3 module instance, as the VFS bridge uses it. */
export interface VfsSurface {
  readonly capi: Omit<CAPI, keyof VfsCapi> & VfsCapi;
  readonly wasm: VfsWasm;
  readonly vfs: VfsInstaller;
}

/**
 * The same module, seen through the declarations above. The one place the package's types are
 * overridden: every member named here exists at runtime with the shape given (sqlite-wasm's
 * `sqlite3-api-prologue.js`, `sqlite3-vfs-helper.js` and the StructBinder).
 */
export function vfsSurface(sqlite3: Sqlite3Static): VfsSurface {
  return sqlite3 as unknown as VfsSurface;
}
