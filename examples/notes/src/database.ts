/** Opening the notes database: the one place that calls openDatabase. */
import { openDatabase } from '@cipherlite/worker';
import type { CipherliteDatabase } from '@cipherlite/worker';
import { testAutoLockMs, testKdf } from './test-hooks.ts';

export const DATABASE = 'notes';
/** Lock after five idle minutes: the lock screen asks for the password again. */
export const AUTO_LOCK_MS = 5 * 60_000;

export async function openNotes(password: string, create: boolean): Promise<CipherliteDatabase> {
  const db = await openDatabase({ name: DATABASE, password, create, autoLockMs: testAutoLockMs() ?? AUTO_LOCK_MS, ...testKdf() });
  await db.exec('CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT NOT NULL, created_at TEXT NOT NULL)');
  return db;
}
