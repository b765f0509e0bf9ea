/**
 * `ObjectStore` over the S3 REST API with fetch and SigV4 (aws4fetch: 3 KB gzipped, runs in workers):
 * PutObject (with `If-None-Match: *`), GetObject, HeadObject, ListObjectsV2, DeleteObject, with
 * path-style URLs (`<endpoint>/<bucket>/<key>`), which every S3-compatible service accepts.
 *
 * Credentials: long-lived keys, a function returning short-lived ones (called per request, so an
 * app that refreshes them needs no call into the replica), or a `signer`: a function that turns an
 * unsigned request into a signed one or a presigned URL, or the spec of the app's signer endpoint
 * (signer-endpoint.ts: plain data, so a browser worker can use it). Errors are typed (see
 * object-store.ts); secrets never appear in a message.
 */
import { AwsClient } from 'aws4fetch';
import { CipherliteError } from '../errors.js';
import type { ListPage, ObjectStore, PutOptions, PutResult } from './object-store.js';
import { DEFAULT_RETRY, realTimers, Retryable, withRetry, type RetryPolicy, type Timers } from './retry.js';
import { EndpointSigner, type S3Credentials, type SignerEndpoint, type UnsignedRequest } from './signer-endpoint.js';

export type { S3Credentials, UnsignedRequest };

/** Returns the request to send: the same URL with signature headers, or a presigned URL. */
export type S3Signer = (request: UnsignedRequest) => Promise<{ url: string; headers?: Record<string, string> }>;

export interface S3StoreOptions {
  /** `https://s3.us-east-1.amazonaws.com`, `https://<account>.r2.cloudflarestorage.com`, `http://127.0.0.1:17480`. */
  endpoint: string;
  bucket: string;
  /** SigV4 region (default `us-east-1`; R2: `auto`). */
  region?: string;
  credentials?: S3Credentials | (() => Promise<S3Credentials>);
  /** A signing function, or the app's signer endpoint `{ url, headers? }` (docs/REPLICA.md, "Signer endpoint"). */
  signer?: S3Signer | SignerEndpoint;
  /** Per-attempt timeout in ms (default 15000). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Keys per ListObjectsV2 page (default 1000, S3's maximum). */
  listPageSize?: number;
  fetch?: typeof fetch;
  timers?: Timers;
  random?: () => number;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

export class S3ObjectStore implements ObjectStore {
  readonly #base: string;
  readonly #region: string;
  readonly #credentials: S3StoreOptions['credentials'];
  readonly #signer: S3Signer | EndpointSigner | undefined;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #listPageSize: number;
  readonly #fetch: typeof fetch;
  readonly #timers: Timers;
  readonly #random: () => number;

  constructor(o: S3StoreOptions) {
    if (typeof o.endpoint !== 'string' || !/^https?:\/\/[^/]+/.test(o.endpoint)) throw new CipherliteError('INVALID_ARGUMENT', 'replica.endpoint must be an http(s) URL');
    if (typeof o.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(o.bucket)) throw new CipherliteError('INVALID_ARGUMENT', 'replica.bucket must be a valid S3 bucket name');
    if (!o.credentials === !o.signer) throw new CipherliteError('INVALID_ARGUMENT', 'replica needs exactly one of credentials or signer');
    this.#base = `${o.endpoint.replace(/\/+$/, '')}/${o.bucket}`;
    this.#region = o.region ?? 'us-east-1';
    this.#credentials = o.credentials;
    this.#timeoutMs = o.timeoutMs ?? 15_000;
    this.#retry = { ...DEFAULT_RETRY, ...(o.retry ?? {}) };
    this.#listPageSize = o.listPageSize ?? 1000;
    this.#fetch = o.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timers = o.timers ?? realTimers;
    this.#random = o.random ?? Math.random;
    const deps = { base: this.#base, bucket: o.bucket, region: this.#region, fetch: this.#fetch, timers: this.#timers, timeoutMs: this.#timeoutMs };
    this.#signer = o.signer === undefined || typeof o.signer === 'function' ? o.signer : new EndpointSigner(o.signer, deps);
  }

  async put(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (options.ifNoneMatch) headers['if-none-match'] = '*';
    const res = await this.#send({ method: 'PUT', url: this.#url(key), headers, body: bytes }, key, options.signal, options.ifNoneMatch ? [412] : []);
    return res.status === 412 ? 'taken' : 'created';
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array | null> {
    const res = await this.#send({ method: 'GET', url: this.#url(key), headers: {} }, key, options.signal, [404], true);
    return res.status === 404 ? null : res.body!;
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<{ size: number } | null> {
    const res = await this.#send({ method: 'HEAD', url: this.#url(key), headers: {} }, key, options.signal, [404]);
    return res.status === 404 ? null : { size: Number(res.headers.get('content-length') ?? 0) };
  }

  async list(prefix: string, startAfter?: string, options: { signal?: AbortSignal } = {}): Promise<ListPage> {
    const q = new URLSearchParams({ 'list-type': '2', prefix, 'max-keys': String(this.#listPageSize) });
    if (startAfter !== undefined) q.set('start-after', startAfter);
    const res = await this.#send({ method: 'GET', url: `${this.#base}?${q.toString()}`, headers: {} }, prefix, options.signal, [], true);
    return parseListing(new TextDecoder().decode(res.body));
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#send({ method: 'DELETE', url: this.#url(key), headers: {} }, key, options.signal, [404]);
  }

  #url(key: string): string {
    return `${this.#base}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async #sign(req: UnsignedRequest, signal: AbortSignal | undefined): Promise<Request> {
    const body = req.body ? new Uint8Array(req.body) : null;
    if (this.#signer) {
      const signed = this.#signer instanceof EndpointSigner ? await this.#signer.sign(req, signal) : await this.#signer(req);
      return new Request(signed.url, { method: req.method, headers: { ...req.headers, ...(signed.headers ?? {}) }, body });
    }
    const c = typeof this.#credentials === 'function' ? await this.#credentials() : this.#credentials!;
    const client = new AwsClient({ ...c, service: 's3', region: this.#region, retries: 0 });
    return client.sign(req.url, { method: req.method, headers: req.headers, body });
  }

  /** One request with retries; `accept` lists the non-2xx statuses that are answers, not failures. */
  #send(req: UnsignedRequest, key: string, signal: AbortSignal | undefined, accept: number[], readBody = false): Promise<{ status: number; headers: Headers; body?: Uint8Array }> {
    const what = `${req.method} ${key}`;
    return withRetry(
      async () => {
        if (signal?.aborted) throw new CipherliteError('CANCELLED', 'the replica operation was cancelled');
        const request = await this.#sign(req, signal);
        const ctl = new AbortController();
        const onAbort = (): void => ctl.abort();
        signal?.addEventListener('abort', onAbort, { once: true });
        const timer = this.#timers.setTimeout(() => ctl.abort(), this.#timeoutMs);
        try {
          let res: Response;
          try {
            res = await this.#fetch(request, { signal: ctl.signal });
          } catch (e) {
            if (signal?.aborted) throw new CipherliteError('CANCELLED', 'the replica operation was cancelled');
            const timedOut = ctl.signal.aborted;
            throw new Retryable(
              new CipherliteError('REPLICA_UNAVAILABLE', `${what}: ${timedOut ? `no answer within ${this.#timeoutMs} ms` : 'the object store cannot be reached'}`, { object: key }, { cause: e }),
            );
          }
          const body = readBody || !res.ok ? new Uint8Array(await res.arrayBuffer()) : undefined;
          if (res.ok || accept.includes(res.status)) return { status: res.status, headers: res.headers, ...(body ? { body } : {}) };
          const failure = classify(res.status, body, what, key);
          // A refused answer from the signer endpoint's cache may have expired early: ask again.
          if (this.#signer instanceof EndpointSigner && this.#signer.failed(req) && failure instanceof CipherliteError && failure.code === 'REPLICA_AUTH') throw new Retryable(failure);
          throw failure;
        } catch (e) {
          if (this.#signer instanceof EndpointSigner) this.#signer.failed(req);
          if (e instanceof Retryable || e instanceof CipherliteError) throw e;
          // The body stream broke or timed out mid-transfer.
          throw new Retryable(new CipherliteError('REPLICA_UNAVAILABLE', `${what}: the transfer was interrupted`, { object: key }, { cause: e }));
        } finally {
          this.#timers.clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        }
      },
      this.#retry,
      this.#timers,
      this.#random,
      signal,
    );
  }
}

/** A failed answer as a typed error; `Retryable` when another try may succeed. */
function classify(status: number, body: Uint8Array | undefined, what: string, key: string): Error {
  const code = /<Code>([^<]*)<\/Code>/.exec(new TextDecoder().decode(body ?? new Uint8Array()))?.[1] ?? '';
  const label = `${what}: HTTP ${status}${code ? ` ${code}` : ''}`;
  if (RETRY_STATUS.has(status) || code === 'SlowDown' || code === 'RequestTimeout' || code === 'ConditionalRequestConflict' || status === 409) {
    return new Retryable(new CipherliteError('REPLICA_UNAVAILABLE', label, { object: key, status }));
  }
  if (status === 401 || status === 403) {
    return new CipherliteError('REPLICA_AUTH', `${label} (credentials expired, refused or lacking permission)`, { object: key, status });
  }
  return new CipherliteError('REPLICA_UNAVAILABLE', label, { object: key, status });
}

function xmlText(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The keys of a ListObjectsV2 answer (a regular grammar: no XML parser needed, none in Node). */
export function parseListing(xml: string): ListPage {
  if (!xml.includes('<ListBucketResult')) throw new CipherliteError('REPLICA_CORRUPT', 'ListObjectsV2: the answer is not a listing');
  const keys: { key: string; size: number }[] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1];
    const size = /<Size>(\d+)<\/Size>/.exec(m[1]!)?.[1];
    if (key === undefined) throw new CipherliteError('REPLICA_CORRUPT', 'ListObjectsV2: an entry without a key');
    keys.push({ key: xmlText(key), size: Number(size ?? 0) });
  }
  const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
  return truncated && keys.length > 0 ? { keys, next: keys[keys.length - 1]!.key } : { keys };
}

/** Creates `bucket` (tests, demos, the CLI); an existing bucket owned by the same user is fine. */
export async function createBucket(o: S3StoreOptions & { cors?: boolean }): Promise<void> {
  const base = `${o.endpoint.replace(/\/+$/, '')}/${o.bucket}`;
  const c = typeof o.credentials === 'function' ? await o.credentials() : o.credentials;
  if (!c) throw new CipherliteError('INVALID_ARGUMENT', 'createBucket needs credentials');
  const client = new AwsClient({ ...c, service: 's3', region: o.region ?? 'us-east-1', retries: 0 });
  const res = await client.fetch(base, { method: 'PUT' });
  if (!res.ok && res.status !== 409) throw classify(res.status, new Uint8Array(await res.arrayBuffer()), `PUT bucket ${o.bucket}`, o.bucket);
  if (!o.cors) return;
  // Any origin may call with the replica's methods and headers; the signature still guards access.
  const xml =
    '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>' +
    '<AllowedMethod>HEAD</AllowedMethod><AllowedMethod>DELETE</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>';
  const md5 = await contentMd5(xml);
  const cors = await client.fetch(`${base}?cors`, { method: 'PUT', body: xml, headers: { 'content-md5': md5 } });
  if (!cors.ok) throw classify(cors.status, new Uint8Array(await cors.arrayBuffer()), `PUT bucket CORS ${o.bucket}`, o.bucket);
}

async function contentMd5(text: string): Promise<string> {
  const { md5 } = await import('@noble/hashes/legacy.js');
  const digest = md5(new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...digest));
}
