/**
 * One opener per database on Node (storage/node-lock.ts): a second opener — another process or
 * another NodeFsStorage in this process — gets BUSY with a clear message; a crashed holder
 * (SIGKILL) does not leave the database stuck. Real processes, real files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Database, NodeFsStorage } from '../src/node.js';
import { expectCode } from './helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
const key = new Uint8Array(32).fill(7);
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cl-lock-'));
  dirs.push(d);
  return d;
}

/** Starts a child that opens the database and holds it; resolves once it reports "open". */
function holder(dir: string, name: string, as: { uid?: number; gid?: number } = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'fixtures', 'hold-database.ts'), dir, name], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], ...as });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('open\n')) resolve(child);
      else if (out.includes('\n')) reject(new Error(`child: ${out}`));
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code}: ${out}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('exit', () => resolve())));
}

describe('NodeFsStorage: one opener per database', () => {
  it('a second process gets BUSY while the first holds the database; after a clean close it opens', async () => {
    const dir = tempDir();
    const child = await holder(dir, 'app.db');
    const e = await expectCode(Database.open({ storage: new NodeFsStorage(dir), name: 'app.db', key }), 'BUSY');
    expect(e.message).toMatch(/app\.db.*locked.*process \d+/);
    child.stdin!.end();
    await exited(child);
    const db = await Database.open({ storage: new NodeFsStorage(dir), name: 'app.db', key, create: false });
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
    await db.close();
  });

  it('a holder killed with SIGKILL does not leave the database stuck, and its committed row is there', async () => {
    const dir = tempDir();
    const child = await holder(dir, 'app.db');
    child.kill('SIGKILL');
    await exited(child);
    const db = await Database.open({ storage: new NodeFsStorage(dir), name: 'app.db', key, create: false });
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
    await db.close();
    // The lock file is gone after a clean close, and never listed as a database file.
    expect(readdirSync(dir).filter((n) => n.includes('lock'))).toEqual([]);
  });

  it('two NodeFsStorage instances in one process: the second gets BUSY, no row is lost', async () => {
    const dir = tempDir();
    const a = await Database.open({ storage: new NodeFsStorage(dir), name: 'x.db', key });
    expect(new NodeFsStorage(dir).list()).toEqual(['x.db']);
    await a.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
    await expectCode(Database.open({ storage: new NodeFsStorage(dir), name: 'x.db', key }), 'BUSY');
    await a.exec('INSERT INTO t VALUES (2)');
    await a.close();
    const b = await Database.open({ storage: new NodeFsStorage(dir), name: 'x.db', key, create: false });
    expect(await b.get('SELECT count(*) AS n FROM t')).toEqual({ n: 2 });
    await b.close();
  });

  it("a lock file this user cannot read (another user's live holder, mode 0600) is BUSY and kept, however old", async () => {
    const dir = tempDir();
    const seed = await Database.open({ storage: new NodeFsStorage(dir), name: 'u.db', key });
    await seed.exec('CREATE TABLE t(who TEXT)');
    await seed.close();
    const lock = join(dir, 'u.db.cipherlite-lock');
    // A live holder on this host (this process, which holds it in another user's name below).
    const content = JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() });
    writeFileSync(lock, content, { mode: 0o600 });
    utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    if (process.getuid?.() === 0) {
      // Root reads every file: the other user is a child process run as nobody.
      chmodSync(dir, 0o777);
      for (const f of readdirSync(dir)) if (f !== 'u.db.cipherlite-lock') chmodSync(join(dir, f), 0o666);
      await expect(holder(dir, 'u.db', { uid: 65534, gid: 65534 })).rejects.toThrow(/error BUSY .*cannot read/);
    } else {
      chmodSync(lock, 0o000);
      const e = await expectCode(Database.open({ storage: new NodeFsStorage(dir), name: 'u.db', key, create: false }), 'BUSY');
      expect(e.message).toMatch(/cannot read/);
      chmodSync(lock, 0o600);
    }
    expect(readFileSync(lock, 'utf8')).toBe(content);
    expect(readdirSync(dir).filter((n) => n.includes('stale'))).toEqual([]);
  });

  it('a database reached through a symbolic link is refused (IO) before anything is read or created: its lock and journal would live next to the link', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'links'));
    const a = await Database.open({ storage: new NodeFsStorage(join(dir, 'real')), name: 'x.db', key });
    await a.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
    symlinkSync(join(dir, 'real', 'x.db'), join(dir, 'links', 'x.db'));
    // While the file is open by its own path, the link must not make a second writer.
    const e = await expectCode(Database.open({ storage: new NodeFsStorage(join(dir, 'links')), name: 'x.db', key, create: false }), 'IO');
    expect(e.message).toMatch(/symbolic link/);
    await a.close();
    // Closed too: refused, and nothing (no lock, no journal) created next to the link.
    await expectCode(Database.open({ storage: new NodeFsStorage(join(dir, 'links')), name: 'x.db', key }), 'IO');
    expect(readdirSync(join(dir, 'links'))).toEqual(['x.db']);
  });
});
