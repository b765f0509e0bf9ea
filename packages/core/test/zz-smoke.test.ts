import { test, expect } from 'vitest';
import { Database, MemoryStorage } from '../src/index.js';
test('smoke', async () => {
  const storage = new MemoryStorage();
  const key = new Uint8Array(32).fill(7);
  const db = await Database.open({ storage, name: 'a.db', key });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  await db.exec('INSERT INTO t(v) VALUES (?)', ['hello']);
  for (let i = 0; i < 2000; i++) await db.exec('INSERT INTO t(v) VALUES (?)', ['x'.repeat(100) + i]);
  const rows = await db.query('SELECT count(*) AS n FROM t');
  expect(rows[0]!.n).toBe(2001);
  await db.close();
  console.log([...storage.files.keys()], storage.files.get('a.db')!.getSize());
  const db2 = await Database.open({ storage, name: 'a.db', key });
  expect((await db2.get('SELECT v FROM t WHERE id=1'))!.v).toBe('hello');
  await db2.close();
});
