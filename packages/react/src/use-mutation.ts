/**
 * useMutation(fn): runs `fn(db, ...args)` and tracks its state. Live queries update by themselves
 * after the write commits; there is nothing to invalidate.
 *
 *   const addProduct = useMutation((db, name: string, cents: number) =>
 *     db.exec('INSERT INTO product (name, price_cents) VALUES (?, ?)', [name, cents]));
 *   addProduct.mutate('Espresso', 250);   // never rejects; see addProduct.status / .error
 */
import { useState, useSyncExternalStore } from 'react';
import { Mutation } from './mutation.js';
import { useDatabase } from './use-database.js';
import type { LiveDatabase, MutationState } from './types.js';

export type UseMutationResult<A extends unknown[], R> = MutationState<R> & {
  /** Runs the mutation; resolves undefined instead of rejecting (use in event handlers). */
  mutate: (...args: A) => Promise<R | undefined>;
  /** Runs the mutation; rejects with its error. */
  mutateAsync: (...args: A) => Promise<R>;
  reset: () => void;
  isPending: boolean;
};

export function useMutation<A extends unknown[], R>(fn: (db: LiveDatabase, ...args: A) => Promise<R> | R): UseMutationResult<A, R> {
  const db = useDatabase();
  const [mutation] = useState(() => new Mutation<A, R>((...args) => fn(db, ...args)));
  // The latest closure runs (it may capture fresh props); set during render, read only when called.
  mutation.setFunction((...args) => fn(db, ...args));
  const state = useSyncExternalStore(mutation.subscribe, mutation.getSnapshot, mutation.getSnapshot);
  return { ...state, mutate: mutation.fire, mutateAsync: mutation.run, reset: mutation.reset, isPending: state.status === 'pending' };
}
