/**
 * Mutation: the state of an asynchronous write (idle → pending → success | error) — framework-free,
 * with the same `subscribe`/`getSnapshot` contract as `LiveQuery`. `useMutation`, `useTransaction`
 * and `useUnlock` are thin adapters over it.
 *
 * Overlapping calls are allowed; the state follows the most recent call (an older call finishing
 * later does not overwrite it). Live queries need no invalidation: the database reports the
 * tables a write changed and the affected queries re-run by themselves.
 */
import { errorCode } from './_errors.js';
import type { MutationState } from './types.js';

const IDLE: MutationState<never> = Object.freeze({ status: 'idle', data: undefined, error: null, code: null });
const PENDING: MutationState<never> = Object.freeze({ status: 'pending', data: undefined, error: null, code: null });

export class Mutation<A extends unknown[], R> {
  #fn: (...args: A) => Promise<R> | R;
  #snapshot: MutationState<R> = IDLE;
  readonly #listeners = new Set<() => void>();
  #seq = 0;

  constructor(fn: (...args: A) => Promise<R> | R) {
    this.#fn = fn;
  }

  /** Replaces the function (hooks pass the latest closure on every render). */
  setFunction(fn: (...args: A) => Promise<R> | R): void {
    this.#fn = fn;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): MutationState<R> => this.#snapshot;

  /** Runs the function; resolves with its result or rejects with its error (also kept in the state). */
  readonly run = async (...args: A): Promise<R> => {
    const seq = ++this.#seq;
    this.#set(PENDING);
    try {
      const data = await this.#fn(...args);
      if (seq === this.#seq) this.#set({ status: 'success', data, error: null, code: null });
      return data;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (seq === this.#seq) this.#set({ status: 'error', data: undefined, error, code: errorCode(e) });
      throw e;
    }
  };

  /** Like `run`, but never rejects (for event handlers): resolves undefined on failure. */
  readonly fire = (...args: A): Promise<R | undefined> => this.run(...args).catch(() => undefined);

  /** Back to idle (e.g. when a form is dismissed). */
  readonly reset = (): void => {
    this.#seq++;
    this.#set(IDLE);
  };

  #set(next: MutationState<R>): void {
    if (next === this.#snapshot) return;
    this.#snapshot = next;
    for (const l of [...this.#listeners]) l();
  }
}
