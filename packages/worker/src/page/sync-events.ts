/**
 * What a tab hears of the leader's sync scheduler: its status (every change, whichever tab
 * leads) and the changes sync's merge rules dropped. Listeners that throw are reported and do not
 * stop the others.
 */
import type { Diagnostics } from '../shared/diagnostics.js';
import type { SyncConflict, SyncRefusal, SyncStatus } from '../shared/sync.js';

export class SyncEvents {
  readonly #log: Diagnostics;
  readonly #status = new Set<(s: SyncStatus) => void>();
  readonly #conflicts = new Set<(c: SyncConflict) => void>();
  readonly #refusals = new Set<(r: SyncRefusal) => void>();
  /** The last status this tab heard (an event or a call's answer). */
  last: SyncStatus | null = null;

  constructor(log: Diagnostics) {
    this.#log = log;
  }

  status(s: SyncStatus): void {
    this.last = s;
    this.#each(this.#status, s);
  }

  conflict(c: SyncConflict): void {
    this.#each(this.#conflicts, c);
  }

  refused(r: SyncRefusal): void {
    this.#each(this.#refusals, r);
  }

  onRefused(listener: (r: SyncRefusal) => void): () => void {
    this.#refusals.add(listener);
    return () => void this.#refusals.delete(listener);
  }

  onStatus(listener: (s: SyncStatus) => void): () => void {
    this.#status.add(listener);
    return () => void this.#status.delete(listener);
  }

  onConflict(listener: (c: SyncConflict) => void): () => void {
    this.#conflicts.add(listener);
    return () => void this.#conflicts.delete(listener);
  }

  clear(): void {
    this.#status.clear();
    this.#conflicts.clear();
    this.#refusals.clear();
  }

  #each<T>(listeners: Set<(v: T) => void>, value: T): void {
    for (const cb of [...listeners]) {
      try {
        cb(value);
      } catch (e) {
        this.#log.report('warn', 'client.sync-listener-failed', e);
      }
    }
  }
}
