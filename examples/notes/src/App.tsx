/**
 * The app shell: asks for a password (a new one on first start, the existing one after), opens
 * the database, shows a new recovery key once, then renders the notes inside the provider.
 */
import { DatabaseProvider } from '@cipherlite/react';
import { databaseExists, isCipherliteError } from '@cipherlite/worker';
import type { CipherliteDatabase } from '@cipherlite/worker';
import { useEffect, useState } from 'react';
import { DATABASE, openNotes } from './database.ts';
import { Notes } from './Notes.tsx';
import { PasswordForm } from './PasswordForm.tsx';

type Screen = { kind: 'loading' } | { kind: 'setup' | 'unlock'; error?: string } | { kind: 'recovery-key'; db: CipherliteDatabase; recoveryKey: string } | { kind: 'open'; db: CipherliteDatabase };

export function App() {
  const [screen, setScreen] = useState<Screen>({ kind: 'loading' });

  useEffect(() => {
    void databaseExists(DATABASE).then((exists) => setScreen({ kind: exists ? 'unlock' : 'setup' }));
  }, []);

  async function create(password: string) {
    const db = await openNotes(password, true);
    const { recoveryKey } = await db.addRecoveryKey(password);
    setScreen({ kind: 'recovery-key', db, recoveryKey });
  }

  async function unlock(password: string) {
    try {
      setScreen({ kind: 'open', db: await openNotes(password, false) });
    } catch (e) {
      if (isCipherliteError(e, 'WRONG_KEY')) setScreen({ kind: 'unlock', error: 'Wrong password.' });
      else if (isCipherliteError(e, 'NOT_FOUND')) setScreen({ kind: 'setup', error: 'There are no notes on this device yet: choose a password.' });
      else throw e;
    }
  }

  switch (screen.kind) {
    case 'loading':
      return <p>Loading…</p>;
    case 'setup':
      return <PasswordForm title="Choose a password" confirm submit="Create" error={screen.error} onSubmit={create} />;
    case 'unlock':
      return <PasswordForm title="Unlock your notes" submit="Unlock" error={screen.error} onSubmit={unlock} />;
    case 'recovery-key':
      return (
        <main>
          <h1>Your recovery key</h1>
          <p>Write it down and keep it apart from this device. It opens your notes if you forget the password; it is shown only now.</p>
          <p className="recovery-key" data-testid="recovery-key">
            {screen.recoveryKey}
          </p>
          <button onClick={() => setScreen({ kind: 'open', db: screen.db })}>I have written it down</button>
        </main>
      );
    case 'open':
      return (
        <DatabaseProvider database={screen.db}>
          <Notes />
        </DatabaseProvider>
      );
  }
}
