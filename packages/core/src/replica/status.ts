/**
 * What a replica writer reports (`Replica.status()`, `onStatus`): its state, what is waiting to be
 * pushed, the position the bucket confirmed last, and the last error.
 */
import type { ErrorCode } from '../errors.js';

export type ReplicaStateName = 'idle' | 'pushing' | 'offline' | 'error' | 'paused';

export interface ReplicaStatus {
  state: ReplicaStateName;
  /** Commits made locally and not yet confirmed by the bucket. */
  pendingCommits: number;
  /** Bytes of the entry being pushed (0 when none). */
  pendingBytes: number;
  generation: number | null;
  lastPushedSeq: number | null;
  lastPushedAt: number | null;
  lastError: { code: ErrorCode; message: string } | null;
}
