/**
 * No VFS method throws into SQLite, and every I/O error reaches the caller with its real cause.
 * SQLite calls xGetLastError(pVfs, 0, NULL) after an I/O or CANTOPEN error just to learn an errno;
 * a method that threw there replaced the real cause with the glue's own "cstrncpy()" message.
 */
import type { WasmPointer } from '@sqlite.org/sqlite-wasm';
import { internals } from '../src/internal.js';
import type { IoMethodImpls, VfsMethodImpls } from '../src/sqlite/wasm-types.js';
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, type SyncFile, type SyncStorage } from '../src/index.js';
import { KEY } from './helpers.js';

/** The C-level calls this test makes that sqlite-wasm's declarations leave out. */
interface ProbeSurface {
  wasm: { functionEntry(fptr: WasmPointer): (...args: unknown[]) => unknown };
  capi: { sqlite3_file_control(db: WasmPointer, schema: string, op: number, arg: WasmPointer): number };
}
/** A struct's function-pointer members (`$xName`) as the StructBinder exposes them. */
type MethodTable = { readonly [K in keyof IoMethodImpls | keyof VfsMethodImpls as `$${K}`]-?: WasmPointer };

/** Storage whose writes fail with EIO while `failing` is set. */
class FailingWrites implements SyncStorage {
  readonly inner = new MemoryStorage();
  failing = false;
  open(name: string, o: { create: boolean }): SyncFile {
    const f = this.inner.open(name, o);
    const fail = (): void => {
      if (this.failing) throw Object.assign(new Error('EIO: simulated device failure, write'), { code: 'EIO' });
    };
    return {
      read: (b, at) => f.read(b, at),
      write: (b, at) => (fail(), f.write(b, at)),
      truncate: (n) => (fail(), f.truncate(n)),
      getSize: () => f.getSize(),
      flush: () => f.flush(),
      close: () => f.close(),
    };
  }
  exists = (name: string) => this.inner.exists(name);
  delete = (name: string) => this.inner.delete(name);
  list = () => this.inner.list();
}

function expectRealCause(e: unknown, cause: RegExp): void {
  const err = e as Error & { code?: string };
  expect(err.message).not.toMatch(/cstrncpy|NULL strings/);
  expect(err.message).toMatch(cause);
}

describe('VFS errors reach the caller with their cause', () => {
  it('ATTACH and VACUUM INTO a file cipherlite did not open: a clear error, not a glue failure', async () => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'a.db', key: KEY });
    await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    for (const sql of ["ATTACH 'other.db' AS o", "VACUUM INTO 'copy.db'"]) {
      const e = await db.exec(sql).then(
        () => expect.fail(`${sql} succeeded`),
        (x: unknown) => x,
      );
      expectRealCause(e, /not opened through cipherlite|cannot open/);
      expect((e as { code: string }).code).toMatch(/INVALID_ARGUMENT|UNSUPPORTED/);
    }
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
    await db.close();
  });

  it('an I/O error during SAVEPOINT / ROLLBACK TO names the real cause and leaves the database consistent', async () => {
    const storage = new FailingWrites();
    const db = await Database.open({ storage, name: 'a.db', key: KEY, cacheSizeKiB: 64 });
    await db.exec("CREATE TABLE t(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) INSERT INTO t SELECT printf('%0500d', i) FROM n");
    const e = await db
      .transaction(async (tx) => {
        await tx.exec('SAVEPOINT s');
        await tx.exec("UPDATE t SET x = 'a' || x");
        storage.failing = true;
        await tx.exec("UPDATE t SET x = 'b' || x"); // spills the cache to the failing storage
        await tx.exec('ROLLBACK TO s');
      })
      .then(
        () => expect.fail('the failing transaction succeeded'),
        (x: unknown) => x,
      );
    expectRealCause(e, /EIO|simulated device failure/);
    storage.failing = false;
    expect(await db.get('SELECT count(*) AS n FROM t WHERE x LIKE ?', ['a%'])).toEqual({ n: 0 });
    expect(await db.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    await db.close();
  });
});

describe('no VFS method throws into SQLite', () => {
  it('every vfs and io method, called the way SQLite may call it (NULL buffers, unknown handles), returns a code', async () => {
    const { loadSqlite } = await import('../src/sqlite/loader.js');
    const { CipherliteVfs, VFS_NAME } = await import('../src/vfs/sqlite-vfs.js');
    const { nobleAesGcm } = await import('../src/crypto/aead.js');
    const db = await Database.open({ storage: new MemoryStorage(), name: 'a.db', key: KEY });
    await db.exec('CREATE TABLE t(x)');
    const { vfsSurface } = await import('../src/sqlite/wasm-types.js');
    const sqlite3 = await loadSqlite();
    const { capi, wasm } = vfsSurface(sqlite3);
    const probe = sqlite3 as unknown as ProbeSurface;
    const vfs = CipherliteVfs.install(sqlite3, nobleAesGcm);
    const pVfs = capi.sqlite3_vfs_find(VFS_NAME);
    const vfsStruct = new capi.sqlite3_vfs(pVfs);
    const v = vfsStruct as unknown as MethodTable;
    // The io methods: from the main database file's sqlite3_file.
    const ppFile = sqlite3.wasm.alloc(8);
    expect(probe.capi.sqlite3_file_control(internals(db).sqlite.db.pointer!, 'main', capi.SQLITE_FCNTL_FILE_POINTER, ppFile)).toBe(0);
    const pFile = wasm.peekPtr(ppFile);
    const io = new sqlite3.capi.sqlite3_io_methods(new capi.sqlite3_file(pFile).$pMethods) as unknown as MethodTable;
    const call = (fptr: WasmPointer, ...args: unknown[]): unknown => probe.wasm.functionEntry(fptr)(...args);
    const UNKNOWN_FILE = 8; // a pointer no open file has
    try {
      vfs.lastUnboundError = Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
      const results: [string, unknown][] = [
        // SQLite's sqlite3OsGetLastError(): (pVfs, 0, NULL) after every I/O or CANTOPEN error.
        ['xGetLastError(0, NULL)', call(v.$xGetLastError, pVfs, 0, 0)],
        ['xFullPathname(NULL)', call(v.$xFullPathname, pVfs, 0, 64, ppFile)],
        ['xAccess(NULL name)', call(v.$xAccess, pVfs, 0, 0, ppFile)],
        ['xDelete(NULL name)', call(v.$xDelete, pVfs, 0, 0)],
        ['xOpen(NULL out-flags)', call(v.$xOpen, pVfs, 0, 0, capi.SQLITE_OPEN_MAIN_DB, 0)],
        ['xCurrentTimeInt64', call(v.$xCurrentTimeInt64, pVfs, ppFile)],
        ['xRead(unknown file)', call(io.$xRead, UNKNOWN_FILE, ppFile, 8, 0n)],
        ['xWrite(unknown file)', call(io.$xWrite, UNKNOWN_FILE, ppFile, 8, 0n)],
        ['xTruncate(unknown file)', call(io.$xTruncate, UNKNOWN_FILE, 0n)],
        ['xSync(unknown file)', call(io.$xSync, UNKNOWN_FILE, 0)],
        ['xFileSize(unknown file)', call(io.$xFileSize, UNKNOWN_FILE, ppFile)],
        ['xLock(unknown file)', call(io.$xLock, UNKNOWN_FILE, 1)],
        ['xUnlock(unknown file)', call(io.$xUnlock, UNKNOWN_FILE, 0)],
        ['xCheckReservedLock(NULL out)', call(io.$xCheckReservedLock, pFile, 0)],
        ['xFileControl(pragma, NULL arg)', call(io.$xFileControl, pFile, capi.SQLITE_FCNTL_PRAGMA, 0)],
        ['xSectorSize(unknown file)', call(io.$xSectorSize, UNKNOWN_FILE)],
        ['xDeviceCharacteristics(unknown file)', call(io.$xDeviceCharacteristics, UNKNOWN_FILE)],
        ['xClose(unknown file)', call(io.$xClose, UNKNOWN_FILE)],
      ];
      for (const [what, rc] of results) expect(typeof rc, what).toBe('number');
      // The database is still fine after all that.
      expect(await db.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    } finally {
      vfs.lastUnboundError = null;
      sqlite3.wasm.dealloc(ppFile);
      vfsStruct.dispose();
      await db.close();
    }
  });
});
