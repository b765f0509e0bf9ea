/**
 * `verifyReplica()` on the page, loaded on first use: a worker of its own (the package's worker
 * entry, or the app's) downloads and checks every object of a replica with core's
 * `verifyReplica` — authentic, complete, chained, consistent — and is terminated after. No
 * database is opened and nothing is written to this origin's storage. The secret is posted to
 * that worker once; progress and cancellation work as for the other long calls.
 */
import * as Comlink from 'comlink';
import { CipherliteError } from '@cipherlite/core/errors';
import type { Progress, ProgressCallback } from '@cipherlite/core/keys';
import type { VerifyReplicaResult } from '@cipherlite/core/replica';
import { checkCallOptions } from './call-options.js';
import { rebuild, workerSpawner } from './connection.js';
import { assertBrowserSupport } from './open.js';
import { loadPasskeys } from './passkey-loader.js';
import type { KeyMaterial } from '@cipherlite/core';
import { DEFAULT_DIRECTORY, type CallOptions, type WorkerApi } from '../shared/protocol.js';
import type { WorkerReplicaOptions } from '../shared/replica.js';
import { assertOneSecret, checkGeneration, plainReplicaOptions, type ReplicaSecret } from './replica.js';

/** What `verifyReplica` takes: the replica, one of the database's secrets, and what to check besides. */
export type VerifyReplicaPageOptions = CallOptions<'entries' | 'snapshots'> &
  ReplicaSecret & {
    replica: WorkerReplicaOptions;
    /** An older generation (the history before a rekey, with the secrets of its time) instead of the current one. */
    generation?: number;
    /** The worker to run in (default: this package's worker entry), as for `openDatabase`. */
    worker?: Worker | (() => Worker);
  };

/** The one call this worker runs. */
const CALL_ID = 1;

export async function verifyInWorker(options: VerifyReplicaPageOptions): Promise<VerifyReplicaResult> {
  assertBrowserSupport();
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  const { replica, generation, worker, onProgress, signal, password, key, recoveryKey, passkey } = options;
  assertOneSecret(options, 'verifyReplica');
  const source = plainReplicaOptions(replica);
  const g = checkGeneration(generation);
  checkCallOptions({ ...(onProgress !== undefined ? { onProgress: onProgress as ProgressCallback } : {}), ...(signal !== undefined ? { signal } : {}) });
  if (signal?.aborted) throw new CipherliteError('CANCELLED', 'verifyReplica was cancelled before it started');
  const given: KeyMaterial | null = password !== undefined ? { password } : key !== undefined ? { key } : recoveryKey !== undefined ? { recoveryKey } : null;

  let w: Worker;
  try {
    w = workerSpawner('replica-verify', worker)();
  } catch (e) {
    if (e instanceof CipherliteError) throw e;
    throw new CipherliteError('UNSUPPORTED', `cannot start the database worker here (${e instanceof Error ? e.name : String(e)})`, {}, { cause: e });
  }
  const remote = Comlink.wrap<WorkerApi>(w);
  const events = Comlink.proxy({ progress: (_id: number, p: Progress) => void (onProgress as ProgressCallback | undefined)?.(p) });
  let onError!: (ev: ErrorEvent) => void;
  const failed = new Promise<never>((_, reject) => {
    onError = (ev) => {
      ev.preventDefault();
      reject(new CipherliteError('WORKER_LOAD_FAILED', `the database worker script did not load${ev.message ? ` (${ev.message})` : ''}; see "Install" in the cipherlite README`));
    };
    w.addEventListener('error', onError);
  });
  const onAbort = () => void remote.cancel(CALL_ID).catch(() => undefined); // the worker is terminated below either way
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const scope = g !== undefined ? { generation: g } : {};
    // A passkey: the ceremony runs here, for the slots of the replica's keys object.
    const where = { name: 'replica-verify', directory: DEFAULT_DIRECTORY, replica: source, ...scope };
    const secret = given ?? (await Promise.race([loadPasskeys().then((p) => p.passkeyKeyMaterial(remote, where, passkey!)), failed]));
    return await Promise.race([remote.verifyReplica(source, secret, scope, events, { id: CALL_ID, progress: onProgress !== undefined }), failed]);
  } catch (e) {
    throw rebuild(e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    w.removeEventListener('error', onError);
    remote[Comlink.releaseProxy]();
    w.terminate();
  }
}
