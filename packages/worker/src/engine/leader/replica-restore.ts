/**
 * The replica read from a worker: creating a local database from it (core's `restoreFromReplica`),
 * and checking every object of it (core's `verifyReplica`). A restore rebuilds the pages in memory
 * from the bucket, every link checked, and writes them as a new encrypted database on this tab's
 * storage (OPFS or IndexedDB); the engine holds the leader lock meanwhile and commits the storage
 * after. A verify opens no database: the worker reads the bucket and reports.
 */
import { CipherliteError } from '@cipherlite/core';
import type { Database, KeyMaterial, SyncStorage } from '@cipherlite/core';
import type { PasskeyChallenge, Progress } from '@cipherlite/core/keys';
import type { ReplicaTarget, VerifyReplicaResult } from '@cipherlite/core/replica';
import type { WorkerOpenOptions } from '../../shared/protocol.js';
import { assertReplicaOptions, type ReplicaPointInTime, type ReplicaVerifyScope, type WorkerReplicaOptions } from '../../shared/replica.js';

type Call = { onProgress?: (p: Progress) => void; signal?: AbortSignal };

export async function restoreReplicaInto(files: SyncStorage, options: WorkerOpenOptions, key: KeyMaterial, pointInTime: ReplicaPointInTime | null, call: Call): Promise<Database> {
  if (!options.replica) throw new CipherliteError('INVALID_ARGUMENT', 'restoreFromReplica needs replica options');
  const { restoreFromReplica } = await import('@cipherlite/core/replica'); // loaded on first use, like the writer
  // The local file keeps every keyslot of the database: it opens with the secret that opened the replica.
  return restoreFromReplica({
    storage: files,
    name: options.name,
    replica: target(options.replica),
    ...key,
    ...(pointInTime ? { pointInTime } : {}),
    ...(options.kdf ? { kdf: options.kdf } : {}),
    ...call,
  });
}

export async function verifyReplicaWith(source: WorkerReplicaOptions, key: KeyMaterial, scope: ReplicaVerifyScope, call: Call): Promise<VerifyReplicaResult> {
  const { verifyReplica } = await import('@cipherlite/core/replica');
  const { generation } = scope;
  const onProgress = call.onProgress;
  return verifyReplica({
    replica: target(source),
    ...key,
    ...(generation !== undefined ? { generation } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(call.signal ? { signal: call.signal } : {}),
  });
}

/** The passkey slots of the replica's keys object (core's `replicaPasskeyChallenges`): what the page asks the authenticator for. */
export async function replicaChallenges(source: WorkerReplicaOptions, generation: number | undefined): Promise<PasskeyChallenge[]> {
  assertReplicaOptions(source);
  const { replicaPasskeyChallenges } = await import('@cipherlite/core/replica');
  return replicaPasskeyChallenges(target(source), generation);
}

/** Core's target: where the replica is and how to reach it (the writer's tuning left out). */
function target(source: WorkerReplicaOptions): ReplicaTarget {
  const { endpoint, bucket, prefix, region, credentials, signer } = source;
  return { endpoint, bucket, prefix, ...(signer ? { signer } : { credentials: credentials! }), ...(region !== undefined ? { region } : {}) };
}
