/**
 * The first-run card of both ways to set a tablet up from a bucket — a cloud backup
 * (RestoreFromCloud) and a shop that syncs (JoinShop): the bucket's fields, the shop password, one
 * submit that shows its progress and, when it fails, what went wrong in the shop's words. The
 * screen brings the fields, the call and its error texts.
 */
import { useState, type ReactNode } from 'react';
import { AuthCardForm, Banner, Field, SubmitButton } from '../ui.tsx';

/** What the shopkeeper reads when a set-up fails: a text per error code, one for an integrity failure. */
export interface SetupErrorTexts {
  readonly byCode: Readonly<Record<string, string>>;
  /** Any other `REPLICA_*` code: the bucket's content failed a check. */
  readonly integrity: (code: string) => string;
}

/** The text for a failed set-up's error (`describe` covers what is not a known code). */
export function describeSetupError(e: unknown, texts: SetupErrorTexts, describe: (e: unknown) => string): string {
  const code = (e as { code?: string } | null)?.code ?? '';
  const text = texts.byCode[code];
  if (text !== undefined) return text;
  if (code.startsWith('REPLICA_')) return texts.integrity(code);
  return describe(e);
}

export interface CloudSetupCardProps<F> {
  title: string;
  intro: string;
  empty: F;
  isComplete: (form: F) => boolean;
  fields: (form: F, onChange: (edit: Partial<F>) => void, disabled: boolean) => ReactNode;
  /** The password input's `name` (what the browser's password manager and the tests find). */
  passwordName: string;
  submitLabel: string;
  pendingLabel: string;
  /** Sets the tablet up; `report` shows a line of progress under the title. Resolves once done. */
  run: (form: F, password: string, report: (line: string) => void) => Promise<void>;
  describeError: (e: unknown) => string;
  onCancel: () => void;
}

export function CloudSetupCard<F>(props: CloudSetupCardProps<F>) {
  const [form, setForm] = useState<F>(props.empty);
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <AuthCardForm
      onSubmit={async () => {
        if (!props.isComplete(form) || !password) return setError('Fill in every field and the shop password.');
        setPending(true);
        setError(null);
        try {
          await props.run(form, password, setProgress);
        } catch (err) {
          setError(props.describeError(err));
          setPending(false);
          setProgress(null);
        }
      }}
    >
      <img src="/favicon.svg" alt="" width={56} height={56} className="auth-logo" />
      <h1>{props.title}</h1>
      <p className="muted">{props.intro}</p>
      {error && <Banner kind="error">{error}</Banner>}
      {progress && <p className="muted">{progress}</p>}
      {props.fields(form, (edit) => setForm({ ...form, ...edit }), pending)}
      <Field label="Shop password">
        <input type="password" name={props.passwordName} autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} disabled={pending} />
      </Field>
      <SubmitButton pending={pending} pendingLabel={props.pendingLabel}>
        {props.submitLabel}
      </SubmitButton>
      <button type="button" className="btn btn-ghost" onClick={props.onCancel} disabled={pending}>
        Back
      </button>
    </AuthCardForm>
  );
}
