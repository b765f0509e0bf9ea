/** Where a replica lives and how to reach it: the options every replica call takes, validated. */
import { CipherliteError } from '../errors.js';
import type { ObjectStore } from './object-store.js';
import { realTimers, type Timers } from './retry.js';
import { S3ObjectStore, type S3StoreOptions } from './s3-store.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from './snapshots.js';

export interface ReplicaTarget extends Partial<S3StoreOptions> {
  /** Objects live under `<prefix>/g/…`: one database per prefix (letters, digits, `-_./`, no `..`). */
  prefix: string;
  /** Another `ObjectStore` instead of the S3 options (tests: the in-process fake). */
  store?: ObjectStore;
}

export interface ReplicaOptions extends ReplicaTarget {
  /** Wait after a commit before pushing, so a burst of commits becomes one entry (default 200 ms). */
  debounceMs?: number;
  /** A snapshot after this many log entries (default 100). */
  snapshotEvery?: number;
  retention?: Partial<RetentionPolicy>;
  /** Backoff between automatic retries while offline or refused, ms (default 1000 … 60000). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Injected for tests and other realms. */
  timers?: Timers;
  now?: () => number;
}

export interface ResolvedReplicaOptions {
  store: ObjectStore;
  prefix: string;
  debounceMs: number;
  snapshotEvery: number;
  retention: RetentionPolicy;
  retryMinMs: number;
  retryMaxMs: number;
  timers: Timers;
  now: () => number;
}

export function resolveTarget(o: ReplicaTarget): { store: ObjectStore; prefix: string } {
  if (!o || typeof o !== 'object') throw new CipherliteError('INVALID_ARGUMENT', 'replica options must be an object');
  if (typeof o.prefix !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,199}$/.test(o.prefix) || o.prefix.includes('..') || o.prefix.endsWith('/')) {
    throw new CipherliteError('INVALID_ARGUMENT', 'replica.prefix must be 1..200 characters of letters, digits and -_./, without ".." or a trailing slash');
  }
  if (o.store) return { store: o.store, prefix: o.prefix };
  return { store: new S3ObjectStore(o as S3StoreOptions), prefix: o.prefix };
}

export function resolveReplicaOptions(o: ReplicaOptions): ResolvedReplicaOptions {
  const t = resolveTarget(o);
  const int = (v: number | undefined, def: number, min: number, what: string): number => {
    const n = v ?? def;
    if (!Number.isInteger(n) || n < min) throw new CipherliteError('INVALID_ARGUMENT', `replica.${what} must be an integer ≥ ${min}`);
    return n;
  };
  const retention = { ...DEFAULT_RETENTION, ...(o.retention ?? {}) };
  int(retention.keepSnapshots, 2, 1, 'retention.keepSnapshots');
  if (!(retention.keepDays >= 0)) throw new CipherliteError('INVALID_ARGUMENT', 'replica.retention.keepDays must be ≥ 0');
  if (!['after-keepDays', 'at-once', 'keep'].includes(retention.oldGenerations)) {
    throw new CipherliteError('INVALID_ARGUMENT', "replica.retention.oldGenerations must be 'after-keepDays', 'at-once' or 'keep'");
  }
  return {
    ...t,
    debounceMs: int(o.debounceMs, 200, 0, 'debounceMs'),
    snapshotEvery: int(o.snapshotEvery, 100, 1, 'snapshotEvery'),
    retention,
    retryMinMs: int(o.retryMinMs, 1000, 0, 'retryMinMs'),
    retryMaxMs: int(o.retryMaxMs, 60_000, 0, 'retryMaxMs'),
    timers: o.timers ?? realTimers,
    now: o.now ?? Date.now,
  };
}
