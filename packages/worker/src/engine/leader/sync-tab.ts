/**
 * Sync's calls in a tab's worker (like the replica's, leader/replica-host.ts): each tab keeps its
 * own sync options — credentials never travel to another tab — and uses them when it leads, now
 * or after a takeover. The options are checked on the page and again by the scheduler that runs
 * with them (sync-host.ts, loaded on first use: the checks stay out of the worker's first chunk).
 */
import { CipherliteError } from '@cipherlite/core';
import { assertReplicaCredentials } from '../../shared/replica.js';
import type { SyncAnswer, SyncCall, SyncStatus, WorkerSyncOptions } from '../../shared/sync.js';
import { EXCLUSIVE } from './sync-slot.js';
import type { WorkerOpenOptions } from '../../shared/protocol.js';

/** What keeps a tab's open options (the engine's `OpenedDatabase`). */
interface HoldsOptions {
  options: WorkerOpenOptions;
}

/** The part of the leader a tab's sync calls reach when it leads (its `SyncSlot`). */
interface SyncLeader {
  start(options: WorkerSyncOptions, create: boolean): Promise<void>;
  call<C extends SyncCall>(call: C): Promise<SyncAnswer<C>>;
}

/**
 * `db.sync.start` / `db.sync.create` in a tab: keeps `options` as this tab's sync options and
 * starts the scheduler if it leads. Creating needs the tab that leads (it runs on its database
 * before anything else writes, and a follower's options stay in its own worker).
 */
export async function startSyncInTab(opened: HoldsOptions, leader: SyncLeader | null, options: WorkerSyncOptions, create: boolean): Promise<void> {
  if (opened.options.replica) throw new CipherliteError('INVALID_ARGUMENT', EXCLUSIVE);
  if (create && !leader) throw new CipherliteError('INVALID_ARGUMENT', 'db.sync.create runs in the tab that leads');
  opened.options = { ...opened.options, sync: options };
  await leader?.start(options, create);
}

/** `db.sync.setCredentials` in a tab: kept here for when it leads, used by its leader now (a follower answers with the leader's status). */
export async function syncCredentialsInTab(opened: HoldsOptions, leader: SyncLeader | null, call: SyncCall & { action: 'setCredentials' }, status: () => Promise<SyncStatus>): Promise<SyncStatus> {
  assertReplicaCredentials(call.credentials);
  const sync = opened.options.sync;
  if (!sync) throw new CipherliteError('INVALID_ARGUMENT', 'this tab has no sync options');
  opened.options = { ...opened.options, sync: { ...sync, replica: { ...sync.replica, credentials: call.credentials } } };
  return leader ? leader.call(call) : status();
}
