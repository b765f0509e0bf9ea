/**
 * The idle timer behind `autoLockMs`: every call restarts it while the tab is unlocked, and when
 * it runs out the tab locks (`onIdle`). 0 turns it off.
 */
import { CipherliteError } from '@cipherlite/core';

export class AutoLock {
  readonly #onIdle: () => void;
  #ms = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(onIdle: () => void) {
    this.#onIdle = onIdle;
  }

  /** The idle time in ms (0: off), as the open options give it (already validated). */
  set ms(ms: number) {
    this.#ms = ms;
  }

  /** `setAutoLock(ms)`: INVALID_ARGUMENT unless a number ≥ 0; 0 stops the timer, anything else restarts it. */
  change(ms: number, unlocked: boolean): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new CipherliteError('INVALID_ARGUMENT', `expected autoLockMs to be a number >= 0, got ${String(ms)}`);
    this.#ms = ms;
    if (ms === 0) this.stop();
    else this.touch(unlocked);
  }

  /** Restarts the timer (a call came), if it is on and the tab is unlocked. */
  touch(unlocked: boolean): void {
    if (!this.#ms || !unlocked) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onIdle, this.#ms);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
