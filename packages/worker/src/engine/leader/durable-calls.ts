/**
 * Runs a leader call so that it is answered only once its effects are durable.
 *
 * On OPFS this adds nothing (SQLite's own flushes are durable). On IndexedDB the call's changes
 * sit in memory until `storage.commit()` saves them in one transaction; the call resolves after
 * that. When the commit fails (quota, IndexedDB error), memory is ahead of what is stored and
 * SQLite believes it committed: the database is closed, memory is reloaded from IndexedDB and the
 * database reopened with this tab's key, so memory, SQLite and storage agree on the last
 * acknowledged state again — and the call rejects (QUOTA_EXCEEDED / IO), as a failed write does
 * on OPFS.
 */
import { CipherliteError, Database } from '@cipherlite/core';
import { wipeKeyMaterial } from '../runtime/secret.js';
import type { Secret } from '../runtime/secret.js';
import type { LeaderStorage } from '../runtime/platform.js';

export interface DurableCallsHost {
  /** The leader's current database. */
  database(): Database;
  /** Continue on `db` (the reopened database). */
  reopen(db: Database): void;
  /** Options to reopen with (core's `Database.open`, without storage and key). */
  readonly openOptions: { name: string };
  /** This tab's key material, or null once it locked. */
  currentSecret(): Secret | null;
}

export class DurableCalls {
  readonly #storage: LeaderStorage;
  readonly #host: DurableCallsHost;
  /** Set when the database could not be reopened after a failed commit: every later call fails. */
  #broken: CipherliteError | null = null;

  constructor(storage: LeaderStorage, host: DurableCallsHost) {
    this.#storage = storage;
    this.#host = host;
  }

  /** Runs `call`, then makes its effects durable; a failed save rejects the call (see the header). */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.#broken) throw this.#broken;
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await call() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    // Even a failed call may have written (a rolled-back statement rewrites pages): save it too,
    // so memory and storage never drift apart.
    try {
      await this.#storage.commit();
    } catch (saveError) {
      await this.#recover(saveError);
      throw saveError;
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  async #recover(cause: unknown): Promise<void> {
    const old = this.#host.database();
    await old.close().catch(() => undefined); // its in-memory state is being discarded anyway
    const secret = this.#host.currentSecret();
    if (!secret) {
      this.#broken = new CipherliteError('LOCKED', 'the database was locked while a failed save was being undone; unlock again', {}, { cause });
      return;
    }
    const key = secret.toKeyMaterial();
    try {
      await this.#storage.revert();
      const db = await Database.open({ ...this.#host.openOptions, create: false, storage: this.#storage.files, ...key });
      this.#host.reopen(db);
    } catch (e) {
      this.#broken = new CipherliteError('IO', 'the database could not be reopened after a failed save; close and reopen it', {}, { cause: e });
    } finally {
      wipeKeyMaterial(key);
    }
  }
}
