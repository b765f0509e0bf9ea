/**
 * The unlock form: used at start-up (opening the database) and after a lock (unlocking it).
 * With `onPasskey`, it also offers the device's fingerprint/face/PIN (a passkey slot exists).
 */
import { useEffect, useState } from 'react';
import { passkeySlots } from '@cipherlite/worker';
import { Banner, Field, SubmitButton } from '../ui.tsx';

/** Whether the store has a passkey slot (read from its public header, before unlocking). */
export function useHasPasskey(name: string, directory: string, refresh?: unknown): boolean {
  const [has, setHas] = useState(false);
  useEffect(() => {
    let live = true;
    passkeySlots({ name, directory }).then(
      (slots) => live && setHas(slots.length > 0),
      () => live && setHas(false),
    );
    return () => {
      live = false;
    };
  }, [name, directory, refresh]);
  return has;
}

export function UnlockForm(props: {
  title: string;
  subtitle: string;
  pending: boolean;
  error: string | null;
  onSubmit: (password: string) => void;
  onForgot: () => void;
  onPasskey?: (() => void) | undefined;
}) {
  const [password, setPassword] = useState('');
  return (
    <main className="center">
      <form
        className="auth-card"
        onSubmit={(e) => {
          e.preventDefault();
          if (password) props.onSubmit(password);
        }}
      >
        <img src="/favicon.svg" alt="" width={56} height={56} className="auth-logo" />
        <h1>{props.title}</h1>
        <p className="muted">{props.subtitle}</p>
        {props.error && <Banner kind="error">{props.error}</Banner>}
        <Field label="Password">
          <input type="password" name="password" autoComplete="current-password" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} disabled={props.pending} />
        </Field>
        <SubmitButton pending={props.pending} pendingLabel="Unlocking…" disabled={password.length === 0}>
          Unlock
        </SubmitButton>
        <button type="button" className="btn btn-link" onClick={props.onForgot} disabled={props.pending}>
          Forgot the password? Use the recovery key
        </button>
        {props.onPasskey && (
          <button type="button" className="btn btn-block" disabled={props.pending} onClick={props.onPasskey}>
            Unlock with fingerprint / passkey
          </button>
        )}
      </form>
    </main>
  );
}
