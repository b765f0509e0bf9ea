/**
 * An app's signer endpoint (docs/REPLICA.md, "Signer endpoint"), as the replica tests run it: an
 * HTTP server on 127.0.0.1 that holds the S3 keys, checks the caller's bearer token and that the
 * object is under the one prefix it may sign for, and answers with a presigned URL (aws4fetch,
 * `signQuery`) or with credentials. CORS is open, so a browser worker on another origin calls it.
 * It records every signing request, and can be told to refuse or to hand out broken URLs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsClient } from 'aws4fetch';
import type { SigningAnswer, SigningRequest } from '../../src/replica/signer-endpoint.js';

export interface PresignEndpointOptions {
  /** The object store the endpoint signs for, and the keys only it holds. */
  s3: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string }; region?: string };
  /** The only prefix it signs for (`<prefix>/…`). */
  prefix: string;
  /** The bearer token a caller must send (`authorization: Bearer <token>`). */
  token: string;
  /** `url`: presigned URLs (default); `credentials`: the keys themselves, as an STS-backed endpoint would hand short-lived ones. */
  mode?: 'url' | 'credentials';
  /** Lifetime of an answer in seconds (default 300). */
  expiresIn?: number;
  /** The lifetime actually signed into a URL, when it should differ from the one answered (an answer that expires early). */
  urlExpiresIn?: number;
}

export interface PresignEndpoint {
  url: string;
  /** Every signing request answered or refused, in order. */
  requests: SigningRequest[];
  /** Raw request bodies' sizes in bytes (none carries an object body). */
  bodySizes: number[];
  /** Refuse every request with 403 while true. */
  refuse: boolean;
  /** The next N presigned URLs carry a wrong signature (an answer S3 refuses). */
  broken: number;
  close(): Promise<void>;
}

/** The endpoint's whole signing logic — the example of docs/REPLICA.md. */
export async function presign(s3: AwsClient, endpoint: string, r: SigningRequest, maxExpiresIn: number): Promise<SigningAnswer> {
  const expiresIn = Math.min(r.expiresIn, maxExpiresIn);
  const url = new URL(`${endpoint}/${r.bucket}${r.key ? `/${r.key.split('/').map(encodeURIComponent).join('/')}` : ''}`);
  for (const [name, value] of Object.entries(r.query)) url.searchParams.set(name, value);
  url.searchParams.set('X-Amz-Expires', String(expiresIn));
  const signed = await s3.sign(url.toString(), { method: r.method, headers: r.headers, aws: { signQuery: true } });
  return { url: signed.url, expiresIn };
}

const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'authorization, content-type', 'access-control-max-age': '600' };

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export async function startPresignEndpoint(o: PresignEndpointOptions): Promise<PresignEndpoint> {
  const s3 = new AwsClient({ ...o.s3.credentials, service: 's3', region: o.s3.region ?? 'us-east-1', retries: 0 });
  const lifetime = o.expiresIn ?? 300;
  const allowed = (r: SigningRequest): boolean =>
    ['GET', 'PUT', 'HEAD', 'DELETE'].includes(r.method) && (r.key || r.query.prefix || '').startsWith(`${o.prefix}/`) && !(r.key || r.query.prefix || '').includes('..');

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
    const raw = await readBody(req);
    const send = (status: number, body?: unknown): void => void res.writeHead(status, { ...CORS, 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
    if (req.method !== 'POST') return send(405);
    endpoint.bodySizes.push(raw.length);
    const r = JSON.parse(raw.toString('utf8')) as SigningRequest;
    endpoint.requests.push(r);
    if (endpoint.refuse || req.headers.authorization !== `Bearer ${o.token}` || !allowed(r)) return send(403, { error: 'not allowed' });
    if (o.mode === 'credentials') return send(200, { credentials: o.s3.credentials, expiresIn: lifetime });
    const signed = await presign(s3, o.s3.endpoint, r, o.urlExpiresIn ?? lifetime);
    signed.expiresIn = lifetime;
    if (endpoint.broken > 0 && 'url' in signed) {
      endpoint.broken--;
      const u = new URL(signed.url);
      u.searchParams.set('X-Amz-Signature', '0'.repeat(64));
      return send(200, { ...signed, url: u.toString() });
    }
    send(200, signed);
  };

  const server = createServer((req, res) => {
    answer(req, res).catch((e: unknown) => {
      res.writeHead(500, CORS).end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint: PresignEndpoint = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/s3-presign`,
    requests: [],
    bodySizes: [],
    refuse: false,
    broken: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return endpoint;
}
