/**
 * Who leads: this tab's part in the `…:leader` Web Lock. An unlocking tab leads at once when the
 * lock is free; otherwise it follows and waits in the lock's queue (`campaign`), taking over with
 * the key material it already holds — no password prompt — when the leader goes away. A takeover
 * that fails (files still held, corruption) fails what waits and queues again after a backoff; a
 * takeover refused with `WRONG_KEY` (the password changed since this tab unlocked) locks the tab.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Diagnostics } from '../shared/diagnostics.js';
import { Leader } from './leader/leader.js';
import { holdLock } from './runtime/platform.js';
import type { WorkerPlatform } from './runtime/platform.js';
import type { Secret } from './runtime/secret.js';
import type { UnlockedSession } from './session.js';

const TAKEOVER_RETRY_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

/** What the election needs from its engine. */
export interface ElectionHost {
  readonly tabId: string;
  readonly platform: WorkerPlatform;
  log(): Diagnostics;
  /** Whether `session` is still the engine's unlocked period (work of an older one stands down). */
  isCurrent(session: UnlockedSession): boolean;
  /** This tab's key material of the moment: it changes with changePassword and is gone once locked. */
  secret(): Secret | null;
  /** This tab leads now. */
  leading(): void;
  /** Locks the tab from the background (`event` names why in the diagnostics). */
  lock(event: string): void;
}

export class Election {
  readonly #host: ElectionHost;
  #leader: Leader | null = null;
  #releaseLeaderLock: (() => void) | null = null;
  #campaign: AbortController | null = null;
  #takeoverFailures = 0;

  constructor(host: ElectionHost) {
    this.#host = host;
  }

  /** The leader this tab runs, if it leads. */
  get leader(): Leader | null {
    return this.#leader;
  }

  /** Leads when nobody does (true); false when another tab holds the lock. */
  async tryLead(session: UnlockedSession): Promise<boolean> {
    const lock = holdLock(this.#host.platform.locks, session.opened.names.leaderLock, { ifAvailable: true });
    if (!(await lock.granted)) return false;
    await this.#lead(session, lock.release);
    return true;
  }

  /** The tab unlocked: the next failed takeover waits the shortest backoff again. */
  resetBackoff(): void {
    this.#takeoverFailures = 0;
  }

  /** Waits in the leader lock's queue; takes over (with the key it already holds) when granted. */
  campaign(session: UnlockedSession): void {
    const host = this.#host;
    const abort = new AbortController();
    this.#campaign = abort;
    const lock = holdLock(host.platform.locks, session.opened.names.leaderLock, { signal: abort.signal });
    void lock.granted.then(async (granted) => {
      if (!granted) return;
      if (abort.signal.aborted || !host.isCurrent(session)) {
        lock.release();
        return;
      }
      try {
        await this.#lead(session, lock.release);
        this.#takeoverFailures = 0;
      } catch (e) {
        if (!host.isCurrent(session)) return;
        if (e instanceof CipherliteError && e.code === 'WRONG_KEY') {
          // The password changed since this tab unlocked: it must be entered again. What waits
          // for a leader fails now — an unlock still proving its key waits for one, and the lock
          // below queues behind that unlock: without this, neither would ever end.
          session.router.failPending(e);
          host.lock('engine.takeover-wrong-key');
          return;
        }
        host.log().report('warn', 'engine.takeover-failed', e);
        // Could not open (files still held, corruption...): fail what waits, try again later.
        session.router.failPending(e instanceof CipherliteError ? e : new CipherliteError('IO', String(e)));
        const delay = TAKEOVER_RETRY_MS[Math.min(this.#takeoverFailures++, TAKEOVER_RETRY_MS.length - 1)]!;
        setTimeout(() => {
          if (host.isCurrent(session) && !this.#leader && this.#campaign === abort) this.campaign(session);
        }, delay);
      }
    });
  }

  /** Leaves the lock's queue (locking or closing). */
  stopCampaign(): void {
    this.#campaign?.abort();
    this.#campaign = null;
  }

  /**
   * Stops leading at once (`leader` is null from here) and returns how to finish: step down and
   * let the lock go. Null when this tab did not lead.
   */
  resign(): (() => Promise<void>) | null {
    const leader = this.#leader;
    const release = this.#releaseLeaderLock;
    this.#leader = null;
    this.#releaseLeaderLock = null;
    if (!leader) return null;
    return async () => {
      try {
        await leader.stepDown();
      } finally {
        release?.();
      }
    };
  }

  /** Opens the database as leader with this tab's key material; on failure lets the lock go. */
  async #lead(session: UnlockedSession, release: () => void): Promise<void> {
    const host = this.#host;
    let leader: Leader;
    try {
      const secret = host.secret();
      if (!host.isCurrent(session) || !secret) throw new CipherliteError('LOCKED', 'the database was locked');
      // The leader may need the key again (reopening after a failed IndexedDB commit): it asks
      // for this tab's current one.
      const { options, backend } = session.opened;
      leader = await Leader.start(host.tabId, options, secret, host.platform, host.log(), backend, () => host.secret());
    } catch (e) {
      release();
      throw e;
    }
    if (!host.isCurrent(session)) {
      // Locked or closed while opening.
      await leader.stepDown().finally(release);
      return;
    }
    this.#leader = leader;
    this.#releaseLeaderLock = release;
    host.leading();
    session.router.becameLeader(leader);
  }
}
