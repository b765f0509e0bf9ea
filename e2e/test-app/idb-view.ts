/**
 * The attacker's view of the IndexedDB fallback: reads and edits what the worker stored in
 * IndexedDB directly from the page, without the library. Knows only what anyone can see by
 * opening the database: stores `files` (name → { size }) and `chunks` ([name, index] → bytes).
 */
const FILES = 'files';
const CHUNKS = 'chunks';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** Opens the existing IndexedDB database of cipherlite directory `directory`; null when there is none. */
async function openExisting(directory: string): Promise<IDBDatabase | null> {
  const req = indexedDB.open(`cipherlite:${directory}`);
  // Never create it: the worker must be the one that does.
  req.onupgradeneeded = () => req.transaction!.abort();
  try {
    return await request(req);
  } catch {
    return null;
  }
}

/** Every stored file, reassembled from its chunks. */
export async function idbFiles(directory = 'cipherlite'): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const db = await openExisting(directory);
  if (!db) return out;
  try {
    const tx = db.transaction([FILES, CHUNKS], 'readonly');
    const names = (await request(tx.objectStore(FILES).getAllKeys())) as string[];
    const records = (await request(tx.objectStore(FILES).getAll())) as { size: number }[];
    const keys = (await request(tx.objectStore(CHUNKS).getAllKeys())) as [string, number][];
    const values = (await request(tx.objectStore(CHUNKS).getAll())) as Uint8Array[];
    names.forEach((name, i) => out.set(name, new Uint8Array(records[i]!.size)));
    // Every chunk but a file's last is full, so chunk 0's length is the chunk size.
    const chunkSize = new Map<string, number>();
    keys.forEach(([name, index], i) => index === 0 && chunkSize.set(name, values[i]!.length));
    keys.forEach(([name, index], i) => out.get(name)?.set(values[i]!, index * chunkSize.get(name)!));
    return out;
  } finally {
    db.close();
  }
}

/** XORs `mask` into byte `offset` of stored file `name` (rewrites the chunk holding it). */
export async function idbFlip(name: string, offset: number, mask = 0x10, directory = 'cipherlite'): Promise<void> {
  const db = (await openExisting(directory))!;
  try {
    const tx = db.transaction(CHUNKS, 'readwrite');
    const store = tx.objectStore(CHUNKS);
    const chunkSize = ((await request(store.get([name, 0]))) as Uint8Array).length;
    const key = [name, Math.floor(offset / chunkSize)];
    const chunk = (await request(store.get(key))) as Uint8Array;
    chunk[offset % chunkSize]! ^= mask;
    store.put(chunk, key);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/**
 * Keeps a readwrite transaction on the stores open (re-issuing a read from each success), so
 * the worker's next commit queues behind it — a commit that SQLite finished but IndexedDB has
 * not. `release()` ends it.
 */
export async function idbHold(directory = 'cipherlite'): Promise<{ release: () => Promise<void> }> {
  const db = (await openExisting(directory))!;
  const tx = db.transaction([FILES, CHUNKS], 'readwrite');
  const store = tx.objectStore(FILES);
  let holding = true;
  const spin = () => {
    if (holding) store.get('').onsuccess = spin;
  };
  spin();
  const done = new Promise<void>((resolve) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => resolve();
  });
  return {
    async release() {
      holding = false;
      await done;
      db.close();
    },
  };
}
