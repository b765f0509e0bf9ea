/**
 * First run on another tablet of a shop that syncs: "Set up this tablet from the shop's cloud".
 * `joinSyncReplica` downloads the shop's starting state, checks it, and makes it this tablet's
 * database, protected by the shop password; its first round then replays every tablet's sales.
 */
import { joinSyncReplica, type CipherliteDatabase } from '@cipherlite/worker';
import { useState } from 'react';
import { EMPTY_SYNC, isSyncComplete, saveSyncSettings, syncOptionsOf, type SyncSettings } from '../shop-sync.tsx';
import { DB_NAME, DIRECTORY, describeError, startAndMigrate } from '../store.ts';
import { creationKdf } from '../test-hooks.ts';
import { Banner, Field, SubmitButton } from '../ui.tsx';
import { SyncFields } from './SyncFields.tsx';

function describeJoinError(e: unknown): string {
  const code = (e as { code?: string } | null)?.code ?? '';
  if (code === 'WRONG_KEY') return 'This password does not open the shop.';
  if (code === 'REPLICA_MISSING') return 'There is no shop under this prefix.';
  if (code === 'REPLICA_AUTH') return 'The bucket refused access.';
  if (code === 'REPLICA_UNAVAILABLE') return 'The bucket cannot be reached (offline, wrong endpoint, or CORS not set up).';
  if (code === 'REPLICA_MODE') return 'This prefix holds a cloud backup, not a shop’s sync.';
  if (code.startsWith('REPLICA_')) return `The shop’s data failed its integrity check (${code}): nothing was set up.`;
  return describeError(e);
}

export function JoinShop({ onJoined, onCancel }: { onJoined: (db: CipherliteDatabase) => void; onCancel: () => void }) {
  const [form, setForm] = useState<SyncSettings>(EMPTY_SYNC);
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <main className="center">
      <form
        className="auth-card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (!isSyncComplete(form) || !password) return setError('Fill in every field and the shop password.');
          setPending(true);
          setError(null);
          try {
            const db = await joinSyncReplica({ name: DB_NAME, directory: DIRECTORY, password, sync: syncOptionsOf(form), ...creationKdf() });
            // The shop's starting state carries the first tablet's settings: this tablet keeps its own.
            await saveSyncSettings(db, form);
            await startAndMigrate(db);
            onJoined(db);
          } catch (err) {
            setError(describeJoinError(err));
            setPending(false);
          }
        }}
      >
        <img src="/favicon.svg" alt="" width={56} height={56} className="auth-logo" />
        <h1>Join the shop</h1>
        <p className="muted">This tablet becomes one more till of the shop: it gets the shop&apos;s products and sales, and its own sales reach the other tablets.</p>
        {error && <Banner kind="error">{error}</Banner>}
        <SyncFields form={form} onChange={(edit) => setForm({ ...form, ...edit })} disabled={pending} />
        <Field label="Shop password">
          <input type="password" name="join-password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} disabled={pending} />
        </Field>
        <SubmitButton pending={pending} pendingLabel="Setting up…">
          Join the shop
        </SubmitButton>
        <button type="button" className="btn btn-ghost" onClick={onCancel} disabled={pending}>
          Back
        </button>
      </form>
    </main>
  );
}
