/**
 * The shop's database: where it lives, how it is opened, and its schema.
 *
 * One encrypted database, `pos`, in OPFS (`cipherlite/pos`). Whether it exists is checked with
 * OPFS directly (no password needed); opening goes through `@cipherlite/worker`'s
 * `openDatabase()`, which starts the database worker and proves the password.
 */
import { openDatabase, type CipherliteDatabase } from '@cipherlite/worker';

export const DB_NAME = 'pos';
export const DIRECTORY = 'cipherlite';

/** Idle time before this tab locks itself (`?autolock=ms` overrides, for demos and tests). */
export const AUTO_LOCK_MS = (() => {
  const v = Number(new URLSearchParams(location.search).get('autolock'));
  return Number.isFinite(v) && v > 0 ? v : 5 * 60_000;
})();

/** Backups kept in the on-device history (automatic pre-restore backups). */
export const KEEP_BACKUPS = 5;

export async function storeExists(): Promise<boolean> {
  let file: FileSystemFileHandle;
  try {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(DIRECTORY);
    file = await dir.getFileHandle(DB_NAME);
  } catch {
    return false;
  }
  try {
    return (await file.getFile()).size > 0;
  } catch {
    return true; // another tab's worker holds it open: it exists
  }
}

/** Opens the store with the password, or with `{ passkey: true }` (the browser's passkey prompt). */
export async function openStore(secret: string | { passkey: true }, create: boolean): Promise<CipherliteDatabase> {
  const key = typeof secret === 'string' ? { password: secret } : secret;
  const db = await openDatabase({ name: DB_NAME, directory: DIRECTORY, ...key, create, autoLockMs: AUTO_LOCK_MS });
  try {
    await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS product (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    archived    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
  );
  CREATE UNIQUE INDEX IF NOT EXISTS product_name ON product (name COLLATE NOCASE) WHERE archived = 0;
  CREATE TABLE IF NOT EXISTS sale (
    id               INTEGER PRIMARY KEY,
    created_at       TEXT NOT NULL,
    day              TEXT NOT NULL,
    total_cents      INTEGER NOT NULL CHECK (total_cents >= 0),
    method           TEXT NOT NULL CHECK (method IN ('cash', 'card')),
    -- Only ever the last four digits: the schema refuses anything else.
    card_last4       TEXT CHECK (card_last4 IS NULL OR (length(card_last4) = 4 AND card_last4 GLOB '[0-9][0-9][0-9][0-9]')),
    cash_given_cents INTEGER
  );
  CREATE INDEX IF NOT EXISTS sale_day ON sale (day);
  CREATE TABLE IF NOT EXISTS sale_line (
    sale_id    INTEGER NOT NULL REFERENCES sale (id),
    product_id INTEGER NOT NULL REFERENCES product (id),
    name       TEXT NOT NULL,
    unit_cents INTEGER NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0)
  );
  CREATE INDEX IF NOT EXISTS sale_line_sale ON sale_line (sale_id);
`;

async function migrate(db: CipherliteDatabase): Promise<void> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  if ((row?.user_version ?? 0) >= SCHEMA_VERSION) return;
  await db.transaction(async (tx) => {
    await tx.exec(SCHEMA);
    await tx.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}

/** Human text for a failed passkey action (UNSUPPORTED there is about passkeys, not the till). */
export function describePasskeyError(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  return code === 'UNSUPPORTED' ? `Passkeys cannot be used here: ${(e as Error).message}` : describeError(e);
}

/** Human text for the errors a person can act on. */
export function describeError(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  switch (code) {
    case 'WRONG_KEY':
      return 'Wrong password (or a passkey that does not belong to this till).';
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
    case 'BUSY':
      return 'The database is busy in another tab. Try again in a moment.';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
