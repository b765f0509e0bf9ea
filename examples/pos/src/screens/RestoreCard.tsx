/**
 * Admin's restore: from an uploaded file or an entry of the backup history, validated (format,
 * secret, every block, integrity), compared side by side, and replaced only when confirmed with
 * the current password or passkey — after an automatic backup of the current data.
 */
import type { BackupFile, CipherliteDatabase, KeyslotInfo, RestoreComparison } from '@cipherlite/worker';
import { useEffect, useRef, useState } from 'react';
import { formatBytes } from '../money.ts';
import { describeError, describePasskeyError, KEEP_BACKUPS } from '../store.ts';
import { Banner, Card, Field } from '../ui.tsx';
import { DATA_SIZE_LABEL, tableLabel } from './AdminFacts.tsx';
import { CurrentSecretField, useCurrentSecret } from './CurrentSecret.tsx';

/** What the restore card restores from: a file the person chose, or an entry of the history. */
export type RestoreSource = { kind: 'file' } | { kind: 'history'; backup: BackupFile };

/** A backup checked with the passkey: one made under the password has no passkey slot. */
function backupPasskeyError(e: unknown): string {
  if ((e as { code?: string }).code === 'NO_PASSKEY') return 'This backup has no passkey: it was made with the password. Enter the password it was made with.';
  return describePasskeyError(e);
}

/** Maps the validation failures of an uploaded file to what the person should do. */
function restoreError(e: unknown): string {
  switch ((e as { code?: string }).code) {
    case 'NOT_A_DATABASE':
      return 'This file is not a Till backup. Choose a .cipherlite file downloaded from this page.';
    case 'WRONG_KEY':
      return 'This password does not open the backup. Use the password that was in force when the backup was made.';
    case 'CORRUPT':
      return 'This backup is damaged or has been modified: it failed its integrity check. Nothing was changed.';
    case 'INVALID_ARGUMENT':
      return `This backup cannot be restored here: ${(e as Error).message}`;
    default:
      return describeError(e);
  }
}

export function RestoreCard({
  db,
  keyslots,
  source,
  onSourceDone,
  onRestored,
}: {
  db: CipherliteDatabase;
  keyslots: KeyslotInfo[] | null;
  source: RestoreSource;
  onSourceDone: () => void;
  onRestored: () => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  // The backup's own secret (a backup made under the passkey carries its slot), and the live one.
  const backupSecret = useCurrentSecret(keyslots);
  const current = useCurrentSecret(keyslots);
  const [pending, setPending] = useState<{ id: number; comparison: RestoreComparison; label: string } | null>(null);
  const [busy, setBusy] = useState<'check' | 'restore' | null>(null);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const card = useRef<HTMLDivElement>(null);
  const historyBackup = source.kind === 'history' ? source.backup : null;

  const cancel = () => {
    if (pending) void db.cancelRestore(pending.id).catch((e: unknown) => console.warn(`pending restore not cancelled: ${describeError(e)}`));
    setPending(null);
  };
  useEffect(() => () => cancel(), []); // eslint-disable-line react-hooks/exhaustive-deps
  // Chosen in the history card: a fresh form (reset while rendering, as React recommends for
  // state that follows a prop), then the card scrolled into view with the password field ready.
  const [formFor, setFormFor] = useState(historyBackup);
  if (formFor !== historyBackup) {
    setFormFor(historyBackup);
    if (historyBackup) {
      setMessage(null);
      backupSecret.clear();
    }
  }
  useEffect(() => {
    if (!historyBackup) return;
    card.current?.scrollIntoView({ block: 'start' });
    card.current?.querySelector<HTMLInputElement>('input[name=restore-backup-password]')?.focus({ preventScroll: true });
  }, [historyBackup]);

  return (
    <div ref={card}>
      <Card title="Restore from a backup" id="restore">
        <p className="muted">Replaces everything on this till with the backup's content. The backup is checked first, and you see what changes before anything happens.</p>
        {message && <Banner kind={message.kind}>{message.text}</Banner>}
        {!pending ? (
          <form
            className="stack-form"
            onSubmit={async (e) => {
              e.preventDefault();
              const secret = backupSecret.secret;
              if ((!historyBackup && !file) || !secret) return;
              setBusy('check');
              setMessage(null);
              try {
                const bytes = historyBackup ? await db.readBackup(historyBackup.name) : new Uint8Array(await file!.arrayBuffer());
                const r = await db.inspectBackup(bytes, typeof secret === 'string' ? { password: secret } : secret);
                setPending({ ...r, label: historyBackup ? `The backup saved on ${new Date(historyBackup.createdAt).toLocaleString()}` : file!.name });
              } catch (err) {
                setMessage({ kind: 'error', text: backupSecret.viaPasskey ? backupPasskeyError(err) : restoreError(err) });
              } finally {
                setBusy(null);
              }
            }}
          >
            {historyBackup ? (
              <div className="restore-source">
                <span>
                  From the history: <strong>{new Date(historyBackup.createdAt).toLocaleString()}</strong>
                </span>
                <button type="button" className="btn btn-ghost" onClick={onSourceDone}>
                  Choose a file instead
                </button>
              </div>
            ) : (
              <Field label="Backup file">
                <input type="file" name="backup-file" accept=".cipherlite,application/octet-stream" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
              </Field>
            )}
            <CurrentSecretField state={backupSecret} label="Password of the backup" name="restore-backup-password" hint={historyBackup ? 'The password in force when it was saved.' : undefined} />
            <button className="btn" disabled={(!historyBackup && !file) || !backupSecret.secret || busy !== null}>
              {busy === 'check' ? 'Checking…' : 'Check backup'}
            </button>
          </form>
        ) : (
          <div className="compare" role="region" aria-label="Restore comparison">
            <p>
              <strong>{pending.label}</strong> is a valid backup. Compare before you restore:
            </p>
            <table className="table table-compare" aria-label="Comparison">
              <thead>
                <tr>
                  <th>
                    <span className="sr-only">Compared</span>
                  </th>
                  <th className="num">Now on this till</th>
                  <th className="num">In the backup</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td>{DATA_SIZE_LABEL}</td>
                  <td className="num">{formatBytes(pending.comparison.current.sizeBytes)}</td>
                  <td className="num">{formatBytes(pending.comparison.backup.sizeBytes)}</td>
                </tr>
                {pending.comparison.tables.map((t) => (
                  <tr key={t.name} className={t.currentRows !== t.backupRows ? 'diff' : ''}>
                    <td>{tableLabel(t.name)}</td>
                    <td className="num">{t.currentRows ?? '—'}</td>
                    <td className="num">{t.backupRows ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <form
              className="stack-form"
              onSubmit={async (e) => {
                e.preventDefault();
                const secret = current.secret;
                if (!secret) return;
                setBusy('restore');
                setMessage(null);
                try {
                  const r = await db.confirmRestore(pending.id, typeof secret === 'string' ? { password: secret } : secret, { keepBackups: KEEP_BACKUPS });
                  setPending(null);
                  current.clear();
                  backupSecret.clear();
                  onSourceDone();
                  setMessage({
                    kind: 'success',
                    text: `Backup restored: ${r.restored.tables.reduce((n, t) => n + t.rows, 0).toLocaleString()} rows. The previous data was saved first: to undo, restore it from the Backup history.`,
                  });
                  onRestored();
                } catch (err) {
                  setMessage({ kind: 'error', text: current.describe(err, 'Your current password is wrong. Nothing was changed.') });
                } finally {
                  setBusy(null);
                }
              }}
            >
              <CurrentSecretField state={current} label="Your current password" name="restore-current-password" hint="A backup of the current data is saved on this device first, encrypted with it." />
              <div className="row">
                <button className="btn btn-danger" disabled={!current.secret || busy !== null}>
                  {busy === 'restore' ? 'Restoring…' : 'Replace all data with this backup'}
                </button>
                <button type="button" className="btn" onClick={cancel} disabled={busy !== null}>
                  Cancel
                </button>
              </div>
            </form>
          </div>
        )}
      </Card>
    </div>
  );
}
