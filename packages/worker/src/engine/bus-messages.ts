/**
 * What a tab's worker does with a message from the other tabs' workers on the database's
 * `events` channel (`BusMessage`, shared/bus.ts): changes reach the page while this tab is
 * unlocked; the replica's and the sync scheduler's news (status, conflicts, refusals) while it
 * has a session; a new leader is told to a follower's router; `lockAll` locks the tab;
 * `keysChanged` from another tab makes it prove its key material again.
 */
import type { BusMessage } from '../shared/bus.js';
import type { WorkerEvents } from '../shared/protocol.js';

/** The engine, as the messages of the bus reach it. */
export interface BusTab {
  readonly tabId: string;
  /** Unlocked (not unlocking). */
  unlocked(): boolean;
  /** Unlocking or unlocked. */
  inSession(): boolean;
  /** This tab's worker is the leader. */
  leading(): boolean;
  /** Calls the page's callbacks (a page that went away must not break the worker). */
  notify(fn: (events: WorkerEvents) => unknown): void;
  /** A follower's router hears of a new leader. */
  leaderChanged(epoch: string): void;
  lockInBackground(event: string): void;
  /** Proves this tab's key material again; locks the tab when it no longer opens the database. */
  reprove(): void;
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
      if (!tab.leading()) tab.leaderChanged(msg.epoch);
      return;
    case 'replica':
      if (tab.inSession()) tab.notify((e) => e.replica?.(msg.status));
      return;
    case 'sync':
      if (tab.inSession()) tab.notify((e) => e.sync?.(msg.status));
      return;
    case 'syncConflict':
      if (tab.inSession()) tab.notify((e) => e.syncConflict?.(msg.conflict));
      return;
    case 'syncRefused':
      if (tab.inSession()) tab.notify((e) => e.syncRefused?.(msg.refusal));
      return;
    case 'lockAll':
      tab.lockInBackground('engine.lock-all-received');
      return;
    case 'keysChanged':
      // The tab that made the change already holds what opens the database now.
      if (msg.by !== tab.tabId && tab.unlocked()) tab.reprove();
      return;
    default:
      return;
  }
}
