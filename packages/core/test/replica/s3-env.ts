/**
 * The real object store of the replica suites: Ceph RGW started by scripts/s3.sh. The first
 * suite that needs it starts it (unless it is already up) and records which Vitest run did, so
 * the global teardown (s3-global-setup.ts) stops only what this run started.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createBucket, type S3StoreOptions } from '../../src/replica/s3-store.js';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const STATE = `${ROOT}.tmp/s3`;
export const STARTED_BY = `${STATE}/started-by`;
export const CREDENTIALS = { accessKeyId: 'TESTKEY', secretAccessKey: 'TESTSECRET' };

function status(): string | null {
  try {
    return execFileSync('bash', [`${ROOT}scripts/s3.sh`, 'status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The RGW endpoint, started when down (the Vitest main process is this worker's parent). */
export function s3Endpoint(): string {
  const up = status();
  if (up) return up;
  execFileSync('bash', [`${ROOT}scripts/s3.sh`, 'start'], { stdio: 'inherit', timeout: 180_000 });
  if (!existsSync(STARTED_BY)) writeFileSync(STARTED_BY, String(process.ppid));
  const url = status();
  if (!url) throw new Error('scripts/s3.sh start finished but the gateway is not up');
  return url;
}

/** A fresh bucket (CORS on) on the local RGW, and the options to reach it. */
export async function freshBucket(): Promise<S3StoreOptions & { bucket: string }> {
  const o = { endpoint: s3Endpoint(), bucket: `t-${randomBytes(6).toString('hex')}`, credentials: CREDENTIALS };
  await createBucket({ ...o, cors: true });
  return o;
}

export function startedByRun(pid: number): boolean {
  return existsSync(STARTED_BY) && readFileSync(STARTED_BY, 'utf8').trim() === String(pid);
}
