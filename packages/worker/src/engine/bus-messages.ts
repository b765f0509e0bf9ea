/**
 * What a tab's worker does with a message from the other tabs' workers on the database's
 * `events` channel (`BusMessage`, shared/bus.ts): changes reach the page while this tab is
 * unlocked; the replica's and the sync scheduler's news (status, conflicts, refusals) while it
 * has a session; a new leader is told to a follower's router; `lockAll` locks the tab;
 * `keysChanged` from another tab makes it prove its key material again (`reprove`).
 */
import { CipherliteError } from '@cipherlite/core';
import type { BusMessage } from '../shared/bus.js';
import type { Diagnostics } from '../shared/diagnostics.js';
import type { WorkerEvents } from '../shared/protocol.js';
import type { Leader } from './leader/leader.js';
import type { UnlockedSession } from './session.js';

/** The engine, as the messages of the bus reach it. */
export interface BusTab {
  readonly tabId: string;
  /** Unlocked (not unlocking). */
  unlocked(): boolean;
  /** The current unlocked period (unlocking included), null in any other state. */
  session(): UnlockedSession | null;
  /** The leader this tab's worker runs, if it leads. */
  leader(): Leader | null;
  /** Calls the page's callbacks (a page that went away must not break the worker). */
  notify(fn: (events: WorkerEvents) => unknown): void;
  lockInBackground(event: string): void;
  log(): Diagnostics;
}

export function onBusMessage(msg: BusMessage, tab: BusTab): void {
  switch (msg.kind) {
    case 'change':
      if (tab.unlocked()) {
        const tables = [...msg.tables];
        tab.notify((e) => e.change(tables));
      }
      return;
    case 'leader':
      if (!tab.leader()) tab.session()?.router.leaderChanged(msg.epoch);
      return;
    case 'replica':
      if (tab.session()) tab.notify((e) => e.replica?.(msg.status));
      return;
    case 'sync':
      if (tab.session()) tab.notify((e) => e.sync?.(msg.status));
      return;
    case 'syncConflict':
      if (tab.session()) tab.notify((e) => e.syncConflict?.(msg.conflict));
      return;
    case 'syncRefused':
      if (tab.session()) tab.notify((e) => e.syncRefused?.(msg.refusal));
      return;
    case 'lockAll':
      tab.lockInBackground('engine.lock-all-received');
      return;
    case 'keysChanged':
      // The tab that made the change already holds what opens the database now.
      if (msg.by !== tab.tabId && tab.unlocked()) void reprove(tab);
      return;
    default:
      return;
  }
}

/**
 * The keyslots changed in another tab: proves this tab's key material again; if it no longer
 * opens the database (password changed, slot removed), this tab locks and wipes it at once.
 */
async function reprove(tab: BusTab): Promise<void> {
  const session = tab.session();
  try {
    const leader = tab.leader();
    if (leader && session) await leader.checkKey(session.secret.toKeyMaterial());
    else await session?.router.reauthenticate();
  } catch (e) {
    if (tab.session() !== session) return;
    if (e instanceof CipherliteError && e.code === 'WRONG_KEY') {
      // A follower's router already locked through onKeyRejected; the leader locks here.
      if (tab.leader()) tab.lockInBackground('engine.key-revoked');
      return;
    }
    tab.log().report('warn', 'engine.reprove-failed', e);
  }
}
