/**
 * Creating a local database from its replica (core's `restoreFromReplica`) in the worker: the
 * pages are rebuilt in memory from the bucket, every link checked, and written as a new encrypted
 * database on this tab's storage (OPFS or IndexedDB). The engine holds the leader lock meanwhile
 * and commits the storage after.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Database, KeyMaterial, SyncStorage } from '@cipherlite/core';
import type { Progress } from '@cipherlite/core/keys';
import type { WorkerOpenOptions } from '../../shared/protocol.js';

export async function restoreReplicaInto(
  files: SyncStorage,
  options: WorkerOpenOptions,
  key: KeyMaterial,
  pointInTime: { seq: number } | { time: number } | null,
  call: { onProgress?: (p: Progress) => void; signal?: AbortSignal },
): Promise<Database> {
  const source = options.replica;
  if (!source) throw new CipherliteError('INVALID_ARGUMENT', 'restoreFromReplica needs replica options');
  if (key.password === undefined && key.key === undefined) {
    throw new CipherliteError('INVALID_ARGUMENT', 'restoreFromReplica in the browser takes the password or the raw key (the new local database is protected by it)');
  }
  const { endpoint, bucket, prefix, region, credentials, signer } = source;
  const { restoreFromReplica } = await import('@cipherlite/core/replica'); // loaded on first use, like the writer
  return restoreFromReplica({
    storage: files,
    name: options.name,
    replica: { endpoint, bucket, prefix, ...(signer ? { signer } : { credentials: credentials! }), ...(region !== undefined ? { region } : {}) },
    ...(key.password !== undefined ? { password: key.password } : { key: key.key }),
    ...(pointInTime ? { pointInTime } : {}),
    ...(options.kdf ? { kdf: options.kdf } : {}),
    ...call,
  });
}
