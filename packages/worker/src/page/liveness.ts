/**
 * Notices, on the main thread, that this tab's database worker is gone or stuck, so no call
 * waits forever for an answer that cannot come:
 * - **death** (terminated, crashed, killed by the browser): the worker holds a Web Lock named
 *   after its tab for its whole life; the client queues for the same lock, which it is granted
 *   the moment the worker's context is destroyed, and confirms with one ping (`DEATH_CONFIRM_MS`).
 *   No polling, no CPU while idle.
 * - **wedged** (alive but its event loop never comes back): while calls are pending, a ping every
 *   `HEARTBEAT_MS`; when none was answered for `unresponsiveMs` the worker is declared lost.
 *   One synchronous SQLite call blocks the worker's event loop, so the default leaves room for the
 *   longest legitimate call (a rekey or `integrity_check` of a large database).
 * - an `error` event on the worker (an uncaught failure inside it) starts the same ping check.
 */
import { CipherliteError } from '@cipherlite/core/errors';

/** Interval of the heartbeat while calls are pending. */
const HEARTBEAT_MS = 1000;

/** A worker whose lifetime lock came free must answer a ping within this long, or it is lost. */
const DEATH_CONFIRM_MS = 1000;

/** Default: a worker that answered no ping for this long while calls waited is declared lost. */
export const DEFAULT_UNRESPONSIVE_MS = 60_000;

export interface LivenessTarget {
  ping(): Promise<void>;
  /** Called once, with the reason, when the worker is found dead or wedged. */
  lost(error: CipherliteError): void;
  /** The lifetime lock came free while the worker still answers (reported, not an error). */
  lockUnreliable(): void;
}

export class WorkerLiveness {
  readonly #target: LivenessTarget;
  readonly #unresponsiveMs: number;
  readonly #stopped = new AbortController();
  #pending = 0;
  #probing = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastAnswer = 0;
  #pingInFlight = false;
  #lost = false;

  constructor(worker: Worker, target: LivenessTarget, unresponsiveMs: number) {
    this.#target = target;
    this.#unresponsiveMs = unresponsiveMs;
    worker.addEventListener(
      'error',
      () => {
        this.#probing = true;
        this.#startHeartbeat();
      },
      { signal: this.#stopped.signal },
    );
  }

  /** Queues for the worker's lifetime lock `name`: granted only once the worker is gone. */
  watchLifetimeLock(name: string): void {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return;
    locks.request(name, { signal: this.#stopped.signal }, () => this.#confirmDeath()).catch(() => undefined); // aborted by stop(): the only way this request rejects
  }

  /**
   * The lifetime lock was granted: normally the worker is gone. But after "clear site data" the
   * page and a worker started later can sit in different lock managers, so a granted lock is
   * confirmed with a ping first; a worker that answers is alive and only the heartbeat watches it.
   */
  async #confirmDeath(): Promise<void> {
    const answered = await Promise.race([
      this.#target.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), DEATH_CONFIRM_MS)),
    ]);
    if (answered) this.#target.lockUnreliable();
    else this.#declareLost(new CipherliteError('WORKER_LOST', 'the database worker stopped (terminated, crashed or killed by the browser)'));
  }

  /** A call went to the worker; `end` when it settled. */
  callStarted(): () => void {
    // Idle time is not silence: the clock starts when the first waiting call goes out.
    if (this.#pending++ === 0 && !this.#pingInFlight) this.#lastAnswer = Date.now();
    this.#startHeartbeat();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#pending--;
    };
  }

  /** Stops watching (the handle closes the worker on purpose). */
  stop(): void {
    this.#stopped.abort();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #startHeartbeat(): void {
    if (this.#timer !== undefined || this.#lost || this.#stopped.signal.aborted || this.#unresponsiveMs <= 0) return;
    this.#lastAnswer = Date.now();
    this.#timer = setInterval(() => this.#beat(), HEARTBEAT_MS);
  }

  #beat(): void {
    if (this.#pending === 0 && !this.#probing) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (Date.now() - this.#lastAnswer > this.#unresponsiveMs) {
      this.#declareLost(new CipherliteError('WORKER_LOST', `the database worker answered nothing for ${this.#unresponsiveMs} ms; it was stopped`));
      return;
    }
    if (this.#pingInFlight) return;
    this.#pingInFlight = true;
    this.#target.ping().then(
      () => {
        this.#pingInFlight = false;
        this.#lastAnswer = Date.now();
        this.#probing = false;
      },
      () => {
        this.#pingInFlight = false;
      },
    );
  }

  #declareLost(error: CipherliteError): void {
    if (this.#lost || this.#stopped.signal.aborted) return;
    this.#lost = true;
    this.stop();
    this.#target.lost(error);
  }
}
