/**
 * First run on a new tablet: "Set up this tablet from the cloud backup". The encrypted replica is
 * downloaded, every object checked (a damaged or tampered bucket is refused), and becomes this
 * device's database, opened with the shop password. The restored database has its own key, so
 * this tablet backs up under a new prefix (the old one stays as the old till's history).
 */
import { restoreFromReplica, type CipherliteDatabase } from '@cipherlite/worker';
import { useState } from 'react';
import { EMPTY_CLOUD, isComplete, replicaOf, saveCloudSettings, type CloudSettings } from '../cloud.tsx';
import { migrate } from '../schema.ts';
import { DB_NAME, DIRECTORY, describeError } from '../store.ts';
import { Banner, Field, SubmitButton } from '../ui.tsx';
import { CloudFields } from './CloudFields.tsx';

const TARGET: { field: keyof CloudSettings; label: string }[] = [
  { field: 'endpoint', label: 'Endpoint' },
  { field: 'bucket', label: 'Bucket' },
  { field: 'prefix', label: 'Prefix of the backup' },
];

function describeRestoreError(e: unknown): string {
  const code = (e as { code?: string } | null)?.code ?? '';
  if (code === 'WRONG_KEY') return 'This password does not open the backup.';
  if (code === 'REPLICA_MISSING') return 'There is no backup under this prefix (or parts of it are missing).';
  if (code === 'REPLICA_AUTH') return 'The bucket (or the presign endpoint) refused access.';
  if (code === 'REPLICA_UNAVAILABLE') return 'The bucket cannot be reached (offline, wrong endpoint, or CORS not set up).';
  if (code.startsWith('REPLICA_')) return `The backup failed its integrity check (${code}): nothing was restored.`;
  return describeError(e);
}

export function RestoreFromCloud({ onRestored, onCancel }: { onRestored: (db: CipherliteDatabase) => void; onCancel: () => void }) {
  const [form, setForm] = useState<CloudSettings>(EMPTY_CLOUD);
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <main className="center">
      <form
        className="auth-card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (!isComplete(form) || !password) return setError('Fill in every field and the shop password.');
          setPending(true);
          setError(null);
          try {
            const db = await restoreFromReplica({
              name: DB_NAME,
              directory: DIRECTORY,
              password,
              replica: replicaOf(form),
              onProgress: (p) => setProgress(`${p.phase === 'download' ? 'Downloading' : 'Writing'} ${p.done} / ${p.total}`),
            });
            await migrate(db);
            // This tablet continues under its own prefix: the restored database has a new key.
            await saveCloudSettings(db, { ...form, prefix: `${form.prefix.trim()}-restored-${Date.now().toString(36)}` });
            onRestored(db);
          } catch (err) {
            setError(describeRestoreError(err));
            setPending(false);
            setProgress(null);
          }
        }}
      >
        <img src="/favicon.svg" alt="" width={56} height={56} className="auth-logo" />
        <h1>Set up from the cloud backup</h1>
        <p className="muted">The backup is decrypted on this tablet only. Enter the bucket it is in and the shop password.</p>
        {error && <Banner kind="error">{error}</Banner>}
        {progress && <p className="muted">{progress}</p>}
        <CloudFields form={form} target={TARGET} onChange={(edit) => setForm({ ...form, ...edit })} disabled={pending} />
        <Field label="Shop password">
          <input type="password" name="restore-password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} disabled={pending} />
        </Field>
        <SubmitButton pending={pending} pendingLabel="Restoring…">
          Restore this tablet
        </SubmitButton>
        <button type="button" className="btn btn-ghost" onClick={onCancel} disabled={pending}>
          Back
        </button>
      </form>
    </main>
  );
}
