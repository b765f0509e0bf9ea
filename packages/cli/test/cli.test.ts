/**
 * The `cipherlite` CLI against real files in a temp directory: most cases drive `run()` in-process
 * (same code as the binary, injectable environment and prompt); a few spawn the built binary to
 * prove the packaging, the shebang and the process exit codes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sqlite3InitModule, { type Database as SqliteDb, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '@cipherlite/core';
import { NodeFsStorage } from '@cipherlite/core/node';
import { EXIT, run, type CliIo } from '../src/cli.js';

/** `sqlite3InitModule` with the Emscripten overrides it accepts (its declaration has no parameter). */
const initSqlite: (overrides: { print(): void; printErr(): void }) => Promise<Sqlite3Static> = sqlite3InitModule;

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The binary, built by the package's own build script into a folder of this run (under the
 * package, so Node finds its dependencies): not dist/, which `pnpm pack` (the consumer checks,
 * which may run meanwhile) rebuilds and archives.
 */
let binDir: string;
let BIN: string;
const KDF = ['--kdf-memory', '19456', '--kdf-iterations', '2'];
const SQLITE_SHELL = '/usr/bin/sqlite3';

let dir: string;
let sqlite3: Sqlite3Static;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cipherlite-cli-'));
  sqlite3 = await initSqlite({ print() {}, printErr() {} });
  mkdirSync(join(PKG, '.tmp'), { recursive: true });
  binDir = mkdtempSync(join(PKG, '.tmp', 'bin-'));
  BIN = join(binDir, 'cipherlite.mjs');
  execFileSync(process.execPath, [join(PKG, 'scripts', 'build.mjs'), BIN], { stdio: 'pipe' });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(binDir, { recursive: true, force: true });
});

const p = (name: string): string => join(dir, name);

interface Result {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process with the given environment and scripted prompt answers. */
async function cli(argv: string[], env: Record<string, string> = {}, answers: (string | null)[] | null = null): Promise<Result> {
  let out = '';
  let err = '';
  const queue = answers ? [...answers] : null;
  const io: CliIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
    cwd: dir,
    prompt: async () => (queue ? (queue.shift() ?? null) : null),
  };
  const code = await run(argv, io);
  return { code, out, err };
}

/** A standard SQLite file made by an independent plain sqlite-wasm connection. */
function makePlainDb(file: string, rows: number): unknown[] {
  const db = new sqlite3.oo1.DB(':memory:');
  db.exec('PRAGMA page_size = 4096; VACUUM');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n REAL, b BLOB, z)');
  db.exec('CREATE INDEX t_v ON t(v)');
  db.exec('CREATE TABLE notes(k TEXT PRIMARY KEY, body TEXT) WITHOUT ROWID');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) {
      db.exec({ sql: 'INSERT INTO t(id, v, n, b, z) VALUES (?, ?, ?, ?, NULL)', bind: [i, `värde ${i} ✓ ${'x'.repeat(i % 50)}`, i / 7, new Uint8Array([i & 255, 0, 255])] });
    }
    db.exec({ sql: 'INSERT INTO notes VALUES (?, ?)', bind: ['big', 'y'.repeat(20000)] });
  });
  const bytes = sqlite3.capi.sqlite3_js_db_export(db.pointer!);
  const all = dump(db);
  db.close();
  writeFileSync(file, bytes);
  return all;
}

function dump(db: SqliteDb): unknown[] {
  return [db.selectArrays('SELECT id, v, n, hex(b), z FROM t ORDER BY id'), db.selectArrays('SELECT k, body FROM notes')];
}

/** Opens a plain SQLite file with plain sqlite-wasm (deserialize), returns its rows. */
function readPlainDb(file: string): { rows: unknown[]; integrity: unknown } {
  const bytes = new Uint8Array(readFileSync(file));
  const db = new sqlite3.oo1.DB(':memory:');
  const ptr = sqlite3.wasm.allocFromTypedArray(bytes);
  expect(sqlite3.capi.sqlite3_deserialize(db.pointer!, 'main', ptr, bytes.length, bytes.length, sqlite3.capi.SQLITE_DESERIALIZE_FREEONCLOSE)).toBe(0);
  const result = { rows: dump(db), integrity: db.selectValue('PRAGMA integrity_check') };
  db.close();
  return result;
}

function writeKey(name: string, fill: number): string {
  writeFileSync(p(name), Buffer.alloc(32, fill).toString('hex') + '\n');
  return p(name);
}

describe('cipherlite CLI', () => {
  it('--help for the program and every command; usage errors exit 2', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(EXIT.OK);
    expect(main.out).toMatch(/Commands:/);
    for (const cmd of ['info', 'verify', 'decrypt', 'encrypt', 'passwd', 'rekey']) {
      const r = await cli([cmd, '--help']);
      expect(r.code, cmd).toBe(EXIT.OK);
      expect(r.out, cmd).toContain(`Usage: cipherlite ${cmd}`);
      expect(r.out, cmd).toMatch(/Exit codes/);
    }
    expect((await cli([])).code).toBe(EXIT.USAGE);
    expect((await cli(['frobnicate'])).code).toBe(EXIT.USAGE);
    expect((await cli(['verify'])).code).toBe(EXIT.USAGE);
    expect((await cli(['verify', 'a', 'b'])).code).toBe(EXIT.USAGE);
    expect((await cli(['info', 'x', '--bogus'])).code).toBe(EXIT.USAGE);
    // A password on argv is refused, not used.
    const argvPw = await cli(['verify', 'x.db', '--password', 'hunter2']);
    expect(argvPw.code).toBe(EXIT.USAGE);
    expect(argvPw.err).toMatch(/refusing --password/);
    expect(argvPw.err).not.toContain('hunter2');
  });

  it('encrypt → info → verify → decrypt round trip preserves every row; output opens in plain sqlite-wasm and the sqlite3 shell', async () => {
    const rows = makePlainDb(p('plain.db'), 1500);
    const enc = await cli(['encrypt', 'plain.db', 'enc.db', ...KDF], { CIPHERLITE_NEW_PASSWORD: 'correct horse' });
    expect(enc, enc.err).toMatchObject({ code: EXIT.OK });
    expect(enc.out).toMatch(/2 table\(s\), 1501 row\(s\)/);
    const raw = readFileSync(p('enc.db'));
    expect(raw.includes('SQLite format 3')).toBe(false);
    expect(raw.includes('värde')).toBe(false);

    const info = await cli(['info', 'enc.db']);
    expect(info.code).toBe(EXIT.OK);
    expect(info.out).toMatch(/cipherlite v1, AES-256-GCM/);
    expect(info.out).toMatch(/\[0\] password .* argon2id m=19456 KiB t=2 p=1/);
    expect(info.out).not.toContain('correct horse');
    const infoJson = JSON.parse((await cli(['info', 'enc.db', '--json'])).out) as unknown;
    expect(infoJson).toMatchObject({ kind: 'cipherlite', blockSize: 4096, keyslots: [{ kind: 'password' }] });

    const ver = await cli(['verify', 'enc.db'], { CIPHERLITE_PASSWORD: 'correct horse' });
    expect(ver.code, ver.err).toBe(EXIT.OK);
    expect(ver.out).toMatch(/^ok: \d+ block\(s\) checked, 0 failed; integrity_check: ok/);

    const dec = await cli(['decrypt', 'enc.db', 'out.db'], { CIPHERLITE_PASSWORD: 'correct horse' });
    expect(dec.code, dec.err).toBe(EXIT.OK);
    expect(dec.err).toMatch(/NOT encrypted/);
    expect(statSync(p('out.db')).mode & 0o777).toBe(0o600);
    expect(readPlainDb(p('out.db'))).toEqual({ rows, integrity: 'ok' });
    // Refuses to overwrite without --force.
    expect((await cli(['decrypt', 'enc.db', 'out.db'], { CIPHERLITE_PASSWORD: 'correct horse' })).code).toBe(EXIT.OTHER);
    expect((await cli(['decrypt', 'enc.db', 'out.db', '--force'], { CIPHERLITE_PASSWORD: 'correct horse' })).code).toBe(EXIT.OK);
    if (existsSync(SQLITE_SHELL)) {
      const shell = execFileSync(SQLITE_SHELL, [p('out.db'), 'PRAGMA integrity_check; SELECT count(*), sum(id) FROM t; SELECT length(body) FROM notes;'], { encoding: 'utf8' });
      expect(shell.trim().split('\n')).toEqual(['ok', `1500|${(1500 * 1501) / 2}`, '20000']);
    }
    // encrypt refuses an existing target and a non-SQLite input.
    expect((await cli(['encrypt', 'plain.db', 'enc.db'], { CIPHERLITE_NEW_PASSWORD: 'x' })).code).toBe(EXIT.OTHER);
    writeFileSync(p('junk.bin'), Buffer.alloc(8192, 7));
    expect((await cli(['encrypt', 'junk.bin', 'junk.db', ...KDF], { CIPHERLITE_NEW_PASSWORD: 'x' })).code).toBe(EXIT.NOT_A_DATABASE);
    expect(existsSync(p('junk.db'))).toBe(false);
  });

  it('a wrong password or key fails every command with exit 3 and changes no byte', async () => {
    makePlainDb(p('w-plain.db'), 50);
    const key = writeKey('w.key', 1);
    const wrongKey = writeKey('wrong.key', 2);
    writeFileSync(p('wrong.pw'), 'nope\n');
    expect((await cli(['encrypt', 'w-plain.db', 'w.db', '--new-key-file', key])).code).toBe(EXIT.OK);
    const before = readFileSync(p('w.db'));
    const attempts: string[][] = [
      ['verify', 'w.db', '--key-file', wrongKey],
      ['verify', 'w.db', '--password-file', 'wrong.pw'],
      ['decrypt', 'w.db', 'w-out.db', '--key-file', wrongKey],
      ['passwd', 'w.db', '--key-file', wrongKey, '--new-key-file', key],
      ['rekey', 'w.db', '--key-file', wrongKey],
    ];
    for (const argv of attempts) {
      const r = await cli(argv, { CIPHERLITE_NEW_PASSWORD: 'new' });
      expect(r.code, argv.join(' ')).toBe(EXIT.WRONG_KEY);
      expect(r.err, argv.join(' ')).toMatch(/wrong password or key/);
    }
    const envWrong = await cli(['verify', 'w.db'], { CIPHERLITE_PASSWORD: 'wrong' });
    expect(envWrong.code).toBe(EXIT.WRONG_KEY);
    expect(Buffer.compare(readFileSync(p('w.db')), before)).toBe(0);
    expect(existsSync(p('w-out.db'))).toBe(false);
  });

  it('info and verify agree on what is not a database; healthy files (PERSIST journal, reopened empty database) verify 0', async () => {
    const KEY_HEX = 'ab'.repeat(32);
    writeFileSync(p('k.hex'), KEY_HEX);
    const key = Uint8Array.from(KEY_HEX.match(/../g)!, (h) => parseInt(h, 16));
    const storage = new NodeFsStorage(dir);
    // A database opened and closed without a write, then written (block size 16384), and one in
    // PERSIST mode, whose journal keeps content after every commit.
    await (await Database.open({ storage, name: 'empty-first.db', key, pageSize: 16384 })).close();
    const later = await Database.open({ storage, name: 'empty-first.db', key, create: false });
    await later.exec("CREATE TABLE t(x); INSERT INTO t VALUES ('x')");
    await later.close();
    const persist = await Database.open({ storage, name: 'persist.db', key, journalMode: 'PERSIST' });
    await persist.exec("CREATE TABLE t(x); INSERT INTO t VALUES ('a'); INSERT INTO t VALUES ('b')");
    await persist.close();
    expect(statSync(p('persist.db-journal')).size).toBeGreaterThan(4096);
    for (const f of ['empty-first.db', 'persist.db']) {
      const r = await cli(['verify', f, '--key-file', 'k.hex']);
      expect(r.code, `${f}: ${r.out}${r.err}`).toBe(EXIT.OK);
    }
    // Shorter than the 8192-byte header, but copy A intact: both commands say "not a database".
    writeFileSync(p('short.db'), readFileSync(p('persist.db')).subarray(0, 6000));
    const info = await cli(['info', 'short.db']);
    const ver = await cli(['verify', 'short.db', '--key-file', 'k.hex']);
    expect(info.code, info.out).toBe(EXIT.NOT_A_DATABASE);
    expect(ver.code, ver.err).toBe(EXIT.NOT_A_DATABASE);
    storage.closeAll();
  });

  it('exit 4 for a tampered file, 5 for a plain SQLite / random / missing file', async () => {
    makePlainDb(p('t-plain.db'), 400);
    const key = writeKey('t.key', 3);
    expect((await cli(['encrypt', 't-plain.db', 't.db', '--new-key-file', key])).code).toBe(EXIT.OK);
    const bytes = readFileSync(p('t.db'));
    bytes[8192 + 3 * (4096 + 36) + 500]! ^= 0x20; // page 4's ciphertext
    writeFileSync(p('t.db'), bytes);
    const bad = await cli(['verify', 't.db', '--key-file', key]);
    expect(bad.code).toBe(EXIT.CORRUPT);
    expect(bad.out).toMatch(/main block 3 \(page 4\) failed authentication/);
    expect((await cli(['decrypt', 't.db', 't-out.db', '--key-file', key])).code).toBe(EXIT.CORRUPT);

    // A plain SQLite file: the hint is the CLI command, not core's API name.
    const plainVerify = await cli(['verify', 't-plain.db', '--key-file', key]);
    expect(plainVerify.err).toMatch(/plain \(unencrypted\) SQLite.*encrypt it with `cipherlite encrypt <in> <out>`/);
    expect(plainVerify.err).not.toMatch(/importPlaintext/);
    for (const f of ['t-plain.db', 'missing.db']) {
      expect((await cli(['verify', f, '--key-file', key])).code, f).toBe(EXIT.NOT_A_DATABASE);
      expect((await cli(['decrypt', f, 'x.out', '--key-file', key])).code, f).toBe(EXIT.NOT_A_DATABASE);
    }
    writeFileSync(p('random.bin'), Buffer.alloc(20000, 0x5a));
    expect((await cli(['info', 'random.bin'])).code).toBe(EXIT.NOT_A_DATABASE);
    const plainInfo = await cli(['info', 't-plain.db']);
    expect(plainInfo.code).toBe(EXIT.NOT_A_DATABASE);
    expect(plainInfo.out).toMatch(/plain \(unencrypted\) SQLite/);
    expect((await cli(['verify', 'random.bin', '--key-file', key])).code).toBe(EXIT.NOT_A_DATABASE);
  });

  it('passwd: the new password opens, the old one does not; secrets from prompt, file and environment', async () => {
    makePlainDb(p('pw-plain.db'), 20);
    // Encrypt with the password typed twice at a (scripted) prompt.
    const enc = await cli(['encrypt', 'pw-plain.db', 'pw.db', ...KDF], {}, ['first pw', 'first pw']);
    expect(enc.code, enc.err).toBe(EXIT.OK);
    const mismatch = await cli(['encrypt', 'pw-plain.db', 'pw2.db', ...KDF], {}, ['a', 'b']);
    expect(mismatch.code).toBe(EXIT.USAGE);
    // No terminal and no other source: a clear usage error, not a hang.
    const noTty = await cli(['verify', 'pw.db']);
    expect(noTty.code).toBe(EXIT.USAGE);
    expect(noTty.err).toMatch(/stdin is not a terminal/);

    writeFileSync(p('new.pw'), 'second pw\n');
    const r = await cli(['passwd', 'pw.db', '--new-password-file', 'new.pw', ...KDF], {}, ['first pw']);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect((await cli(['verify', 'pw.db'], { CIPHERLITE_PASSWORD: 'first pw' })).code).toBe(EXIT.WRONG_KEY);
    expect((await cli(['verify', 'pw.db', '--password-file', 'new.pw'])).code).toBe(EXIT.OK);
    // To a raw key, via the environment for the current password.
    const key = writeKey('pw.key', 4);
    expect((await cli(['passwd', 'pw.db', '--new-key-file', key], { CIPHERLITE_PASSWORD: 'second pw' })).code).toBe(EXIT.OK);
    expect((await cli(['verify', 'pw.db', '--key-file', key])).code).toBe(EXIT.OK);
    expect((await cli(['info', 'pw.db'])).out).toMatch(/\[0\] raw/);
  });

  it('rekey: data intact, still opens with the same secret (or the new one), file id changes', async () => {
    const rows = makePlainDb(p('rk-plain.db'), 800);
    const key = writeKey('rk.key', 5);
    expect((await cli(['encrypt', 'rk-plain.db', 'rk.db', '--new-key-file', key])).code).toBe(EXIT.OK);
    const idBefore = (JSON.parse((await cli(['info', 'rk.db', '--json'])).out) as { fileId: string }).fileId;
    const r = await cli(['rekey', 'rk.db', '--key-file', key]);
    expect(r.code, r.err).toBe(EXIT.OK);
    const idAfter = (JSON.parse((await cli(['info', 'rk.db', '--json'])).out) as { fileId: string }).fileId;
    expect(idAfter).not.toBe(idBefore);
    expect((await cli(['decrypt', 'rk.db', 'rk-out.db', '--key-file', key])).code).toBe(EXIT.OK);
    expect(readPlainDb(p('rk-out.db'))).toEqual({ rows, integrity: 'ok' });
    // Rekey and change the password at once.
    const r2 = await cli(['rekey', 'rk.db', '--key-file', key, ...KDF], { CIPHERLITE_NEW_PASSWORD: 'after rekey' });
    expect(r2.code, r2.err).toBe(EXIT.OK);
    expect((await cli(['verify', 'rk.db', '--key-file', key])).code).toBe(EXIT.WRONG_KEY);
    expect((await cli(['verify', 'rk.db'], { CIPHERLITE_PASSWORD: 'after rekey' })).code).toBe(EXIT.OK);
    expect(readdirNames().filter((n) => n.startsWith('rk.db~'))).toEqual([]);
  });

  it('the built binary runs under plain Node 20 with the documented exit codes', () => {
    makePlainDb(p('bin-plain.db'), 30);
    const env = { ...process.env, CIPHERLITE_NEW_PASSWORD: 'bin pw', CIPHERLITE_PASSWORD: 'bin pw' };
    const go = (args: string[], extra: Record<string, string> = {}) => spawnSync(BIN, args, { cwd: dir, env: { ...env, ...extra }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(go(['--help']).status).toBe(0);
    expect(go([]).status).toBe(2);
    const enc = go(['encrypt', 'bin-plain.db', 'bin.db', ...KDF]);
    expect(enc.status, enc.stderr).toBe(0);
    expect(go(['verify', 'bin.db']).status).toBe(0);
    expect(go(['verify', 'bin.db'], { CIPHERLITE_PASSWORD: 'wrong' }).status).toBe(3);
    expect(go(['verify', 'bin-plain.db']).status).toBe(5);
    const noSecret = go(['verify', 'bin.db'], { CIPHERLITE_PASSWORD: '' });
    expect(noSecret.status).toBe(2);
    expect(go(['decrypt', 'bin.db', 'bin-out.db']).status).toBe(0);
    expect(readPlainDb(p('bin-out.db')).integrity).toBe('ok');
  });

  it('a password from the environment or the prompt that is not valid UTF-8 is refused (exit 2): "\\xff" and "\\xfe" are not one password', async () => {
    makePlainDb(p('utf8-plain.db'), 3);
    // Node decodes the environment and the terminal as UTF-8, every invalid byte to U+FFFD.
    const withEnv = (name: string, bytes: string, args: string[]) =>
      spawnSync('/bin/sh', ['-c', `export ${name}="$(printf '${bytes}')"; exec "$0" "$@"`, BIN, ...args], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, encoding: 'utf8' });
    const enc = withEnv('CIPHERLITE_NEW_PASSWORD', '\\377', ['encrypt', 'utf8-plain.db', 'utf8.db', ...KDF]);
    expect(enc.status, enc.stderr).toBe(EXIT.USAGE);
    expect(enc.stderr).toMatch(/CIPHERLITE_NEW_PASSWORD is not valid UTF-8/);
    expect(existsSync(p('utf8.db'))).toBe(false);
    expect((await cli(['encrypt', 'utf8-plain.db', 'utf8.db', ...KDF], { CIPHERLITE_NEW_PASSWORD: 'valid' })).code).toBe(EXIT.OK);
    const bad = withEnv('CIPHERLITE_PASSWORD', '\\376', ['verify', 'utf8.db']);
    expect(bad.status, bad.stderr).toBe(EXIT.USAGE);
    const typed = await cli(['verify', 'utf8.db'], {}, ['caf\uFFFD']);
    expect(typed.code, typed.err).toBe(EXIT.USAGE);
  });
});

function readdirNames(): string[] {
  return readdirSync(dir);
}
