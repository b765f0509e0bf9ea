/** One password field (two when choosing a new one) and a submit button that waits for the call. */
import { useState } from 'react';
import type { FormEvent } from 'react';

export interface PasswordFormProps {
  title: string;
  submit: string;
  /** Ask twice (a new password). */
  confirm?: boolean;
  error?: string | undefined;
  onSubmit: (password: string) => Promise<void>;
}

export function PasswordForm({ title, submit, confirm = false, error, onSubmit }: PasswordFormProps) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const mismatch = confirm && again !== '' && again !== password;

  async function handle(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      await onSubmit(password);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main>
      <form onSubmit={(e) => void handle(e)}>
        <h1>{title}</h1>
        <label>
          Password
          <input type="password" autoComplete={confirm ? 'new-password' : 'current-password'} value={password} onChange={(e) => setPassword(e.target.value)} required minLength={confirm ? 8 : 1} />
        </label>
        {confirm && (
          <label>
            Password again
            <input type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required />
          </label>
        )}
        {mismatch && <p role="alert">The passwords differ.</p>}
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={busy || mismatch || (confirm && again === '')}>
          {busy ? 'Opening…' : submit}
        </button>
      </form>
    </main>
  );
}
