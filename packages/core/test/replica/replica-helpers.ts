/** Shared pieces of the replica suites: a database with a replica on a fresh RGW bucket, every object of a bucket. */
import { Database, MemoryStorage } from '../../src/index.js';
import { listAll, type ObjectStore, type PutOptions } from '../../src/replica/object-store.js';
import { S3ObjectStore, type S3StoreOptions } from '../../src/replica/s3-store.js';
import type { SyncFile } from '../../src/storage/sync-file.js';
import { FAST_KDF } from '../helpers.js';
import { freshBucket } from './s3-env.js';

export const PASSWORD = 'correct horse battery staple';

export interface Bucket {
  s3: S3StoreOptions;
  store: S3ObjectStore;
}

export async function bucket(): Promise<Bucket> {
  const s3 = await freshBucket();
  return { s3, store: new S3ObjectStore(s3) };
}

export function openDb(storage = new MemoryStorage(), name = 'shop.db'): Promise<Database> {
  return Database.open({ storage, name, password: PASSWORD, kdf: FAST_KDF });
}

/** Every object's name and bytes. */
export async function dump(store: ObjectStore, prefix: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const { key } of await listAll(store, `${prefix}/`)) out.set(key, (await store.get(key))!);
  return out;
}

/** Puts the bucket back to exactly `state` (objects added since are deleted). */
export async function putBack(store: ObjectStore, prefix: string, state: Map<string, Uint8Array>): Promise<void> {
  for (const { key } of await listAll(store, `${prefix}/`)) if (!state.has(key)) await store.delete(key);
  for (const [key, bytes] of state) await store.put(key, bytes);
}

export async function rows(db: Database): Promise<unknown[]> {
  return db.query('SELECT id, item, price FROM sales ORDER BY id');
}

export async function sell(db: Database, n: number, from = 1): Promise<void> {
  for (let i = from; i < from + n; i++) await db.exec('INSERT INTO sales (id, item, price) VALUES (?, ?, ?)', [i, `espresso-marker-${i}`, 250 + i]);
}

/**
 * The RGW store with an async hook run before each GET and PUT (the call fails when the hook
 * throws), and objects served in place of what the bucket holds (`served`: an older version).
 */
export class HookedStore implements ObjectStore {
  hook: ((op: 'put' | 'get', key: string) => Promise<void> | void) | null = null;
  readonly served = new Map<string, Uint8Array>();
  constructor(readonly inner: ObjectStore) {}
  async put(key: string, bytes: Uint8Array, options?: PutOptions) {
    await this.hook?.('put', key);
    return this.inner.put(key, bytes, options);
  }
  async get(key: string, options?: { signal?: AbortSignal }) {
    await this.hook?.('get', key);
    const served = this.served.get(key);
    return served ? new Uint8Array(served) : this.inner.get(key, options);
  }
  head(key: string, options?: { signal?: AbortSignal }) {
    return this.inner.head(key, options);
  }
  list(prefix: string, startAfter?: string, options?: { signal?: AbortSignal }) {
    return this.inner.list(prefix, startAfter, options);
  }
  delete(key: string, options?: { signal?: AbortSignal }) {
    return this.inner.delete(key, options);
  }
}

/** A MemoryStorage that counts the bytes read from any of its files. */
export class CountingStorage extends MemoryStorage {
  bytesRead = 0;
  override open(name: string, options: { create: boolean }): SyncFile {
    const h = super.open(name, options);
    return {
      read: (buf, o) => {
        const n = h.read(buf, o);
        this.bytesRead += n;
        return n;
      },
      write: (buf, o) => h.write(buf, o),
      truncate: (size) => h.truncate(size),
      getSize: () => h.getSize(),
      flush: () => h.flush(),
      close: () => h.close(),
    };
  }
}
