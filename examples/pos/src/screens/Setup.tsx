/** First run: name the shop and choose the password that encrypts its database. */
import type { CipherliteDatabase } from '@cipherlite/worker';
import { useState } from 'react';
import { MIN_PASSWORD_LENGTH } from '../password.ts';
import { SETTING } from '../settings.tsx';
import { describeError, openStore } from '../store.ts';
import { AuthCardForm, Banner, Field, StrengthMeter, SubmitButton } from '../ui.tsx';
import { RestoreFromCloud } from './RestoreFromCloud.tsx';
import { JoinShop } from './JoinShop.tsx';

export function Setup({ onCreated }: { onCreated: (db: CipherliteDatabase) => void }) {
  const [storeName, setStoreName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [touched, setTouched] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fromCloud, setFromCloud] = useState<'backup' | 'shop' | null>(null);

  const nameError = storeName.trim() ? null : 'Give the shop a name (shown on the till).';
  const passwordError = password.length >= MIN_PASSWORD_LENGTH ? null : `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  const confirmError = confirm === password ? null : 'The two passwords differ.';
  const valid = !nameError && !passwordError && !confirmError;

  if (fromCloud === 'backup') return <RestoreFromCloud onRestored={onCreated} onCancel={() => setFromCloud(null)} />;
  if (fromCloud === 'shop') return <JoinShop onJoined={onCreated} onCancel={() => setFromCloud(null)} />;
  return (
    <AuthCardForm
      onSubmit={async () => {
        setTouched(true);
        if (!valid) return;
        setPending(true);
        setError(null);
        try {
          const db = await openStore(password, true);
          await db.exec('INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)', [SETTING.storeName, storeName.trim()]);
          onCreated(db);
        } catch (err) {
          setError(describeError(err));
          setPending(false);
        }
      }}
    >
      <img src="/favicon.svg" alt="" width={56} height={56} className="auth-logo" />
      <h1>Set up your till</h1>
      <p className="muted">
        Products and sales are stored only on this device, encrypted with AES-256-GCM under a key derived from your password. Nobody — not even us — can recover the data without it.
      </p>
      {error && <Banner kind="error">{error}</Banner>}
      <Field label="Shop name" error={touched ? nameError : null}>
        <input name="store" value={storeName} onChange={(e) => setStoreName(e.target.value)} autoFocus disabled={pending} placeholder="e.g. Corner Café" />
      </Field>
      <Field label="Password" error={touched ? passwordError : null}>
        <input type="password" name="new-password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} disabled={pending} />
      </Field>
      <StrengthMeter password={password} />
      <Field label="Confirm password" error={touched || confirm.length >= password.length ? (confirm ? confirmError : touched ? confirmError : null) : null}>
        <input type="password" name="confirm-password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} disabled={pending} />
      </Field>
      <SubmitButton pending={pending} pendingLabel="Creating encrypted database…">
        Create till
      </SubmitButton>
      <button type="button" className="btn btn-ghost" onClick={() => setFromCloud('backup')} disabled={pending}>
        Set up this tablet from the cloud backup
      </button>
      <button type="button" className="btn btn-ghost" onClick={() => setFromCloud('shop')} disabled={pending}>
        Set up this tablet from the shop’s cloud
      </button>
    </AuthCardForm>
  );
}
