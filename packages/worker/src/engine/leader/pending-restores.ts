/**
 * Validated backups waiting in a leader for a confirmation, under a number the client holds (a
 * `PendingRestore` keeps the backup open in memory and cannot cross postMessage).
 *
 * One instance per leader: they live and die with it. `cancelAll` runs when it steps down or
 * swaps its database (rekey), and a client whose tab lost the leadership meanwhile gets
 * INVALID_ARGUMENT ("check the backup again").
 */
import { CipherliteError } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';
import type * as keys from '@cipherlite/core/keys';
import type { Diagnostics } from '../../shared/diagnostics.js';
import type { PendingRestoreInfo } from '../../shared/protocol.js';

/** Ids start at a random point so an id handed out by an earlier leader is unlikely to name one of ours. */
const ID_SPACE = 2 ** 30;

export class PendingRestores {
  readonly #pending = new Map<number, keys.PendingRestore>();
  readonly #log: Diagnostics;
  #seq = Math.floor(Math.random() * ID_SPACE);

  constructor(log: Diagnostics) {
    this.#log = log;
  }

  /** Keeps a backup core's `inspectBackup` validated (key-management.ts) until it is confirmed or cancelled. */
  add(pending: keys.PendingRestore): PendingRestoreInfo {
    const id = ++this.#seq;
    this.#pending.set(id, pending);
    return { id, comparison: pending.comparison };
  }

  async confirm(id: number, current: KeyMaterial, options: keys.ConfirmOptions = {}): Promise<keys.RestoreResult> {
    const pending = this.#pending.get(id);
    if (!pending) {
      throw new CipherliteError('INVALID_ARGUMENT', `no pending restore ${String(id)}: it was confirmed, cancelled, or the tab that owns the database changed; check the backup again`);
    }
    const result = await pending.confirm(current, options);
    this.#pending.delete(id);
    // Core's confirm() tells the database's change listeners (and so every tab's live queries).
    return result;
  }

  async cancel(id: number): Promise<void> {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    await pending?.cancel();
  }

  /** Cancels every pending restore; a failure to cancel one does not keep the others open. */
  async cancelAll(): Promise<void> {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) await p.cancel().catch(this.#log.ignored('leader.restore-cancel-failed'));
  }

  get size(): number {
    return this.#pending.size;
  }
}
