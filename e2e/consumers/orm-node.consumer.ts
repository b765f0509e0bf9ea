/**
 * Plain Node ESM with the ORM adapters from their tarballs and drizzle-orm + kysely from npm:
 * drizzle-kit migrations through migrate(), Drizzle in a transaction, Kysely after a reopen.
 */
import { expect, test } from '@playwright/test';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { installFixture, REPO, run } from './harness.ts';

/** drizzle-kit's generated migrations (the adapter's test fixture), copied in as the app's ./drizzle. */
const DRIZZLE_KIT_OUTPUT = join(REPO, 'packages', 'drizzle', 'test', 'fixtures', 'drizzle-kit');

test('node: @cipherlite/drizzle and @cipherlite/kysely on core with NodeFsStorage — migrations, transaction, rollback, reopen', () => {
  test.setTimeout(180_000);
  const appDir = installFixture('node-orm', ['core', 'drizzle', 'kysely'], (dir) => cpSync(DRIZZLE_KIT_OUTPUT, join(dir, 'drizzle'), { recursive: true }));
  const dataDir = join(appDir, 'data');
  mkdirSync(dataDir);
  const r = run(process.execPath, ['main.mjs', dataDir], { cwd: appDir });
  expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({
    migrated: ['0000_init', '0001_order_note'],
    migratedAgain: [],
    rolledBack: 'card declined',
    drizzleRows: [{ name: 'Ada', total: 450 }],
    kyselyRows: [{ name: 'Ada', note: 'oat milk' }],
    insertId: '2',
  });
});
