/**
 * Admin's recovery key: create one (or replace the one there is), shown once to write down. With
 * it the till opens when the password is forgotten (unlock screen → "Forgot the password?").
 * Proved by the password or the passkey.
 */
import type { CipherliteDatabase, KeyslotInfo } from '@cipherlite/worker';
import { useState } from 'react';
import { RecoveryKeyNotice } from '../recovery-key.tsx';
import { Banner, Card } from '../ui.tsx';
import { CurrentSecretField, useCurrentSecret, type Secret } from './CurrentSecret.tsx';

/**
 * Adds a recovery key, then removes the ones made before it: only the newest one works. The new
 * key proves the removals, so a passkey is asked for once.
 */
async function replaceRecoveryKey(db: CipherliteDatabase, current: Secret, before: readonly KeyslotInfo[]): Promise<string> {
  const { recoveryKey } = await db.addRecoveryKey(typeof current === 'string' ? { password: current } : current);
  const old = before.filter((k) => k.kind === 'recovery').map((k) => k.index);
  // Highest index first: removing a slot shifts the later ones down (the new one is last).
  for (const index of old.sort((a, b) => b - a)) await db.removeKeyslot({ recoveryKey }, index);
  return recoveryKey;
}

export function RecoveryKeyCard({ db, keyslots, onChanged }: { db: CipherliteDatabase; keyslots: KeyslotInfo[] | null; onChanged: () => void }) {
  const current = useCurrentSecret(keyslots);
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
            className="stack-form"
            onSubmit={async (e) => {
              e.preventDefault();
              if (!current.secret) return;
              setBusy(true);
              setError(null);
              try {
                const key = await replaceRecoveryKey(db, current.secret, await db.listKeyslots());
                current.clear();
                setShown(key);
                onChanged();
              } catch (err) {
                setError(current.describe(err));
              } finally {
                setBusy(false);
              }
            }}
          >
            <CurrentSecretField state={current} label="Your password" name="recovery-password" />
            <button className="btn btn-primary" disabled={busy || !current.secret}>
              {busy ? 'Creating…' : existing.length > 0 ? 'Replace recovery key' : 'Create recovery key'}
            </button>
          </form>
        </>
      )}
    </Card>
  );
}
