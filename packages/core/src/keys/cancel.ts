/**
 * Cancellation of the long key-management operations (`signal` in their options).
 *
 * An operation checks its signal between steps, never inside one: a step is a synchronous SQLite
 * or cipher call that cannot be interrupted, so a cancelled operation stops at the next step
 * boundary (a few milliseconds of work at most) and cleans up. A signal that is already aborted
 * rejects the call before any work.
 *
 * `Pacer` also yields a macrotask from time to time. In a Web Worker the abort itself arrives as a
 * message (from the page, or from another tab over a BroadcastChannel), and a message is only
 * delivered when the worker's event loop runs — microtask `await`s do not let it in. Yielding at
 * every step would cost a task switch per step; yielding once ≥ `YIELD_EVERY_MS` of work has
 * passed bounds both the added cost (one task switch per 50 ms) and the abort latency.
 */
import { CipherliteError, invalidArgument } from '../errors.js';

/** Work between two macrotask yields of a long loop. */
export const YIELD_EVERY_MS = 50;

/** Validates the `signal` option: undefined, or an AbortSignal (anything with `aborted` and `addEventListener`). */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  const s = signal;
  if (typeof s !== 'object' || s === null || !('aborted' in s) || typeof s.aborted !== 'boolean' || !('addEventListener' in s) || typeof s.addEventListener !== 'function') {
    invalidArgument('signal must be an AbortSignal');
  }
  return signal as AbortSignal;
}

export function cancelledError(what: string): CipherliteError {
  return new CipherliteError('CANCELLED', `${what} was cancelled`);
}

/** Throws CANCELLED when `signal` is aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelledError(what);
}

/** What a realm may offer for a macrotask yield (browsers and Node have MessageChannel; old Node only setImmediate). */
interface Port {
  onmessage: (() => void) | null;
  postMessage(message: null): void;
  close(): void;
}
const g = globalThis as unknown as { MessageChannel?: new () => { port1: Port; port2: Port }; setImmediate?: (fn: () => void) => unknown };

/**
 * Resolves in a later macrotask: a MessageChannel message. Not setTimeout(0): nested timers are
 * clamped to 4 ms after five levels (HTML timers), which a loop of yields reaches at once. Not
 * Node's setImmediate: called from an I/O callback it runs before the event loop polls again, so
 * a message waiting to be delivered (the abort) would not get in; a port message goes through the
 * poll phase, like the messages it must let in.
 */
function macrotask(): Promise<void> {
  const Channel = g.MessageChannel;
  if (typeof Channel === 'function') {
    return new Promise((resolve) => {
      const { port1, port2 } = new Channel();
      port1.onmessage = () => {
        port1.close();
        resolve();
      };
      port2.postMessage(null);
    });
  }
  const immediate = g.setImmediate;
  if (typeof immediate === 'function') return new Promise((resolve) => void immediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Checks the signal between steps of a long loop and yields the event loop now and then. */
export class Pacer {
  readonly #signal: AbortSignal | undefined;
  readonly #what: string;
  #lastYield = performance.now();

  constructor(signal: AbortSignal | undefined, what: string) {
    this.#signal = signal;
    this.#what = what;
  }

  get cancelled(): boolean {
    return this.#signal?.aborted === true;
  }

  /**
   * The last check before a point of no return: yields one macrotask first, so an abort that
   * arrived as a message during a long synchronous step (quick_check) is let in; throws CANCELLED.
   */
  async lastCheck(): Promise<void> {
    this.check();
    await macrotask();
    this.#lastYield = performance.now();
    this.check();
  }

  /** Throws CANCELLED if aborted. */
  check(): void {
    throwIfCancelled(this.#signal, this.#what);
  }

  /** Between two steps: yields a macrotask once ≥ YIELD_EVERY_MS passed since the last one; throws CANCELLED if aborted. */
  async tick(): Promise<void> {
    this.check();
    if (performance.now() - this.#lastYield < YIELD_EVERY_MS) return;
    await macrotask();
    this.#lastYield = performance.now();
    this.check();
  }
}
