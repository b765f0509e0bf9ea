/**
 * The shop's schema, as migrations in order (`PRAGMA user_version` is how many have run). Money is
 * integer minor units everywhere. Plain SQL with no imports, so the schema's own rules (the CHECKs
 * and the refund triggers) are tested directly against SQLite (schema.test.ts, in Vitest).
 */

/** The error the refund triggers raise: the UI recognizes it in the SQLite message. */
export const REFUND_EXCEEDS_SALE = 'REFUND_EXCEEDS_SALE';

export const MIGRATIONS: readonly string[] = [
  // 1: products, sales and their lines (integer minor units everywhere).
  `
  CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE product (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    archived    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
  );
  CREATE UNIQUE INDEX product_name ON product (name COLLATE NOCASE) WHERE archived = 0;
  CREATE TABLE sale (
    id               INTEGER PRIMARY KEY,
    created_at       TEXT NOT NULL,
    day              TEXT NOT NULL,
    total_cents      INTEGER NOT NULL CHECK (total_cents >= 0),
    method           TEXT NOT NULL CHECK (method IN ('cash', 'card')),
    -- Only ever the last four digits: the schema refuses anything else.
    card_last4       TEXT CHECK (card_last4 IS NULL OR (length(card_last4) = 4 AND card_last4 GLOB '[0-9][0-9][0-9][0-9]')),
    cash_given_cents INTEGER
  );
  CREATE INDEX sale_day ON sale (day);
  CREATE TABLE sale_line (
    sale_id    INTEGER NOT NULL REFERENCES sale (id),
    product_id INTEGER NOT NULL REFERENCES product (id),
    name       TEXT NOT NULL,
    unit_cents INTEGER NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0)
  );
  CREATE INDEX sale_line_sale ON sale_line (sale_id);
  `,
  // 2: refunds. Sale lines get a stable id (a rowid alone may be renumbered by VACUUM) so a
  // refund line can reference the line it gives money back for. Triggers refuse, inside the
  // database, any refund beyond what was sold or paid, whichever screen or tab writes it.
  `
  CREATE TABLE sale_line_v2 (
    id         INTEGER PRIMARY KEY,
    sale_id    INTEGER NOT NULL REFERENCES sale (id),
    product_id INTEGER NOT NULL REFERENCES product (id),
    name       TEXT NOT NULL,
    unit_cents INTEGER NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0)
  );
  INSERT INTO sale_line_v2 (sale_id, product_id, name, unit_cents, qty) SELECT sale_id, product_id, name, unit_cents, qty FROM sale_line ORDER BY rowid;
  DROP TABLE sale_line;
  ALTER TABLE sale_line_v2 RENAME TO sale_line;
  CREATE INDEX sale_line_sale ON sale_line (sale_id);
  CREATE TABLE refund (
    id          INTEGER PRIMARY KEY,
    sale_id     INTEGER NOT NULL REFERENCES sale (id),
    created_at  TEXT NOT NULL,
    -- The day the money went back: it counts in that day's totals, not the sale's.
    day         TEXT NOT NULL,
    total_cents INTEGER NOT NULL CHECK (total_cents > 0),
    method      TEXT NOT NULL CHECK (method IN ('cash', 'card'))
  );
  CREATE INDEX refund_day ON refund (day);
  CREATE INDEX refund_sale ON refund (sale_id);
  CREATE TABLE refund_line (
    refund_id    INTEGER NOT NULL REFERENCES refund (id),
    sale_line_id INTEGER NOT NULL REFERENCES sale_line (id),
    qty          INTEGER NOT NULL CHECK (qty > 0),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0)
  );
  CREATE INDEX refund_line_line ON refund_line (sale_line_id);
  CREATE TRIGGER refund_within_paid BEFORE INSERT ON refund
  BEGIN
    SELECT RAISE(ABORT, '${REFUND_EXCEEDS_SALE}')
     WHERE NEW.total_cents + (SELECT coalesce(sum(total_cents), 0) FROM refund WHERE sale_id = NEW.sale_id)
           > (SELECT total_cents FROM sale WHERE id = NEW.sale_id);
  END;
  CREATE TRIGGER refund_line_within_sold BEFORE INSERT ON refund_line
  BEGIN
    SELECT RAISE(ABORT, '${REFUND_EXCEEDS_SALE}')
     WHERE (SELECT sale_id FROM sale_line WHERE id = NEW.sale_line_id) IS NOT (SELECT sale_id FROM refund WHERE id = NEW.refund_id)
        OR NEW.qty + (SELECT coalesce(sum(qty), 0) FROM refund_line WHERE sale_line_id = NEW.sale_line_id)
           > (SELECT qty FROM sale_line WHERE id = NEW.sale_line_id);
  END;
  `,
  // 3: several tablets per shop (sync, shop-sync.tsx). Every table sync shares needs an explicit
  // PRIMARY KEY, so refund lines get one (rebuilt as sale lines were in 2, with their trigger).
  // Sales and refunds record the tablet that rang them up (null on a till that does not sync);
  // products get a stock count (null: not counted), merged as a counter across tablets.
  `
  ALTER TABLE sale ADD COLUMN tablet TEXT;
  ALTER TABLE refund ADD COLUMN tablet TEXT;
  ALTER TABLE product ADD COLUMN stock INTEGER;
  CREATE TABLE refund_line_v3 (
    id           INTEGER PRIMARY KEY,
    refund_id    INTEGER NOT NULL REFERENCES refund (id),
    sale_line_id INTEGER NOT NULL REFERENCES sale_line (id),
    qty          INTEGER NOT NULL CHECK (qty > 0),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0)
  );
  INSERT INTO refund_line_v3 (refund_id, sale_line_id, qty, amount_cents) SELECT refund_id, sale_line_id, qty, amount_cents FROM refund_line ORDER BY rowid;
  DROP TABLE refund_line;
  ALTER TABLE refund_line_v3 RENAME TO refund_line;
  CREATE INDEX refund_line_line ON refund_line (sale_line_id);
  CREATE TRIGGER refund_line_within_sold BEFORE INSERT ON refund_line
  BEGIN
    SELECT RAISE(ABORT, '${REFUND_EXCEEDS_SALE}')
     WHERE (SELECT sale_id FROM sale_line WHERE id = NEW.sale_line_id) IS NOT (SELECT sale_id FROM refund WHERE id = NEW.refund_id)
        OR NEW.qty + (SELECT coalesce(sum(qty), 0) FROM refund_line WHERE sale_line_id = NEW.sale_line_id)
           > (SELECT qty FROM sale_line WHERE id = NEW.sale_line_id);
  END;
  `,
];

/**
 * How the shop's tables merge when several tablets sync (docs/SYNC.md "Conflict rules"; the same on
 * every tablet): stock is a counter — two tablets each selling one lower it by two — and every other
 * column takes the later write in the log's order.
 */
export const SHOP_TABLES = { product: { counters: ['stock'] } };

/** The newest schema this app knows: the sync option `maxSchemaVersion` (a tablet running an older app stops syncing at a newer schema). */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** What migrating needs of a database: the worker's `CipherliteDatabase` and core's `Database` both fit. */
export interface MigratableDatabase {
  get(sql: string): Promise<Record<string, unknown> | undefined>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: { exec(sql: string): Promise<unknown> }) => Promise<T>): Promise<T>;
}

/**
 * Runs the migrations this database has not had yet. A till that does not sync runs each in one
 * transaction with its version bump. On a shop that syncs (`synced`: sync runs on it) a schema
 * change must reach every tablet through the log: each goes out as `db.sync.migrate(version, ddl)`
 * (the version is the migration's number, so two tablets upgrading alike append it once), and
 * `user_version` follows locally. That needs the bucket once.
 */
export async function migrate(db: MigratableDatabase, synced?: { migrate(version: number, ddl: string): Promise<unknown> }): Promise<void> {
  const row = await db.get('PRAGMA user_version');
  for (let v = Number(row?.['user_version'] ?? 0); v < MIGRATIONS.length; v++) {
    if (synced) {
      await synced.migrate(v + 1, MIGRATIONS[v]!);
      await db.exec(`PRAGMA user_version = ${v + 1}`);
      continue;
    }
    await db.transaction(async (tx) => {
      await tx.exec(MIGRATIONS[v]!);
      await tx.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}
