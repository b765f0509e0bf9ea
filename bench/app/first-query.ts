/**
 * Time to first query from a fresh page load: navigation start → rows of the first SELECT in
 * hand. `?target=cipherlite` goes through the product path (openDatabase: worker start, OPFS
 * handles, Argon2id unlock with the default parameters, SQLite open); `?target=plain` loads plain
 * sqlite-wasm with opfs-sahpool in a worker. `&setup=1` creates the database first.
 */
import { openDatabase } from '@cipherlite/worker';

declare global {
  interface Window {
    firstQuery: Promise<{ ms: number; rows: number }>;
  }
}

const params = new URLSearchParams(location.search);
const target = params.get('target') ?? 'cipherlite';
const setup = params.get('setup') === '1';
const PASSWORD = 'first query benchmark password';

async function cipherlite(): Promise<number> {
  const db = await openDatabase({ name: 'first-query', password: PASSWORD });
  try {
    if (setup) {
      await db.exec('CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT)');
      await db.batch(Array.from({ length: 200 }, (_, i) => ({ sql: 'INSERT INTO items(name) VALUES (?)', params: [`item ${i}`] })));
    }
    return (await db.query('SELECT id, name FROM items ORDER BY id LIMIT 50')).length;
  } finally {
    await db.close();
  }
}

function plain(): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./first-query-plain-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<{ rows?: number; error?: string }>) => {
      w.terminate();
      if (e.data.error) reject(new Error(e.data.error));
      else resolve(e.data.rows!);
    };
    w.postMessage({ setup });
  });
}

window.firstQuery = (target === 'plain' ? plain() : cipherlite()).then((rows) => {
  const ms = performance.now(); // performance.now() counts from navigation start
  document.getElementById('out')!.textContent = `${rows} rows after ${ms.toFixed(0)} ms`;
  return { ms, rows };
});
