/**
 * Admin's recovery key: create one (or replace the one there is), shown once to write down. With
 * it the till opens when the password is forgotten (unlock screen → "Forgot the password?").
 */
import type { CipherliteDatabase, KeyslotInfo } from '@cipherlite/worker';
import { useState } from 'react';
import { RecoveryKeyNotice } from '../recovery-key.tsx';
import { describeError } from '../store.ts';
import { Banner, Card, Field } from '../ui.tsx';

/** Adds a recovery key, then removes the ones made before it: only the newest one works. */
async function replaceRecoveryKey(db: CipherliteDatabase, password: string, before: readonly KeyslotInfo[]): Promise<string> {
  const { recoveryKey } = await db.addRecoveryKey({ password });
  const old = before.filter((k) => k.kind === 'recovery').map((k) => k.index);
  // Highest index first: removing a slot shifts the later ones down (the new one is last).
  for (const index of old.sort((a, b) => b - a)) await db.removeKeyslot({ password }, index);
  return recoveryKey;
}

export function RecoveryKeyCard({ db, keyslots, onChanged }: { db: CipherliteDatabase; keyslots: KeyslotInfo[] | null; onChanged: () => void }) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const existing = keyslots?.filter((k) => k.kind === 'recovery') ?? [];

  return (
    <Card title="Recovery key" id="recovery">
      {shown ? (
        <RecoveryKeyNotice recoveryKey={shown} doneLabel="I wrote it down" onDone={() => setShown(null)} />
      ) : (
        <>
          <p className="muted" data-testid="recovery-status">
            {existing.length > 0
              ? `A recovery key exists (made ${new Date(existing[0]!.createdAt).toLocaleDateString()}). Making a new one replaces it.`
              : 'No recovery key yet. Without one, a forgotten password means the data is lost.'}
          </p>
          {error && <Banner kind="error">{error}</Banner>}
          <form
            className="inline-form inline-form-2"
            onSubmit={async (e) => {
              e.preventDefault();
              setBusy(true);
              setError(null);
              try {
                const key = await replaceRecoveryKey(db, password, await db.listKeyslots());
                setPassword('');
                setShown(key);
                onChanged();
              } catch (err) {
                setError((err as { code?: string }).code === 'WRONG_KEY' ? 'The password is wrong.' : describeError(err));
              } finally {
                setBusy(false);
              }
            }}
          >
            <Field label="Your password">
              <input type="password" name="recovery-password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
            </Field>
            <button className="btn btn-primary" disabled={busy || !password}>
              {busy ? 'Creating…' : existing.length > 0 ? 'Replace recovery key' : 'Create recovery key'}
            </button>
          </form>
        </>
      )}
    </Card>
  );
}
