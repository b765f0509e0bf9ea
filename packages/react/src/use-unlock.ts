/**
 * useUnlock(): unlocks the database with a password, key material or a passkey. A wrong password
 * leaves it locked and shows up as `error` with `code === 'WRONG_KEY'`.
 *
 *   const { unlock, status, code } = useUnlock();
 *   <form onSubmit={() => unlock(password)}> … {code === 'WRONG_KEY' && 'Wrong password'}
 *   <button onClick={() => unlock({ passkey: true })}>Unlock with passkey</button>
 *   // code: 'CANCELLED' (prompt dismissed), 'UNSUPPORTED' (no PRF here), 'NO_PASSKEY', 'WRONG_KEY'
 */
import { useState, useSyncExternalStore } from 'react';
import { Mutation } from './mutation.js';
import { useDatabase } from './use-database.js';
import type { MutationState, UnlockSecret } from './types.js';

export type UseUnlockResult = MutationState<void> & {
  /** Resolves true when unlocked, false when it failed (see `error`/`code`). */
  unlock: (secret: UnlockSecret) => Promise<boolean>;
  reset: () => void;
  isPending: boolean;
};

export function useUnlock(): UseUnlockResult {
  const db = useDatabase();
  const [mutation] = useState(() => new Mutation<[UnlockSecret], void>((secret) => db.unlock(secret)));
  mutation.setFunction((secret) => db.unlock(secret));
  const state = useSyncExternalStore(mutation.subscribe, mutation.getSnapshot, mutation.getSnapshot);
  return {
    ...state,
    unlock: (secret) =>
      mutation.run(secret).then(
        () => true,
        () => false,
      ),
    reset: mutation.reset,
    isPending: state.status === 'pending',
  };
}
