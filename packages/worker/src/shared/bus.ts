/**
 * The cross-tab bus of the worker protocol (shared/protocol.ts): requests a follower's worker
 * sends to the leader's, and every message on the database's BroadcastChannels (`rpc`, `events`,
 * each tab's reply channel; names in `busNames`).
 */
import type { KeyMaterial, WireError } from '@cipherlite/core';
import { operationRow, type OpName } from './protocol.js';
import type { PasskeyChallenge, Progress } from './public-types.js';
import type { ReplicaCall, ReplicaStatus } from './replica.js';
import type { SyncCall, SyncConflict, SyncRefusal, SyncStatus } from './sync.js';

/** Requests a follower sends to the leader. `tx*` and `auth` are internal operations. */
export type LeaderRequest =
  /** `record`: the write's request id, stored with its result in the same SQLite transaction (see engine/leader/request-log.ts). */
  | { op: OpName; args: unknown[]; txId?: number; record?: string; progress?: true }
  | { op: 'txBegin'; sync?: true }
  | { op: 'txEnd'; txId: number; commit: boolean; record?: string }
  /** A follower proves its key material (leader runs `Database.checkKey`). */
  | { op: 'auth'; key: KeyMaterial }
  /** A call on the leader's replica writer (shared/replica.ts). */
  | { op: 'replica'; call: ReplicaCall }
  /** A call on the leader's sync scheduler (shared/sync.ts). */
  | { op: 'sync'; call: SyncCall };

export type BusMessage =
  /** follower → leader, on the `rpc` channel. `id` is unique per sender. */
  | { kind: 'req'; id: number; from: string; req: LeaderRequest }
  /** leader → follower, on the follower's own channel: the request began executing. */
  | { kind: 'started'; id: number; epoch: string }
  /** leader → follower: throttled progress of request `id` (sent only when the request asked for it). */
  | { kind: 'progress'; id: number; progress: Progress }
  /** follower → leader, on the `rpc` channel: abort request `id` of tab `from`. */
  | { kind: 'cancel'; id: number; from: string }
  /** leader → follower: the result. */
  | { kind: 'res'; id: number; ok: true; value: unknown }
  /**
   * leader → follower: failure. `retry: 'resend'` = not executed, send again (leader stepping
   * down); `retry: 'reauth'` = this leader does not know the follower, prove the key first.
   */
  | { kind: 'res'; id: number; ok: false; error: WireError; retry?: 'resend' | 'reauth' }
  /** leader → all, on the `events` channel: a write committed. */
  | { kind: 'change'; tables: readonly string[] }
  /** leader → all, on the `events` channel: its replica writer's status changed. */
  | { kind: 'replica'; status: ReplicaStatus }
  /** leader → all, on the `events` channel: its sync scheduler's status changed. */
  | { kind: 'sync'; status: SyncStatus }
  /** leader → all, on the `events` channel: sync dropped a change (its merge rules). */
  | { kind: 'syncConflict'; conflict: SyncConflict }
  /** leader → all, on the `events` channel: sync skipped a log entry (docs/SYNC.md "Device identity and removal"). */
  | { kind: 'syncRefused'; refusal: SyncRefusal }
  /** new leader → all: it owns the files now (followers re-authenticate and resend). */
  | { kind: 'leader'; tabId: string; epoch: string }
  /**
   * leader → all: tab `by` changed the keyslots (password changed, rekey, slot removed, restore);
   * every other tab re-proves the key material it holds and locks if that no longer opens.
   */
  | { kind: 'keysChanged'; by: string }
  /** any → all: lock every tab of this database. */
  | { kind: 'lockAll' }
  /** follower → leader: this tab locked or closed; forget its authentication. */
  | { kind: 'bye'; from: string }
  /**
   * any tab → leader, on the `rpc` channel: the passkey challenges of the open file (its public
   * header; no key needed), for a tab that cannot read the file itself while the leader holds it.
   * `id` is random, so it never meets a `req` id on the asker's reply channel.
   */
  | { kind: 'challengesReq'; id: string; from: string }
  /** leader → asker, on the asker's reply channel: the answer to `challengesReq` `id`. */
  | { kind: 'challenges'; id: string; ok: true; challenges: PasskeyChallenge[] }
  | { kind: 'challenges'; id: string; ok: false; error: WireError };

/** `SELECT`/`VALUES` statements cannot write, so they are safe to resend after a lost leader. */
export function isReadOnlySql(sql: string): boolean {
  return /^\s*(SELECT|VALUES)\b/i.test(sql);
}

/**
 * Whether running `req` again after it may already have run is harmless: `auth`, operations whose
 * row says so (`OperationRow.repeatable`), and writes carrying a request id the leader records
 * with them (`engine/leader/request-log.ts`: a second run answers from the record).
 */
export function isRepeatable(req: LeaderRequest): boolean {
  // Replica and sync calls only steer the writer (a second pushNow pushes what is new, if anything).
  if (req.op === 'auth' || req.op === 'replica' || req.op === 'sync') return true;
  if ('record' in req && req.record !== undefined) return true;
  if (req.op === 'txBegin' || req.op === 'txEnd') return false;
  switch (operationRow(req.op)?.repeatable) {
    case 'always':
      return true;
    case 'ifReadOnlySql':
      return req.txId === undefined && isReadOnlySql(String(req.args[0]));
    default:
      return false;
  }
}
