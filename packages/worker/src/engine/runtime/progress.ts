/**
 * Progress events of long operations on their way from core (in the leader's worker) to the
 * caller's `onProgress` on a main thread, possibly in another tab.
 *
 * Core reports after every step — hundreds of events for a large database. Each one crossing to
 * a main thread costs a structured clone and a task there (and, for a follower, a trip over a
 * BroadcastChannel first), so the leader thins them out once, where they are produced:
 * `ProgressThrottle` always passes the first event of each phase and the event that ends a phase
 * (`done === total`), and otherwise at most one per `PROGRESS_INTERVAL_MS`, keeping the newest
 * held back; `flush()` sends that one when the operation ends. A UI redrawing at ≥ 4 Hz needs
 * nothing more frequent, and core's steps (≤ ~100 ms each) keep the gaps small.
 */
import type { Progress } from '@cipherlite/core/keys';
import type { Diagnostics } from '../../shared/diagnostics.js';

/** Minimum time between two passed-on events of the same phase (phase starts and ends excepted). */
export const PROGRESS_INTERVAL_MS = 100;

/** What a call brings besides its arguments: where progress goes and what cancels it. */
export interface CallHooks {
  readonly onProgress?: (progress: Progress) => void;
  readonly signal?: AbortSignal;
}

export class ProgressThrottle {
  readonly #send: (progress: Progress) => void;
  readonly #interval: number;
  #lastSent = -Infinity;
  #lastPhase: string | null = null;
  #held: Progress | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `send` must not throw (the caller wraps it). */
  constructor(send: (progress: Progress) => void, intervalMs = PROGRESS_INTERVAL_MS) {
    this.#send = send;
    this.#interval = intervalMs;
  }

  push(p: Progress): void {
    const now = performance.now();
    const copy: Progress = { phase: p.phase, done: p.done, total: p.total };
    if (p.phase !== this.#lastPhase || p.done >= p.total || now - this.#lastSent >= this.#interval) {
      this.#emit(copy, now);
      return;
    }
    this.#held = copy;
    // Sent later if nothing newer comes: fires when the operation next yields the event loop.
    this.#timer ??= setTimeout(
      () => {
        this.#timer = undefined;
        this.flush();
      },
      this.#interval - (now - this.#lastSent),
    );
  }

  /** Sends the event held back, if any (call when the operation ends, before its result). */
  flush(): void {
    if (this.#held) this.#emit(this.#held, performance.now());
  }

  #emit(p: Progress, now: number): void {
    this.#held = null;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastSent = now;
    this.#lastPhase = p.phase;
    this.#send(p);
  }
}

/** `send`, but a receiver that throws (a closed channel, a clone error) is reported, never rethrown into the operation. */
export function guardedProgress(send: (progress: Progress) => void, log: Diagnostics): (progress: Progress) => void {
  return (p) => {
    try {
      send(p);
    } catch (e) {
      log.report('warn', 'progress-send-failed', e);
    }
  };
}
