/**
 * The CLI as a user runs it from npm: `npx --package=<tarball> cipherlite …` on a database made
 * by the `sqlite3` shell: encrypt, verify, decrypt, and the result opens in `sqlite3` again.
 */
import { expect, test } from '@playwright/test';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS_DIR, run, tarball } from './harness.ts';

test('cli: npx --package=<tgz> cipherlite encrypt → verify → decrypt round-trips a sqlite3-shell database', () => {
  test.setTimeout(240_000);
  const dir = join(APPS_DIR, 'cli');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  run('sqlite3', ['plain.db', "CREATE TABLE fruit(name TEXT, qty INTEGER); INSERT INTO fruit VALUES ('apple', 3), ('pear', 5);"], { cwd: dir });
  writeFileSync(join(dir, 'password.txt'), 'a cli password\n');
  const cipherlite = (...args: string[]) => run('npx', ['--yes', `--package=${tarball('cli')}`, 'cipherlite', ...args], { cwd: dir, allowFailure: true, env: { npm_config_loglevel: 'error' } });

  const plain = cipherlite('verify', 'plain.db', '--password-file', 'password.txt');
  expect(plain.status).toBe(5); // not a cipherlite database
  expect(plain.stderr).toContain('cipherlite encrypt');

  const enc = cipherlite('encrypt', 'plain.db', 'enc.db', '--new-password-file', 'password.txt');
  expect(enc.status, enc.stderr).toBe(0);
  expect(readFileSync(join(dir, 'enc.db')).includes(Buffer.from('SQLite format 3'))).toBe(false);
  expect(readFileSync(join(dir, 'enc.db')).includes(Buffer.from('apple'))).toBe(false);

  const verify = cipherlite('verify', 'enc.db', '--password-file', 'password.txt');
  expect(verify.status, verify.stderr).toBe(0);

  writeFileSync(join(dir, 'wrong.txt'), 'not it\n');
  expect(cipherlite('verify', 'enc.db', '--password-file', 'wrong.txt').status).toBe(3);

  const dec = cipherlite('decrypt', 'enc.db', 'out.db', '--password-file', 'password.txt');
  expect(dec.status, dec.stderr).toBe(0);
  const rows = run('sqlite3', ['out.db', 'SELECT name, qty FROM fruit ORDER BY name; PRAGMA integrity_check;'], { cwd: dir });
  expect(rows.stdout.trim().split('\n')).toEqual(['apple|3', 'pear|5', 'ok']);
});
