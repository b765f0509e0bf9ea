/**
 * Joining a sync replica in the worker (`joinSyncReplica` on the page): loaded on first use, with
 * core's sync code.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Database, KeyMaterial, SyncStorage } from '@cipherlite/core';
import type { Progress } from '@cipherlite/core/keys';
import { assertSyncOptions } from '../../shared/sync.js';
import type { WorkerOpenOptions } from '../../shared/protocol.js';

/**
 * Creates the local database from the sync replica (core's `joinSyncReplica`): the agreed
 * starting state restored with the password or key (which protects the new local database),
 * every object checked, the replica's data key kept inside it. The engine then opens it with its
 * `sync` options; the first round replays the log.
 */
export async function joinSyncInto(files: SyncStorage, options: WorkerOpenOptions, key: KeyMaterial, call: { onProgress?: (p: Progress) => void; signal?: AbortSignal }): Promise<Database> {
  if (!options.sync) throw new CipherliteError('INVALID_ARGUMENT', 'joinSyncReplica needs sync options');
  assertSyncOptions(options.sync);
  const source = options.sync.replica;
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
