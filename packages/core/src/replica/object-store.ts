/**
 * The object store a replica lives in: the five S3 operations the replica needs, and nothing
 * S3-specific above this interface. Two implementations: `S3ObjectStore` (any S3-compatible
 * service over fetch: AWS S3, R2, MinIO, Ceph RGW) and `MemoryObjectStore` (an in-process fake
 * with the same contract, for fast retry-logic tests only).
 *
 * Contract:
 * - `put(key, bytes, { ifNoneMatch: true })` creates the object only when no object has that key
 *   (S3 `If-None-Match: *`); when one exists the result is `'taken'` and nothing is written. This
 *   compare-and-swap is what orders the log without a server.
 * - `get` of a missing key is `null` (never an error); `head` likewise.
 * - `list(prefix, startAfter?)` pages through keys in ascending byte order (ListObjectsV2).
 * - `delete` of a missing key succeeds (S3 semantics).
 * - Failures are `CipherliteError`s: REPLICA_AUTH (credentials refused), REPLICA_UNAVAILABLE
 *   (network, 5xx, throttling, timeouts, once retries are spent), REPLICA_CORRUPT (an answer
 *   that does not parse).
 */

export type PutResult = 'created' | 'taken';

export interface PutOptions {
  /** Create only if absent (`If-None-Match: *`). */
  ifNoneMatch?: boolean;
  signal?: AbortSignal;
}

export interface ListPage {
  keys: { key: string; size: number }[];
  /** Pass as `startAfter` for the next page; absent on the last page. */
  next?: string;
}

export interface ObjectStore {
  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult>;
  get(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array | null>;
  head(key: string, options?: { signal?: AbortSignal }): Promise<{ size: number } | null>;
  list(prefix: string, startAfter?: string, options?: { signal?: AbortSignal }): Promise<ListPage>;
  delete(key: string, options?: { signal?: AbortSignal }): Promise<void>;
}

/** Every key under `prefix`, all pages. */
export async function listAll(store: ObjectStore, prefix: string, signal?: AbortSignal): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list(prefix, after, signal ? { signal } : {});
    out.push(...page.keys);
    if (page.next === undefined) return out;
    after = page.next;
  }
}
