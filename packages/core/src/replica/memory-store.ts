/**
 * An in-process object store with the `ObjectStore` contract (conditional create, ordered
 * paginated listing, idempotent delete). For fast tests of retry and queueing logic; the replica
 * suites that prove the format and the attacks run against a real S3 service (Ceph RGW).
 *
 * `fault` lets a test make the next calls fail the way a network or a service does.
 */
import type { ListPage, ObjectStore, PutOptions, PutResult } from './object-store.js';

export type StoreOperation = 'put' | 'get' | 'head' | 'list' | 'delete';

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  /** Called before every operation; throwing from it fails the operation (after `put` when `after` is set). */
  fault: ((op: StoreOperation, key: string) => void) | null = null;
  /** Keys per list page (small in tests, to exercise pagination). */
  pageSize: number;

  constructor(options: { pageSize?: number } = {}) {
    this.pageSize = options.pageSize ?? 1000;
  }

  put(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    return this.#run('put', key, () => {
      if (options.ifNoneMatch && this.objects.has(key)) return 'taken';
      this.objects.set(key, new Uint8Array(bytes));
      return 'created';
    });
  }

  get(key: string): Promise<Uint8Array | null> {
    return this.#run('get', key, () => {
      const v = this.objects.get(key);
      return v ? new Uint8Array(v) : null;
    });
  }

  head(key: string): Promise<{ size: number } | null> {
    return this.#run('head', key, () => {
      const v = this.objects.get(key);
      return v ? { size: v.length } : null;
    });
  }

  list(prefix: string, startAfter?: string): Promise<ListPage> {
    return this.#run('list', prefix, () => {
      const all = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter)).sort();
      const keys = all.slice(0, this.pageSize).map((key) => ({ key, size: this.objects.get(key)!.length }));
      return all.length > this.pageSize ? { keys, next: keys[keys.length - 1]!.key } : { keys };
    });
  }

  delete(key: string): Promise<void> {
    return this.#run('delete', key, () => void this.objects.delete(key));
  }

  #run<R>(op: StoreOperation, key: string, fn: () => R): Promise<R> {
    try {
      this.fault?.(op, key);
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
