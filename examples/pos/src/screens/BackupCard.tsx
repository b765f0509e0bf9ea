/** Admin's backup download: the whole database, encrypted, as a file (proved by the password or the passkey). */
import type { CipherliteDatabase, KeyslotInfo } from '@cipherlite/worker';
import { useState } from 'react';
import { backupFileName, downloadBytes } from '../download.ts';
import { formatBytes } from '../money.ts';
import { Banner, Card } from '../ui.tsx';
import { CurrentSecretField, useCurrentSecret } from './CurrentSecret.tsx';

export function BackupCard({ db, keyslots }: { db: CipherliteDatabase; keyslots: KeyslotInfo[] | null }) {
  const current = useCurrentSecret(keyslots);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  return (
    <Card title="Download a backup" id="backup">
      <p className="muted">A complete copy of the database, encrypted with your current password (or passkey). Keep it somewhere other than this device.</p>
      {message && <Banner kind={message.kind}>{message.text}</Banner>}
      <form
        className="stack-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!current.secret) return;
          setBusy(true);
          setMessage(null);
          try {
            // With the passkey as proof, the backup opens with that passkey (its slot is copied into it).
            const { bytes, meta } = await db.backup(current.secret);
            downloadBytes(bytes, backupFileName(meta.createdAt));
            const rows = meta.tables.reduce((s, t) => s + t.rows, 0);
            setMessage({ kind: 'success', text: `Backup downloaded: ${formatBytes(meta.sizeBytes)}, ${rows.toLocaleString()} rows in ${meta.tables.length} tables.` });
            current.clear();
          } catch (err) {
            setMessage({ kind: 'error', text: current.describe(err, 'Wrong password.') });
          } finally {
            setBusy(false);
          }
        }}
      >
        <CurrentSecretField state={current} label="Your password" name="backup-password" />
        <button className="btn btn-primary" disabled={busy || !current.secret}>
          {busy ? 'Preparing…' : 'Download backup'}
        </button>
      </form>
    </Card>
  );
}
