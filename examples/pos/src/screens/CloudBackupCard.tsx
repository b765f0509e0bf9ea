/** Admin's "Cloud backup": where the encrypted replica goes, and its state. */
import type { CipherliteDatabase } from '@cipherlite/worker';
import { useState } from 'react';
import { isComplete, saveCloudSettings, useCloudSettings, type CloudSettings, type CloudState } from '../cloud.tsx';
import { describeError } from '../store.ts';
import { Banner, Card } from '../ui.tsx';
import { CloudFields } from './CloudFields.tsx';

const TARGET: { field: keyof CloudSettings; label: string; hint?: string }[] = [
  { field: 'endpoint', label: 'Endpoint', hint: 'e.g. https://s3.eu-west-1.amazonaws.com or https://<account>.r2.cloudflarestorage.com' },
  { field: 'bucket', label: 'Bucket', hint: 'The bucket needs CORS for this site (PUT, GET, HEAD, DELETE).' },
  { field: 'prefix', label: 'Prefix', hint: 'One per till, e.g. shop/till-1' },
];

export function CloudBackupCard({ db, state }: { db: CipherliteDatabase; state: CloudState }) {
  const saved = useCloudSettings();
  // What the person typed over the saved settings.
  const [edits, setEdits] = useState<Partial<CloudSettings>>({});
  const form: CloudSettings = { ...saved, ...edits };
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const status = state.kind === 'status' ? state.status : null;
  return (
    <Card title="Cloud backup" id="cloud">
      <p className="muted">Every sale is copied, encrypted on this device, to your own S3-compatible bucket. The bucket sees ciphertext only; the shop password restores it on a new tablet.</p>
      {message && <Banner kind={message.kind}>{message.text}</Banner>}
      {status && (
        <p className="muted" data-testid="cloud-detail">
          State: {status.state} · pending {status.pendingCommits} · last backed up {status.lastPushedAt ? new Date(status.lastPushedAt).toLocaleString() : 'never'}
          {status.lastError ? ` · ${status.lastError.code}` : ''}
        </p>
      )}
      <form
        className="stack-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!isComplete(form)) return setMessage({ kind: 'error', text: 'Fill in every field.' });
          saveCloudSettings(db, form).then(
            () => {
              setEdits({});
              setMessage({ kind: 'success', text: 'Saved. The backup starts now.' });
            },
            (err: unknown) => setMessage({ kind: 'error', text: describeError(err) }),
          );
        }}
      >
        <CloudFields form={form} target={TARGET} onChange={(edit) => setEdits({ ...edits, ...edit })} />
        <div className="row">
          <button type="submit" className="btn btn-primary">
            Save
          </button>
          <button
            type="button"
            className="btn"
            disabled={!status}
            onClick={() =>
              db.replica.pushNow().then(
                () => setMessage({ kind: 'success', text: 'Everything is backed up.' }),
                (err: unknown) => setMessage({ kind: 'error', text: describeError(err) }),
              )
            }
          >
            Back up now
          </button>
        </div>
      </form>
    </Card>
  );
}
