/**
 * `verifyReplica()`: the page's entry point, a few bytes; the code that runs it
 * (replica-verify-run.ts) is a chunk loaded on the first call.
 */
import type { VerifyReplicaResult } from '@cipherlite/core/replica';
import type { VerifyReplicaPageOptions } from './replica-verify-run.js';

export type { VerifyReplicaPageOptions };

/**
 * Downloads and checks every object of the replica in a worker of its own, with one of the
 * database's secrets (password, recovery key or raw key): authentic, complete, chained to the
 * log, consistent. Resolves with what was checked (generation, log entries oldest…tip, snapshots,
 * objects, bytes); rejects with the typed REPLICA_* error naming what is wrong, WRONG_KEY, or
 * CANCELLED when `signal` aborts. `onProgress`: `entries`, then `snapshots`. Nothing is stored.
 */
export async function verifyReplica(options: VerifyReplicaPageOptions): Promise<VerifyReplicaResult> {
  return (await import('./replica-verify-run.js')).verifyInWorker(options); // loaded on first use: few pages verify
}
