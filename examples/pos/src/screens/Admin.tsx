/**
 * Admin, modelled on a real backup page: storage and encryption facts, a per-table breakdown,
 * encrypted backup download, restore from an uploaded file or from the on-device backup history
 * (validated, compared side by side, explicitly confirmed, with an automatic backup of the current
 * data first), an integrity check, a password change, the recovery key, passkeys (unlock with the
 * device's fingerprint, face or PIN) and the shop's settings.
 *
 * Every action that reads or replaces everything asks for the password again: an unlocked till
 * left on the counter should not hand its whole database to whoever walks by.
 */
import type { BackupFile, CipherliteDatabase, DatabaseStats, KeyslotInfo, RestoreComparison, VerifyResult } from '@cipherlite/worker';
import { useCallback, useEffect, useRef, useState } from 'react';
import { downloadBytes } from '../download.ts';
import { formatBytes } from '../money.ts';
import { MIN_PASSWORD_LENGTH } from '../password.ts';
import { DB_NAME, DIRECTORY, describeError, describePasskeyError, KEEP_BACKUPS } from '../store.ts';
import { Banner, Card, Field, Spinner, StrengthMeter } from '../ui.tsx';
import { RecoveryKeyCard } from './RecoveryKeyCard.tsx';
import { useHasPasskey } from './Unlock.tsx';
import { ShopSettingsCard } from './ShopSettingsCard.tsx';

/** What the restore card restores from: a file the person chose, or an entry of the history. */
type RestoreSource = { kind: 'file' } | { kind: 'history'; backup: BackupFile };

/** "the SQLite data" is the same measure in the storage facts and the restore comparison. */
const DATA_SIZE_LABEL = 'SQLite data';

/** Loads `fn` now, after every committed change in any tab, and on `reload()`. */
function useLive<T>(db: CipherliteDatabase, fn: () => Promise<T>): { data: T | null; error: unknown; reload: () => void } {
  const [state, setState] = useState<{ data: T | null; error: unknown }>({ data: null, error: null });
  const load = useCallback(() => {
    fn().then(
      (data) => setState({ data, error: null }),
      (error: unknown) => setState((s) => ({ data: s.data, error })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [db]);
  useEffect(() => {
    load();
    return db.onChange(load);
  }, [db, load]);
  return { ...state, reload: load };
}

export function Admin({ db }: { db: CipherliteDatabase }) {
  const stats = useLive(db, () => db.stats());
  const backups = useLive(db, () => db.listBackups());
  const [source, setSource] = useState<RestoreSource>({ kind: 'file' });
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
      </div>
      <div className="stack">
        <BackupCard db={db} />
        <RestoreCard db={db} source={source} onSourceDone={() => setSource({ kind: 'file' })} onRestored={reloadAll} />
        <PasswordCard db={db} />
        <RecoveryKeyCard db={db} keyslots={stats.data?.keyslots ?? null} onChanged={stats.reload} />
        <PasskeyCard db={db} />
        <VerifyCard db={db} />
      </div>
    </div>
  );
}

function StorageCard({ db, stats, error }: { db: CipherliteDatabase; stats: DatabaseStats | null; error: unknown }) {
  const password = stats?.keyslots.find((k) => k.kind === 'password')?.kdf;
  // openDatabase does not wait for the browser's answer (Firefox asks the user): it arrives later.
  const [persisted, setPersisted] = useState(db.persisted);
  useEffect(() => db.onPersisted(setPersisted), [db]);
  return (
    <Card title="Storage & encryption" id="storage">
      {error ? <Banner kind="error">{describeError(error)}</Banner> : null}
      {!stats ? (
        <p className="muted">
          <Spinner /> Reading…
        </p>
      ) : (
        <dl className="facts">
          <dt>Stored on this device</dt>
          <dd data-testid="db-size">
            {formatBytes(stats.totalBytes)}
            <span className="fact-note">the encrypted file and its journal, with a nonce and an authentication tag per page</span>
          </dd>
          <dt>{DATA_SIZE_LABEL}</dt>
          <dd data-testid="data-size">
            {formatBytes(stats.pageCount * stats.pageSize)}
            <span className="fact-note">
              {stats.pageCount} pages × {formatBytes(stats.pageSize)}, as compared when restoring
            </span>
          </dd>
          <dt>Encryption</dt>
          <dd>
            <span className="pill pill-ok">On</span> {stats.cipher}, every {formatBytes(stats.blockSize)} page
          </dd>
          <dt>Key derivation</dt>
          <dd>{password ? `Argon2id · ${password.memoryKiB / 1024} MiB · ${password.iterations} passes · ${password.parallelism} lane${password.parallelism > 1 ? 's' : ''}` : 'raw key'}</dd>
          <dt>Keyslots</dt>
          <dd>
            {stats.keyslots.map((k) => k.kind).join(', ')} ({stats.keyslotCount} of 4)
          </dd>
          <dt>Format</dt>
          <dd>
            cipherlite v{stats.formatVersion} · {stats.freePages} free pages
          </dd>
          <dt>Key epoch</dt>
          <dd>
            {stats.epoch.current} ({stats.epoch.writesInEpoch.toLocaleString()} of {stats.epoch.limit.toLocaleString()} writes)
          </dd>
          <dt>Persistent storage</dt>
          <dd>{persisted === true ? 'Granted — the browser will not evict this data' : persisted === false ? 'Not granted — keep backups' : 'Not answered yet'}</dd>
        </dl>
      )}
    </Card>
  );
}

function TablesCard({ stats }: { stats: DatabaseStats | null }) {
  return (
    <Card title="Tables" id="tables">
      {stats && (
        <table className="table" aria-label="Tables">
          <thead>
            <tr>
              <th>Table</th>
              <th className="num">Rows</th>
              <th className="num">Data</th>
              <th className="num">Indexes</th>
            </tr>
          </thead>
          <tbody>
            {stats.tables.map((t) => (
              <tr key={t.name}>
                <td>{t.name}</td>
                <td className="num">{t.rows.toLocaleString()}</td>
                <td className="num">{formatBytes(t.bytes)}</td>
                <td className="num">{formatBytes(t.indexBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function backupFileName(createdAt: number): string {
  return `till-backup-${new Date(createdAt).toISOString().slice(0, 19).replace(/[T:]/g, '-')}.cipherlite`;
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

function BackupCard({ db }: { db: CipherliteDatabase }) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const hasPasskey = useHasPasskey(DB_NAME, DIRECTORY);
  const download = async (secret: string | { passkey: true }) => {
    setBusy(true);
    setMessage(null);
    try {
      // With the passkey as proof, the backup opens with that passkey (its slot is copied into it).
      const { bytes, meta } = await db.backup(secret);
      downloadBytes(bytes, backupFileName(meta.createdAt));
      const rows = meta.tables.reduce((s, t) => s + t.rows, 0);
      setMessage({ kind: 'success', text: `Backup downloaded: ${formatBytes(meta.sizeBytes)}, ${rows.toLocaleString()} rows in ${meta.tables.length} tables.` });
      setPassword('');
    } catch (err) {
      setMessage({ kind: 'error', text: typeof secret === 'string' ? describeError(err) : describePasskeyError(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Download a backup" id="backup">
      <p className="muted">A complete copy of the database, encrypted with your current password. Keep it somewhere other than this device.</p>
      {message && <Banner kind={message.kind}>{message.text}</Banner>}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void download(password);
        }}
      >
        <Field label="Your password">
          <input type="password" name="backup-password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <button className="btn btn-primary" disabled={busy || !password}>
          {busy ? 'Preparing…' : 'Download backup'}
        </button>
        {hasPasskey && (
          <button type="button" className="btn" disabled={busy} onClick={() => void download({ passkey: true })}>
            Use passkey instead
          </button>
        )}
      </form>
    </Card>
  );
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

function RestoreCard({ db, source, onSourceDone, onRestored }: { db: CipherliteDatabase; source: RestoreSource; onSourceDone: () => void; onRestored: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [backupPassword, setBackupPassword] = useState('');
  const [currentPassword, setCurrentPassword] = useState('');
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
      setBackupPassword('');
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
              if (!historyBackup && !file) return;
              setBusy('check');
              setMessage(null);
              try {
                const bytes = historyBackup ? await db.readBackup(historyBackup.name) : new Uint8Array(await file!.arrayBuffer());
                const r = await db.inspectBackup(bytes, { password: backupPassword });
                setPending({ ...r, label: historyBackup ? `The backup saved on ${new Date(historyBackup.createdAt).toLocaleString()}` : file!.name });
              } catch (err) {
                setMessage({ kind: 'error', text: restoreError(err) });
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
            <Field label="Password of the backup" hint={historyBackup ? 'The password in force when it was saved.' : undefined}>
              <input type="password" name="restore-backup-password" autoComplete="off" value={backupPassword} onChange={(e) => setBackupPassword(e.target.value)} />
            </Field>
            <button className="btn" disabled={(!historyBackup && !file) || !backupPassword || busy !== null}>
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
                    <td>{t.name}</td>
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
                setBusy('restore');
                setMessage(null);
                try {
                  const r = await db.confirmRestore(pending.id, { password: currentPassword }, { keepBackups: KEEP_BACKUPS });
                  setPending(null);
                  setCurrentPassword('');
                  setBackupPassword('');
                  onSourceDone();
                  setMessage({
                    kind: 'success',
                    text: `Backup restored: ${r.restored.tables.reduce((n, t) => n + t.rows, 0).toLocaleString()} rows. The previous data was saved first: to undo, restore it from the Backup history.`,
                  });
                  onRestored();
                } catch (err) {
                  setMessage({ kind: 'error', text: (err as { code?: string }).code === 'WRONG_KEY' ? 'Your current password is wrong. Nothing was changed.' : describeError(err) });
                } finally {
                  setBusy(null);
                }
              }}
            >
              <Field label="Your current password" hint="A backup of the current data is saved on this device first, encrypted with it.">
                <input type="password" name="restore-current-password" autoComplete="current-password" value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} />
              </Field>
              <div className="row">
                <button className="btn btn-danger" disabled={!currentPassword || busy !== null}>
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

/** Passkeys: add one for this device (password needed), list them, remove one (password needed). */
function PasskeyCard({ db }: { db: CipherliteDatabase }) {
  const slots = useLive(db, () => db.listKeyslots());
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const passkeys = (slots.data ?? []).filter((s): s is KeyslotInfo & { kind: 'passkey' } => s.kind === 'passkey');
  const act = async (what: () => Promise<unknown>, done: string) => {
    if (!password) return setMessage({ kind: 'error', text: 'Enter the password first.' });
    setBusy(true);
    setMessage(null);
    try {
      await what();
      setPassword('');
      slots.reload();
      setMessage({ kind: 'success', text: done });
    } catch (err) {
      setMessage({ kind: 'error', text: (err as { code?: string }).code === 'WRONG_KEY' ? 'The password is wrong.' : describePasskeyError(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Passkeys" id="passkeys">
      <p className="muted">Unlock this till with the device's fingerprint, face or PIN instead of typing the password. The password keeps working.</p>
      {message && <Banner kind={message.kind}>{message.text}</Banner>}
      <ul className="passkey-list">
        {passkeys.length === 0 && <li className="muted">No passkey yet.</li>}
        {passkeys.map((p) => (
          <li key={p.index}>
            <span>
              {p.label || 'Passkey'} · added {new Date(p.createdAt).toLocaleDateString()}
            </span>
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => void act(() => db.removeKeyslot(password, p.index), 'Passkey removed.')}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        className="stack-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => db.addPasskey(password, { userName: name.trim() || 'Till', rpName: 'Point of sale' }), 'Passkey added. Use it on the unlock screen.');
        }}
      >
        <Field label="Password">
          <input type="password" name="passkey-password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <Field label="Name shown for this passkey">
          <input name="passkey-name" maxLength={40} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Front counter" />
        </Field>
        <button className="btn btn-primary" disabled={busy || !password}>
          {busy ? 'Waiting for the device…' : 'Add passkey'}
        </button>
      </form>
    </Card>
  );
}

function PasswordCard({ db }: { db: CipherliteDatabase }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const hasPasskey = useHasPasskey(DB_NAME, DIRECTORY);
  const problem =
    next.length < MIN_PASSWORD_LENGTH
      ? `Use at least ${MIN_PASSWORD_LENGTH} characters.`
      : next !== confirm
        ? 'The two new passwords differ.'
        : next === current
          ? 'Choose a different password.'
          : null;
  return (
    <Card title="Change password" id="password">
      <p className="muted">Instant: the data key is re-wrapped, nothing is re-encrypted. Other tabs ask for the new password when they next unlock.</p>
      {message && <Banner kind={message.kind}>{message.text}</Banner>}
      <form
        className="stack-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (problem) return setMessage({ kind: 'error', text: problem });
          // Submitted by "Use passkey instead": the passkey proves it (and its slot becomes the new password's).
          const viaPasskey = e.nativeEvent.submitter?.getAttribute('name') === 'use-passkey';
          setBusy(true);
          setMessage(null);
          try {
            await db.changePassword(viaPasskey ? { passkey: true } : { password: current }, { password: next });
            setCurrent('');
            setNext('');
            setConfirm('');
            setMessage({ kind: 'success', text: 'Password changed. Backups made earlier still open with the old password.' });
          } catch (err) {
            setMessage({ kind: 'error', text: viaPasskey ? describePasskeyError(err) : (err as { code?: string }).code === 'WRONG_KEY' ? 'The current password is wrong.' : describeError(err) });
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Current password">
          <input type="password" name="current-password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </Field>
        <Field label="New password">
          <input type="password" name="next-password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
        </Field>
        <StrengthMeter password={next} />
        <Field label="Confirm new password">
          <input type="password" name="confirm-next-password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </Field>
        <button className="btn btn-primary" disabled={busy || !current || !next}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
        {hasPasskey && (
          <button className="btn" name="use-passkey" disabled={busy || !next}>
            Use passkey instead of the current password
          </button>
        )}
      </form>
    </Card>
  );
}

function VerifyCard({ db }: { db: CipherliteDatabase }) {
  const [result, setResult] = useState<VerifyResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Card title="Integrity check" id="verify">
      <p className="muted">Authenticates every encrypted block and runs SQLite's integrity check.</p>
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
