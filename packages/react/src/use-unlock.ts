/**
 * useUnlock(): unlocks the database with a password or key material. A wrong password leaves it
 * locked and shows up as `error` with `code === 'WRONG_KEY'`.
 *
 *   const { unlock, status, code } = useUnlock();
 *   <form onSubmit={() => unlock(password)}> … {code === 'WRONG_KEY' && 'Wrong password'}
 */
import { useState, useSyncExternalStore } from 'react';
import type { KeyMaterial } from '@cipherlite/core';
import { Mutation } from './mutation.js';
import { useDatabase } from './use-database.js';
import type { MutationState } from './types.js';

export type UseUnlockResult = MutationState<void> & {
  /** Resolves true when unlocked, false when it failed (see `error`/`code`). */
  unlock: (secret: string | KeyMaterial) => Promise<boolean>;
  reset: () => void;
  isPending: boolean;
};

export function useUnlock(): UseUnlockResult {
  const db = useDatabase();
  const [mutation] = useState(() => new Mutation<[string | KeyMaterial], void>((secret) => db.unlock(secret)));
  mutation.setFunction((secret) => db.unlock(secret));
  const state = useSyncExternalStore(mutation.subscribe, mutation.getSnapshot, mutation.getSnapshot);
  return {
    ...state,
    unlock: (secret) => mutation.run(secret).then(() => true, () => false),
    reset: mutation.reset,
    isPending: state.status === 'pending',
  };
}
