import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import type { Sqlite3Init } from '../src/sqlite/wasm-types.js';
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format } from '../src/index.js';
import { NodeFsStorage } from '../src/node.js';
import { exportPlaintext, importPlaintext, stats, verify, type Progress } from '../src/keys/index.js';
import { loadSqlite } from '../src/sqlite/loader.js';
import { content, FAST_KDF, fileBytes, KEY, KEY2, seeded } from './keys-helpers.js';
import { expectCode, expectSameFiles } from './helpers.js';

/** Opens a plain SQLite image with an independent sqlite-wasm instance (no cipherlite VFS involved). */
async function plainRows(bytes: Uint8Array): Promise<unknown[]> {
  const init: Sqlite3Init = sqlite3InitModule;
  const sqlite3 = await init({ print() {}, printErr() {} });
  const db = new sqlite3.oo1.DB(':memory:');
  const p = sqlite3.wasm.allocFromTypedArray(bytes);
  expect(sqlite3.capi.sqlite3_deserialize(db.pointer!, 'main', p, bytes.length, bytes.length, sqlite3.capi.SQLITE_DESERIALIZE_FREEONCLOSE)).toBe(0);
  const rows = db.selectObjects('SELECT id, v, hex(b) AS b FROM t ORDER BY id');
  expect(db.selectValue('PRAGMA integrity_check')).toBe('ok');
  db.close();
  return rows;
}

describe('exportPlaintext / importPlaintext', () => {
  it('exports a standard SQLite file that plain sqlite-wasm and the sqlite3 shell read', async () => {
    const db = await seeded(new MemoryStorage(), 250);
    const events: Progress[] = [];
    const bytes = await exportPlaintext(db, { onProgress: (p) => events.push({ ...p }) });
    expect(new TextDecoder().decode(bytes.subarray(0, 15))).toBe('SQLite format 3');
    expect(events.at(-1)!.done).toBe(events.at(-1)!.total);
    expect(events.at(-1)!.phase).toBe('copy');
    const rows = await db.query('SELECT id, v, hex(b) AS b FROM t ORDER BY id');
    expect(await plainRows(bytes)).toEqual(rows);
    if (existsSync('/usr/bin/sqlite3')) {
      const dir = mkdtempSync(join(tmpdir(), 'cl-export-'));
      try {
        writeFileSync(join(dir, 'plain.db'), bytes);
        const out = execFileSync('/usr/bin/sqlite3', [join(dir, 'plain.db'), 'PRAGMA integrity_check; SELECT count(*), sum(id) FROM t;'], { encoding: 'utf8' });
        expect(out.trim().split('\n')).toEqual(['ok', `250|${(250 * 251) / 2}`]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    await db.close();
  });

  it('a page that fails authentication makes the export fail (CORRUPT), never a zero-filled page', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 300);
    await db.close();
    const f = storage.files.get('a.db')!;
    const at = format.MAIN_HEADER_SIZE + 5 * format.slotSize(4096) + 99;
    f.write(new Uint8Array([f.bytes()[at]! ^ 1]), { at });
    const again = await Database.open({ storage, name: 'a.db', key: KEY, create: false });
    await expect(exportPlaintext(again)).rejects.toMatchObject({ code: 'CORRUPT', details: { page: 6 } });
    await again.close();
  });

  it("exports without a copy of the database in SQLite's WebAssembly memory (which never shrinks)", async () => {
    const db = await seeded(new MemoryStorage(), 20_000); // ~3 MB
    const sqlite3 = await loadSqlite();
    const heapBytes = () => (sqlite3 as unknown as { wasm: { heap8u(): Uint8Array } }).wasm.heap8u().length;
    await db.query('SELECT count(*) FROM t'); // the page cache as full as the database lets it be
    const before = heapBytes();
    const bytes = await exportPlaintext(db);
    const grew = heapBytes() - before;
    // The old export (a backup into an in-memory database, then serialized) grew the heap by
    // about twice the database size; reading the pages straight out leaves it where it was.
    expect(bytes.length).toBeGreaterThan(2_000_000);
    expect(grew).toBeLessThan(bytes.length / 4);
    expect(await plainRows(bytes)).toEqual(await db.query('SELECT id, v, hex(b) AS b FROM t ORDER BY id'));
    await db.close();
  });

  it('refuses (BUSY) while a transaction is open on the connection, and exports the committed state after it', async () => {
    const db = await seeded(new MemoryStorage(), 50);
    await db.exec('BEGIN IMMEDIATE');
    await db.exec("INSERT INTO t (v, b) VALUES ('uncommitted', x'00')");
    await expect(exportPlaintext(db)).rejects.toMatchObject({ code: 'BUSY' });
    await db.exec('ROLLBACK');
    const rows = await plainRows(await exportPlaintext(db));
    expect(rows).toHaveLength(50);
    expect(rows.some((r) => (r as { v: string }).v === 'uncommitted')).toBe(false);
    await db.close();
  });

  it('imports a standard SQLite file into a new encrypted database (round trip preserves every row)', async () => {
    const src = await seeded(new MemoryStorage(), 500, { pageSize: 8192 });
    const expected = await content(src);
    const plain = await exportPlaintext(src);
    await src.close();
    const storage = new MemoryStorage();
    const events: Progress[] = [];
    const { db, pageSize, tables } = await importPlaintext(storage, 'imp.db', plain, { password: 'pw' }, { kdf: FAST_KDF, onProgress: (p) => events.push({ ...p }) });
    expect(pageSize).toBe(8192);
    expect(tables).toEqual([{ name: 't', rows: 500 }]);
    expect(await content(db)).toBe(expected);
    expect(events.at(-1)!.done).toBe(events.at(-1)!.total);
    await db.close();
    expect(Buffer.from(fileBytes(storage, 'imp.db')).includes('row-1-')).toBe(false);
    const again = await Database.open({ storage, name: 'imp.db', password: 'pw', create: false });
    expect(await content(again)).toBe(expected);
    expect(await again.get('PRAGMA page_size')).toEqual({ page_size: 8192 });
    await again.close();
    // Refuses an existing target, a non-SQLite input and a recovery key as secret.
    await expect(importPlaintext(storage, 'imp.db', plain, { key: KEY })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(importPlaintext(storage, 'x.db', new Uint8Array(8192).fill(3), { key: KEY })).rejects.toMatchObject({ code: 'NOT_A_DATABASE' });
    await expect(importPlaintext(storage, 'x.db', fileBytes(storage, 'imp.db'), { key: KEY })).rejects.toMatchObject({ code: 'NOT_A_DATABASE' });
    expect(storage.exists('x.db')).toBe(false);
  });

  it('a damaged plain file is refused and leaves nothing behind', async () => {
    const src = await seeded(new MemoryStorage(), 300);
    const plain = (await exportPlaintext(src)).slice();
    await src.close();
    plain.fill(0xff, 4096 + 8, 4096 * 3); // smash b-tree pages
    const storage = new MemoryStorage();
    await expect(importPlaintext(storage, 'bad.db', plain, { key: KEY })).rejects.toMatchObject({ code: expect.stringMatching(/CORRUPT|NOT_A_DATABASE/) });
    expect(storage.list()).toEqual([]);
  });
});

describe('importPlaintext: side files and leftovers', () => {
  it('a stray ~replace, ~new, -wal or -journal next to the target refuses before anything is created, touching nothing', async () => {
    const src = await seeded(new MemoryStorage(), 50);
    const plain = await exportPlaintext(src);
    await src.close();
    for (const stray of ['imp.db~replace', 'imp.db~new', 'imp.db-wal', 'imp.db-journal']) {
      const storage = new MemoryStorage();
      const f = storage.open(stray, { create: true });
      f.write(new TextEncoder().encode('left over'), { at: 0 });
      f.close();
      const before = storage.snapshot();
      const e = await expectCode(importPlaintext(storage, 'imp.db', plain, { key: KEY }), 'INVALID_ARGUMENT');
      expect(e.message).toContain(stray);
      expectSameFiles(storage.snapshot(), before, stray);
    }
  });

  it('two imports of one name at once: one creates it, the other is BUSY and deletes nothing of it', async () => {
    const src = await seeded(new MemoryStorage(), 20);
    const plain = await exportPlaintext(src);
    await src.close();
    const storage = new MemoryStorage();
    const [a, b] = await Promise.allSettled([importPlaintext(storage, 'two.db', plain, { key: KEY }), importPlaintext(storage, 'two.db', plain, { key: KEY })]);
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'rejected' && (b.reason as { code?: string }).code).toBe('BUSY');
    if (a.status === 'fulfilled') await a.value.db.close();
    // The loser's clean-up used to delete the winner's database: "does not exist" after its close.
    const db = await Database.open({ storage, name: 'two.db', key: KEY, create: false });
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 20 });
    await db.close();
  });

  it("with the source's -wal: exactly the last committed state; the caller's bytes untouched", async () => {
    const { main, wal } = await walSource();
    expect(wal.length).toBeGreaterThan(0);
    const copies = [main.slice(), wal.slice()];
    const withoutWal = await importPlaintext(new MemoryStorage(), 'a.db', main, { key: KEY });
    expect(await withoutWal.db.query('SELECT v FROM t')).toEqual([{ v: 'in main' }]);
    await withoutWal.db.close();
    const { db, tables } = await importPlaintext(new MemoryStorage(), 'b.db', main, { key: KEY }, { wal });
    expect(tables).toEqual([{ name: 't', rows: 2 }]);
    expect(await db.query('SELECT v FROM t ORDER BY rowid')).toEqual([{ v: 'in main' }, { v: 'only in the wal' }]);
    await db.close();
    expect([main, wal]).toEqual(copies);
  });
});

describe('verify / stats', () => {
  it('verify: ok on a healthy database; names the page of a tampered block', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-verify-'));
    try {
      const storage = new NodeFsStorage(dir);
      const db = await seeded(storage, 400);
      const events: Progress[] = [];
      const good = await verify(db, { onProgress: (p) => events.push({ ...p }) });
      expect(good).toMatchObject({ ok: true, failures: [], integrity: ['ok'] });
      expect(good.blocksChecked).toBeGreaterThan(10);
      expect(events.some((e) => e.phase === 'main' && e.done === e.total && e.total === good.blocksChecked)).toBe(true);
      // Still writable afterwards (verify did not steal SQLite's journal handle).
      await db.exec('INSERT INTO t(v) VALUES (?)', ['after verify']);
      await db.close();
      // Flip one ciphertext byte of page 5 on disk.
      const { openSync, readSync, writeSync, closeSync } = await import('node:fs');
      const at = format.MAIN_HEADER_SIZE + 4 * format.slotSize(4096) + 50;
      const fd = openSync(join(dir, 'a.db'), 'r+');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, at);
      b[0]! ^= 0x80;
      writeSync(fd, b, 0, 1, at);
      closeSync(fd);
      const db2 = await Database.open({ storage: new NodeFsStorage(dir), name: 'a.db', key: KEY, create: false });
      const bad = await verify(db2);
      expect(bad.ok).toBe(false);
      expect(bad.failures).toEqual([{ file: 'main', block: 4, page: 5 }]);
      expect(bad.integrity.join(' ')).toMatch(/page 5|authentication|disk I\/O|malformed/i);
      await db2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stats: sizes, format, keyslots without secrets, epochs, per-table rows and bytes', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 1000);
    await db.exec('CREATE TABLE empty(a)');
    const s = await stats(db);
    expect(s).toMatchObject({
      pageSize: 4096,
      blockSize: 4096,
      formatVersion: 1,
      cipher: 'AES-256-GCM',
      keyslotCount: 1,
      keyslots: [{ index: 0, kind: 'raw' }],
      fileId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(s.totalBytes).toBe(s.files.reduce((n, f) => n + f.bytes, 0));
    expect(s.files[0]).toEqual({ name: 'a.db', bytes: fileBytes(storage, 'a.db').length });
    expect(s.pageCount * 4096).toBeLessThanOrEqual(s.totalBytes);
    expect(s.epoch.current).toBeGreaterThanOrEqual(1);
    const t = s.tables.find((x) => x.name === 't')!;
    expect(t.rows).toBe(1000);
    expect(t.bytes).toBeGreaterThan(100 * 1000);
    expect(t.indexBytes).toBeGreaterThan(90 * 1000);
    expect(s.tables.find((x) => x.name === 'empty')).toEqual({ name: 'empty', rows: 0, bytes: 4096, indexBytes: 0 });
    expect(JSON.stringify(s)).not.toMatch(/wrapped|commitment|salt/i);
    await db.close();
    void KEY2;
  });
});

/** A plain WAL-mode database whose last commit is only in its WAL: the sqlite3 shell, killed. */
async function walSource(): Promise<{ main: Uint8Array; wal: Uint8Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'cl-walsrc-'));
  const file = join(dir, 'src.db');
  try {
    await killedShell(file, "CREATE TABLE t(v); INSERT INTO t VALUES ('in main'); PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; INSERT INTO t VALUES ('only in the wal');");
    return { main: new Uint8Array(readFileSync(file)), wal: new Uint8Array(readFileSync(`${file}-wal`)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `sql` in the sqlite3 shell on `file`, then SIGKILLs it once it has answered (a crash). */
function killedShell(file: string, sql: string): Promise<void> {
  const child = spawn('/usr/bin/sqlite3', [file], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('READY')) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error('sqlite3 exited on its own'))));
    child.stdin.write(`${sql}\nSELECT 'READY';\n`);
  });
}
