/**
 * A signer endpoint: the app's backend signs each request of the replica, so the device holds no
 * long-lived key. The spec (`{ url, headers? }`) is plain data, so it crosses `postMessage` and a
 * browser worker uses it without the page; Node accepts the same spec beside a signer function.
 *
 * For each S3 request the client POSTs a signing request (method, bucket, object key, listing
 * query, the headers that must be signed, an expiry wish; never a body) to `url` and gets back
 * either a presigned URL for exactly that request or short-lived credentials, which it then signs
 * with itself (SigV4, aws4fetch). Answers are cached until shortly before they expire; an answer
 * from the cache that fails is dropped, so the retry asks the endpoint again. The contract is in
 * docs/REPLICA.md ("Signer endpoint"). The spec's headers are kept in memory only, like credentials.
 */
import { AwsClient } from 'aws4fetch';
import { CipherliteError } from '../errors.js';
import { Retryable, type Timers } from './retry.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** An S3 request before signing (`S3ObjectStore` builds it; a signer signs or presigns it). */
export interface UnsignedRequest {
  method: 'GET' | 'PUT' | 'HEAD' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** The body of a PUT (its SHA-256 is part of a SigV4 signature). */
  body?: Uint8Array;
}

/** Where the app's backend signs the replica's requests. */
export interface SignerEndpoint {
  /** The endpoint (absolute http(s) URL; the browser page resolves a relative one against itself). */
  url: string;
  /** Sent with every signing request (e.g. the app's session token); in memory only. */
  headers?: Record<string, string>;
}

/** The JSON body POSTed to the endpoint. */
export interface SigningRequest {
  method: UnsignedRequest['method'];
  bucket: string;
  /** The object key (`''` for a bucket listing). */
  key: string;
  /** The query string (ListObjectsV2: `list-type`, `prefix`, `max-keys`, `start-after`); `{}` for an object. */
  query: Record<string, string>;
  /** Headers the request carries that the signature must cover (`if-none-match`, `content-type`). */
  headers: Record<string, string>;
  /** Seconds the client would like the answer to stay valid; the endpoint may give less. */
  expiresIn: number;
}

/** The endpoint's JSON answer: a presigned URL for this request, or short-lived credentials. */
export type SigningAnswer = { url: string; headers?: Record<string, string>; expiresIn: number } | { credentials: S3Credentials; expiresIn: number };

/** How long the client asks an answer to stay valid (s). */
export const SIGNING_EXPIRY_WISH = 900;
/** An answer is reused until this fraction of its lifetime has passed (clock skew, slow transfers). */
const REUSE_FRACTION = 0.8;
/** Cached presigned URLs kept at most (oldest dropped first). */
const MAX_CACHED_URLS = 256;

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const stringRecord = (v: unknown): v is Record<string, string> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** Throws `INVALID_ARGUMENT` unless `s` is a signer endpoint spec (header values are never printed). */
export function assertSignerEndpoint(s: unknown): asserts s is SignerEndpoint {
  const o = s as Partial<SignerEndpoint> | null;
  if (typeof o !== 'object' || o === null || !text(o.url) || !/^https?:\/\/[^/]+/.test(o.url) || (o.headers !== undefined && !stringRecord(o.headers))) {
    throw new CipherliteError('INVALID_ARGUMENT', 'replica.signer must be a function or { url: absolute http(s) URL, headers?: { [name]: string } }');
  }
}

/** The answer checked; anything else is an endpoint that does not keep the contract. */
function parseAnswer(v: unknown): SigningAnswer {
  const o = v as Record<string, unknown> | null;
  const life = o?.expiresIn;
  if (typeof o === 'object' && o !== null && typeof life === 'number' && Number.isFinite(life) && life > 0) {
    if (text(o.url) && /^https?:\/\//.test(o.url) && (o.headers === undefined || stringRecord(o.headers))) return o as SigningAnswer;
    const c = o.credentials as Partial<S3Credentials> | undefined;
    if (c && text(c.accessKeyId) && text(c.secretAccessKey) && (c.sessionToken === undefined || typeof c.sessionToken === 'string')) return o as SigningAnswer;
  }
  throw new CipherliteError('REPLICA_AUTH', 'the signer endpoint answered something other than { url, headers?, expiresIn } or { credentials, expiresIn }');
}

export interface EndpointSignerDeps {
  /** `<endpoint>/<bucket>`, as the store builds its URLs. */
  base: string;
  bucket: string;
  region: string;
  fetch: typeof fetch;
  timers: Timers;
  timeoutMs: number;
  now?: () => number;
}

type Signed = { url: string; headers?: Record<string, string> };

/** Signs through the app's endpoint, with a cache of its answers. */
export class EndpointSigner {
  readonly #spec: SignerEndpoint;
  readonly #deps: EndpointSignerDeps;
  readonly #now: () => number;
  readonly #urls = new Map<string, { signed: Signed; until: number }>();
  #credentials: { value: S3Credentials; until: number } | null = null;
  /** How each request under way was signed: which answer, and whether it came from the cache. */
  readonly #signedBy = new WeakMap<UnsignedRequest, { by: 'url' | 'credentials'; cached: boolean }>();

  constructor(spec: SignerEndpoint, deps: EndpointSignerDeps) {
    assertSignerEndpoint(spec);
    this.#spec = { url: spec.url, ...(spec.headers ? { headers: { ...spec.headers } } : {}) };
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The request to send for `req`: a cached answer while it is valid, else a new one from the endpoint. */
  async sign(req: UnsignedRequest, signal?: AbortSignal): Promise<Signed> {
    const id = cacheKey(req);
    const now = this.#now();
    const cached = this.#urls.get(id);
    if (cached && cached.until > now) {
      this.#signedBy.set(req, { by: 'url', cached: true });
      return cached.signed;
    }
    if (this.#credentials && this.#credentials.until > now) {
      this.#signedBy.set(req, { by: 'credentials', cached: true });
      return this.#signWith(this.#credentials.value, req);
    }
    const answer = await this.#ask(req, signal);
    const until = now + answer.expiresIn * 1000 * REUSE_FRACTION;
    if ('credentials' in answer) {
      this.#credentials = { value: answer.credentials, until };
      this.#signedBy.set(req, { by: 'credentials', cached: false });
      return this.#signWith(answer.credentials, req);
    }
    this.#signedBy.set(req, { by: 'url', cached: false });
    const signed = { url: answer.url, ...(answer.headers ? { headers: answer.headers } : {}) };
    this.#urls.delete(id);
    this.#urls.set(id, { signed, until });
    if (this.#urls.size > MAX_CACHED_URLS) this.#urls.delete(this.#urls.keys().next().value!);
    return signed;
  }

  /**
   * `req` failed: drops the answer it was signed with, so its next try asks the endpoint again.
   * True when that answer came from the cache (a refusal then may be an answer that expired
   * early or was revoked: worth one more try with a new one).
   */
  failed(req: UnsignedRequest): boolean {
    const how = this.#signedBy.get(req);
    if (!how) return false;
    this.#signedBy.delete(req);
    if (how.by === 'url') this.#urls.delete(cacheKey(req));
    else this.#credentials = null;
    return how.cached;
  }

  async #signWith(c: S3Credentials, req: UnsignedRequest): Promise<Signed> {
    const client = new AwsClient({ ...c, service: 's3', region: this.#deps.region, retries: 0 });
    const signed = await client.sign(req.url, { method: req.method, headers: req.headers, ...(req.body ? { body: new Uint8Array(req.body) } : {}) });
    return { url: signed.url, headers: record(signed.headers) };
  }

  async #ask(req: UnsignedRequest, signal?: AbortSignal): Promise<SigningAnswer> {
    const body: SigningRequest = { ...describe(req, this.#deps.base, this.#deps.bucket), expiresIn: SIGNING_EXPIRY_WISH };
    const ctl = new AbortController();
    const onAbort = (): void => ctl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = this.#deps.timers.setTimeout(() => ctl.abort(), this.#deps.timeoutMs);
    const what = `signer endpoint for ${req.method} ${body.key || 'listing'}`;
    try {
      let res: Response;
      try {
        res = await this.#deps.fetch(this.#spec.url, {
          method: 'POST',
          headers: { ...(this.#spec.headers ?? {}), 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: ctl.signal,
        });
      } catch (e) {
        if (signal?.aborted) throw new CipherliteError('CANCELLED', 'the replica operation was cancelled');
        throw new Retryable(
          new CipherliteError('REPLICA_UNAVAILABLE', `${what}: ${ctl.signal.aborted ? `no answer within ${this.#deps.timeoutMs} ms` : 'cannot be reached'}`, { object: body.key }, { cause: e }),
        );
      }
      if (res.status === 401 || res.status === 403) throw new CipherliteError('REPLICA_AUTH', `${what}: HTTP ${res.status} (the app refused to sign)`, { object: body.key, status: res.status });
      if (!res.ok) {
        const err = new CipherliteError('REPLICA_UNAVAILABLE', `${what}: HTTP ${res.status}`, { object: body.key, status: res.status });
        throw res.status >= 500 || res.status === 429 ? new Retryable(err) : err;
      }
      let json: unknown;
      try {
        json = await res.json();
      } catch (e) {
        throw new CipherliteError('REPLICA_AUTH', `${what}: the answer is not JSON`, { object: body.key }, { cause: e });
      }
      return parseAnswer(json);
    } finally {
      this.#deps.timers.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** The signing request's fields of `req`, whose URL is `<base>/<key>` or `<base>?<query>` (`base`: `<endpoint>/<bucket>`). */
function describe(req: UnsignedRequest, base: string, bucket: string): Omit<SigningRequest, 'expiresIn'> {
  const url = new URL(req.url);
  const path = `${url.origin}${url.pathname}`;
  const key = path.startsWith(`${base}/`)
    ? path
        .slice(base.length + 1)
        .split('/')
        .map(decodeURIComponent)
        .join('/')
    : '';
  return { method: req.method, bucket, key, query: record(url.searchParams), headers: { ...req.headers } };
}

/** A plain object of `Headers` or `URLSearchParams` (forEach: not every lib types them as iterable). */
function record(from: Headers | URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  from.forEach((value, name) => (out[name] = value));
  return out;
}

function cacheKey(req: UnsignedRequest): string {
  const headers = Object.entries(req.headers).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([req.method, req.url, headers]);
}
