/** useLockState(): `'locked' | 'unlocking' | 'unlocked'` of this tab's database, kept current. */
import { useSyncExternalStore } from 'react';
import { useDatabase } from './use-database.js';
import type { LockState } from './types.js';

export function useLockState(): LockState {
  const db = useDatabase();
  return useSyncExternalStore(
    (onChange) => db.onLockState(onChange),
    () => db.lockState,
    () => db.lockState,
  );
}
