/**
 * Multi-device sync (docs/SYNC.md) between devices sharing one in-memory log: capture in the
 * same transaction, push/pull/rebase, the conflict rules, constraint outcomes, schema entries,
 * lost answers and crashes.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../src/index.js';
import { decodeEntry } from '../src/sync/codec.js';
import { enableSync, MemorySyncLog } from '../src/sync/index.js';
import { readChangeset } from '../src/sync/session.js';
import { internals } from '../src/internal.js';
import { expectCode, openWithKey } from './helpers.js';
import { content, openDevice, settle, type Device } from './sync-helpers.js';

async function addItem(d: Device, id: number, extra: { price?: number; stock?: number; sku?: string | null } = {}): Promise<void> {
  await d.sync.transaction((tx) => tx.exec('INSERT INTO items (id, name, price, stock, sku) VALUES (?, ?, ?, ?, ?)', [id, `item ${id}`, extra.price ?? 100, extra.stock ?? 10, extra.sku ?? null]));
}

/** Device A creates item 1 and pushes it; device B joins and pulls it: both start from the same row. */
async function sharedItem(extra: Parameters<typeof addItem>[2] = {}, options: Parameters<typeof openDevice>[1] = {}): Promise<{ log: MemorySyncLog; a: Device; b: Device }> {
  const log = new MemorySyncLog();
  const a = await openDevice(log, options);
  await addItem(a, 1, extra);
  await a.sync.push();
  const b = await openDevice(log, options);
  await b.sync.pull();
  return { log, a, b };
}

describe('enable', () => {
  it('refuses tables without an explicit PRIMARY KEY, naming each (SYNC_TABLE)', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE ok (id INTEGER PRIMARY KEY); CREATE TABLE loose (a, b); CREATE TABLE notes (body TEXT)');
    const err = await expectCode(enableSync(db, { log: new MemorySyncLog() }), 'SYNC_TABLE');
    expect(err.details['tables']).toEqual(['loose', 'notes']);
    expect(err.message).toContain('loose, notes');
    await db.close();
  });

  it('refuses writes to a table created outside sync, and rolls them back', async () => {
    const d = await openDevice(new MemorySyncLog());
    await d.db.exec('CREATE TABLE later (id INTEGER PRIMARY KEY, v TEXT)');
    await d.db.exec('CREATE TABLE nokey (v TEXT)');
    await expectCode(
      d.sync.transaction((tx) => tx.exec(`INSERT INTO nokey VALUES ('x')`)),
      'SYNC_TABLE',
    );
    const err = await expectCode(
      d.sync.transaction(async (tx) => {
        await tx.exec(`INSERT INTO items (id, name, price) VALUES (1, 'a', 1)`);
        await tx.exec(`INSERT INTO later VALUES (1, 'x')`);
      }),
      'SYNC_TABLE',
    );
    expect(err.details['tables']).toEqual(['later']);
    expect(await d.db.get('SELECT count(*) AS n FROM items')).toEqual({ n: 0 });
    expect(await d.db.get('SELECT count(*) AS n FROM nokey')).toEqual({ n: 0 });
    expect((await d.sync.status()).pending).toBe(0);
  });
});

describe('library tables', () => {
  it('tables named _cipherlite_* (the worker’s request log) are neither synced nor refused: written inside a sync transaction, they stay out of its changeset', async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    await a.db.exec('CREATE TABLE _cipherlite_requests (id TEXT PRIMARY KEY, result TEXT)');
    await a.sync.transaction(async (tx) => {
      await tx.exec(`INSERT INTO items (id, name, price) VALUES (1, 'a', 1)`);
      await tx.exec(`INSERT INTO _cipherlite_requests VALUES ('tab:1', 'ok')`);
    });
    expect(await a.sync.push()).toBe(1);
    const b = await openDevice(log);
    await b.db.exec('CREATE TABLE _cipherlite_requests (id TEXT PRIMARY KEY, result TEXT)');
    await b.sync.pull();
    expect(await b.db.query('SELECT id FROM items')).toEqual([{ id: 1 }]);
    expect(await b.db.query('SELECT id FROM _cipherlite_requests')).toEqual([]);
  });
});

describe('capture', () => {
  it('records each transaction with changes as one pending changeset without its own bookkeeping tables', async () => {
    const log = new MemorySyncLog();
    const d = await openDevice(log);
    await addItem(d, 1);
    await d.sync.transaction(() => undefined); // no change: nothing recorded
    await expectCode(
      d.sync
        .transaction(async (tx) => {
          await tx.exec(`INSERT INTO items (id, name, price) VALUES (2, 'b', 1)`);
          throw new Error('app failure');
        })
        .catch((e: Error) => Promise.reject(Object.assign(e, { code: 'APP' }))),
      'APP',
    );
    expect(await d.sync.status()).toMatchObject({ pending: 1, nextTx: 3, seq: 0 }); // the empty transaction used a number, the failed one did not
    expect(await d.sync.push()).toBe(1);
    const [entry] = log.entries();
    expect(entry!.device).toBe((await d.sync.status()).device);
    const decoded = decodeEntry(entry!.payload, 1);
    if (decoded.kind !== 'changeset') throw new Error('expected a changeset entry');
    const changes = readChangeset(internals(d.db).sqlite.sqlite3, decoded.changeset);
    expect(changes.map((c) => [c.table, c.op])).toEqual([['items', 'INSERT']]);
  });

  it('a crash at any storage write leaves the change and its pending changeset both or neither', async () => {
    const first = await openDevice(new MemorySyncLog());
    const base = first.storage.snapshot();
    const snapshots: Map<string, Uint8Array>[] = [];
    first.storage.onMutate = () => snapshots.push(first.storage.snapshot());
    await addItem(first, 7);
    first.storage.onMutate = null;
    expect(snapshots.length).toBeGreaterThan(2);
    const seen = new Set<string>();
    for (const snap of [base, ...snapshots]) {
      const db = await openWithKey(MemoryStorage.from(snap));
      const rows = Number((await db.get<{ n: number }>('SELECT count(*) AS n FROM items'))!.n);
      const pending = Number((await db.get<{ n: number }>('SELECT count(*) AS n FROM _cipherlite_sync_pending'))!.n);
      expect(pending, 'pending changesets match committed rows').toBe(rows);
      seen.add(`${rows}`);
      await db.close();
    }
    expect([...seen].sort()).toEqual(['0', '1']);
  });
});

describe('push, pull and conflicts', () => {
  it('two devices converge; a lost position is pulled, rebased and retried', async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    const b = await openDevice(log);
    await addItem(a, 1);
    await addItem(b, 2);
    await a.sync.push();
    expect(await b.sync.push()).toBe(1); // position 1 was taken: pull, rebase, append at 2
    const changed: string[][] = [];
    a.db.onChange((tables) => changed.push([...tables]));
    await a.sync.pull();
    expect(changed).toEqual([['items']]); // live queries hear about merged changes
    expect(log.entries().map((e) => e.seq)).toEqual([1, 2]);
    expect(await content(a.db)).toBe(await content(b.db));
    expect(await a.db.query('SELECT id FROM items ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('one push appends a queue longer than the lost-position limit (1,000): only positions lost in a row count', { timeout: 240_000 }, async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    await a.sync.transaction(async (tx) => {
      for (let id = 1; id <= 3; id++) await tx.exec('INSERT INTO items (id, name, price, stock) VALUES (?, ?, 100, 5000)', [id, `item ${id}`]);
    });
    for (let i = 0; i < 1001; i++) await a.sync.transaction((tx) => tx.exec('UPDATE items SET stock = stock - 1 WHERE id = ?', [(i % 3) + 1]));
    expect(await a.sync.push()).toBe(1002);
    expect(log.entries()).toHaveLength(1002);
    expect((await a.sync.status()).pending).toBe(0);
  });

  it('per column, the later entry in log order wins; other columns of the row keep both edits', async () => {
    const { a, b } = await sharedItem({ price: 100 });
    await a.sync.transaction((tx) => tx.exec(`UPDATE items SET price = 150, name = 'from A' WHERE id = 1`));
    await b.sync.transaction((tx) => tx.exec('UPDATE items SET price = 120 WHERE id = 1'));
    await b.sync.push(); // B first in the log
    await a.sync.push(); // A later: its price wins
    await settle([a, b]);
    for (const d of [a, b]) expect(await d.db.get('SELECT name, price FROM items WHERE id = 1')).toEqual({ name: 'from A', price: 150 });
  });

  it('counter columns add each device’s delta: two sales of one drop the stock by two', async () => {
    const { a, b } = await sharedItem({ stock: 10 });
    for (const d of [a, b]) await d.sync.transaction((tx) => tx.exec('UPDATE items SET stock = stock - 1 WHERE id = 1'));
    await settle([a, b]);
    for (const d of [a, b]) expect(await d.db.get('SELECT stock FROM items WHERE id = 1')).toEqual({ stock: 8 });
  });

  it('deletes win over concurrent updates in either log order, reported as "deleted"', async () => {
    for (const deleteFirst of [true, false]) {
      const { a, b } = await sharedItem();
      await a.sync.transaction((tx) => tx.exec('DELETE FROM items WHERE id = 1'));
      await b.sync.transaction((tx) => tx.exec('UPDATE items SET price = 5 WHERE id = 1'));
      const [first, second] = deleteFirst ? [a, b] : [b, a];
      await first.sync.push();
      await second.sync.push();
      await settle([a, b]);
      for (const d of [a, b]) expect(await d.db.get('SELECT count(*) AS n FROM items')).toEqual({ n: 0 });
      if (deleteFirst) expect(a.conflicts).toContainEqual(expect.objectContaining({ table: 'items', pk: [1], op: 'UPDATE', reason: 'deleted', origin: 'log', seq: 3 }));
    }
  });

  it('a UNIQUE collision drops the later change, reports it on every device, and leaves no stuck queue', async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    const b = await openDevice(log);
    await addItem(a, 1, { sku: 'SKU-1' });
    await addItem(b, 2, { sku: 'SKU-1' });
    await a.sync.push();
    await b.sync.push();
    await settle([a, b]);
    for (const d of [a, b]) expect(await d.db.query('SELECT id, sku FROM items')).toEqual([{ id: 1, sku: 'SKU-1' }]);
    expect((await b.sync.status()).pending).toBe(0);
    expect(a.conflicts).toContainEqual(expect.objectContaining({ table: 'items', pk: [2], op: 'INSERT', reason: 'constraint', message: expect.stringContaining('UNIQUE'), origin: 'log' }));
    expect(b.conflicts).toContainEqual(expect.objectContaining({ pk: [2], reason: 'constraint', origin: 'pending' }));
    expect(a.conflicts.filter((c) => c.origin === 'log')).toEqual([expect.objectContaining({ seq: 2, device: (await b.sync.status()).device })]);
  });

  it('a CHECK violation after merging counters drops the change that would break it', async () => {
    const { a, b } = await sharedItem({ stock: 1 });
    for (const d of [a, b]) await d.sync.transaction((tx) => tx.exec('UPDATE items SET stock = stock - 1 WHERE id = 1'));
    await settle([a, b]);
    for (const d of [a, b]) expect(await d.db.get('SELECT stock FROM items')).toEqual({ stock: 0 });
    expect(a.conflicts).toContainEqual(expect.objectContaining({ reason: 'constraint', message: expect.stringContaining('CHECK'), origin: 'log', seq: 3 }));
  });

  it('with foreign keys on, a child inserted under a parent another device deleted is removed ("foreign-key"), in either log order', async () => {
    for (const deleteFirst of [true, false]) {
      const { a, b } = await sharedItem({}, { foreignKeys: true });
      await a.sync.transaction((tx) => tx.exec('DELETE FROM items WHERE id = 1'));
      await b.sync.transaction((tx) => tx.exec(`INSERT INTO orders VALUES ('o1', 1, 1, 'b')`));
      const [first, second, observer] = deleteFirst ? [a, b, a] : [b, a, b];
      await first.sync.push();
      await second.sync.push();
      await settle([a, b]);
      for (const d of [a, b]) {
        expect(await d.db.get('SELECT count(*) AS n FROM orders')).toEqual({ n: 0 });
        expect(await d.db.query('PRAGMA foreign_key_check')).toEqual([]);
      }
      expect(observer.conflicts).toContainEqual(expect.objectContaining({ table: 'orders', pk: ['o1'], reason: 'foreign-key', origin: 'log', seq: 3 }));
    }
  });

  it('a foreign key left violated in a WITHOUT ROWID table stops the pull with SYNC_TABLE, nothing changed', async () => {
    const { a, b } = await sharedItem({}, { foreignKeys: true });
    await a.sync.migrate(1, 'CREATE TABLE lines (id TEXT PRIMARY KEY, item INTEGER REFERENCES items (id)) WITHOUT ROWID');
    await b.sync.pull();
    await a.sync.transaction((tx) => tx.exec('DELETE FROM items WHERE id = 1'));
    await a.sync.push();
    await b.sync.transaction((tx) => tx.exec(`INSERT INTO lines VALUES ('l1', 1)`));
    const before = await content(b.db);
    const err = await expectCode(b.sync.pull(), 'SYNC_TABLE');
    expect(err.details['tables']).toEqual(['lines']);
    expect(await content(b.db)).toBe(before);
    expect(await b.sync.status()).toMatchObject({ seq: 2, pending: 1 });
  });

  it('first-writer-wins tables keep the earlier entry’s value', async () => {
    const log = new MemorySyncLog();
    const tables = { items: { resolve: 'first-writer-wins' as const, counters: ['stock'] } };
    const a = await openDevice(log, { tables });
    await addItem(a, 1, { price: 100 });
    await a.sync.push();
    const b = await openDevice(log, { tables });
    await b.sync.pull();
    await a.sync.transaction((tx) => tx.exec('UPDATE items SET price = 150 WHERE id = 1'));
    await b.sync.transaction((tx) => tx.exec('UPDATE items SET price = 120 WHERE id = 1'));
    await b.sync.push();
    await a.sync.push();
    await settle([a, b]);
    for (const d of [a, b]) expect(await d.db.get('SELECT price FROM items')).toEqual({ price: 120 });
    expect(b.conflicts).toContainEqual(expect.objectContaining({ reason: 'superseded', origin: 'log', seq: 3 }));
  });
});

describe('faults', () => {
  it('a lost answer to an append never duplicates the transaction; a lost read changes nothing', async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    await addItem(a, 1, { stock: 5 });
    await a.sync.transaction((tx) => tx.exec('UPDATE items SET stock = stock - 1'));
    log.injectFault('read', 'lost-request');
    await expectCode(a.sync.push(), 'IO');
    expect(log.entries()).toHaveLength(0);
    log.injectFault('append', 'lost-response'); // the store takes the first transaction, the answer never arrives
    await expectCode(a.sync.push(), 'IO');
    expect(log.entries()).toHaveLength(1);
    expect(await a.sync.status()).toMatchObject({ pending: 2, seq: 0 });
    expect(await a.sync.push()).toBe(1); // reads its own entry back, appends only the second
    const txs = log.entries().map((e) => decodeEntry(e.payload, e.seq).tx);
    expect(txs).toEqual([1, 2]);
    expect(await a.sync.status()).toMatchObject({ pending: 0, seq: 2 });
    const replay = await openDevice(log);
    await replay.sync.pull();
    expect(await content(replay.db)).toBe(await content(a.db));
    expect(await replay.db.get('SELECT stock FROM items')).toEqual({ stock: 4 });
  });

  it('a crash at any storage write during a rebase reopens to the state before or after it, never between', async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    const b = await openDevice(log);
    for (let i = 1; i <= 5; i++) await addItem(a, i, { sku: `A${i}` });
    await a.sync.push();
    await addItem(b, 100, { sku: 'A3' }); // collides once rebased
    await b.sync.transaction((tx) => tx.exec('UPDATE items SET stock = 1 WHERE id = 100'));
    const before = await content(b.db);
    const snapshots: Map<string, Uint8Array>[] = [];
    b.storage.onMutate = () => snapshots.push(b.storage.snapshot());
    await b.sync.pull();
    b.storage.onMutate = null;
    const after = await content(b.db);
    expect(after).not.toBe(before);
    const seen = { before: 0, after: 0 };
    for (const snap of snapshots) {
      const d = await openDevice(log, { storage: MemoryStorage.from(snap) });
      const c = await content(d.db);
      const status = await d.sync.status();
      if (c === before) {
        seen.before++;
        expect(status).toMatchObject({ seq: 0, pending: 2 });
      } else {
        expect(c).toBe(after);
        seen.after++;
        expect(status).toMatchObject({ seq: 5, pending: 2 });
      }
      await d.sync.push(); // and it carries on from there
      await a.sync.pull();
      expect(await content(d.db)).toBe(await content(a.db));
      await d.db.close();
    }
    expect(seen.before).toBeGreaterThan(0);
    expect(seen.after).toBeGreaterThan(0);
  });

  it('a synced row changed outside sync.transaction() stops the rebase with CORRUPT and changes nothing', async () => {
    const { a, b } = await sharedItem({ price: 100 });
    await a.sync.transaction((tx) => tx.exec('UPDATE items SET stock = 3 WHERE id = 1'));
    await a.sync.push();
    await b.sync.transaction((tx) => tx.exec('UPDATE items SET price = 120 WHERE id = 1'));
    await b.db.exec('UPDATE items SET price = 130 WHERE id = 1'); // not captured: the undo of 100 → 120 no longer matches
    const before = await content(b.db);
    const err = await expectCode(b.sync.pull(), 'CORRUPT');
    expect(err.message).toContain('outside sync.transaction()');
    expect(await content(b.db)).toBe(before);
    expect(await b.sync.status()).toMatchObject({ seq: 1, pending: 1 });
  });

  it('a malformed entry is CORRUPT and changes nothing', async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    await addItem(a, 1);
    const before = await content(a.db);
    await log.tryAppend(1, { device: 'x', payload: new Uint8Array([1, 9, 0, 0, 0, 1]) });
    await expectCode(a.sync.pull(), 'CORRUPT');
    const garbage = new MemorySyncLog();
    await garbage.tryAppend(1, { device: 'x', payload: new Uint8Array([1, 1, 0, 0, 0, 1, 0x54, 3, 1, 0, 0, 0x78, 0, 18, 0, 9, 9]) });
    const g = await openDevice(garbage);
    await expectCode(g.sync.pull(), 'CORRUPT'); // a valid header around a broken changeset
    expect(await g.db.get('SELECT count(*) AS n FROM items')).toEqual({ n: 0 });
    expect((await g.sync.status()).seq).toBe(0);
    expect(await content(a.db)).toBe(before);
    expect(await a.sync.status()).toMatchObject({ seq: 0, pending: 1 });
  });
});

describe('schema entries', () => {
  it('a schema change reaches devices still holding pending changes of the old shape; both converge', async () => {
    const { a, b } = await sharedItem();
    await b.sync.transaction((tx) => tx.exec('UPDATE items SET price = 7 WHERE id = 1')); // recorded with 6 columns
    await a.sync.migrate(2, 'ALTER TABLE items ADD COLUMN note TEXT; CREATE TABLE tills (id TEXT PRIMARY KEY, label TEXT)');
    await a.sync.transaction(async (tx) => {
      await tx.exec(`UPDATE items SET note = 'new' WHERE id = 1`);
      await tx.exec(`INSERT INTO tills VALUES ('t1', 'front')`);
    });
    await a.sync.push();
    await b.sync.push();
    await settle([a, b]);
    expect(await b.db.get('SELECT price, note FROM items')).toEqual({ price: 7, note: 'new' });
    expect(await b.db.query('SELECT * FROM tills')).toEqual([{ id: 't1', label: 'front' }]);
    await b.sync.transaction((tx) => tx.exec(`INSERT INTO tills VALUES ('t2', 'back')`)); // the new table is synced
    await settle([a, b]);
    expect(await content(a.db)).toBe(await content(b.db));
    expect((await b.sync.status()).schemaVersion).toBe(2);
  });

  it('the same upgrade run on two devices is applied once; the second entry is skipped', async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    const b = await openDevice(log);
    await a.sync.migrate(2, 'ALTER TABLE items ADD COLUMN note TEXT');
    await log.tryAppend(2, log.entries()[0]!); // b's app appended the same upgrade concurrently
    await b.sync.migrate(2, 'ALTER TABLE items ADD COLUMN note TEXT');
    await a.sync.pull();
    expect(await content(a.db)).toBe(await content(b.db));
    expect(await b.sync.status()).toMatchObject({ seq: 2, schemaVersion: 2 });
  });

  it('a device whose app is older than a schema entry refuses it (SYNC_SCHEMA), keeping what came before and its queue', async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    const old = await openDevice(log, { maxSchemaVersion: 1 });
    await addItem(a, 1);
    await a.sync.push();
    await a.sync.migrate(2, 'ALTER TABLE items ADD COLUMN note TEXT');
    await addItem(old, 2);
    const err = await expectCode(old.sync.push(), 'SYNC_SCHEMA');
    expect(err.details['seq']).toBe(2);
    expect(await old.sync.status()).toMatchObject({ seq: 1, pending: 1, schemaVersion: 0 });
    expect(await old.db.query('SELECT id FROM items ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(log.entries()).toHaveLength(2);
  });

  it('a schema entry whose DDL fails here is refused and rolled back; a migration leaving a table without PRIMARY KEY is refused before it is appended', async () => {
    const log = new MemorySyncLog();
    const a = await openDevice(log);
    await expectCode(a.sync.migrate(2, 'CREATE TABLE loose (v TEXT)'), 'SYNC_TABLE');
    expect(log.entries()).toHaveLength(0);
    await a.db.exec('CREATE TABLE clash (id INTEGER PRIMARY KEY)'); // local drift: the entry's DDL cannot run here
    const otherLog = new MemorySyncLog();
    const other = await openDevice(otherLog);
    await other.sync.migrate(3, 'CREATE TABLE clash (id INTEGER PRIMARY KEY); ALTER TABLE items ADD COLUMN note TEXT');
    await log.tryAppend(1, otherLog.entries()[0]!);
    const err = await expectCode(a.sync.pull(), 'SYNC_SCHEMA');
    expect(err.message).toContain('already exists');
    expect(await a.db.query(`SELECT name FROM pragma_table_info('items') WHERE name = 'note'`)).toEqual([]);
    expect((await a.sync.status()).seq).toBe(0);
  });
});
