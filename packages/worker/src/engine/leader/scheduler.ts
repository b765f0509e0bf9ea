/**
 * Runs database jobs one at a time, in arrival order, on the leader.
 *
 * Requests from every tab meet here. While an interactive transaction is open, only jobs of that
 * transaction run; everyone else waits (SQLite has one connection per leader, and a transaction
 * must not see another tab's statements). `shutdown` lets the running job finish and rejects
 * every queued one, which is what a leader stepping down needs: a queued job was never started,
 * so its sender may safely resend it to the next leader.
 */

interface Job {
  readonly txId: number | undefined;
  readonly run: () => Promise<unknown>;
  readonly onStart: (() => void) | undefined;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

export class Scheduler {
  #queue: Job[] = [];
  #running: Promise<void> | null = null;
  /** Id of the open interactive transaction, if any. */
  #txId: number | undefined;
  #closedWith: unknown = undefined;
  #closed = false;
  readonly #staleTx: (txId: number) => unknown;

  /** `staleTx` builds the error for a job naming a transaction that is not open. */
  constructor(staleTx: (txId: number) => unknown) {
    this.#staleTx = staleTx;
  }

  get activeTx(): number | undefined {
    return this.#txId;
  }

  /** Marks `txId` as the open transaction (called by the job that began it). */
  enterTx(txId: number): void {
    this.#txId = txId;
  }

  /** Clears the open transaction and lets waiting jobs run. */
  leaveTx(txId: number): void {
    if (this.#txId === txId) this.#txId = undefined;
    this.#pump();
  }

  /** Queues `run`; `txId` = it belongs to that transaction. `onStart` fires when it begins. */
  enqueue<T>(run: () => Promise<T>, txId?: number, onStart?: () => void): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedWith);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ txId, run, onStart, resolve: resolve as (v: unknown) => void, reject });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#running) return;
    // A job for a transaction that is not open can never run: fail it now.
    this.#queue = this.#queue.filter((job) => {
      if (job.txId === undefined || job.txId === this.#txId) return true;
      job.reject(this.#staleTx(job.txId));
      return false;
    });
    const index = this.#queue.findIndex((job) => job.txId === this.#txId);
    if (index < 0) return;
    const [job] = this.#queue.splice(index, 1) as [Job];
    job.onStart?.();
    this.#running = job
      .run()
      .then(job.resolve, job.reject)
      .finally(() => {
        this.#running = null;
        this.#pump();
      });
  }

  /** Rejects queued jobs with `reason`, refuses new ones, and waits for the running job. */
  async shutdown(reason: unknown): Promise<void> {
    this.#closed = true;
    this.#closedWith = reason;
    const queued = this.#queue;
    this.#queue = [];
    for (const job of queued) job.reject(reason);
    await this.#running;
  }
}
