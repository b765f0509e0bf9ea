/**
 * The forgotten-password path: open with the recovery key, choose a new password, and get a new
 * recovery key.
 *
 * The recovery key's slot becomes the new password's slot (`changePassword` replaces the slot the
 * given secret opens), the forgotten password's slot is removed (whoever still knows it should not
 * keep access), and a fresh recovery key is made and shown once — a used recovery key has been
 * typed in and may have been seen, so it is not kept.
 */
import type { CipherliteDatabase } from '@cipherlite/worker';
import { useRef, useState } from 'react';
import { MIN_PASSWORD_LENGTH } from '../password.ts';
import { RecoveryKeyNotice } from '../recovery-key.tsx';
import { describeError } from '../store.ts';
import { AuthCardForm, Banner, Field, StrengthMeter, SubmitButton } from '../ui.tsx';

function recoverError(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'WRONG_KEY') return 'This recovery key does not open the till. Check it for typing mistakes.';
  if (code === 'INVALID_ARGUMENT' && /recovery/i.test((e as Error).message)) return 'This is not a recovery key: it has 8 groups of letters and digits (XXXX-XXXX-…).';
  return describeError(e);
}

/**
 * Removes every password slot, proving the recovery key (so the slot proven is never the one
 * removed, even when the "forgotten" password is typed again as the new one), then turns the
 * recovery key's slot into the new password's. Interrupted in between, the recovery key still
 * opens the till and the reset can simply be run again.
 */
async function resetPassword(db: CipherliteDatabase, recoveryKey: string, next: string): Promise<void> {
  const forgotten = (await db.listKeyslots()).filter((s) => s.kind === 'password').map((s) => s.index);
  // Highest index first: removing a slot shifts the later ones down.
  for (const index of forgotten.sort((a, b) => b - a)) await db.removeKeyslot({ recoveryKey }, index);
  await db.changePassword({ recoveryKey }, { password: next });
}

export function RecoverForm(props: { open: (recoveryKey: string) => Promise<CipherliteDatabase>; onDone: (db: CipherliteDatabase) => void; onCancel: () => void }) {
  const [recoveryKey, setRecoveryKey] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [touched, setTouched] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ db: CipherliteDatabase; newKey: string } | null>(null);
  // Opened once: a retry after a failure further on reuses the handle instead of opening again.
  const opened = useRef<CipherliteDatabase | null>(null);

  const keyError = recoveryKey.trim() ? null : 'Enter the recovery key.';
  const passwordError = next.length >= MIN_PASSWORD_LENGTH ? null : `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  const confirmError = confirm === next ? null : 'The two passwords differ.';

  if (done) {
    return (
      <main className="center">
        <div className="auth-card">
          <h1>New password set</h1>
          <p className="muted">The till opens with the new password now. The recovery key you used no longer works: here is its replacement.</p>
          <RecoveryKeyNotice recoveryKey={done.newKey} doneLabel="I kept it — open the till" onDone={() => props.onDone(done.db)} />
        </div>
      </main>
    );
  }

  return (
    <AuthCardForm
      onSubmit={async () => {
        setTouched(true);
        if (keyError || passwordError || confirmError) return;
        setPending(true);
        setError(null);
        try {
          const db = (opened.current ??= await props.open(recoveryKey.trim()));
          await resetPassword(db, recoveryKey.trim(), next);
          const { recoveryKey: newKey } = await db.addRecoveryKey({ password: next });
          setRecoveryKey('');
          setDone({ db, newKey });
        } catch (err) {
          setError(recoverError(err));
          setPending(false);
        }
      }}
    >
      <img src="/favicon.svg" alt="" width={56} height={56} className="auth-logo" />
      <h1>Reset the password</h1>
      <p className="muted">Use the recovery key you wrote down when it was created (Admin → Recovery key). Then choose a new password.</p>
      {error && <Banner kind="error">{error}</Banner>}
      <Field label="Recovery key" error={touched ? keyError : null}>
        <input
          name="recovery-key"
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          value={recoveryKey}
          onChange={(e) => setRecoveryKey(e.target.value)}
          disabled={pending}
          autoFocus
        />
      </Field>
      <Field label="New password" error={touched ? passwordError : null}>
        <input type="password" name="new-password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} disabled={pending} />
      </Field>
      <StrengthMeter password={next} />
      <Field label="Confirm new password" error={touched ? confirmError : null}>
        <input type="password" name="confirm-password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} disabled={pending} />
      </Field>
      <SubmitButton pending={pending} pendingLabel="Checking the recovery key…">
        Set new password
      </SubmitButton>
      <button type="button" className="btn btn-link" onClick={props.onCancel} disabled={pending}>
        Back to the password
      </button>
    </AuthCardForm>
  );
}
