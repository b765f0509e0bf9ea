/**
 * The steps of cipherlite's open path, one at a time and timed, in a fresh worker: the same
 * calls `openDatabase()` makes (core's `Database.open` loads SQLite, prepares the OPFS handles,
 * runs Argon2id, unlocks, opens SQLite), split so each phase has its own figure. The KDF runs
 * on its own with the default parameters; the database is then opened with a raw key (an
 * app-key slot, no KDF), so the phases add up without counting the KDF twice.
 * With `overlap`, the steps run in the order `openDatabase()` uses: SQLite's WebAssembly load
 * starts first and is awaited only after the KDF, which starts as soon as the main file's OPFS
 * handle is open (the journal's and WAL's are created meanwhile) — so the load (compiled off the
 * worker thread) overlaps the OPFS set-up and the KDF.
 * `kdfStart` marks when the KDF began, `sqliteWasm` when SQLite was ready.
 * No static imports: the first message marks "worker script running".
 */
export {};

postMessage({ phase: 'workerStarted' });

const KEY = new Uint8Array(32).fill(7);

onmessage = async (e: MessageEvent<{ setup: boolean; overlap: boolean }>) => {
  try {
    const [{ Database, DEFAULT_KDF }, { loadSqlite }, { deriveKek }, { OpfsStorage, opfsDirectory }] = await Promise.all([
      import('@cipherlite/core'),
      import('../../packages/core/src/sqlite/loader.ts'),
      import('../../packages/core/src/crypto/kdf.ts'),
      import('../../packages/worker/src/engine/storage/opfs.ts'),
    ]);
    postMessage({ phase: 'modulesLoaded' });
    const kdf = async () => {
      postMessage({ phase: 'kdfStart' });
      const kek = await deriveKek(new TextEncoder().encode('startup benchmark password'), crypto.getRandomValues(new Uint8Array(16)), DEFAULT_KDF);
      kek.fill(0);
      postMessage({ phase: 'kdf' });
    };
    const sqlite = async () => {
      await loadSqlite();
      postMessage({ phase: 'sqliteWasm' });
    };
    const open = async () => {
      const s = await OpfsStorage.open(await opfsDirectory('bench-startup'));
      await s.prepare(['startup.db']);
      return s;
    };
    let storage: Awaited<ReturnType<typeof open>>;
    if (e.data.overlap) {
      // openDatabase's order: SQLite loading from the start, the main file's handle, then the KDF
      // while the journal's and WAL's handles are created.
      const loading = sqlite();
      storage = await open();
      postMessage({ phase: 'opfsHandles' });
      const aux = storage.prepare(['startup.db-journal', 'startup.db-wal']);
      await kdf();
      await aux;
      await loading;
    } else {
      await sqlite();
      await kdf();
      storage = await open();
      await storage.prepare(['startup.db-journal', 'startup.db-wal']);
      postMessage({ phase: 'opfsHandles' });
    }
    const db = await Database.open({ storage, name: 'startup.db', key: KEY });
    postMessage({ phase: 'open' });
    if (e.data.setup) {
      await db.exec('CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT)');
      await db.transaction(async (tx) => {
        for (let i = 0; i < 200; i++) await tx.exec('INSERT INTO items(name) VALUES (?)', [`item ${i}`]);
      });
    }
    const rows = (await db.query('SELECT id, name FROM items ORDER BY id LIMIT 50')).length;
    postMessage({ phase: 'firstQuery', rows });
    await db.close();
    await storage.close();
    postMessage({ phase: 'done' });
  } catch (err) {
    postMessage({ error: String(err) });
  }
};
