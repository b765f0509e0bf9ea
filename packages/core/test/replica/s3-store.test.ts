/**
 * The S3 client against a real S3 service (Ceph RGW, scripts/s3.sh): the conditional create that
 * orders the log, reads, listing across pages, deletes, typed errors, and retries — faults are
 * injected in front of the real gateway (a fetch that fails some calls, then forwards).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isCipherliteError } from '../../src/errors.js';
import { listAll } from '../../src/replica/object-store.js';
import { MemoryObjectStore } from '../../src/replica/memory-store.js';
import { S3ObjectStore, type S3StoreOptions } from '../../src/replica/s3-store.js';
import { CREDENTIALS, freshBucket } from './s3-env.js';

let opts: S3StoreOptions;
beforeAll(async () => {
  opts = await freshBucket();
}, 200_000);

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const noWait = { retry: { baseMs: 1, maxMs: 1 } };

async function failureOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isCipherliteError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a failure');
}

describe('S3ObjectStore on Ceph RGW', () => {
  it('creates an object only once with If-None-Match: * (the second writer gets "taken", the object keeps the first bytes)', async () => {
    const s = new S3ObjectStore(opts);
    expect(await s.put('c/log/1', bytes(1), { ifNoneMatch: true })).toBe('created');
    expect(await s.put('c/log/1', bytes(2), { ifNoneMatch: true })).toBe('taken');
    expect(await s.get('c/log/1')).toEqual(bytes(1));
    expect(await s.head('c/log/1')).toEqual({ size: 1 });
  });

  it('answers null for a missing object, deletes idempotently', async () => {
    const s = new S3ObjectStore(opts);
    expect(await s.get('c/none')).toBeNull();
    expect(await s.head('c/none')).toBeNull();
    await s.put('c/del', bytes(9));
    await s.delete('c/del');
    await s.delete('c/del');
    expect(await s.get('c/del')).toBeNull();
  });

  it('lists every key in order across ListObjectsV2 pages', async () => {
    const s = new S3ObjectStore({ ...opts, listPageSize: 2 });
    const keys = ['l/0', 'l/1', 'l/2', 'l/3', 'l/4'];
    for (const k of keys) await s.put(k, bytes(1, 2));
    const first = await s.list('l/');
    expect(first.keys.map((k) => k.key)).toEqual(['l/0', 'l/1']);
    expect(first.next).toBe('l/1');
    expect((await listAll(s, 'l/')).map((k) => k.key)).toEqual(keys);
    expect((await listAll(s, 'l/')).every((k) => k.size === 2)).toBe(true);
  });

  it('wrong or expired credentials are REPLICA_AUTH, with no secret in the message', async () => {
    const s = new S3ObjectStore({ ...opts, credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-secret' } });
    const f = await failureOf(s.get('c/log/1'));
    expect(f.code).toBe('REPLICA_AUTH');
    expect(f.message).not.toContain('not-the-secret');
  });

  it('a credentials function is asked per request, so refreshed credentials are picked up without a restart', async () => {
    let current = { ...CREDENTIALS, secretAccessKey: 'expired' };
    const s = new S3ObjectStore({ ...opts, credentials: () => Promise.resolve(current) });
    expect((await failureOf(s.get('c/log/1'))).code).toBe('REPLICA_AUTH');
    current = CREDENTIALS;
    expect(await s.get('c/log/1')).toEqual(bytes(1));
  });

  it('a signer hook signs every request (here: the app signs with its own SigV4 client)', async () => {
    const { AwsClient } = await import('aws4fetch');
    const app = new AwsClient({ ...CREDENTIALS, service: 's3', region: 'us-east-1' });
    const seen: string[] = [];
    const s = new S3ObjectStore({
      endpoint: opts.endpoint,
      bucket: opts.bucket,
      signer: async (req) => {
        seen.push(req.method);
        const signed = await app.sign(req.url, { method: req.method, headers: req.headers, body: req.body ? new Uint8Array(req.body) : null });
        return { url: signed.url, headers: Object.fromEntries(signed.headers) };
      },
    });
    expect(await s.put('c/signed', bytes(7), { ifNoneMatch: true })).toBe('created');
    expect(await s.get('c/signed')).toEqual(bytes(7));
    expect(seen).toEqual(['PUT', 'GET']);
  });

  it('retries 500, 503 SlowDown and refused connections, then succeeds against the gateway', async () => {
    const failures = [
      () => new Response('<Error><Code>InternalError</Code></Error>', { status: 500 }),
      () => new Response('<Error><Code>SlowDown</Code></Error>', { status: 503 }),
      () => {
        throw new TypeError('fetch failed');
      },
    ];
    let calls = 0;
    const s = new S3ObjectStore({
      ...opts,
      ...noWait,
      fetch: (input, init) => {
        calls++;
        const f = failures.shift();
        return f ? Promise.resolve().then(f) : fetch(input, init);
      },
    });
    expect(await s.put('c/retried', bytes(5), { ifNoneMatch: true })).toBe('created');
    expect(calls).toBe(4);
    expect(await s.get('c/retried')).toEqual(bytes(5));
  });

  it('a black-holed request times out and, retries spent, is REPLICA_UNAVAILABLE', async () => {
    let calls = 0;
    const s = new S3ObjectStore({
      ...opts,
      timeoutMs: 50,
      retry: { attempts: 3, baseMs: 1, maxMs: 1 },
      fetch: (_input, init) => {
        calls++;
        return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      },
    });
    const f = await failureOf(s.get('c/log/1'));
    expect(f.code).toBe('REPLICA_UNAVAILABLE');
    expect(f.message).toContain('no answer within 50 ms');
    expect(calls).toBe(3);
  });

  it('a refused port is REPLICA_UNAVAILABLE; an abort signal ends the wait with CANCELLED', async () => {
    const off = new S3ObjectStore({ ...opts, endpoint: 'http://127.0.0.1:9', retry: { attempts: 2, baseMs: 1, maxMs: 1 } });
    expect((await failureOf(off.get('x'))).code).toBe('REPLICA_UNAVAILABLE');
    const slow = new S3ObjectStore({ ...opts, endpoint: 'http://127.0.0.1:9', retry: { attempts: 10, baseMs: 10_000, maxMs: 10_000 } });
    const ctl = new AbortController();
    const p = failureOf(slow.get('x', { signal: ctl.signal }));
    setTimeout(() => ctl.abort(), 50);
    expect((await p).code).toBe('CANCELLED');
  });
});

describe('MemoryObjectStore keeps the same contract', () => {
  it('conditional create, ordered paginated listing, idempotent delete', async () => {
    const m = new MemoryObjectStore({ pageSize: 2 });
    expect(await m.put('a/2', bytes(2), { ifNoneMatch: true })).toBe('created');
    expect(await m.put('a/2', bytes(3), { ifNoneMatch: true })).toBe('taken');
    await m.put('a/1', bytes(1));
    await m.put('a/3', bytes(3));
    expect((await m.list('a/')).next).toBe('a/2');
    expect((await listAll(m, 'a/')).map((k) => k.key)).toEqual(['a/1', 'a/2', 'a/3']);
    await m.delete('a/9');
    expect(await m.get('a/2')).toEqual(bytes(2));
  });
});
