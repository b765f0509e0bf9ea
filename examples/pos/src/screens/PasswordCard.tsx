/** Admin's password change: proved by the current password, or by the passkey (which stays). */
import type { CipherliteDatabase, KeyslotInfo } from '@cipherlite/worker';
import { useState } from 'react';
import { MIN_PASSWORD_LENGTH } from '../password.ts';
import { Banner, Card, Field, StrengthMeter } from '../ui.tsx';
import { CurrentSecretField, useCurrentSecret } from './CurrentSecret.tsx';

export function PasswordCard({ db, keyslots, onChanged }: { db: CipherliteDatabase; keyslots: KeyslotInfo[] | null; onChanged: () => void }) {
  const current = useCurrentSecret(keyslots);
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const problem =
    next.length < MIN_PASSWORD_LENGTH
      ? `Use at least ${MIN_PASSWORD_LENGTH} characters.`
      : next !== confirm
        ? 'The two new passwords differ.'
        : next === current.secret
          ? 'Choose a different password.'
          : null;
  return (
    <Card title="Change password" id="password">
      <p className="muted">Takes a moment, whatever the amount of data. Other tabs ask for the new password when they next unlock.</p>
      {message && <Banner kind={message.kind}>{message.text}</Banner>}
      <form
        className="stack-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!current.secret) return;
          if (problem) return setMessage({ kind: 'error', text: problem });
          setBusy(true);
          setMessage(null);
          try {
            // With the passkey as proof, the password slot is the one replaced: the old password
            // stops working and the passkey stays.
            const passwordSlot = keyslots?.find((k) => k.kind === 'password')?.index;
            if (typeof current.secret === 'string') await db.changePassword({ password: current.secret }, { password: next });
            else await db.changePassword(current.secret, { password: next }, passwordSlot === undefined ? undefined : { slot: passwordSlot });
            current.clear();
            setNext('');
            setConfirm('');
            setMessage({ kind: 'success', text: 'Password changed. Backups made earlier still open with the old password.' });
            onChanged();
          } catch (err) {
            setMessage({ kind: 'error', text: current.describe(err, 'The current password is wrong.') });
          } finally {
            setBusy(false);
          }
        }}
      >
        <CurrentSecretField state={current} label="Current password" name="current-password" />
        <Field label="New password">
          <input type="password" name="next-password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
        </Field>
        <StrengthMeter password={next} />
        <Field label="Confirm new password">
          <input type="password" name="confirm-next-password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </Field>
        <button className="btn btn-primary" disabled={busy || !current.secret || !next}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </Card>
  );
}
