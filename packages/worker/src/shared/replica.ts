/**
 * The replica's part of the worker protocol: the options `openDatabase({ replica })` takes, the
 * status every tab hears, and the calls a tab makes on the leader's replica writer
 * (`@cipherlite/core/replica`, hosted by the leader's worker: engine/leader/replica-host.ts).
 *
 * Credentials cross `postMessage` once, page → own worker, inside the open options; they stay in
 * that worker's memory, never in storage, never in a message to another tab or back to the page.
 * A signer function cannot cross `postMessage`: short-lived credentials are handed to a running
 * database with `db.replica.setCredentials()`, which reaches the leader's worker.
 */
import { CipherliteError } from '@cipherlite/core/errors';

export interface ReplicaCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Where the replica lives and how the writer behaves (see docs/REPLICA.md). */
export interface WorkerReplicaOptions {
  /** `https://s3.us-east-1.amazonaws.com`, `https://<account>.r2.cloudflarestorage.com`, `http://127.0.0.1:17480`. */
  endpoint: string;
  bucket: string;
  /** One database per prefix (letters, digits and `-_./`). */
  prefix: string;
  /** SigV4 region (default `us-east-1`; R2: `auto`). */
  region?: string;
  credentials: ReplicaCredentials;
  /** Wait after a commit before pushing, so a burst of commits becomes one entry (default 200 ms). */
  debounceMs?: number;
  /** A snapshot after this many log entries (default 100). */
  snapshotEvery?: number;
  retention?: { keepSnapshots?: number; keepDays?: number; oldGenerations?: 'after-keepDays' | 'at-once' | 'keep' };
  /** Backoff between automatic retries while offline or refused, ms (default 1000 … 60000). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** What `db.replica.status()` and `onStatus` report: core's `ReplicaStatus`, declared once there. */
export type { ReplicaStateName, ReplicaStatus } from '@cipherlite/core/replica';

/** A call on the leader's replica writer. */
export type ReplicaCall = { action: 'status' } | { action: 'pushNow' } | { action: 'pause' } | { action: 'resume' } | { action: 'setCredentials'; credentials: ReplicaCredentials };

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Throws `INVALID_ARGUMENT` unless `c` is an access key pair (the values are never printed). */
export function assertReplicaCredentials(c: unknown): asserts c is ReplicaCredentials {
  const o = c as Partial<ReplicaCredentials> | null;
  if (typeof o !== 'object' || o === null || !text(o.accessKeyId) || !text(o.secretAccessKey) || (o.sessionToken !== undefined && typeof o.sessionToken !== 'string')) {
    throw new CipherliteError('INVALID_ARGUMENT', 'replica.credentials must be { accessKeyId, secretAccessKey, sessionToken? } (non-empty strings); a signer function cannot reach the worker');
  }
}

/** Throws `INVALID_ARGUMENT` for options that cannot be a replica (core checks the rest when the writer starts). */
export function assertReplicaOptions(o: unknown): asserts o is WorkerReplicaOptions {
  const r = o as Partial<WorkerReplicaOptions> | null;
  if (typeof r !== 'object' || r === null) throw new CipherliteError('INVALID_ARGUMENT', 'replica must be an object { endpoint, bucket, prefix, credentials }');
  if (!text(r.endpoint) || !/^https?:\/\//.test(r.endpoint)) throw new CipherliteError('INVALID_ARGUMENT', 'replica.endpoint must be an http(s) URL');
  if (!text(r.bucket)) throw new CipherliteError('INVALID_ARGUMENT', 'replica.bucket must be a non-empty string');
  if (!text(r.prefix)) throw new CipherliteError('INVALID_ARGUMENT', 'replica.prefix must be a non-empty string');
  if ((r as { signer?: unknown }).signer !== undefined)
    throw new CipherliteError('INVALID_ARGUMENT', 'replica.signer cannot reach the worker (functions do not cross postMessage); pass credentials and refresh them with db.replica.setCredentials()');
  assertReplicaCredentials(r.credentials);
}
