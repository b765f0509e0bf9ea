/**
 * The last committed state of a plain SQLite database that has side files: a `-wal` whose
 * committed frames are not yet checkpointed, or a hot `-journal` left by a crash mid-commit.
 *
 * Reading the main file alone gives the wrong answer either way (the WAL's commits missing; a
 * half-written transaction instead of the one before it). SQLite itself knows how to recover, so
 * it does — on a **private copy**: the three files are written into sqlite-wasm's in-memory
 * Emscripten file system under a fresh random name, opened there with plain SQLite (`unix-none`:
 * the copy is ours alone, no locks), the WAL checkpointed or the journal rolled back, and the
 * result serialized. The caller's bytes (and files) are never touched; the copy is deleted after.
 */
import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { randomBytes } from '../crypto/random.js';
import { CipherliteError } from '../errors.js';
import { hex } from '../format/bytes.js';

export interface PlainSideFiles {
  /** The source's `<file>-wal`, if it has one. */
  wal?: Uint8Array | undefined;
  /** The source's `<file>-journal`, if it has one. */
  journal?: Uint8Array | undefined;
}

/** The parts of sqlite-wasm's API used here that its declarations leave out. */
interface PosixFs {
  capi: { sqlite3_js_posix_create_file(name: string, data: Uint8Array): void; sqlite3_vfs_find(name: string): number };
  wasm: { xWrap(name: 'sqlite3__wasm_vfs_unlink', result: 'int', args: ['sqlite3_vfs*', 'string']): (pVfs: number, name: string) => number };
}

const VFS = 'unix-none';

export function hasSideFiles(side: PlainSideFiles): boolean {
  return (side.wal?.length ?? 0) > 0 || (side.journal?.length ?? 0) > 0;
}

/** A serialized image of the last committed state of `main` with its side files. */
export function recoverPlainCopy(sqlite3: Sqlite3Static, main: Uint8Array, side: PlainSideFiles): Uint8Array {
  const fsApi = sqlite3 as unknown as PosixFs;
  const path = `/tmp/cipherlite-import-${hex(randomBytes(12))}.db`;
  const files: [string, Uint8Array | undefined][] = [
    [path, main],
    [`${path}-wal`, side.wal],
    [`${path}-journal`, side.journal],
  ];
  const pVfs = fsApi.capi.sqlite3_vfs_find(VFS);
  // Exported by the build (the C helper behind oo1's close-and-unlink), not declared as API.
  const unlink = fsApi.wasm.xWrap('sqlite3__wasm_vfs_unlink', 'int', ['sqlite3_vfs*', 'string']);
  let db: InstanceType<Sqlite3Static['oo1']['DB']> | null = null;
  try {
    // A plain Uint8Array copy: sqlite-wasm refuses subclasses such as Node's Buffer.
    for (const [name, bytes] of files) if (bytes && bytes.length > 0) fsApi.capi.sqlite3_js_posix_create_file(name, new Uint8Array(bytes));
    db = new sqlite3.oo1.DB({ filename: path, flags: 'w', vfs: VFS });
    // WAL without shared memory needs exclusive locking mode, set before the first read.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    // The first read recovers: a hot journal is rolled back, the WAL's committed frames indexed.
    db.selectValue('SELECT count(*) FROM sqlite_schema');
    // Checkpoints the WAL into the main file (a no-op for a rollback-journal database).
    db.exec('PRAGMA journal_mode = DELETE');
    return sqlite3.capi.sqlite3_js_db_export(db.pointer!);
  } catch (e) {
    if (e instanceof CipherliteError) throw e;
    const rc = (e as { resultCode?: number }).resultCode ?? 0;
    throw new CipherliteError((rc & 0xff) === 26 ? 'NOT_A_DATABASE' : 'CORRUPT', `SQLite could not recover the file with its side files: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    db?.close();
    for (const [name] of files) unlink(pVfs, name);
  }
}
