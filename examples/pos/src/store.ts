/**
 * The shop's database: where it lives, how it is opened, and its schema.
 *
 * One encrypted database, `pos`, in OPFS (`cipherlite/pos`) — or in IndexedDB where the browser
 * has no OPFS sync access handles (Safari/WebKit). Whether it exists is asked with
 * `databaseExists()` (no password, no worker; it looks in both); opening goes through `@cipherlite/worker`'s
 * `openDatabase()`, which starts the database worker and proves the password, and then brings
 * the schema up to date (schema.ts).
 */
import { databaseExists, openDatabase, type CipherliteDatabase, type KeyMaterial } from '@cipherlite/worker';
import { migrate } from './schema.ts';
import { storedSyncOptions } from './shop-sync.tsx';
import { AUTO_LOCK_OVERRIDE_MS, DEFAULT_AUTO_LOCK_MS } from './settings.tsx';
import { creationKdf, workerAutoLockMs } from './test-hooks.ts';

export const DB_NAME = 'pos';
export const DIRECTORY = 'cipherlite';

/** Backups kept in the on-device history (automatic pre-restore backups). */
export const KEEP_BACKUPS = 5;

export function storeExists(): Promise<boolean> {
  return databaseExists(DB_NAME, { directory: DIRECTORY });
}

/** Opens with the password, the recovery key when the password is forgotten, or `{ passkey: true }` (the browser's passkey prompt). */
export async function openStore(secret: string | KeyMaterial | { passkey: true }, create: boolean): Promise<CipherliteDatabase> {
  const key = typeof secret === 'string' ? { password: secret } : secret;
  // The shop's own auto-lock setting is applied once the database is readable (App.tsx).
  const db = await openDatabase({ name: DB_NAME, directory: DIRECTORY, ...key, create, ...(create ? creationKdf() : {}), autoLockMs: workerAutoLockMs(AUTO_LOCK_OVERRIDE_MS ?? DEFAULT_AUTO_LOCK_MS) });
  try {
    await startAndMigrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/**
 * Brings the schema up to date. A tablet of a shop that syncs starts sync first (this tab's
 * worker keeps the options; the tab that leads runs the rounds), so a schema change goes to every
 * tablet through the log (schema.ts `migrate`).
 */
export async function startAndMigrate(db: CipherliteDatabase): Promise<void> {
  const sync = await storedSyncOptions(db);
  if (sync) await db.sync.start(sync);
  await migrate(db, sync ? db.sync : undefined);
}

/** Human text for a failed passkey action (UNSUPPORTED there is about passkeys, not the till). */
export function describePasskeyError(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'UNSUPPORTED') return `Passkeys cannot be used here: ${(e as Error).message}`;
  if (code === 'WRONG_KEY') return 'This passkey does not unlock this till. Use the password.';
  return describeError(e);
}

/** Human text for the errors a person can act on. */
export function describeError(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  switch (code) {
    case 'WRONG_KEY':
      return 'Wrong password.';
    case 'CANCELLED':
      return 'The passkey prompt was closed, or this device has no passkey for this till. Use the password.';
    case 'NO_PASSKEY':
      return 'No passkey is set up for this till. Use the password.';
    case 'LOCKED':
      return 'The till is locked. Unlock it and try again.';
    case 'QUOTA_EXCEEDED':
      return 'This device is out of storage space. Free some space and try again.';
    case 'UNSUPPORTED':
      return `This browser cannot run the till: ${(e as Error).message}`;
    case 'CORRUPT':
      return 'The data failed its integrity check (damaged or modified). Nothing was changed.';
    case 'NOT_A_DATABASE':
      return 'There is no till on this device yet.';
    case 'SYNC_DEVICE_REMOVED':
      return 'This tablet was removed from the shop: its sales no longer reach the other tablets.';
    case 'BUSY':
      return 'The database is busy in another tab. Try again in a moment.';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
