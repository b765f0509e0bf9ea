/**
 * Shows a freshly made recovery key once, with copy and print. The key exists only here, in this
 * component's props, until the person confirms they kept it: it is never stored by the app and
 * cannot be shown again (the database keeps only a keyslot wrapped under it).
 */
import { useState } from 'react';
import { Banner } from './ui.tsx';

export function RecoveryKeyNotice({ recoveryKey, onDone, doneLabel }: { recoveryKey: string; onDone: () => void; doneLabel: string }) {
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <div className="recovery-notice" role="region" aria-label="New recovery key">
      <p>
        <strong>Write this recovery key down now</strong> and keep it away from this device. It opens the till if the password is forgotten. It is shown only once.
      </p>
      <p className="recovery-key print-area" data-testid="recovery-key">
        {recoveryKey}
      </p>
      {copy === 'copied' && <Banner kind="success">Copied. Paste it somewhere safe, then clear your clipboard.</Banner>}
      {copy === 'failed' && <Banner kind="error">This browser did not allow copying. Write the key down or print it.</Banner>}
      <div className="row">
        <button
          type="button"
          className="btn"
          onClick={() =>
            navigator.clipboard.writeText(recoveryKey).then(
              () => setCopy('copied'),
              () => setCopy('failed'),
            )
          }
        >
          Copy
        </button>
        <button type="button" className="btn" onClick={() => window.print()}>
          Print
        </button>
        <button type="button" className="btn btn-primary" onClick={onDone}>
          {doneLabel}
        </button>
      </div>
    </div>
  );
}
