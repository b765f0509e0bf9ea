/** `cipherlite replica status|verify|restore` in-process against Ceph RGW (scripts/s3.sh), with real files; with credentials, and through a local signer endpoint that presigns. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '@cipherlite/core';
import { NodeFsStorage } from '@cipherlite/core/node';
import { startReplica } from '@cipherlite/core/replica';
import { run, type CliIo } from '../src/cli.js';
import { CREDENTIALS, freshBucket } from '../../core/test/replica/s3-env.js';
import { startPresignEndpoint, type PresignEndpoint } from '../../core/test/replica/presign-endpoint.js';

const PASSWORD = 'till password';
const KDF = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 };
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cipherlite-replica-cli-'));
  const s3 = await freshBucket();
  const db = await Database.open({ storage: new NodeFsStorage(dir), name: 'till.db', password: PASSWORD, kdf: KDF });
  await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT)');
  const replica = startReplica(db, { ...s3, prefix: 'till', debounceMs: 10_000, snapshotEvery: 2 });
  await replica.pushNow();
  for (let i = 1; i <= 3; i++) {
    await db.exec('INSERT INTO sales VALUES (?, ?)', [i, `latte ${i}`]);
    await replica.pushNow();
  }
  await replica.stop();
  await db.close();
  env = {
    CIPHERLITE_REPLICA_ENDPOINT: s3.endpoint,
    CIPHERLITE_REPLICA_BUCKET: s3.bucket,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    CIPHERLITE_PASSWORD: PASSWORD,
  };
}, 200_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], extra: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { ...env, ...extra }, cwd: dir, prompt: () => Promise.resolve(null) };
  return { code: await run(argv, io), out, err };
}

describe('cipherlite replica', () => {
  it('status lists the replica without a key', async () => {
    const r = await cli(['replica', 'status', '--prefix', 'till', '--json'], { CIPHERLITE_PASSWORD: '' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ generations: 1, newestSeq: 4 });
  });

  it('verify checks every object; a wrong password exits 3', async () => {
    const ok = await cli(['replica', 'verify', '--prefix', 'till']);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toMatch(/^ok: generation 0, log entries \d+\.\.4/);
    expect((await cli(['replica', 'verify', '--prefix', 'till'], { CIPHERLITE_PASSWORD: 'nope' })).code).toBe(3);
  });

  it('restore creates the database (the tip, or --seq) and it opens with the same password', async () => {
    expect((await cli(['replica', 'restore', 'new.db', '--prefix', 'till', '--kdf-memory', '19456', '--kdf-iterations', '2'])).code).toBe(0);
    expect((await cli(['replica', 'restore', 'old.db', '--prefix', 'till', '--seq', '2', '--kdf-memory', '19456', '--kdf-iterations', '2'])).code).toBe(0);
    for (const [name, n] of [
      ['new.db', 3],
      ['old.db', 1],
    ] as const) {
      const db = await Database.open({ storage: new NodeFsStorage(dir), name, password: PASSWORD, create: false });
      expect(await db.query('SELECT count(*) AS n FROM sales')).toEqual([{ n }]);
      await db.close();
    }
  });

  it('restore --generation reads that generation: 0 is the one there, a later one is not in the replica', async () => {
    const kdf = ['--kdf-memory', '19456', '--kdf-iterations', '2'];
    expect((await cli(['replica', 'restore', 'gen0.db', '--prefix', 'till', '--generation', '0', ...kdf])).code).toBe(0);
    const db = await Database.open({ storage: new NodeFsStorage(dir), name: 'gen0.db', password: PASSWORD, create: false });
    expect(await db.query('SELECT count(*) AS n FROM sales')).toEqual([{ n: 3 }]);
    await db.close();
    const later = await cli(['replica', 'restore', 'gen1.db', '--prefix', 'till', '--generation', '1', ...kdf]);
    expect(later.code).not.toBe(0);
    expect(later.err).toMatch(/generation 1 is not in the replica/);
    expect((await cli(['replica', 'restore', 'bad.db', '--prefix', 'till', '--generation', 'x'])).code).toBe(2);
  });

  it('missing location or credentials is a usage error (exit 2)', async () => {
    expect((await cli(['replica', 'status'])).code).toBe(2);
    expect((await cli(['replica', 'status', '--prefix', 'till'], { AWS_SECRET_ACCESS_KEY: '' })).code).toBe(2);
  });
});

describe('cipherlite replica through a signer endpoint (no credentials on this machine)', () => {
  const TOKEN = 'cli-session-8c2f';
  let signer: PresignEndpoint;
  beforeAll(async () => {
    signer = await startPresignEndpoint({ s3: { endpoint: env.CIPHERLITE_REPLICA_ENDPOINT!, credentials: CREDENTIALS }, prefix: 'till', token: TOKEN });
  });
  afterAll(() => signer.close());
  const NO_KEYS = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
  const signed = (): number => signer.requests.filter((r) => r.bucket === env.CIPHERLITE_REPLICA_BUCKET).length;

  it('status, verify and restore with --signer-url and --signer-header; every request signed by the endpoint', async () => {
    const flags = ['--prefix', 'till', '--signer-url', signer.url, '--signer-header', `Authorization: Bearer ${TOKEN}`];
    const status = await cli(['replica', 'status', ...flags, '--json'], { ...NO_KEYS, CIPHERLITE_PASSWORD: '' });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ generations: 1, newestSeq: 4 });
    const before = signed();
    expect(before).toBeGreaterThan(0);
    const verified = await cli(['replica', 'verify', ...flags], NO_KEYS);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.out).toMatch(/^ok: generation 0, log entries \d+\.\.4/);
    expect(signed()).toBeGreaterThan(before);
    expect((await cli(['replica', 'restore', 'signed.db', ...flags, '--kdf-memory', '19456', '--kdf-iterations', '2'], NO_KEYS)).code).toBe(0);
    const db = await Database.open({ storage: new NodeFsStorage(dir), name: 'signed.db', password: PASSWORD, create: false });
    expect(await db.query('SELECT count(*) AS n FROM sales')).toEqual([{ n: 3 }]);
    await db.close();
    expect(signer.requests.every((r) => r.key.startsWith('till/') || r.query.prefix?.startsWith('till/'))).toBe(true);
  });

  it('the header from CIPHERLITE_REPLICA_SIGNER_HEADER keeps the token out of argv; the URL from CIPHERLITE_REPLICA_SIGNER_URL', async () => {
    const r = await cli(['replica', 'verify', '--prefix', 'till'], {
      ...NO_KEYS,
      CIPHERLITE_REPLICA_SIGNER_URL: signer.url,
      CIPHERLITE_REPLICA_SIGNER_HEADER: `x-app: pos\nAuthorization: Bearer ${TOKEN}\n`,
    });
    expect(r).toMatchObject({ code: 0 });
  });

  it('a refused token fails (no credentials fallback) and no header value is ever printed', async () => {
    const stale = 'stale-session-0b7e';
    const refused = await cli(['replica', 'verify', '--prefix', 'till', '--signer-url', signer.url, '--signer-header', `Authorization: Bearer ${stale}`]);
    expect(refused.code).not.toBe(0);
    expect(refused.err).not.toContain(stale);
    const malformed = await cli(['replica', 'status', '--prefix', 'till', '--signer-url', signer.url, '--signer-header', `Bearer ${stale}`]);
    expect(malformed.code).toBe(2);
    expect(malformed.err).toMatch(/signer header 1 is not "Name: value"/);
    expect(malformed.err).not.toContain(stale);
    expect((await cli(['replica', 'status', '--prefix', 'till', '--signer-header', `Authorization: Bearer ${TOKEN}`])).code).toBe(2);
    expect((await cli(['replica', 'status', '--prefix', 'till', '--signer-url', 'ftp://signer'])).code).toBe(2);
  });
});
