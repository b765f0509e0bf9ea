/**
 * Retries with exponential backoff and full jitter (the AWS architecture blog's "full jitter":
 * sleep = random(0, min(cap, base · 2^attempt))), for answers that may succeed on a later try:
 * network failures, timeouts, 500/502/503/504, 429 and S3's SlowDown. Timers and randomness
 * are injected so tests run without waiting and in the browser worker unchanged.
 */
import { CipherliteError } from '../errors.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

export interface RetryPolicy {
  /** Tries in all (default 5). */
  attempts: number;
  /** First backoff ceiling in ms (default 100). */
  baseMs: number;
  /** Largest backoff ceiling in ms (default 5000). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 100, maxMs: 5000 };

/** Marks a failure as worth another try. */
export class Retryable extends Error {
  readonly final: CipherliteError;
  constructor(final: CipherliteError) {
    super(final.message);
    this.final = final;
  }
}

export function sleep(ms: number, timers: Timers, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CipherliteError('CANCELLED', 'the replica operation was cancelled'));
    const onAbort = (): void => {
      timers.clearTimeout(h);
      reject(new CipherliteError('CANCELLED', 'the replica operation was cancelled'));
    };
    const h = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `attempt` until it succeeds, throws a non-`Retryable` error, or the policy's tries are spent. */
export async function withRetry<R>(attempt: () => Promise<R>, policy: RetryPolicy, timers: Timers, random: () => number, signal?: AbortSignal): Promise<R> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof Retryable)) throw e;
      if (i + 1 >= policy.attempts) throw e.final;
      const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** i);
      await sleep(random() * ceiling, timers, signal);
    }
  }
}
