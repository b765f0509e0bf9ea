/**
 * Interactive transactions on the leader: a tab's `txBegin` … `txEnd`, spread over many messages.
 *
 * Each one is a core `Database.transaction` whose body waits for the owner's decision. It is owned
 * by the tab that began it: only that tab may run statements in it or end it. It is rolled back
 * when the owner's tab dies (its lifetime Web Lock frees up), says `bye`, or the leader steps
 * down. While one is open the scheduler runs only its jobs.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Database, Transaction } from '@cipherlite/core';
import type { Diagnostics } from '../../shared/diagnostics.js';
import type { SqlTarget } from './op-context.js';
import type { Scheduler } from './scheduler.js';

const ROLLBACK = Symbol('rollback');

interface OpenTx {
  readonly id: number;
  readonly owner: string;
  readonly target: SqlTarget;
  /** Resolves the transaction's body: `true` commits, `false` rolls back. */
  readonly finish: (commit: boolean) => void;
  /** Settles when COMMIT/ROLLBACK is done; rejects if COMMIT failed. */
  readonly done: Promise<void>;
  /** Cancels the watch on the owner tab's lifetime lock. */
  readonly unwatch: AbortController;
}

/** Runs a transaction body: `Database.transaction`, or sync's (which records the changes for other devices). */
export type TransactionRunner = (body: (tx: Transaction) => Promise<void>) => Promise<void>;

export interface TransactionHooks {
  /** Calls `onDeath` when the tab `owner` dies; stops watching when `signal` aborts. */
  watchOwner(owner: string, signal: AbortSignal, onDeath: () => Promise<void>): void;
}

export class InteractiveTransactions {
  readonly #scheduler: Scheduler;
  readonly #hooks: TransactionHooks;
  readonly #log: Diagnostics;
  readonly #open = new Map<number, OpenTx>();
  /**
   * Random start: ids stay unique across leaders, so a `txEnd` resent to a new leader can never
   * name one of its transactions by accident.
   */
  #seq = Math.floor(Math.random() * 2 ** 40);

  constructor(scheduler: Scheduler, hooks: TransactionHooks, log: Diagnostics) {
    this.#scheduler = scheduler;
    this.#hooks = hooks;
    this.#log = log;
  }

  /** The transaction `txId` if `from` owns it; `BUSY` otherwise (ended, or someone else's). */
  owned(txId: number, from: string): OpenTx {
    const tx = this.#open.get(txId);
    if (!tx || tx.owner !== from) throw new CipherliteError('BUSY', `transaction ${txId} is not open`);
    return tx;
  }

  /** Whether `from` has transaction `txId` open on this leader. */
  isOpen(txId: number, from: string): boolean {
    return this.#open.get(txId)?.owner === from;
  }

  /**
   * Runs as a scheduler job: opens a transaction on `db` for `owner` (through `run`, default
   * `db.transaction`); later jobs run inside it only.
   */
  async begin(db: Database, owner: string, watchOwner: boolean, run: TransactionRunner = (body) => db.transaction(body)): Promise<number> {
    const id = ++this.#seq;
    let finish!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (finish = resolve));
    let began!: (target: SqlTarget) => void;
    const opened = new Promise<SqlTarget>((resolve) => (began = resolve));
    const done = run(async (tx) => {
      began(tx);
      // A private sentinel, never seen outside this module: it only unwinds db.transaction() into its rollback.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      if (!(await decided)) throw ROLLBACK;
    }).then(
      () => undefined,
      (e: unknown) => {
        if (e !== ROLLBACK) throw e;
      },
    );
    // If BEGIN fails, `done` settles before the body ever ran; its error is the one reported.
    const beginFailed = done.then(() => {
      throw new CipherliteError('IO', 'the transaction ended before it began');
    });
    beginFailed.catch(this.#log.ignored('leader.tx-begin-race', 'debug'));
    const target = await Promise.race([opened, beginFailed]);
    const tx: OpenTx = { id, owner, target, finish, done, unwatch: new AbortController() };
    this.#open.set(id, tx);
    // The owner's lifetime lock becomes free when its tab dies: roll its transaction back.
    if (watchOwner) this.#hooks.watchOwner(owner, tx.unwatch.signal, () => this.abort(id));
    this.#scheduler.enterTx(id);
    return id;
  }

  /**
   * Runs as a job of the transaction: commits or rolls back `txId` for its owner `from`.
   * `beforeCommit` runs inside the transaction first (the request log's record); if it fails,
   * the transaction rolls back and its error is thrown.
   */
  async end(txId: number, commit: boolean, from: string, beforeCommit?: (target: SqlTarget) => Promise<void>): Promise<void> {
    const tx = this.owned(txId, from);
    if (commit && beforeCommit) {
      try {
        await beforeCommit(tx.target);
      } catch (e) {
        await this.abort(txId);
        throw e;
      }
    }
    tx.finish(commit);
    try {
      await tx.done;
    } finally {
      this.#forget(tx);
    }
  }

  /** Rolls back `txId` from outside its owner (owner died or left, leader stepping down). */
  async abort(txId: number): Promise<void> {
    const tx = this.#open.get(txId);
    if (!tx) return;
    tx.finish(false);
    await tx.done.catch(this.#log.ignored('leader.tx-rollback-failed'));
    this.#forget(tx);
  }

  /** Rolls back every transaction `owner` holds (it said `bye`). */
  abortOwnedBy(owner: string): void {
    for (const tx of this.#open.values()) if (tx.owner === owner) void this.abort(tx.id);
  }

  async abortAll(): Promise<void> {
    await Promise.all([...this.#open.keys()].map((id) => this.abort(id)));
  }

  #forget(tx: OpenTx): void {
    tx.unwatch.abort();
    this.#open.delete(tx.id);
    this.#scheduler.leaveTx(tx.id);
  }
}
