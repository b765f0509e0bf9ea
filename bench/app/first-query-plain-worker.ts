/** Plain sqlite-wasm + opfs-sahpool first query, for comparison (no encryption, no KDF). */
import sqlite3InitModule, { type Sqlite3Static } from '@sqlite.org/sqlite-wasm';

/** `sqlite3InitModule` with the Emscripten overrides it accepts (its declaration has no parameter). */
const init: (overrides: { print(): void; printErr(): void }) => Promise<Sqlite3Static> = sqlite3InitModule;

onmessage = async (e: MessageEvent<{ setup: boolean }>) => {
  try {
    const sqlite3 = await init({ print: () => {}, printErr: () => {} });
    const pool = await sqlite3.installOpfsSAHPoolVfs({ name: 'fq-sahpool', directory: '.fq-sahpool' });
    const db = new pool.OpfsSAHPoolDb('/first-query.db');
    if (e.data.setup) {
      db.exec('CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT)');
      db.exec('BEGIN');
      for (let i = 0; i < 200; i++) db.exec({ sql: 'INSERT INTO items(name) VALUES (?)', bind: [`item ${i}`] });
      db.exec('COMMIT');
    }
    const rows = db.exec({ sql: 'SELECT id, name FROM items ORDER BY id LIMIT 50', returnValue: 'resultRows' }).length;
    db.close();
    postMessage({ rows });
  } catch (err) {
    postMessage({ error: String(err) });
  }
};
