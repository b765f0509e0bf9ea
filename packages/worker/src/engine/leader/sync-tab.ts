/**
 * Sync's calls in a tab's worker (like the replica's, leader/replica-host.ts): each tab keeps its
 * own sync options — credentials never travel to another tab — and uses them when it leads, now
 * or after a takeover; and joining, which creates the database from the sync replica.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Database, KeyMaterial, SyncStorage } from '@cipherlite/core';
import type { Progress } from '@cipherlite/core/keys';
import { assertReplicaCredentials } from '../../shared/replica.js';
import { assertSyncOptions, type SyncCall, type SyncStatus, type WorkerSyncOptions } from '../../shared/sync.js';
import type { WorkerOpenOptions } from '../../shared/protocol.js';

/** What keeps a tab's open options (the engine's `OpenedDatabase`). */
interface HoldsOptions {
  options: WorkerOpenOptions;
}

/** The part of the leader a tab's sync calls reach when it leads (its `SyncSlot`). */
interface SyncLeader {
  start(options: WorkerSyncOptions, create: boolean): Promise<void>;
  call(call: SyncCall): Promise<SyncStatus>;
}

/**
 * `db.sync.start` / `db.sync.create` in a tab: keeps `options` as this tab's sync options and
 * starts the scheduler if it leads. Creating needs the tab that leads (it runs on its database
 * before anything else writes, and a follower's options stay in its own worker).
 */
export async function startSyncInTab(opened: HoldsOptions, leader: SyncLeader | null, options: WorkerSyncOptions, create: boolean): Promise<void> {
  assertSyncOptions(options);
  if (opened.options.replica) throw new CipherliteError('INVALID_ARGUMENT', 'this tab opened with a single-writer replica; a synced database is backed up by its sync replica');
  if (create && !leader) throw new CipherliteError('INVALID_ARGUMENT', "db.sync.create runs in the tab that leads (db.role === 'leader'); start the other tabs with db.sync.start");
  opened.options = { ...opened.options, sync: options };
  await leader?.start(options, create);
}

/** `db.sync.setCredentials` in a tab: kept here for when it leads, used by its leader now (a follower answers with the leader's status). */
export async function syncCredentialsInTab(
  opened: HoldsOptions,
  leader: SyncLeader | null,
  call: SyncCall & { action: 'setCredentials' },
  ask: (c: SyncCall) => Promise<SyncStatus>,
): Promise<SyncStatus> {
  assertReplicaCredentials(call.credentials);
  const sync = opened.options.sync;
  if (!sync) throw new CipherliteError('INVALID_ARGUMENT', 'this tab has no sync options (openDatabase({ sync }) or db.sync.start)');
  opened.options = { ...opened.options, sync: { ...sync, replica: { ...sync.replica, credentials: call.credentials } } };
  return leader ? leader.call(call) : ask({ action: 'status' });
}

/**
 * Creates the local database from the sync replica (core's `joinSyncReplica`): the agreed
 * starting state restored with the password or key (which protects the new local database),
 * every object checked, the replica's data key kept inside it. The engine then opens it with its
 * `sync` options; the first round replays the log.
 */
export async function joinSyncInto(files: SyncStorage, options: WorkerOpenOptions, key: KeyMaterial, call: { onProgress?: (p: Progress) => void; signal?: AbortSignal }): Promise<Database> {
  const source = options.sync?.replica;
  if (!source) throw new CipherliteError('INVALID_ARGUMENT', 'joinSyncReplica needs sync options');
  if (key.password === undefined && key.key === undefined)
    throw new CipherliteError('INVALID_ARGUMENT', 'joinSyncReplica in the browser takes the password or the raw key (the new local database is protected by it)');
  // The log's device state lives beside the database; OPFS opens handles ahead of time.
  await files.prepare?.([`${options.name}-replica`]);
  const { endpoint, bucket, prefix, region, credentials } = source;
  const { joinSyncReplica } = await import('@cipherlite/core/sync'); // loaded on first use
  const { db } = await joinSyncReplica({
    storage: files,
    name: options.name,
    replica: { endpoint, bucket, prefix, credentials, ...(region !== undefined ? { region } : {}) },
    ...(key.password !== undefined ? { password: key.password } : { key: key.key }),
    ...(options.kdf ? { kdf: options.kdf } : {}),
    ...call,
  });
  return db;
}
