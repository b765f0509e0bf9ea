/**
 * Cloud backup: a continuous encrypted replica of the shop's database on an S3-compatible bucket
 * (AWS S3, Cloudflare R2, MinIO, Ceph RGW). The settings — endpoint, bucket, prefix, and either
 * the access key pair or the URL (and token) of the shop's presign endpoint, which signs each
 * upload so no S3 key is on the tablet — live in the encrypted database (`setting` table), never
 * in plaintext storage; every tab hands them to its database worker (`db.replica.start`), and the
 * tab that leads pushes. The bucket only ever holds ciphertext.
 */
import { useQuery } from '@cipherlite/react';
import type { CipherliteDatabase, ReplicaStatus } from '@cipherlite/worker';
import { useEffect, useMemo, useState } from 'react';

export const CLOUD = {
  endpoint: 'cloud_endpoint',
  bucket: 'cloud_bucket',
  prefix: 'cloud_prefix',
  access: 'cloud_access',
  accessKeyId: 'cloud_access_key',
  secretAccessKey: 'cloud_secret',
  signerUrl: 'cloud_signer_url',
  signerToken: 'cloud_signer_token',
} as const;

/** How the tablet reaches the bucket: its own access keys, or the shop's presign endpoint. */
export type CloudAccess = 'keys' | 'presign';

export interface CloudSettings {
  endpoint: string;
  bucket: string;
  prefix: string;
  access: CloudAccess;
  accessKeyId: string;
  secretAccessKey: string;
  /** The presign endpoint (absolute, or relative to this site). */
  signerUrl: string;
  /** Sent to it as `authorization: Bearer <token>` (optional: a same-site endpoint may use cookies). */
  signerToken: string;
}

export const EMPTY_CLOUD: CloudSettings = { endpoint: '', bucket: '', prefix: '', access: 'keys', accessKeyId: '', secretAccessKey: '', signerUrl: '', signerToken: '' };

/** The fields a complete setting needs for its kind of access. */
function required(c: CloudSettings): (keyof CloudSettings)[] {
  return ['endpoint', 'bucket', 'prefix', ...(c.access === 'presign' ? (['signerUrl'] as const) : (['accessKeyId', 'secretAccessKey'] as const))];
}

export function isComplete(c: CloudSettings): boolean {
  return required(c).every((k) => c[k].trim() !== '');
}

export function replicaOf(c: CloudSettings) {
  const target = { endpoint: c.endpoint.trim(), bucket: c.bucket.trim(), prefix: c.prefix.trim() };
  if (c.access === 'presign') {
    const token = c.signerToken.trim();
    return { ...target, signer: { url: c.signerUrl.trim(), ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) } };
  }
  return { ...target, credentials: { accessKeyId: c.accessKeyId.trim(), secretAccessKey: c.secretAccessKey } };
}

/** The cloud settings as stored (live: a change in any tab reaches every tab). */
export function useCloudSettings(): CloudSettings {
  const rows = useQuery<{ key: string; value: string }>('SELECT key, value FROM setting WHERE key LIKE ?', ['cloud_%']);
  return useMemo(() => {
    const get = (key: string) => rows.data?.find((r) => r.key === key)?.value ?? '';
    const stored = Object.fromEntries(Object.entries(CLOUD).map(([field, key]) => [field, get(key)])) as Record<keyof CloudSettings, string>;
    return { ...stored, access: stored.access === 'presign' ? 'presign' : 'keys' };
  }, [rows.data]);
}

export function saveCloudSettings(db: CipherliteDatabase, c: CloudSettings): Promise<unknown> {
  return db.batch(Object.entries(CLOUD).map(([field, key]) => ({ sql: 'INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)', params: [key, c[field as keyof CloudSettings].trim()] })));
}

export type CloudState = { kind: 'off' } | { kind: 'starting' } | { kind: 'status'; status: ReplicaStatus } | { kind: 'failed'; message: string };

/** Starts the replica in this tab's worker whenever complete settings change, and follows its status. */
export function useCloudBackup(db: CipherliteDatabase): CloudState {
  const settings = useCloudSettings();
  const [status, setStatus] = useState<{ key: string; status: ReplicaStatus } | null>(null);
  const [failure, setFailure] = useState<{ key: string; message: string } | null>(null);
  const key = isComplete(settings) ? JSON.stringify(settings) : '';
  useEffect(() => db.replica.onStatus((s) => setStatus({ key, status: s })), [db, key]);
  useEffect(() => {
    if (!key) return;
    let current = true;
    db.replica
      .start(replicaOf(JSON.parse(key) as CloudSettings))
      .then(() => db.replica.status())
      .then(
        (s) => current && setStatus({ key, status: s }),
        // A follower tab before the leader started its writer: its status events follow.
        (e: unknown) => current && (e as { code?: string }).code !== 'INVALID_ARGUMENT' && setFailure({ key, message: e instanceof Error ? e.message : String(e) }),
      );
    return () => {
      current = false;
    };
  }, [db, key]);
  if (!key) return { kind: 'off' };
  if (failure?.key === key) return { kind: 'failed', message: failure.message };
  return status?.key === key ? { kind: 'status', status: status.status } : { kind: 'starting' };
}

/** The indicator shown on every screen: synced / pending N / offline / error. */
export function CloudStatusPill({ state }: { state: CloudState }) {
  if (state.kind === 'off') return null;
  const [cls, text, title] = describe(state);
  return (
    <a href="#/admin" className={`pill ${cls}`} title={title} data-cloud={text}>
      ☁ {text}
    </a>
  );
}

function describe(state: CloudState): [string, string, string] {
  if (state.kind === 'starting') return ['pill-warn', 'connecting', 'Connecting to the cloud backup'];
  if (state.kind === 'failed') return ['pill-error', 'error', state.message];
  if (state.kind === 'off') return ['', '', ''];
  const s = state.status;
  const pending = `pending ${s.pendingCommits}`;
  switch (s.state) {
    case 'offline':
      return ['pill-warn', 'offline', `No connection to the bucket; ${s.pendingCommits} change(s) wait and go out once online`];
    case 'error':
      return ['pill-error', 'error', s.lastError ? `${s.lastError.code}: ${s.lastError.message}` : 'Cloud backup error'];
    case 'paused':
      return ['pill-warn', 'paused', 'Cloud backup paused'];
    default:
      return s.pendingCommits > 0 || s.state === 'pushing'
        ? ['pill-warn', pending, 'Changes are being copied to the cloud backup']
        : ['pill-ok', 'synced', s.lastPushedAt ? `Last backed up ${new Date(s.lastPushedAt).toLocaleTimeString()}` : 'Backed up'];
  }
}
