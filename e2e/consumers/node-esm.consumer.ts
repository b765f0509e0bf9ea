/**
 * Plain Node ESM (the Node running the suite: 20 in CI), no tsx or loader: the README's Node
 * section against @cipherlite/core installed from its tarball.
 */
import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { installFixture, run } from './harness.ts';

test('node: `node main.mjs` opens a database with NodeFsStorage, writes, reopens, reads; wrong password → WRONG_KEY; no plaintext on disk', () => {
  test.setTimeout(180_000);
  const appDir = installFixture('node-esm', ['core']);
  const dataDir = join(appDir, 'data');
  mkdirSync(dataDir);
  const r = run(process.execPath, ['main.mjs', dataDir], { cwd: appDir });
  const seen = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  expect(seen).toEqual({
    node: process.version,
    rows: [{ item: 'espresso-doppio-7f3a', cents: 350 }],
    wrongKey: 'WRONG_KEY',
    verified: true,
    plaintextOnDisk: false,
  });
});
