/** Small presentational pieces shared by the screens. */
import { cloneElement, useEffect, useId, useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { passwordStrength } from './password.ts';

export function Card({ title, children, actions, id }: { title: string; children: ReactNode; actions?: ReactNode; id?: string }) {
  return (
    <section className="card" aria-labelledby={id ? `${id}-title` : undefined} id={id}>
      <header className="card-head">
        <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** The centred card form of the first-run screens (set-up, recovery, set-up from a bucket); the browser's own submit is prevented. */
export function AuthCardForm({ onSubmit, children }: { onSubmit: () => unknown; children: ReactNode }) {
  return (
    <main className="center">
      <form
        className="auth-card"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void onSubmit();
        }}
      >
        {children}
      </form>
    </main>
  );
}

export function Banner({ kind, children, onClose }: { kind: 'error' | 'success' | 'info'; children: ReactNode; onClose?: () => void }) {
  return (
    <div className={`banner banner-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <span>{children}</span>
      {onClose && (
        <button type="button" className="banner-close" aria-label="Dismiss" onClick={onClose}>
          ×
        </button>
      )}
    </div>
  );
}

/**
 * A labelled input. The label names the input; the hint or error *describes* it
 * (`aria-describedby`), so a screen reader reads "Price, edit text" and then the hint, instead of
 * a name that changes with every keystroke.
 */
export function Field({ label, hint, error, children }: { label: string; hint?: ReactNode; error?: string | null | undefined; children: ReactElement<Record<string, unknown>> }) {
  const id = useId();
  const noteId = `${id}-note`;
  const note = error ? (
    <span className="field-error" id={noteId}>
      {error}
    </span>
  ) : hint ? (
    <span className="field-hint" id={noteId}>
      {hint}
    </span>
  ) : null;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {cloneElement(children, { id, 'aria-describedby': note ? noteId : undefined, 'aria-invalid': error ? true : undefined })}
      {note}
    </div>
  );
}

export function StrengthMeter({ password }: { password: string }) {
  const s = passwordStrength(password);
  return (
    <div className="meter" aria-live="polite">
      <div className="meter-bar">
        {[1, 2, 3, 4].map((i) => (
          <span key={i} className={i <= s.score ? `on s${s.score}` : ''} />
        ))}
      </div>
      <span className="meter-text">
        {s.label && <strong>{s.label}. </strong>}
        {s.hint}
      </span>
    </div>
  );
}

export function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    addEventListener('online', on);
    addEventListener('offline', off);
    return () => {
      removeEventListener('online', on);
      removeEventListener('offline', off);
    };
  }, []);
  return online;
}

export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

/** Each screen's one `h1`: visible on pages that need a title, for screen readers only on the till. */
export function PageTitle({ children, visible = true }: { children: ReactNode; visible?: boolean }) {
  return <h1 className={visible ? 'page-title' : 'sr-only'}>{children}</h1>;
}

/** A form's full-width main button, showing a spinner and what is happening while `pending`. */
export function SubmitButton({ pending, pendingLabel, children, disabled = false }: { pending: boolean; pendingLabel: string; children: ReactNode; disabled?: boolean }) {
  return (
    <button className="btn btn-primary btn-block" disabled={pending || disabled}>
      {pending ? (
        <>
          <Spinner /> {pendingLabel}
        </>
      ) : (
        children
      )}
    </button>
  );
}
