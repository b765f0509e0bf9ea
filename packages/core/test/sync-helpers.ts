/** Devices for the sync tests: real sqlite-wasm, real encryption, memory storage, one shared log. */
import { createHash } from 'node:crypto';
import { Database, MemoryStorage } from '../src/index.js';
import { enableSync, type Sync, type SyncConflict, type SyncLog, type SyncOptions, type TablePolicy } from '../src/sync/index.js';
import { openWithKey } from './helpers.js';

/** The baseline schema every device's app creates before enabling sync. */
export const SCHEMA = `
  CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL CHECK (price >= 0), stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0), sku TEXT UNIQUE);
  CREATE TABLE orders (id TEXT PRIMARY KEY, item INTEGER REFERENCES items (id), qty INTEGER NOT NULL, device TEXT);
`;

export const POLICIES: Readonly<Record<string, TablePolicy>> = { items: { counters: ['stock'] } };

export interface Device {
  storage: MemoryStorage;
  db: Database;
  sync: Sync;
  conflicts: SyncConflict[];
}

export async function openDevice(log: SyncLog, options: Partial<SyncOptions> & { storage?: MemoryStorage; foreignKeys?: boolean } = {}): Promise<Device> {
  const fresh = !options.storage;
  const storage = options.storage ?? new MemoryStorage();
  const db = await openWithKey(storage);
  if (fresh) await db.exec(SCHEMA);
  if (options.foreignKeys) await db.exec('PRAGMA foreign_keys = ON');
  // The engine tests read log positions off a log of changeset and schema entries only: device
  // entries (sync-devices.test.ts) are off unless asked for; such logs stay supported.
  const sync = await enableSync(db, { tables: POLICIES, deviceEntries: false, ...options, log });
  const conflicts: SyncConflict[] = [];
  sync.onConflict((c) => conflicts.push(c));
  return { storage, db, sync, conflicts };
}

/** Every user table's rows in primary-key order (sync's own tables excluded). */
export async function content(db: Database): Promise<string> {
  const tables = await db.query<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cipherlite_sync_%' ORDER BY name");
  const parts: string[] = [];
  for (const { name } of tables) {
    const cols = await db.query<{ name: string }>(`SELECT name FROM pragma_table_info('${name}') ORDER BY cid`);
    const rows = await db.values(`SELECT * FROM "${name}" ORDER BY 1`);
    parts.push(
      `${name}(${cols.map((c) => c.name).join(',')}):${JSON.stringify(rows.rows, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`,
    );
  }
  return parts.join('\n');
}

export async function contentHash(db: Database): Promise<string> {
  return createHash('sha256')
    .update(await content(db))
    .digest('hex');
}

/** Pushes and pulls on every device until all hold no pending transaction and the same position. */
export async function settle(devices: readonly Device[]): Promise<void> {
  for (let round = 0; round < 10; round++) {
    for (const d of devices) await d.sync.push();
    for (const d of devices) await d.sync.pull();
    const statuses = await Promise.all(devices.map((d) => d.sync.status()));
    if (statuses.every((s) => s.pending === 0 && s.seq === statuses[0]!.seq)) return;
  }
  throw new Error('devices did not settle');
}
