/**
 * Shown instead of the notes while the database is locked (the Lock button, or auto-lock after
 * idle time): no plaintext on screen, live queries dropped their rows. Unlocks with the password
 * or the recovery key.
 */
import { useUnlock } from '@cipherlite/react';
import { useState } from 'react';

export function LockScreen() {
  const { unlock, code, isPending } = useUnlock();
  const [secret, setSecret] = useState('');
  const [withRecoveryKey, setWithRecoveryKey] = useState(false);

  return (
    <main>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void unlock(withRecoveryKey ? { recoveryKey: secret } : secret);
        }}
      >
        <h1>Notes are locked</h1>
        <label>
          {withRecoveryKey ? 'Recovery key' : 'Password'}
          <input type={withRecoveryKey ? 'text' : 'password'} value={secret} onChange={(e) => setSecret(e.target.value)} required />
        </label>
        {code === 'WRONG_KEY' && <p role="alert">That {withRecoveryKey ? 'recovery key' : 'password'} does not open these notes.</p>}
        <button type="submit" disabled={isPending}>
          Unlock
        </button>
        <button type="button" className="link" onClick={() => setWithRecoveryKey(!withRecoveryKey)}>
          {withRecoveryKey ? 'Use the password' : 'Forgot the password? Use the recovery key'}
        </button>
      </form>
    </main>
  );
}
