/**
 * Admin's passkeys: add one for this device, list them, remove one — each proved by the password
 * or by a passkey the database already has.
 */
import type { CipherliteDatabase, KeyslotInfo } from '@cipherlite/worker';
import { useState } from 'react';
import { Banner, Card, Field } from '../ui.tsx';
import { CurrentSecretField, passkeysUnavailable, useCurrentSecret, type Secret } from './CurrentSecret.tsx';

export function PasskeyCard({ db, keyslots, onChanged }: { db: CipherliteDatabase; keyslots: KeyslotInfo[] | null; onChanged: () => void }) {
  const current = useCurrentSecret(keyslots);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const passkeys = (keyslots ?? []).filter((s): s is KeyslotInfo & { kind: 'passkey' } => s.kind === 'passkey');
  const act = async (what: (secret: Secret) => Promise<unknown>, done: string) => {
    const { secret } = current;
    if (!secret) return setMessage({ kind: 'error', text: 'Enter the password first.' });
    setBusy(true);
    setMessage(null);
    try {
      await what(secret);
      current.clear();
      onChanged();
      setMessage({ kind: 'success', text: done });
    } catch (err) {
      const own = current.viaPasskey && (err as { code?: string }).code === 'NO_PASSKEY';
      setMessage({ kind: 'error', text: own ? 'No other passkey can prove this: a passkey cannot prove its own removal. Use the password.' : current.describe(err) });
    } finally {
      setBusy(false);
    }
  };
  const unavailable = passkeysUnavailable();
  if (unavailable)
    return (
      <Card title="Passkeys" id="passkeys">
        <p className="muted" data-testid="passkeys-unavailable">
          {unavailable}
        </p>
      </Card>
    );
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
            <button
              type="button"
              className="btn btn-small"
              aria-label={`Remove ${p.label || 'Passkey'}`}
              disabled={busy}
              onClick={() => void act((secret) => db.removeKeyslot(secret, p.index), 'Passkey removed.')}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        className="stack-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act((secret) => db.addPasskey(secret, { userName: name.trim() || 'Till', rpName: 'Point of sale' }), 'Passkey added. Use it on the unlock screen.');
        }}
      >
        <CurrentSecretField state={current} label="Password" name="passkey-password" />
        <Field label="Name shown for this passkey">
          <input name="passkey-name" maxLength={40} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Front counter" />
        </Field>
        <button className="btn btn-primary" disabled={busy || !current.secret}>
          {busy ? 'Waiting for the device…' : 'Add passkey'}
        </button>
      </form>
    </Card>
  );
}
