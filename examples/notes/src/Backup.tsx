/**
 * Download an encrypted backup: a complete database file, still encrypted (it opens with the
 * same password or recovery key). The password is asked again, so nothing keeps it in memory.
 */
import { useDatabase } from '@cipherlite/react';
import type { CipherliteDatabase } from '@cipherlite/worker';
import { useState } from 'react';

export async function downloadBackup(db: CipherliteDatabase, password: string): Promise<void> {
  const { bytes } = await db.backup(password);
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: `notes-${new Date().toISOString().slice(0, 10)}.cipherlite` });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function Backup() {
  const db = useDatabase<CipherliteDatabase>();
  const [password, setPassword] = useState('');
  const [status, setStatus] = useState('');

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setStatus('Preparing…');
        downloadBackup(db, password).then(
          () => setStatus('Backup downloaded.'),
          (err: unknown) => setStatus((err as { code?: string }).code === 'WRONG_KEY' ? 'Wrong password.' : 'The backup failed.'),
        );
      }}
    >
      <h2>Backup</h2>
      <label>
        Password
        <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </label>
      <button type="submit">Download backup</button>
      {status && <p role="status">{status}</p>}
    </form>
  );
}
