/**
 * The signer endpoint (`signer: { url, headers? }`) on Ceph RGW: the app's endpoint (a small HTTP
 * server in the test, holding the S3 keys) signs every request of push, restore and verify; the
 * client holds no key, sends no body to the endpoint, caches answers until they expire, asks
 * again when a cached answer is refused, and a refusing endpoint is REPLICA_AUTH with the queue kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../../src/index.js';
import { restoreFromReplica, S3ObjectStore, startReplica, verifyReplica, type Replica, type SignerEndpoint } from '../../src/replica/index.js';
import { FAST_KDF } from '../helpers.js';
import { startPresignEndpoint, type PresignEndpoint, type PresignEndpointOptions } from './presign-endpoint.js';
import { bucket, openDb, PASSWORD, rows, sell } from './replica-helpers.js';
import { CREDENTIALS } from './s3-env.js';

const TOKEN = 'app-session-token-91c2';
const open: (Database | Replica | PresignEndpoint)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? x.close() : 'stop' in x ? x.stop() : x.close());
});

/** A bucket, the app's endpoint for `prefix` in it, and the client-side replica target (no credentials). */
async function setup(prefix: string, o: Partial<PresignEndpointOptions> = {}) {
  const b = await bucket();
  const endpoint = await startPresignEndpoint({ s3: { endpoint: b.s3.endpoint, credentials: CREDENTIALS }, prefix, token: TOKEN, ...o });
  open.push(endpoint);
  const signer: SignerEndpoint = { url: endpoint.url, headers: { authorization: `Bearer ${TOKEN}` } };
  // What goes out to the object store, to check no request carries a key of ours.
  const sent: { url: string; authorization: string | null }[] = [];
  const fetchSpy: typeof fetch = (input, init) => {
    // The store sends a Request; the signer POSTs to the endpoint with a URL string.
    if (input instanceof Request) sent.push({ url: input.url, authorization: input.headers.get('authorization') });
    return fetch(input, init);
  };
  const target = { endpoint: b.s3.endpoint, bucket: b.s3.bucket, prefix, signer, fetch: fetchSpy };
  return { b, endpoint, signer, target, sent };
}

async function shop(): Promise<Database> {
  const db = await openDb();
  open.push(db);
  await db.exec('CREATE TABLE IF NOT EXISTS sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
  return db;
}

async function restored(replica: object): Promise<Database> {
  const db = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: replica as { prefix: string }, password: PASSWORD, kdf: FAST_KDF });
  open.push(db);
  return db;
}

const S3_REQUEST_FIELDS = ['bucket', 'expiresIn', 'headers', 'key', 'method', 'query'];

describe('signer endpoint on Ceph RGW', () => {
  it('presigned URLs: push, restore and verify with no key on the client; the endpoint sees no body', async () => {
    const { endpoint, target, sent } = await setup('shop/till-1');
    const db = await shop();
    const replica = startReplica(db, { ...target, debounceMs: 60_000 });
    open.push(replica);
    await sell(db, 12);
    expect(await replica.pushNow()).toMatchObject({ state: 'idle', pendingCommits: 0, lastError: null });

    const copy = await restored(target);
    expect(await rows(copy)).toEqual(await rows(db));
    const report = await verifyReplica({ replica: target, password: PASSWORD });
    expect(report.entries).toBe(report.tipSeq + 1);

    const methods = new Set(endpoint.requests.map((r) => r.method));
    expect([...methods]).toEqual(expect.arrayContaining(['GET', 'PUT']));
    for (const r of endpoint.requests) expect(Object.keys(r).sort()).toEqual(S3_REQUEST_FIELDS);
    expect(endpoint.requests.some((r) => r.method === 'PUT' && r.headers['if-none-match'] === '*')).toBe(true);
    expect(endpoint.requests.some((r) => r.key === '' && r.query['list-type'] === '2' && r.query.prefix?.startsWith('shop/till-1/'))).toBe(true);
    // A snapshot's pages are several KiB each; no signing request carries them.
    expect(Math.max(...endpoint.bodySizes)).toBeLessThan(600);
    // Every request to the store is a presigned URL; none carries an Authorization header or our key id.
    expect(sent.length).toBeGreaterThan(5);
    for (const r of sent) {
      expect(r.authorization).toBeNull();
      expect(new URL(r.url).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('an object outside the prefix the app signs for, or a wrong token: REPLICA_AUTH; a refusing endpoint keeps the queue, and pushing resumes', async () => {
    const { b, endpoint, signer, target } = await setup('shop/till-1');
    await expect(restored({ ...target, prefix: 'shop/till-2' })).rejects.toMatchObject({ code: 'REPLICA_AUTH' });
    await expect(restored({ ...target, signer: { ...signer, headers: { authorization: 'Bearer guessed' } } })).rejects.toMatchObject({ code: 'REPLICA_AUTH' });

    const db = await shop();
    const replica = startReplica(db, { ...target, debounceMs: 1, retryMinMs: 20, retryMaxMs: 50 });
    open.push(replica);
    await replica.pushNow();
    endpoint.refuse = true;
    await sell(db, 3);
    let seen: ReturnType<typeof replica.status> | undefined;
    await expect
      .poll(
        () => {
          const s = replica.status();
          if (s.state === 'error' && s.lastError?.code === 'REPLICA_AUTH') seen = s;
          return seen?.lastError?.code;
        },
        { timeout: 10_000 },
      )
      .toBe('REPLICA_AUTH');
    expect(seen).toMatchObject({ pendingCommits: 3 });
    endpoint.refuse = false;
    await expect.poll(() => replica.status().state, { timeout: 10_000 }).toBe('idle');
    expect(await rows(await restored({ ...b.s3, prefix: 'shop/till-1' }))).toEqual(await rows(db));
  });

  it('answers are cached while valid; a cached URL the store refuses (expired early) is dropped and signed again', async () => {
    // The endpoint says 300 s but signs for 3 s: the cached URL stops working long before the client
    // expects (3 s, not 1: on a loaded machine a fresh URL must still be valid when it is first used).
    const { b, endpoint, target } = await setup('c', { urlExpiresIn: 3 });
    await new S3ObjectStore(b.s3).put('c/object', new Uint8Array([1, 2, 3]));
    const store = new S3ObjectStore(target);
    expect(await store.get('c/object')).toEqual(new Uint8Array([1, 2, 3]));
    expect(await store.get('c/object')).toEqual(new Uint8Array([1, 2, 3]));
    expect(endpoint.requests).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 4100));
    expect(await store.get('c/object')).toEqual(new Uint8Array([1, 2, 3]));
    expect(endpoint.requests).toHaveLength(2);
  });

  it('a fresh answer the store refuses is REPLICA_AUTH (not retried as if expired), and is not cached', async () => {
    const { b, endpoint, target } = await setup('c');
    await new S3ObjectStore(b.s3).put('c/object', new Uint8Array([9]));
    const store = new S3ObjectStore(target);
    endpoint.broken = 1;
    await expect(store.get('c/object')).rejects.toMatchObject({ code: 'REPLICA_AUTH', details: { status: 403 } });
    expect(endpoint.requests).toHaveLength(1);
    expect(await store.get('c/object')).toEqual(new Uint8Array([9]));
    expect(endpoint.requests).toHaveLength(2);
  });

  it('short-lived credentials: the client signs with them until they near expiry, then asks again', async () => {
    const { b, endpoint, target, sent } = await setup('c', { mode: 'credentials', expiresIn: 1 });
    await new S3ObjectStore(b.s3).put('c/a', new Uint8Array([1]));
    await new S3ObjectStore(b.s3).put('c/b', new Uint8Array([2]));
    const store = new S3ObjectStore(target);
    expect(await store.get('c/a')).toEqual(new Uint8Array([1]));
    expect(await store.get('c/b')).toEqual(new Uint8Array([2]));
    expect(endpoint.requests).toHaveLength(1);
    expect(sent.every((r) => r.authorization?.startsWith('AWS4-HMAC-SHA256 '))).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await store.get('c/a')).toEqual(new Uint8Array([1]));
    expect(endpoint.requests).toHaveLength(2);
  });

  it('a spec that is not { url: absolute http(s) URL, headers? } is INVALID_ARGUMENT', () => {
    const b = { endpoint: 'http://127.0.0.1:1', bucket: 'some-bucket' };
    expect(() => new S3ObjectStore({ ...b, signer: { url: '/api/s3-presign' } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new S3ObjectStore({ ...b, signer: { url: 'https://app.example/sign', headers: { n: 1 } } as unknown as SignerEndpoint })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => new S3ObjectStore({ ...b, credentials: CREDENTIALS, signer: { url: 'https://app.example/sign' } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
