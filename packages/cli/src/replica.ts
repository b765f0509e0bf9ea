/**
 * `cipherlite replica status|verify|restore`: the replica of a database on an S3-compatible
 * bucket (docs/REPLICA.md), from the command line. Where: --endpoint, --bucket, --prefix,
 * --region (or CIPHERLITE_REPLICA_ENDPOINT / _BUCKET / _PREFIX / _REGION). Access: credentials
 * from the environment only (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), never
 * argv; or the app's signer endpoint (--signer-url, core's signer-endpoint.ts), its headers from
 * --signer-header or, kept out of argv, CIPHERLITE_REPLICA_SIGNER_HEADER. A header's value is
 * never printed.
 */
import { dirname, basename, resolve } from 'node:path';
import type { KeyMaterial } from '@cipherlite/core';
import { NodeFsStorage } from '@cipherlite/core/node';
import type { Progress } from '@cipherlite/core/keys';
import { listAll, restoreFromReplica, S3ObjectStore, verifyReplica, type ReplicaTarget, type SignerEndpoint } from '@cipherlite/core/replica';

export const REPLICA_HELP = `Usage: cipherlite replica status|verify|restore [options]

  status                  objects, log entries, snapshots and the newest position (no key needed)
  verify                  download and check every object: authentic, complete, chained
  restore <out>           create the local database <out> from the replica (same secret)
    --seq <n>             restore the state after log entry <n> (point in time)
    --generation <n>      restore from generation <n> (the history before a rekey, with the secret of that time)

Where (or CIPHERLITE_REPLICA_ENDPOINT, _BUCKET, _PREFIX, _REGION):
  --endpoint <url>  --bucket <name>  --prefix <prefix>  --region <region> (default us-east-1)
Access: credentials from the environment only: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
or the app's signer endpoint, which signs each request (or CIPHERLITE_REPLICA_SIGNER_URL):
  --signer-url <url>           the endpoint (docs/REPLICA.md, "Signer endpoint")
  --signer-header "Name: value" sent with every signing request (repeatable); argv is visible to
                               other users of this machine: CIPHERLITE_REPLICA_SIGNER_HEADER (one
                               "Name: value" per line) keeps a token out of it`;

export const REPLICA_OPTIONS = {
  endpoint: { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  region: { type: 'string' },
  seq: { type: 'string' },
  generation: { type: 'string' },
  'signer-url': { type: 'string' },
  'signer-header': { type: 'string', multiple: true },
} as const;

export interface ReplicaCliIo {
  stdout: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface ReplicaCliHelpers {
  secret(): Promise<KeyMaterial>;
  progress(label: string): ((p: Progress) => void) | undefined;
  usage(message: string): Error;
  kdf: { kdf?: { memoryKiB?: number; iterations?: number; parallelism?: number } };
}

type Values = Partial<Record<Exclude<keyof typeof REPLICA_OPTIONS, 'signer-header'>, string>> & { 'signer-header'?: string[]; json?: boolean };

function where(v: Values, io: ReplicaCliIo, h: ReplicaCliHelpers): ReplicaTarget {
  const get = (flag: 'endpoint' | 'bucket' | 'prefix' | 'region' | 'signer-url'): string | undefined => v[flag] ?? io.env[`CIPHERLITE_REPLICA_${flag.toUpperCase().replace('-', '_')}`];
  const [endpoint, bucket, prefix] = [get('endpoint'), get('bucket'), get('prefix')];
  if (!endpoint || !bucket || !prefix) throw h.usage('the replica needs --endpoint, --bucket and --prefix');
  const region = get('region');
  const at = { endpoint, bucket, prefix, ...(region ? { region } : {}) };
  const signerUrl = get('signer-url');
  if (signerUrl !== undefined) return { ...at, signer: signer(signerUrl, v, io, h) };
  if (v['signer-header'] !== undefined) throw h.usage('--signer-header goes with --signer-url');
  const accessKeyId = io.env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = io.env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) throw h.usage('set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or give --signer-url');
  const sessionToken = io.env['AWS_SESSION_TOKEN'];
  return { ...at, credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
}

/** The signer endpoint spec: its URL, and its headers from the flags and the environment (a value is never printed). */
function signer(url: string, v: Values, io: ReplicaCliIo, h: ReplicaCliHelpers): SignerEndpoint {
  if (!/^https?:\/\/[^/]+/.test(url)) throw h.usage('--signer-url must be an http(s) URL');
  const lines = [...(io.env['CIPHERLITE_REPLICA_SIGNER_HEADER']?.split(/\r?\n/).filter((l) => l.trim() !== '') ?? []), ...(v['signer-header'] ?? [])];
  const headers: Record<string, string> = {};
  for (const [i, line] of lines.entries()) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0)).trim();
    // Only the header's position is named: its value may be a token.
    if (colon <= 0 || !/^[!#$%&'*+.^`|~\w-]+$/.test(name)) throw h.usage(`signer header ${i + 1} is not "Name: value"`);
    headers[name.toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { url, ...(lines.length > 0 ? { headers } : {}) };
}

export async function replicaCommand(p: string[], v: Values, io: ReplicaCliIo, h: ReplicaCliHelpers): Promise<number> {
  const [sub, ...args] = p;
  const target = where(v, io, h);
  const print = (human: string, data: object): void => void io.stdout.write(v.json ? JSON.stringify(data, null, 2) + '\n' : human + '\n');
  if (sub === 'status' && args.length === 0) {
    const objects = await listAll(new S3ObjectStore(target as ConstructorParameters<typeof S3ObjectStore>[0]), `${target.prefix}/`);
    const logs = objects.filter((o) => /\/log\/[0-9a-f]{16}$/.test(o.key));
    const snaps = objects.filter((o) => o.key.endsWith('/manifest'));
    const gens = new Set(objects.map((o) => /\/g\/([0-9a-f]{8})\//.exec(o.key)?.[1]).filter(Boolean));
    const newest = logs.length ? parseInt(logs[logs.length - 1]!.key.slice(-16), 16) : null;
    const bytes = objects.reduce((n, o) => n + o.size, 0);
    print(
      `${objects.length} object(s), ${bytes} bytes; ${gens.size} generation(s); ${logs.length} log entries (newest seq ${newest ?? 'none'}); ${snaps.length} snapshot(s). Names and sizes only: run "verify" to check them.`,
      {
        objects: objects.length,
        bytes,
        generations: gens.size,
        entries: logs.length,
        newestSeq: newest,
        snapshots: snaps.length,
      },
    );
    return 0;
  }
  if (sub === 'verify' && args.length === 0) {
    const onProgress = h.progress('verify');
    const r = await verifyReplica({ replica: target, ...(await h.secret()), ...(onProgress ? { onProgress } : {}) });
    print(`ok: generation ${r.generation}, log entries ${r.oldestSeq}..${r.tipSeq} (${r.entries}), ${r.snapshots} snapshot(s), ${r.objects} object(s), ${r.bytes} bytes`, r);
    return 0;
  }
  if (sub === 'restore' && args.length === 1) {
    const path = resolve(io.cwd, args[0]!);
    const seq = v.seq === undefined ? undefined : Number(v.seq);
    if (seq !== undefined && !(Number.isInteger(seq) && seq >= 0)) throw h.usage('--seq must be a log entry number');
    const generation = v.generation === undefined ? undefined : Number(v.generation);
    if (generation !== undefined && !(Number.isInteger(generation) && generation >= 0)) throw h.usage('--generation must be a generation number');
    const at = { ...(seq !== undefined ? { seq } : {}), ...(generation !== undefined ? { generation } : {}) };
    const storage = new NodeFsStorage(dirname(path));
    if (storage.exists(basename(path))) throw h.usage(`${path} exists; restore creates a new database`);
    const onProgress = h.progress('restore');
    const db = await restoreFromReplica({
      storage,
      name: basename(path),
      replica: target,
      ...(await h.secret()),
      ...h.kdf,
      ...(seq !== undefined || generation !== undefined ? { pointInTime: at as { seq: number; generation?: number } } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    await db.close();
    const where = `${generation !== undefined ? ` from generation ${generation}` : ''}${seq !== undefined ? ` at seq ${seq}` : ''}`;
    print(`restored ${path}${where}`, { file: path, ...at });
    return 0;
  }
  throw h.usage('expected "replica status", "replica verify" or "replica restore <out>"');
}
