/**
 * The real object store of the browser replica specs: Ceph RGW from scripts/s3.sh, started when
 * down and stopped again only by the spec that started it. Bucket access from Node (listing every
 * object, tampering with one, verifying the chain) goes through core's own S3 client.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { S3ObjectStore, createBucket, listAll, verifyReplica, type VerifyReplicaResult } from '@cipherlite/core/replica';
import { FAST_KDF } from './fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CREDENTIALS = { accessKeyId: 'TESTKEY', secretAccessKey: 'TESTSECRET' };

function status(): string | null {
  try {
    return execFileSync('bash', [`${ROOT}scripts/s3.sh`, 'status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Starts the gateway unless it is up; returns its endpoint and whether this call started it. */
export function startS3(): { endpoint: string; started: boolean } {
  const up = status();
  if (up) return { endpoint: up, started: false };
  // On a loaded machine the monitor can still be starting when the script asks it for the OSD
  // (`EPERM: problem getting command descriptions from mon`): one more attempt from scratch.
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync('bash', [`${ROOT}scripts/s3.sh`, 'start'], { stdio: 'inherit', timeout: 240_000 });
      break;
    } catch (e) {
      // A start that failed half-way leaves daemons it recorded: they are this run's to stop.
      stopS3();
      if (attempt === 2) throw e;
    }
  }
  const endpoint = status();
  if (!endpoint) throw new Error('scripts/s3.sh start finished but the gateway is not up');
  return { endpoint, started: true };
}

export function stopS3(): void {
  execFileSync('bash', [`${ROOT}scripts/s3.sh`, 'stop'], { stdio: 'inherit' });
}

export interface Bucket {
  endpoint: string;
  bucket: string;
  prefix: string;
  credentials: typeof CREDENTIALS;
}

/** A fresh bucket with CORS on (any origin; the signature still guards access). */
export async function freshBucket(endpoint: string): Promise<Bucket> {
  const bucket = `e2e-${randomBytes(6).toString('hex')}`;
  await createBucket({ endpoint, bucket, credentials: CREDENTIALS, cors: true });
  return { endpoint, bucket, prefix: 'shop/till-1', credentials: CREDENTIALS };
}

function store(b: Bucket): S3ObjectStore {
  return new S3ObjectStore({ endpoint: b.endpoint, bucket: b.bucket, credentials: b.credentials });
}

/** Every object of the bucket with its bytes. */
export async function objects(b: Bucket): Promise<{ key: string; bytes: Uint8Array }[]> {
  const s = store(b);
  const out: { key: string; bytes: Uint8Array }[] = [];
  for (const o of await listAll(s, '')) out.push({ key: o.key, bytes: (await s.get(o.key))! });
  return out;
}

/** Object keys and where any of `markers` (or SQLite's magic) occurs in any object's bytes. */
export async function scanBucket(b: Bucket, markers: string[]): Promise<{ keys: string[]; hits: string[] }> {
  const all = await objects(b);
  const hits: string[] = [];
  for (const { key, bytes } of all) {
    const text = Buffer.from(bytes).toString('latin1');
    for (const m of [...markers, 'SQLite format 3']) if (text.includes(m) || key.includes(m)) hits.push(`${key}: ${m}`);
  }
  return { keys: all.map((o) => o.key), hits };
}

/** Flips one bit of `key`'s body (past its plaintext envelope), written back unconditionally. */
export async function tamper(b: Bucket, key: string): Promise<void> {
  const s = store(b);
  const bytes = (await s.get(key))!;
  bytes[bytes.length - 40]! ^= 0x01;
  await s.put(key, bytes);
}

export function verify(b: Bucket, password: string): Promise<VerifyReplicaResult> {
  return verifyReplica({ replica: { ...b }, password });
}

export const replicaOptions = (b: Bucket) => ({ ...b, debounceMs: 50, retryMinMs: 200, retryMaxMs: 1000 });
export { FAST_KDF };
