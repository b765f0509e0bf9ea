/**
 * The CLI and side files: plaintext inputs whose last state is partly in a `-wal` or behind a hot
 * `-journal` (made by really killing the `sqlite3` shell mid-session), and cipherlite databases in
 * WAL mode (the worker's default) — cleanly closed, and with committed frames still in the WAL.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '@cipherlite/core';
import { NodeFsStorage } from '@cipherlite/core/node';
import { EXIT, run, type CliIo } from '../src/cli.js';

const SQLITE_SHELL = '/usr/bin/sqlite3';
const KDF = ['--kdf-memory', '19456', '--kdf-iterations', '2'];
const ENV = { CIPHERLITE_NEW_PASSWORD: 'side files', CIPHERLITE_PASSWORD: 'side files' };
const key = new Uint8Array(32).fill(5);

let dir: string;
beforeAll(() => {
  if (!existsSync(SQLITE_SHELL)) throw new Error(`${SQLITE_SHELL} is needed to make real WAL and hot-journal fixtures`);
  dir = mkdtempSync(join(tmpdir(), 'cipherlite-side-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string): string => join(dir, name);

async function cli(argv: string[], env: Record<string, string> = ENV): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env, cwd: dir, prompt: async () => null };
  const code = await run(argv, io);
  return { code, out, err };
}

/** Runs `sql` in the sqlite3 shell on `file`, waits until it printed `READY`, then SIGKILLs it. */
function shellKilledAfter(file: string, sql: string): Promise<void> {
  const child = spawn(SQLITE_SHELL, [file], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('READY')) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`sqlite3 exited without being killed: ${out}`))));
    child.stdin.write(`${sql}\nSELECT 'READY';\n`);
  });
}

const snapshot = (files: string[]): Map<string, Buffer | null> => new Map(files.map((f) => [f, existsSync(f) ? readFileSync(f) : null]));

/** Every row of the encrypted output, read back through core. */
async function rowsOf(name: string, password = ENV.CIPHERLITE_PASSWORD): Promise<{ n: number; changed: number; sum: number }> {
  const db = await Database.open({ storage: new NodeFsStorage(dir), name, password, create: false });
  try {
    return (await db.get<{ n: number; changed: number; sum: number }>("SELECT count(*) AS n, count(*) FILTER (WHERE v = 'changed') AS changed, sum(id) AS sum FROM t"))!;
  } finally {
    await db.close();
  }
}

describe('cipherlite encrypt: plaintext inputs with side files → exactly the last committed state, inputs untouched', () => {
  it('a WAL-mode database whose committed rows are still in its -wal', async () => {
    const input = p('wal-plain.db');
    await shellKilledAfter(
      input,
      `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
       PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO t SELECT i, 'row ' || i FROM n;`,
    );
    expect(readFileSync(`${input}-wal`).length).toBeGreaterThan(0);
    const before = snapshot([input, `${input}-wal`, `${input}-shm`, `${input}-journal`]);
    const r = await cli(['encrypt', 'wal-plain.db', 'wal-enc.db', ...KDF]);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).toMatch(/encrypted 1 table\(s\), 500 row\(s\)/);
    expect(await rowsOf('wal-enc.db')).toEqual({ n: 500, changed: 0, sum: 125250 });
    expect(snapshot([...before.keys()])).toEqual(before);
  });

  it('a database with a hot rollback journal (killed mid-UPDATE, pages already spilled): the state before the UPDATE', async () => {
    const input = p('hot-plain.db');
    await shellKilledAfter(
      input,
      `PRAGMA journal_mode = DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT i, printf('row %d %.200c', i, 'x') FROM n;
       PRAGMA synchronous = OFF; PRAGMA cache_size = 10; BEGIN; UPDATE t SET v = 'changed';`,
    );
    expect(readFileSync(`${input}-journal`).length).toBeGreaterThan(0);
    const before = snapshot([input, `${input}-journal`, `${input}-wal`]);
    const r = await cli(['encrypt', 'hot-plain.db', 'hot-enc.db', ...KDF]);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).toMatch(/encrypted 1 table\(s\), 2000 row\(s\)/);
    expect(await rowsOf('hot-enc.db')).toEqual({ n: 2000, changed: 0, sum: 2001000 });
    expect(snapshot([...before.keys()])).toEqual(before);
  });
});

describe('inputs given by a symbolic link: the side files are those of the file it names (as SQLite finds them)', () => {
  it('encrypt: a WAL-mode plaintext database linked from another directory keeps the commits of its -wal', async () => {
    mkdirSync(p('linked-plain'));
    const input = p('linked-plain/w.db');
    await shellKilledAfter(
      input,
      `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
       PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO t SELECT i, 'row ' || i FROM n;`,
    );
    symlinkSync(input, p('link-plain.db'));
    const before = snapshot([input, `${input}-wal`, `${input}-shm`, p('link-plain.db')]);
    const r = await cli(['encrypt', 'link-plain.db', 'link-enc.db', ...KDF]);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).toMatch(/encrypted 1 table\(s\), 500 row\(s\)/);
    expect(await rowsOf('link-enc.db')).toEqual({ n: 500, changed: 0, sum: 125250 });
    expect(snapshot([...before.keys()])).toEqual(before);
  });

  it('decrypt --force to a link to the input, or to one of its side files: exit 2, the input untouched', async () => {
    await (await Database.open({ storage: new NodeFsStorage(dir), name: 'self.db', key })).close();
    writeKey('k.bin');
    const before = snapshot([p('self.db')]);
    symlinkSync(p('self.db'), p('self-link.plain'));
    for (const out of ['self-link.plain', 'self.db-wal', 'self.db~new']) {
      const d = await cli(['decrypt', 'self.db', out, '--key-file', 'k.bin', '--force']);
      expect(d.code, `${out}: ${d.err}`).toBe(EXIT.USAGE);
      expect(snapshot([p('self.db')])).toEqual(before);
      if (out !== 'self-link.plain') expect(existsSync(p(out)), out).toBe(false);
    }
  });

  it('verify and decrypt: a cipherlite database linked from another directory is opened with its own WAL', async () => {
    mkdirSync(p('linked-enc'));
    const db = await Database.open({ storage: new NodeFsStorage(p('linked-enc')), name: 'x.db', key, journalMode: 'WAL' });
    await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('in the wal')");
    for (const f of ['x.db', 'x.db-wal']) copyFileSync(p(`linked-enc/${f}`), p(`linked-enc/${f.replace('x.db', 'y.db')}`));
    await db.close();
    expect(readFileSync(p('linked-enc/y.db-wal')).length).toBeGreaterThan(0);
    symlinkSync(p('linked-enc/y.db'), p('link-enc-y.db'));
    writeKey('k.bin');
    const v = await cli(['verify', 'link-enc-y.db', '--key-file', 'k.bin']);
    expect(v.code, v.err + v.out).toBe(EXIT.OK);
    const d = await cli(['decrypt', 'link-enc-y.db', 'link-enc-y.plain', '--key-file', 'k.bin']);
    expect(d.code, d.err).toBe(EXIT.OK);
    const back = await Database.open({ storage: new NodeFsStorage(p('linked-enc')), name: 'y.db', key, create: false });
    expect(await back.get('SELECT v FROM t')).toEqual({ v: 'in the wal' });
    await back.close();
  });
});

describe('the CLI on WAL-mode cipherlite databases (the worker default)', () => {
  async function walDatabase(name: string, rows: number): Promise<Database> {
    const db = await Database.open({ storage: new NodeFsStorage(dir), name, key, journalMode: 'WAL' });
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
    await db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) INSERT INTO t SELECT i, 'row ' || i FROM n`);
    return db;
  }

  it('cleanly closed: info, verify, decrypt and rekey work', async () => {
    expect((await cli(['--help'])).out).toMatch(/WAL-mode databases .* open too/);
    await (await walDatabase('wal-clean.db', 300)).close();
    writeKey('k.bin');
    const i = await cli(['info', 'wal-clean.db']);
    expect(i.code, i.err).toBe(EXIT.OK);
    const v = await cli(['verify', 'wal-clean.db', '--key-file', 'k.bin']);
    expect(v.code, v.err + v.out).toBe(EXIT.OK);
    const d = await cli(['decrypt', 'wal-clean.db', 'wal-clean.plain', '--key-file', 'k.bin']);
    expect(d.code, d.err).toBe(EXIT.OK);
    expect(readFileSync(p('wal-clean.plain')).subarray(0, 16).toString()).toBe('SQLite format 3\0');
    const r = await cli(['rekey', 'wal-clean.db', '--key-file', 'k.bin'], {});
    expect(r.code, r.err).toBe(EXIT.OK);
    const db = await Database.open({ storage: new NodeFsStorage(dir), name: 'wal-clean.db', key, create: false, journalMode: 'WAL' });
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 300 });
    await db.close();
  });

  it('with committed frames still in its WAL (files copied while the writer had it open): decrypt has every commit', async () => {
    const db = await walDatabase('wal-live.db', 50);
    await db.exec("INSERT INTO t(v) VALUES ('last commit')");
    for (const f of ['wal-live.db', 'wal-live.db-wal']) copyFileSync(p(f), p(f.replace('wal-live', 'wal-copy')));
    await db.close();
    expect(readFileSync(p('wal-copy.db-wal')).length).toBeGreaterThan(0);
    writeKey('k.bin');
    const d = await cli(['decrypt', 'wal-copy.db', 'wal-copy.plain', '--key-file', 'k.bin']);
    expect(d.code, d.err).toBe(EXIT.OK);
    const back = await Database.open({ storage: new NodeFsStorage(dir), name: 'wal-copy.db', key, create: false });
    expect(await back.get('SELECT count(*) AS n, max(v) AS v FROM t')).toEqual({ n: 51, v: 'row 9' });
    expect(await back.get("SELECT count(*) AS n FROM t WHERE v = 'last commit'")).toEqual({ n: 1 });
    await back.close();
  });
});

function writeKey(name: string): void {
  writeFileSync(p(name), key);
}
