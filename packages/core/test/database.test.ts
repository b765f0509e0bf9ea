/** The Database API end to end: real SQLite-WASM over the encrypted VFS, in memory. */
import { describe, expect, it } from 'vitest';
import { CipherliteError, Database, MemoryStorage } from '../src/index.js';
import { addKeyslot, changePassword } from '../src/keys/index.js';
import { expectCode, FAST_KDF, KEY, OTHER_KEY, openWithKey } from './helpers.js';

describe('Database: values and queries', () => {
  it('round-trips every SQLite value type, including integers beyond 2^53 and blobs', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE v(n, i, big, neg, r, t, b, e)');
    const blob = Uint8Array.from({ length: 300 }, (_, i) => (i * 31) & 255);
    const big = 2n ** 62n + 12345n;
    await db.exec('INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [null, 42, big, -(2n ** 60n), 3.25, 'héllo ✓ 日本', blob, '']);
    const row = await db.get('SELECT * FROM v');
    expect(row).toEqual({ n: null, i: 42, big, neg: -(2n ** 60n), r: 3.25, t: 'héllo ✓ 日本', b: blob, e: '' });
    expect(await db.get('SELECT typeof(n) AS a, typeof(i) AS b, typeof(r) AS c, typeof(t) AS d, typeof(b) AS e FROM v')).toEqual({ a: 'null', b: 'integer', c: 'real', d: 'text', e: 'blob' });
    await db.close();
  });

  it('binds named parameters and returns typed rows', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE orders(id INTEGER PRIMARY KEY, item TEXT, cents INTEGER)');
    const r = await db.exec('INSERT INTO orders(item, cents) VALUES (:item, :cents)', { ':item': 'espresso', ':cents': 350 });
    expect(r).toEqual({ changes: 1, lastInsertRowid: 1 });
    const rows = await db.query<{ id: number; item: string }>('SELECT id, item FROM orders WHERE cents > ?', [100]);
    expect(rows).toEqual([{ id: 1, item: 'espresso' }]);
    expect(await db.get('SELECT * FROM orders WHERE id = ?', [99])).toBeUndefined();
    await db.close();
  });

  it('inserts and reads back 10,000 rows, then reopens from the same storage', async () => {
    const storage = new MemoryStorage();
    const db = await openWithKey(storage);
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, price REAL)');
    await db.transaction(async (tx) => {
      for (let i = 0; i < 10_000; i++) await tx.exec('INSERT INTO t(name, price) VALUES (?, ?)', [`item-${i}`, i / 4]);
    });
    const rows = await db.query<{ id: number; name: string; price: number }>('SELECT * FROM t ORDER BY id');
    expect(rows).toHaveLength(10_000);
    expect(rows[9_999]).toEqual({ id: 10_000, name: 'item-9999', price: 9_999 / 4 });
    await db.close();
    const again = await openWithKey(storage);
    expect(await again.get('SELECT count(*) AS n, sum(price) AS s FROM t')).toEqual({ n: 10_000, s: (9_999 * 10_000) / 8 });
    expect(await again.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    await again.close();
  });

  it('runs several statements in one exec without parameters', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE a(x); CREATE TABLE b(y); INSERT INTO a VALUES (1); INSERT INTO b VALUES (2);');
    expect(await db.get('SELECT (SELECT x FROM a) + (SELECT y FROM b) AS s')).toEqual({ s: 3 });
    await db.close();
  });

  it('reuses prepared statements across calls (same SQL, different parameters)', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER)');
    for (let i = 0; i < 200; i++) await db.exec('INSERT INTO kv VALUES (?, ?)', [`k${i}`, i]);
    for (let i = 0; i < 200; i += 37) expect(await db.get('SELECT v FROM kv WHERE k = ?', [`k${i}`])).toEqual({ v: i });
    await db.close();
  });
});

describe('Database: transactions', () => {
  it('commits all statements of a transaction', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE t(x)');
    const result = await db.transaction(async (tx) => {
      await tx.exec('INSERT INTO t VALUES (1)');
      await tx.exec('INSERT INTO t VALUES (2)');
      return (await tx.get<{ n: number }>('SELECT count(*) AS n FROM t'))!.n;
    });
    expect(result).toBe(2);
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 2 });
    await db.close();
  });

  it('rolls back everything when the callback throws, and re-throws the error', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE t(x)');
    await db.exec('INSERT INTO t VALUES (0)');
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.exec('INSERT INTO t VALUES (1)');
        await tx.exec('UPDATE t SET x = x + 100');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await db.query('SELECT x FROM t')).toEqual([{ x: 0 }]);
    await db.close();
  });

  it('rolls back on an SQL error inside the transaction', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE t(x UNIQUE)');
    await expectCode(
      db.transaction(async (tx) => {
        await tx.exec('INSERT INTO t VALUES (1)');
        await tx.exec('INSERT INTO t VALUES (1)');
      }),
      'SQL',
    );
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
    await db.close();
  });

  it('keeps other callers out until the transaction is finished', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE t(x)');
    const order: string[] = [];
    const tx = db.transaction(async (t) => {
      await t.exec('INSERT INTO t VALUES (1)');
      await new Promise((r) => setTimeout(r, 20));
      order.push('tx-end');
      throw new Error('abort');
    });
    const outside = db.get<{ n: number }>('SELECT count(*) AS n FROM t').then((r) => {
      order.push('outside');
      return r;
    });
    await expect(tx).rejects.toThrow('abort');
    expect(await outside).toEqual({ n: 0 }); // never saw the uncommitted row
    expect(order).toEqual(['tx-end', 'outside']);
    await db.close();
  });
});

describe('Database: errors', () => {
  it('reports SQL errors as SQL with SQLite code and message', async () => {
    const db = await openWithKey(new MemoryStorage());
    const e = await expectCode(db.exec('SELEC nonsense'), 'SQL');
    expect(e.message).toMatch(/syntax error/);
    expect(e.details.sqliteCode).toBe(1);
    await db.exec('CREATE TABLE t(x NOT NULL)');
    const c = await expectCode(db.exec('INSERT INTO t VALUES (?)', [null]), 'SQL');
    expect(c.details.sqliteCode).toBe(1299); // SQLITE_CONSTRAINT_NOTNULL
    expect(c).toBeInstanceOf(CipherliteError);
    await db.close();
  });

  it('rejects bad arguments with INVALID_ARGUMENT', async () => {
    const storage = new MemoryStorage();
    await expectCode(Database.open({ storage, name: 'x', password: '' }), 'INVALID_ARGUMENT');
    await expectCode(Database.open({ storage, name: 'x', key: new Uint8Array(16) }), 'INVALID_ARGUMENT');
    await expectCode(Database.open({ storage, name: 'x', key: KEY, password: 'p' } as never), 'INVALID_ARGUMENT');
    await expectCode(Database.open({ storage, name: '', key: KEY }), 'INVALID_ARGUMENT');
    await expectCode(Database.open({ storage, name: 'a/b', key: KEY }), 'INVALID_ARGUMENT');
    await expectCode(Database.open({ storage, name: 'x', key: KEY, pageSize: 1000 }), 'INVALID_ARGUMENT');
    await expectCode(Database.open({ storage, name: 'x', password: 'pw', kdf: { memoryKiB: 1024 } }), 'INVALID_ARGUMENT');
    expect(storage.list()).toEqual([]); // nothing was created by a refused open
    const db = await openWithKey(storage);
    await expectCode(db.exec('SELECT ?', [undefined as never]), 'INVALID_ARGUMENT');
    await expectCode(db.exec('SELECT ?', [{} as never]), 'INVALID_ARGUMENT');
    await db.close();
  });

  it('fails with CLOSED after close, and close is idempotent', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.close();
    await db.close();
    await expectCode(db.query('SELECT 1'), 'CLOSED');
  });

  it('refuses to open the same database twice in one process (BUSY)', async () => {
    const storage = new MemoryStorage();
    const db = await openWithKey(storage);
    await expectCode(openWithKey(storage), 'BUSY');
    await db.close();
    const again = await openWithKey(storage);
    await again.close();
  });

  it('create: false on a missing database: NOT_FOUND (not NOT_A_DATABASE), and nothing is created', async () => {
    const storage = new MemoryStorage();
    const err = await Database.open({ storage, name: 'missing.db', key: KEY, create: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CipherliteError', code: 'NOT_FOUND' });
    expect((err as Error).message).toBe('database "missing.db" does not exist');
    expect(storage.list()).toEqual([]);
    // The same name with the default (create: true) becomes a database; create: false then opens it.
    await (await openWithKey(storage, 'missing.db')).close();
    await (await Database.open({ storage, name: 'missing.db', key: KEY, create: false })).close();
  });

  it('refuses a page size change of an existing database', async () => {
    const db = await openWithKey(new MemoryStorage(), 'p.db', { pageSize: 8192 });
    await db.exec('CREATE TABLE t(x)');
    const e = await expectCode(db.exec('PRAGMA page_size = 4096'), 'SQL');
    expect(e.message).toMatch(/page_size is fixed at 8192/);
    expect(await db.get('PRAGMA page_size')).toEqual({ page_size: 8192 });
    await db.exec('VACUUM');
    expect(await db.get('PRAGMA page_size')).toEqual({ page_size: 8192 });
    await db.close();
  });
});

describe('Database: keys', () => {
  it('opens with the right password and refuses a wrong one with WRONG_KEY, changing nothing', async () => {
    const storage = new MemoryStorage();
    const db = await Database.open({ storage, name: 'pw.db', password: 'correct horse battery staple', kdf: FAST_KDF });
    await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (42)');
    await db.close();
    const before = storage.snapshot();
    await expectCode(Database.open({ storage, name: 'pw.db', password: 'Correct horse battery staple' }), 'WRONG_KEY');
    expect(storage.snapshot()).toEqual(before);
    const again = await Database.open({ storage, name: 'pw.db', password: 'correct horse battery staple' });
    expect(await again.get('SELECT x FROM t')).toEqual({ x: 42 });
    await again.close();
  });

  it('normalizes passwords to NFC (the same visible password opens the database)', async () => {
    const storage = new MemoryStorage();
    const nfc = 'caf\u00e9-\u00c5ngstr\u00f6m';
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const db = await Database.open({ storage, name: 'n.db', password: nfc, kdf: FAST_KDF });
    await db.close();
    const again = await Database.open({ storage, name: 'n.db', password: nfd });
    await again.close();
  });

  it("takes a password as its NFC UTF-8 bytes too: same database, the caller's bytes untouched", async () => {
    const storage = new MemoryStorage();
    const text = 'caf\u00e9-\u00c5ngstr\u00f6m';
    const db = await Database.open({ storage, name: 'b.db', password: text, kdf: FAST_KDF });
    await db.exec('CREATE TABLE t(x)');
    await db.close();
    const bytes = new TextEncoder().encode(text);
    const copy = bytes.slice();
    const again = await Database.open({ storage, name: 'b.db', password: bytes });
    expect(await again.query("SELECT name FROM sqlite_master WHERE type = 'table'")).toEqual([{ name: 't' }]);
    await again.close();
    expect(bytes).toEqual(copy); // core works on its own copy; wiping the caller's bytes is the caller's call
    // Bytes are used as given: the NFD spelling's bytes are another password.
    await expectCode(Database.open({ storage, name: 'b.db', password: new TextEncoder().encode(text.normalize('NFD')) }), 'WRONG_KEY');
    await expectCode(Database.open({ storage, name: 'b.db', password: new Uint8Array(0) }), 'INVALID_ARGUMENT');
    await expectCode(Database.open({ storage, name: 'b.db', password: new Uint8Array(65537) }), 'INVALID_ARGUMENT');
  });

  it('refuses passwords that are not well-formed Unicode everywhere a password enters; U+FFFD is a password of its own', async () => {
    const storage = new MemoryStorage();
    const db = await Database.open({ storage, name: 'u.db', password: 'x\ufffd', kdf: FAST_KDF });
    await db.exec('CREATE TABLE t(x)');
    const before = storage.snapshot();
    const illFormed = ['x\ud800', 'x\udbff', 'x\udc00', '\udc00\ud800', 'a\ud83d'];
    for (const password of illFormed) {
      await expectCode(Database.open({ storage, name: 'u.db', password }), 'INVALID_ARGUMENT');
      await expectCode(Database.open({ storage, name: `new-${password.length}.db`, password, kdf: FAST_KDF }), 'INVALID_ARGUMENT');
      await expectCode(changePassword(db, { password: 'x\ufffd' }, { password }), 'INVALID_ARGUMENT');
      await expectCode(addKeyslot(db, { password: 'x\ufffd' }, { password }), 'INVALID_ARGUMENT');
      await expectCode(changePassword(db, { password }, { password: 'fine' }), 'INVALID_ARGUMENT');
    }
    // As bytes: UTF-8 that is not valid (a lone surrogate's CESU form, a stray continuation byte).
    for (const bytes of [[0x78, 0xed, 0xa0, 0x80], [0x78, 0x80], [0xff]]) {
      await expectCode(Database.open({ storage, name: 'u.db', password: Uint8Array.from(bytes) }), 'INVALID_ARGUMENT');
    }
    await db.close();
    expect(storage.snapshot()).toEqual(before);
    // A well-formed pair is fine, and U+FFFD opens only its own database.
    await (await Database.open({ storage, name: 'u.db', password: 'x\ufffd' })).close();
    await expectCode(Database.open({ storage, name: 'u.db', password: 'x\ud83d\ude00' }), 'WRONG_KEY');
  });

  it("a key or password given as a Node Buffer is copied, never wiped (Buffer#slice shares the caller's memory)", async () => {
    const storage = new MemoryStorage();
    const key = Buffer.from(KEY);
    const password = Buffer.from('buffer password');
    await (await Database.open({ storage, name: 'k.db', key })).close();
    await (await Database.open({ storage, name: 'p.db', password, kdf: FAST_KDF })).close();
    expect(Buffer.compare(key, Buffer.from(KEY))).toBe(0);
    expect(password.toString()).toBe('buffer password');
    // Still the right secrets afterwards.
    await (await Database.open({ storage, name: 'k.db', key, create: false })).close();
    await (await Database.open({ storage, name: 'p.db', password, create: false })).close();
  });

  it('handles a very long password deterministically and refuses one over 64 KiB', async () => {
    const storage = new MemoryStorage();
    const long = 'p'.repeat(65536);
    const db = await Database.open({ storage, name: 'l.db', password: long, kdf: FAST_KDF });
    await db.close();
    await (await Database.open({ storage, name: 'l.db', password: long })).close();
    await expectCode(Database.open({ storage, name: 'l.db', password: 'p'.repeat(1 << 20) }), 'INVALID_ARGUMENT');
  });

  it('opens with a raw 256-bit key and refuses another key or a password', async () => {
    const storage = new MemoryStorage();
    const db = await openWithKey(storage);
    await db.exec('CREATE TABLE t(x)');
    await db.close();
    await expectCode(openWithKey(storage, 'test.db', {}, OTHER_KEY), 'WRONG_KEY');
    await expectCode(Database.open({ storage, name: 'test.db', password: 'anything' }), 'WRONG_KEY');
    await (await openWithKey(storage)).close();
  });

  it('checkKey proves a secret without opening anything', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.checkKey({ key: KEY });
    await expectCode(db.checkKey({ key: OTHER_KEY }), 'WRONG_KEY');
    await db.close();
  });
});

describe('Database: change events and table analysis', () => {
  it('reports tables read and written by a statement', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE a(x); CREATE TABLE b(y)');
    expect(db.tables('SELECT x FROM a JOIN b ON a.x = b.y')).toEqual({ reads: ['a', 'b'], writes: [] });
    expect(db.tables('INSERT INTO a SELECT y FROM b')).toEqual({ reads: ['b'], writes: ['a'] });
    await db.close();
  });

  it('emits changed tables after commit, not for reads or rolled-back writes', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec('CREATE TABLE a(x); CREATE TABLE b(y)');
    const events: string[][] = [];
    db.onChange((t) => events.push([...t]));
    await db.exec('INSERT INTO a VALUES (?)', [1]);
    await db.query('SELECT * FROM b');
    await db.transaction(async (tx) => {
      await tx.exec('INSERT INTO a VALUES (2)');
      await tx.exec('INSERT INTO b VALUES (3)');
      expect(events).toHaveLength(1); // nothing before commit
    });
    await db
      .transaction(async (tx) => {
        await tx.exec('INSERT INTO b VALUES (4)');
        throw new Error('no');
      })
      .catch(() => {});
    await db.exec('BEGIN; INSERT INTO a VALUES (5); ROLLBACK');
    expect(events).toEqual([['a'], ['a', 'b']]);
    await db.close();
  });
});

describe('Database: WAL journal mode (opt-in)', () => {
  it('works in exclusive WAL mode, survives reopen, and key-management calls refuse it clearly', async () => {
    const storage = new MemoryStorage();
    const db = await openWithKey(storage, 'w.db', { journalMode: 'WAL' });
    expect(db.journalMode).toBe('WAL');
    await db.exec('CREATE TABLE t(x)');
    for (let i = 0; i < 50; i++) await db.exec('INSERT INTO t VALUES (?)', [i]);
    expect(storage.exists('w.db-wal')).toBe(true);
    const { backup } = await import('../src/keys/index.js');
    await expectCode(backup(db, { key: KEY }), 'UNSUPPORTED');
    await db.close();
    const again = await openWithKey(storage, 'w.db', { journalMode: 'WAL' });
    expect(await again.get('SELECT count(*) AS n, sum(x) AS s FROM t')).toEqual({ n: 50, s: 1225 });
    await again.close();
  });
});

describe('close() during a transaction whose callback never settles', () => {
  it('rolls the transaction back, rejects it with CLOSED, and resolves', async () => {
    const storage = new MemoryStorage();
    const db = await openWithKey(storage);
    await db.exec('CREATE TABLE t (v TEXT)');
    let inserted!: () => void;
    const insertedP = new Promise<void>((resolve) => (inserted = resolve));
    const stuck = db.transaction(async (tx) => {
      await tx.exec("INSERT INTO t VALUES ('never committed')");
      inserted();
      await new Promise(() => undefined); // the app's callback never settles
    });
    const outcome = stuck.then(
      () => 'committed',
      (e: unknown) => (e instanceof CipherliteError ? e.code : String(e)),
    );
    await insertedP;
    const closed = await Promise.race([db.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 5000))]);
    expect(closed).toBe('closed');
    expect(await outcome).toBe('CLOSED');
    const again = await openWithKey(storage);
    expect(await again.query('SELECT v FROM t')).toEqual([]);
    await again.close();
  });
});

describe('values(): rows as arrays', () => {
  it('keeps every column when names repeat (a join), with the column names, also inside a transaction', async () => {
    const db = await openWithKey(new MemoryStorage());
    await db.exec("CREATE TABLE a (id INTEGER, name TEXT); CREATE TABLE b (id INTEGER, a_id INTEGER); INSERT INTO a VALUES (1, 'x'); INSERT INTO b VALUES (10, 1)");
    const sql = 'SELECT a.id, b.id, a.name FROM a JOIN b ON b.a_id = a.id';
    expect(await db.query(sql)).toEqual([{ id: 10, name: 'x' }]); // the object row loses a.id
    expect(await db.values(sql)).toEqual({ columns: ['id', 'id', 'name'], rows: [[1, 10, 'x']] });
    expect(await db.transaction((tx) => tx.values('SELECT ? AS v, ? AS v', [1, 2]))).toEqual({ columns: ['v', 'v'], rows: [[1, 2]] });
    await db.close();
  });
});
