/**
 * useTransaction(fn): like useMutation, but `fn(tx, ...args)` runs inside one transaction —
 * committed when it resolves, rolled back when it throws.
 *
 *   const checkout = useTransaction(async (tx, cart: CartLine[]) => {
 *     const { lastInsertRowid } = await tx.exec('INSERT INTO sale DEFAULT VALUES');
 *     for (const l of cart) await tx.exec('INSERT INTO sale_line VALUES (?, ?, ?)', [lastInsertRowid, l.id, l.qty]);
 *   });
 */
import { useMutation, type UseMutationResult } from './use-mutation.js';
import type { LiveTransaction } from './types.js';

export function useTransaction<A extends unknown[], R>(fn: (tx: LiveTransaction, ...args: A) => Promise<R> | R): UseMutationResult<A, R> {
  return useMutation((db, ...args: A) => db.transaction((tx) => fn(tx, ...args)));
}
