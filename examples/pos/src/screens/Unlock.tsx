/** The unlock form: used at start-up (opening the database) and after a lock (unlocking it). */
import { useState } from 'react';
import { Banner, Field, SubmitButton } from '../ui.tsx';

export function UnlockForm(props: { title: string; subtitle: string; pending: boolean; error: string | null; onSubmit: (password: string) => void; onForgot: () => void }) {
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
      </form>
    </main>
  );
}
