/**
 * The leader's place for its sync scheduler: empty, or one `SyncHost` (engine/leader/sync-host.ts)
 * started when the database opens with `sync` options or by `db.sync.start`/`create`. The host's
 * code and core's sync load on first use, so a database without sync downloads neither.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Database } from '@cipherlite/core';
import type { SyncAnswer, SyncCall, WorkerSyncOptions } from '../../shared/sync.js';
import type { SyncHost, SyncHostContext } from './sync-host.js';
import type { TransactionRunner } from './interactive-transactions.js';

/** Refused when both would run on one database (a synced database's replica is its sync log). */
export const EXCLUSIVE = 'sync and replica are exclusive';
const NOT_RUNNING = 'sync is not running here (the tab that leads opens with sync options, or calls db.sync.start)';

export interface SyncSlotContext extends SyncHostContext {
  /** The leader's database of the moment. */
  database(): Database;
  /** Whether a single-writer replica runs on it (sync and replica are exclusive). */
  replicaRunning(): boolean;
  /** Runs `fn` as a job of the leader's queue (nothing else writes meanwhile), durable, on the rollback journal. */
  exclusively<T>(fn: () => Promise<T>): Promise<T>;
}

export class SyncSlot {
  readonly #context: SyncSlotContext;
  #host: SyncHost | null = null;

  constructor(context: SyncSlotContext) {
    this.#context = context;
  }

  /** The running scheduler, if any. */
  get host(): SyncHost | null {
    return this.#host;
  }

  /**
   * Starts the scheduler. `create` makes the database as it is now the genesis of a new sync
   * replica (core copies the main file: in the queue, on the rollback journal). Running already:
   * only the credentials change (`start` again), or INVALID_ARGUMENT (`create` again).
   */
  async start(options: WorkerSyncOptions, create: boolean): Promise<void> {
    if (this.#context.replicaRunning()) throw new CipherliteError('INVALID_ARGUMENT', EXCLUSIVE);
    if (this.#host && !create) {
      await this.#host.call({ action: 'setCredentials', credentials: options.replica.credentials });
      return;
    }
    if (this.#host) throw new CipherliteError('INVALID_ARGUMENT', 'sync already runs on this database (a sync replica is created once)');
    const { SyncHost } = await import('./sync-host.js');
    const start = () => SyncHost.start(this.#context.database(), options, this.#context, create);
    this.#host = await (create ? this.#context.exclusively(start) : start());
  }

  /** How an interactive transaction runs: through sync (its changes recorded, a push scheduled) when `sync`, else as the database's own. */
  runner(sync: boolean): TransactionRunner | undefined {
    if (!sync) return undefined;
    const host = this.#host;
    if (!host) throw new CipherliteError('INVALID_ARGUMENT', NOT_RUNNING);
    return (body) => host.transaction(body);
  }

  call<C extends SyncCall>(call: C): Promise<SyncAnswer<C>> {
    if (!this.#host) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', NOT_RUNNING));
    return this.#host.call(call);
  }

  /** The leader's database was reopened (rekey, a failed IndexedDB save): sync follows it. */
  moveTo(db: Database): Promise<void> {
    return this.#host?.moveTo(db) ?? Promise.resolve();
  }

  stop(): Promise<void> {
    return this.#host?.stop() ?? Promise.resolve();
  }
}
