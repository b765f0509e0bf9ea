/**
 * Admin, modelled on a real backup page: storage and encryption facts, a per-table breakdown,
 * encrypted backup download, restore from an uploaded file or from the on-device backup history
 * (validated, compared side by side, explicitly confirmed, with an automatic backup of the current
 * data first), an integrity check, a password change, the recovery key, passkeys (unlock with the
 * device's fingerprint, face or PIN) and the shop's settings.
 *
 * Every action that reads or replaces everything asks for the password (or the passkey) again: an
 * unlocked till left on the counter should not hand its whole database to whoever walks by. The
 * cards are one file each; this one lays them out and holds the history and the integrity check.
 */
import type { BackupFile, CipherliteDatabase, VerifyResult } from '@cipherlite/worker';
import { useLayoutEffect, useState } from 'react';
import { backupFileName, downloadBytes } from '../download.ts';
import { formatBytes } from '../money.ts';
import { describeError, KEEP_BACKUPS } from '../store.ts';
import { Banner, Card } from '../ui.tsx';
import { StorageCard, TablesCard } from './AdminFacts.tsx';
import { BackupCard } from './BackupCard.tsx';
import { PasskeyCard } from './PasskeyCard.tsx';
import { PasswordCard } from './PasswordCard.tsx';
import { RecoveryKeyCard } from './RecoveryKeyCard.tsx';
import { RestoreCard, type RestoreSource } from './RestoreCard.tsx';
import { ShopSettingsCard } from './ShopSettingsCard.tsx';
import { CloudBackupCard } from './CloudBackupCard.tsx';
import { useLive } from './useLive.ts';
import type { CloudState } from '../cloud.tsx';
import type { ShopSync } from '../shop-sync.tsx';
import { SyncCard } from './SyncCard.tsx';

export function Admin({ db, cloud, sync }: { db: CipherliteDatabase; cloud: CloudState; sync: ShopSync }) {
  const stats = useLive(db, () => db.stats());
  const backups = useLive(db, () => db.listBackups());
  const [source, setSource] = useState<RestoreSource>({ kind: 'file' });
  // Admin opens at its top, wherever the page before it was scrolled to. (A block body: Chromium's
  // scrollTo returns a promise, which React would take for a cleanup function.)
  useLayoutEffect(() => {
    window.scrollTo(0, 0);
  }, []);
  // The key slots every key card reads: which secrets exist, and whether "Use passkey" is offered.
  const keyslots = stats.data?.keyslots ?? null;
  const reloadAll = () => {
    stats.reload();
    backups.reload();
  };
  return (
    <div className="admin">
      <div className="stack">
        <StorageCard db={db} stats={stats.data} error={stats.error} />
        <TablesCard stats={stats.data} />
        <HistoryCard db={db} backups={backups.data} onRestore={(backup) => setSource({ kind: 'history', backup })} />
        <ShopSettingsCard />
        <CloudBackupCard db={db} state={cloud} />
        <SyncCard db={db} state={sync} cloudOn={cloud.kind !== 'off'} />
      </div>
      <div className="stack">
        <BackupCard db={db} keyslots={keyslots} />
        <RestoreCard db={db} keyslots={keyslots} source={source} onSourceDone={() => setSource({ kind: 'file' })} onRestored={reloadAll} />
        <PasswordCard db={db} keyslots={keyslots} onChanged={stats.reload} />
        <RecoveryKeyCard db={db} keyslots={keyslots} onChanged={stats.reload} />
        <PasskeyCard db={db} keyslots={keyslots} onChanged={stats.reload} />
        <VerifyCard db={db} />
      </div>
    </div>
  );
}

function HistoryCard({ db, backups, onRestore }: { db: CipherliteDatabase; backups: BackupFile[] | null; onRestore: (b: BackupFile) => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <Card title="Backup history on this device" id="history">
      <p className="muted">
        A backup of the current data is saved here automatically before every restore. The last {KEEP_BACKUPS} are kept, each encrypted with the password in force when it was saved. Restore one to
        undo a restore.
      </p>
      {error && <Banner kind="error">{error}</Banner>}
      {backups?.length === 0 && <p className="empty">No automatic backups yet.</p>}
      {backups && backups.length > 0 && (
        <ul className="history" aria-label="Backup history">
          {backups.map((b) => {
            const when = new Date(b.createdAt).toLocaleString();
            return (
              <li key={b.name}>
                <span className="history-what">
                  <span>{when}</span>
                  <span className="line-note">
                    {formatBytes(b.sizeBytes)} {b.incomplete && <span className="pill pill-warn">incomplete</span>}
                  </span>
                </span>
                <span className="row">
                  <button
                    type="button"
                    className="btn"
                    aria-label={`Download the backup of ${when}`}
                    onClick={async () => {
                      setError(null);
                      try {
                        downloadBytes(await db.readBackup(b.name), backupFileName(b.createdAt));
                      } catch (e) {
                        setError(describeError(e));
                      }
                    }}
                  >
                    Download
                  </button>
                  <button type="button" className="btn" aria-label={`Restore the backup of ${when}`} disabled={b.incomplete} onClick={() => onRestore(b)}>
                    Restore…
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

function VerifyCard({ db }: { db: CipherliteDatabase }) {
  const [result, setResult] = useState<VerifyResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Card title="Integrity check" id="verify">
      <p className="muted">Checks that nothing stored on this device was damaged or changed.</p>
      {error && <Banner kind="error">{error}</Banner>}
      {result && (
        <Banner kind={result.ok ? 'success' : 'error'}>
          {result.ok
            ? `All ${result.blocksChecked.toLocaleString()} blocks authentic; integrity check OK.`
            : `${result.failures.length} block(s) failed; integrity: ${result.integrity.slice(0, 3).join('; ')}`}
        </Banner>
      )}
      <button
        type="button"
        className="btn"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            setResult(await db.verify());
          } catch (e) {
            setError(describeError(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Checking…' : 'Run check'}
      </button>
    </Card>
  );
}
