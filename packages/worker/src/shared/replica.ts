/**
 * The replica's part of the worker protocol: the options `openDatabase({ replica })` takes, the
 * status every tab hears, and the calls a tab makes on the leader's replica writer
 * (`@cipherlite/core/replica`, hosted by the leader's worker: engine/leader/replica-host.ts).
 *
 * Access is either credentials or a signer endpoint (`{ url, headers? }`: the app's backend
 * presigns each request or hands out short-lived credentials, so the device holds no long-lived
 * key; docs/REPLICA.md, "Signer endpoint"). Either crosses `postMessage` once, page → own worker,
 * inside the open options, and stays in that worker's memory, never in storage, never in a message
 * to another tab or back to the page. A signer function cannot cross `postMessage`; new
 * credentials or endpoint headers reach a running database with `db.replica.setCredentials()` /
 * `setSigner()`, which reach the leader's worker.
 */
import { CipherliteError } from '@cipherlite/core/errors';

export interface ReplicaCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The app's signer endpoint (core's `SignerEndpoint`): an absolute URL, or one relative to the page. */
export interface ReplicaSigner {
  url: string;
  /** Sent with every signing request (e.g. the app's session token); kept in memory only. */
  headers?: Record<string, string>;
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
  /** Exactly one of `credentials` and `signer`. */
  credentials?: ReplicaCredentials;
  signer?: ReplicaSigner;
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
export type ReplicaCall =
  | { action: 'status' }
  | { action: 'pushNow' }
  | { action: 'pause' }
  | { action: 'resume' }
  | { action: 'setCredentials'; credentials: ReplicaCredentials }
  | { action: 'setSigner'; signer: ReplicaSigner };

/**
 * Which state `restoreFromReplica` rebuilds: a log entry (`seq`), the last entry written at or
 * before a `time` (ms since the epoch), or the newest; `generation` reads an older generation (the
 * history before a rekey, opened with the secrets of that time) instead of the current one.
 */
export type ReplicaPointInTime = { seq: number; generation?: number } | { time: number; generation?: number } | { generation: number };

/** Which generation `verifyReplica` checks (default: the current one). */
export interface ReplicaVerifyScope {
  generation?: number;
}

/** The calls that change how the writer reaches the store (kept by every tab, never forwarded to another). */
export type ReplicaAccessCall = Extract<ReplicaCall, { action: 'setCredentials' | 'setSigner' }>;

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Throws `INVALID_ARGUMENT` unless `c` is an access key pair (the values are never printed). */
export function assertReplicaCredentials(c: unknown): asserts c is ReplicaCredentials {
  const o = c as Partial<ReplicaCredentials> | null;
  if (typeof o !== 'object' || o === null || !text(o.accessKeyId) || !text(o.secretAccessKey) || (o.sessionToken !== undefined && typeof o.sessionToken !== 'string')) {
    throw new CipherliteError('INVALID_ARGUMENT', 'replica.credentials must be { accessKeyId, secretAccessKey, sessionToken? } (non-empty strings); a signer function cannot reach the worker');
  }
}

/** Throws `INVALID_ARGUMENT` unless `s` is a signer endpoint spec (the worker's copy needs an absolute URL; header values are never printed). */
export function assertReplicaSigner(s: unknown, absolute = true): asserts s is ReplicaSigner {
  const o = s as Partial<ReplicaSigner> | null;
  const headersOk = o?.headers === undefined || (typeof o.headers === 'object' && o.headers !== null && Object.values(o.headers).every((v) => typeof v === 'string'));
  if (typeof o === 'function') {
    throw new CipherliteError(
      'INVALID_ARGUMENT',
      'replica.signer cannot be a function in the browser (functions do not cross postMessage): give the spec { url, headers? } of the endpoint that signs',
    );
  }
  if (typeof o !== 'object' || o === null || !text(o.url) || (absolute && !/^https?:\/\/[^/]+/.test(o.url)) || !headersOk) {
    throw new CipherliteError('INVALID_ARGUMENT', 'replica.signer must be { url: the signer endpoint, headers?: { [name]: string } }');
  }
}

/** Throws `INVALID_ARGUMENT` for options that cannot be a replica (core checks the rest when the writer starts). */
export function assertReplicaOptions(o: unknown, absoluteSigner = true): asserts o is WorkerReplicaOptions {
  const r = o as Partial<WorkerReplicaOptions> | null;
  if (typeof r !== 'object' || r === null) throw new CipherliteError('INVALID_ARGUMENT', 'replica must be an object { endpoint, bucket, prefix, credentials | signer }');
  if (!text(r.endpoint) || !/^https?:\/\//.test(r.endpoint)) throw new CipherliteError('INVALID_ARGUMENT', 'replica.endpoint must be an http(s) URL');
  if (!text(r.bucket)) throw new CipherliteError('INVALID_ARGUMENT', 'replica.bucket must be a non-empty string');
  if (!text(r.prefix)) throw new CipherliteError('INVALID_ARGUMENT', 'replica.prefix must be a non-empty string');
  if ((r.credentials === undefined) === (r.signer === undefined)) throw new CipherliteError('INVALID_ARGUMENT', 'replica needs exactly one of credentials and signer');
  if (r.signer !== undefined) assertReplicaSigner(r.signer, absoluteSigner);
  else assertReplicaCredentials(r.credentials);
}

/** The options' access (credentials or signer) replaced by the one `call` gives. */
export function withAccess(o: WorkerReplicaOptions, call: ReplicaAccessCall): WorkerReplicaOptions {
  const { credentials: _c, signer: _s, ...rest } = o;
  return call.action === 'setCredentials' ? { ...rest, credentials: call.credentials } : { ...rest, signer: call.signer };
}
