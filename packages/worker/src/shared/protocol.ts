/**
 * The typed protocol between the main-thread client, its dedicated worker, and the workers of
 * other tabs. Defined once, compiled against by every side.
 *
 * Two boundaries:
 * - client ↔ own worker: Comlink over the Worker's port (`WorkerApi`, `WorkerEvents`);
 * - worker ↔ leader worker of another tab: BroadcastChannels (`BusMessage`, shared/bus.ts); a
 *   follower's calls take a MessagePort to the leader's worker instead where the broker of
 *   shared/line.ts (a SharedWorker) can hand one over.
 *
 * Database operations are one table. Adding one that core offers (`changePassword`, `backup`,
 * `stats`, ...) is: its signature in `DbOps` and its row in `OPERATIONS` (here, side by side), its
 * core call in the leader's `LEADER_OPS` (`engine/leader/ops.ts`), and its client method
 * (`page/client.ts`). Every set and check the other files use (progress, key material, key
 * changes, transactions, rollback journal, transfer, repeatability) is derived from the row; the
 * compiler refuses a signature without a row or a core call, and test/operations.test.ts a row
 * without a client method.
 *
 * Errors never cross as `Error` objects (Comlink keeps only message/name/stack): the worker throws
 * core's `WireError` plain object and the client rebuilds a `CipherliteError` with `fromWire`.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import type { BindParams, KeyMaterial, OpenOptions, Row, RunResult, StatementTables, ValuesResult } from '@cipherlite/core';
import type { LogSetting } from './diagnostics.js';
import type { ReplicaCall, ReplicaPointInTime, ReplicaStatus, ReplicaVerifyScope, WorkerReplicaOptions } from './replica.js';
import type { VerifyReplicaResult } from '@cipherlite/core/replica';
import type { SyncAnswer, SyncCall, SyncConflict, SyncRefusal, SyncStatus, WorkerSyncOptions } from './sync.js';
import type {
  BackupFile,
  BackupOptions,
  BackupResult,
  ChangePasswordOptions,
  ConfirmOptions,
  DatabaseStats,
  KeyslotInfo,
  NewPasskey,
  NewSecret,
  PasskeyChallenge,
  Progress,
  ProgressCallback,
  RecoveryKeyResult,
  RestoreComparison,
  RestoreResult,
  VerifyResult,
} from './public-types.js';

/**
 * Options of a key-management call that can cross `postMessage`: progress callbacks and abort
 * signals cannot; they travel beside the call (`CallOptions`).
 */
export type WireOptions<T> = Omit<T, 'onProgress' | 'signal'>;

/**
 * Progress and cancellation of a long call (rekey, backup, confirmRestore, verify,
 * exportPlaintext, importDatabase), on the main thread.
 */
export interface CallOptions<P extends string = string> {
  /**
   * Called on the main thread with throttled progress: the first and last event of each phase,
   * and otherwise at most one per 100 ms. A callback that throws is reported (`logLevel`) and
   * does not affect the call.
   */
  onProgress?: ProgressCallback<P>;
  /**
   * Aborting rejects the call with `CANCELLED` once the operation stopped and cleaned up (see each
   * operation for how far it can be cancelled). Already aborted: rejected at once, never sent.
   */
  signal?: AbortSignal;
}

import type { LockState } from '@cipherlite/core';
export type { LockState };

/** Where the database is stored: OPFS sync access handles, or memory made durable in IndexedDB. */
export type StorageBackend = 'opfs' | 'indexeddb';
/** The `storage` option: a backend, or `auto` (OPFS when sync access handles work here, else IndexedDB). */
export type StorageChoice = 'auto' | StorageBackend;
export const STORAGE_CHOICES: readonly StorageChoice[] = ['auto', 'opfs', 'indexeddb'];

/** Throws `INVALID_ARGUMENT` unless `choice` is one of `STORAGE_CHOICES`. */
export function assertStorageChoice(choice: unknown): asserts choice is StorageChoice {
  if (!STORAGE_CHOICES.includes(choice as StorageChoice)) {
    throw new CipherliteError('INVALID_ARGUMENT', `expected storage to be one of ${STORAGE_CHOICES.join(', ')}, got ${String(choice)}`);
  }
}

/** `leader`: this tab's worker owns the OPFS files; `follower`: it forwards to the leader. */
export type Role = 'leader' | 'follower' | 'none';

/** One statement of a `batch`. */
export interface Statement {
  sql: string;
  params?: BindParams;
}

/**
 * Operations run on the leader's `Database`. Arguments and results must be structured-cloneable.
 * The optional transaction id is not part of these signatures: it travels beside them.
 */
export interface DbOps {
  exec(sql: string, params?: BindParams): RunResult;
  query(sql: string, params?: BindParams): Row[];
  get(sql: string, params?: BindParams): Row | undefined;
  /** Rows as arrays in column order, with the column names (duplicate names keep every column). */
  values(sql: string, params?: BindParams): ValuesResult;
  /** Runs every statement in one transaction (one round trip); all or nothing. */
  batch(statements: readonly Statement[]): RunResult[];
  tables(sql: string): StatementTables;
  // Key management (`@cipherlite/core/keys`): calls that change keys prove `current` first.
  changePassword(current: KeyMaterial, next: NewSecret, options?: ChangePasswordOptions): KeyslotInfo;
  listKeyslots(): KeyslotInfo[];
  /**
   * Adds a recovery keyslot and returns the recovery key — the one secret that deliberately
   * crosses to the main thread, because the user must see it once to write it down.
   */
  addRecoveryKey(current: KeyMaterial): RecoveryKeyResult;
  removeKeyslot(current: KeyMaterial, index: number): KeyslotInfo[];
  /** Adds a passkey slot from a registration ceremony's result (its PRF output is wiped after). */
  addPasskey(current: KeyMaterial, passkey: NewPasskey): KeyslotInfo;
  /**
   * New random data key, every page re-encrypted (crash-safe copy + swap); `current`'s slot is
   * recreated, other slots (recovery keys) are dropped and listed.
   */
  rekey(current: KeyMaterial): { droppedKeyslots: KeyslotInfo[] };
  /** A standard, unencrypted SQLite file: leaves the protection by design (explicit export). */
  exportPlaintext(): Uint8Array;
  verify(): VerifyResult;
  stats(): DatabaseStats;
  backup(current: KeyMaterial, options?: WireOptions<BackupOptions>): BackupResult;
  /** Validates a backup without touching the database; the pending restore stays in the leader under `id`. */
  inspectBackup(bytes: Uint8Array, secret: KeyMaterial): PendingRestoreInfo;
  /** Replaces the content with pending restore `id` (after a safety backup encrypted under `current`). */
  confirmRestore(id: number, current: KeyMaterial, options?: WireOptions<ConfirmOptions>): RestoreResult;
  cancelRestore(id: number): void;
  /** Automatic backups (`<name>.bak-<time>`) next to the database, newest first. */
  listBackups(): BackupFile[];
  pruneBackups(keep?: number): string[];
  /** The encrypted bytes of automatic backup `name` (one `listBackups` names), to download or restore. */
  readBackup(name: string): Uint8Array;
}

/** A validated backup waiting in the leader for `confirmRestore(id)` or `cancelRestore(id)`. */
export interface PendingRestoreInfo {
  id: number;
  comparison: RestoreComparison;
}

export type OpName = keyof DbOps;
export type OpArgs<K extends OpName> = Parameters<DbOps[K]>;
export type OpResult<K extends OpName> = ReturnType<DbOps[K]>;

/**
 * What the engine needs to know about an operation besides its signature: one row per `DbOps`
 * method in `OPERATIONS`.
 */
export interface OperationRow {
  /** Argument positions holding key material (passwords become bytes there, wiped once the call ends). */
  readonly keyArgs: readonly number[];
  /** The argument position of a new secret this tab holds from now on once the call succeeded. */
  readonly adoptsKeyArg?: number;
  /** Reports progress and can be cancelled through `CallOptions`. */
  readonly progress: boolean;
  /** After it, a key some tab holds may no longer open the database (every other tab re-proves its key). */
  readonly changesKeys: boolean;
  /** May run inside an interactive transaction. */
  readonly inTransaction: boolean;
  /** Core runs it only on a rollback journal (it copies or reads the main file as a whole): a WAL database switches for the call. */
  readonly rollbackJournal: boolean;
  /** The result is a whole file created for the call: moved to the page, not copied (engine/runtime/transfer.ts). */
  readonly transferResult: boolean;
  /** It replaces the leader's `Database` handle, so the leader runs it itself (not through `LEADER_OPS`). */
  readonly replacesDatabase: boolean;
  /**
   * Whether running it again after it may already have run is harmless (a follower resends it
   * after losing its leader): `always` (cannot write), `ifReadOnlySql` (its SQL reads, outside a
   * transaction), `ifRecorded` (a write the leader records with its request id,
   * engine/leader/request-log.ts), `never`.
   */
  readonly repeatable: 'always' | 'ifReadOnlySql' | 'ifRecorded' | 'never';
}

const SQL: OperationRow = {
  keyArgs: [],
  progress: false,
  changesKeys: false,
  inTransaction: true,
  rollbackJournal: false,
  transferResult: false,
  replacesDatabase: false,
  repeatable: 'ifReadOnlySql',
};
const PLAIN: OperationRow = { ...SQL, inTransaction: false, repeatable: 'never' };

/** One row per operation (the defaults are `PLAIN`: no key material, no progress, outside transactions only). */
export const OPERATIONS = {
  exec: { ...SQL, repeatable: 'ifRecorded' },
  query: SQL,
  get: SQL,
  values: SQL,
  batch: { ...SQL, repeatable: 'ifRecorded' },
  tables: { ...PLAIN, repeatable: 'always' },
  changePassword: { ...PLAIN, keyArgs: [0, 1], adoptsKeyArg: 1, changesKeys: true },
  listKeyslots: PLAIN,
  addRecoveryKey: { ...PLAIN, keyArgs: [0] },
  removeKeyslot: { ...PLAIN, keyArgs: [0], changesKeys: true },
  addPasskey: { ...PLAIN, keyArgs: [0] },
  rekey: { ...PLAIN, keyArgs: [0], progress: true, changesKeys: true, rollbackJournal: true, replacesDatabase: true },
  exportPlaintext: { ...PLAIN, progress: true, rollbackJournal: true, transferResult: true },
  verify: { ...PLAIN, progress: true },
  stats: { ...PLAIN, rollbackJournal: true },
  backup: { ...PLAIN, keyArgs: [0], progress: true, rollbackJournal: true, transferResult: true },
  inspectBackup: { ...PLAIN, keyArgs: [1], rollbackJournal: true },
  confirmRestore: { ...PLAIN, keyArgs: [1], progress: true, changesKeys: true, rollbackJournal: true },
  cancelRestore: PLAIN,
  listBackups: PLAIN,
  pruneBackups: PLAIN,
  readBackup: { ...PLAIN, transferResult: true },
} as const satisfies { readonly [K in OpName]: OperationRow };

/** The row of `op`, or undefined for a name that is no operation (a call from the wire is not trusted). */
export function operationRow(op: string): OperationRow | undefined {
  return Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op as OpName] : undefined;
}

/** The operations whose row has `column` set. */
function opsWhere(column: 'progress' | 'changesKeys' | 'inTransaction' | 'rollbackJournal' | 'transferResult'): ReadonlySet<string> {
  return new Set(Object.entries(OPERATIONS as Record<OpName, OperationRow>).flatMap(([op, row]) => (row[column] ? [op] : [])));
}

/** Operations that report progress and can be cancelled through `CallOptions`. */
export const PROGRESS_OPS = opsWhere('progress');
/** Operations after which a key some tab holds may no longer open the database. */
export const KEY_CHANGING_OPS = opsWhere('changesKeys');
/** Operations that may run inside an interactive transaction. */
export const TX_OPS = opsWhere('inTransaction');
/** Operations core runs only on a rollback journal. */
export const ROLLBACK_JOURNAL_OPS = opsWhere('rollbackJournal');
/** Operations whose result is moved to the page. */
export const TRANSFERRED_RESULTS = opsWhere('transferResult');

/**
 * Core's `Database.open` options the worker passes on (its own declarations and defaults), plus
 * the worker's own. Core's `storage` is the `SyncStorage` object the leader builds; the worker's
 * `storage` names the backend to build it from (`StorageChoice`) — same word, one level up.
 */
export interface WorkerOpenOptions extends Omit<OpenOptions, 'storage'> {
  /** OPFS directory holding the files (default `cipherlite`). */
  directory: string;
  /** Lock this tab after this many ms without a call from it (0 or absent: never). */
  autoLockMs?: number;
  /** Storage backend (default `auto`); `db.storageBackend` says which one is in use. */
  storage?: StorageChoice;
  /** How long to keep retrying OPFS handles a closing tab still holds (default 10 000 ms). */
  acquireTimeoutMs?: number;
  /**
   * Diagnostics printed by the worker (its console): `off` (default), `error`, `warn`, `info` or
   * `debug`. Records name an event and an error's code and message, never arguments or keys.
   */
  logLevel?: LogSetting;
  /**
   * Keep a continuous encrypted replica on an S3-compatible bucket (shared/replica.ts); the
   * leader's worker pushes, in the database's journal mode (WAL by default).
   */
  replica?: WorkerReplicaOptions;
  /**
   * Sync this database with its other devices through a multi-writer replica (shared/sync.ts,
   * docs/SYNC.md "In the browser"); the leader's worker pulls and pushes.
   */
  sync?: WorkerSyncOptions;
}

export interface OpenInfo {
  /** Random id of this tab's worker (not a secret; used to address replies). */
  tabId: string;
  role: Role;
  storageBackend: StorageBackend;
}

/** Callbacks the client hands its worker (through `Comlink.proxy`). */
export interface WorkerEvents {
  lockState(state: LockState): void;
  change(tables: readonly string[]): void;
  role(role: Role): void;
  /** Progress of call `callId` (already throttled). */
  progress(callId: number, progress: Progress): void;
  /** The leader's replica writer changed state (any tab's leader, heard by every tab). */
  replica?(status: ReplicaStatus): void;
  /** The leader's sync scheduler changed state (heard by every tab). */
  sync?(status: SyncStatus): void;
  /** A change was dropped by sync's merge rules (docs/SYNC.md "Conflict rules"), heard by every tab. */
  syncConflict?(conflict: SyncConflict): void;
  /** Sync skipped a log entry every device refuses (an unregistered or removed writer, a bad signature), heard by every tab. */
  syncRefused?(refusal: SyncRefusal): void;
}

/** Where passkey challenges are read: the database file, or (`replica`: a restore or verify with a passkey) the replica's keys object, of `generation` or the current one. */
export type PasskeyChallengeSource = Pick<WorkerOpenOptions, 'name' | 'directory' | 'storage'> & { replica?: WorkerReplicaOptions; generation?: number };

/** How a client names a call that has `CallOptions`. */
export interface CallTag {
  id: number;
  progress: boolean;
}

/** The API a tab's worker exposes to its own main thread. Every method rejects with a `WireError`. */
export interface WorkerApi {
  /** Feature-checks, unlocks with `key` (proves it against the database) and opens or joins. */
  open(options: WorkerOpenOptions, key: KeyMaterial, events: WorkerEvents): Promise<OpenInfo>;
  unlock(key: KeyMaterial): Promise<void>;
  /**
   * The passkey slots' credential ids and salts, read from the database file without a key (what
   * the main thread asks the authenticator for). `NO_PASSKEY` when there is none.
   */
  passkeyChallenges(options: PasskeyChallengeSource): Promise<PasskeyChallenge[]>;
  /** Wipes this tab's key material; `allTabs` asks every tab of this database to lock too. */
  lock(allTabs: boolean): Promise<void>;
  /** Changes this tab's idle auto-lock (`autoLockMs`; 0 = never) from now on. */
  setAutoLock(ms: number): Promise<void>;
  /**
   * Runs `op`. `callId` (unique per client) names the call for `cancel` and its `progress`
   * events; `progress` says whether the client listens for them.
   */
  run<K extends OpName>(op: K, args: OpArgs<K>, txId?: number, call?: CallTag): Promise<OpResult<K>>;
  /** Aborts call `callId` (a no-op once it ended). */
  cancel(callId: number): Promise<void>;
  /**
   * Creates database `options.name` from the standard SQLite file `bytes` (encrypted under
   * `key`), then opens it like `open`. INVALID_ARGUMENT if it exists (or another tab has it open).
   */
  importDatabase(options: WorkerOpenOptions, key: KeyMaterial, bytes: Uint8Array, events: WorkerEvents, call: CallTag): Promise<OpenInfo>;
  /**
   * Creates database `options.name` from the replica `options.replica` (core's
   * `restoreFromReplica`, at `pointInTime` or the newest commit), then opens it like `open`.
   */
  restoreReplica(options: WorkerOpenOptions, key: KeyMaterial, pointInTime: ReplicaPointInTime | null, events: WorkerEvents, call: CallTag): Promise<OpenInfo>;
  /**
   * Downloads and checks every object of the replica `source` with `key` (core's `verifyReplica`)
   * in a worker that opens no database; progress goes to `events.progress`.
   */
  verifyReplica(source: WorkerReplicaOptions, key: KeyMaterial, scope: ReplicaVerifyScope, events: Pick<WorkerEvents, 'progress'>, call: CallTag): Promise<VerifyReplicaResult>;
  /**
   * Keeps `options` as this tab's replica options (used when it leads, now or after a takeover)
   * and, if it leads, starts the writer.
   */
  startReplica(options: WorkerReplicaOptions): Promise<void>;
  /** A call on the leader's replica writer (`REPLICA_…`/`INVALID_ARGUMENT` when there is none). */
  replica(call: ReplicaCall): Promise<ReplicaStatus>;
  /**
   * Keeps `options` as this tab's sync options (used when it leads) and, if it leads, starts the
   * sync scheduler; `create`: the database becomes the first device of a new sync replica (only
   * in the tab that leads).
   */
  startSync(options: WorkerSyncOptions, create: boolean): Promise<void>;
  /** A call on the leader's sync scheduler (`INVALID_ARGUMENT` when there is none). */
  sync(call: SyncCall): Promise<SyncAnswer>;
  /**
   * Creates database `options.name` by joining the sync replica `options.sync` (core's
   * `joinSyncReplica`: the agreed starting state, restored with `key`), then opens it like `open`.
   */
  joinSync(options: WorkerOpenOptions, key: KeyMaterial, events: WorkerEvents, call: CallTag): Promise<OpenInfo>;
  /**
   * Starts an interactive transaction; other calls (from every tab) wait until it ends. `sync`:
   * its changes are recorded for sync (core's `sync.transaction`) and pushed after it commits.
   */
  txBegin(sync?: boolean): Promise<number>;
  txEnd(txId: number, commit: boolean): Promise<void>;
  close(): Promise<void>;
  /** Answers at once: the client's heartbeat while calls are pending (an answer = the worker's event loop runs). */
  ping(): Promise<void>;
  /**
   * The page's answer to the worker's `BROKER_WANTED` message: its port to the direct line's broker
   * (a SharedWorker, `broker.ts`), or null where it cannot have one; a worker without one talks to
   * other tabs over BroadcastChannels only.
   */
  attachBroker(port: MessagePort | null): Promise<void>;
  /** Diagnostics: the messages this tab's worker exchanged with another tab's leader, per transport. */
  lineCounts(): Promise<LineCounts>;
}

/**
 * What a database worker posts to its page (outside Comlink, which ignores it) when it wants a port
 * to the direct line's broker: the first time another tab is about (engine/runtime/broker-client.ts).
 * The page answers with `WorkerApi.attachBroker`. A tab alone never spawns the broker.
 */
export const BROKER_WANTED = 'cipherlite:broker-wanted';

/** Messages a follower's router sent and received over the direct line's port and over the BroadcastChannels. */
export interface LineCounts {
  direct: number;
  broadcast: number;
}

/** Where databases live in OPFS unless `directory` says otherwise. */
export const DEFAULT_DIRECTORY = 'cipherlite';
/** A database name is one OPFS file name: 1..200 characters, no path separators or NUL. */
const DATABASE_NAME_RE = /^[^/\\\0]{1,200}$/;
/** An OPFS directory path (`a/b` nests): 1..200 characters, no backslash or NUL. */
const DIRECTORY_RE = /^[^\\\0]{1,200}$/;

/** Throws `INVALID_ARGUMENT` unless `name` in `directory` is a valid OPFS location (both sides check). */
export function assertDatabaseLocation(name: unknown, directory: unknown): void {
  if (typeof name !== 'string' || !DATABASE_NAME_RE.test(name)) {
    throw new CipherliteError('INVALID_ARGUMENT', 'expected name to be 1..200 characters without "/", "\\" or NUL');
  }
  if (typeof directory !== 'string' || !DIRECTORY_RE.test(directory)) {
    throw new CipherliteError('INVALID_ARGUMENT', 'expected directory to be 1..200 characters without "\\" or NUL');
  }
}

/** Channel and Web Lock names, all scoped by directory and database name. */
export function busNames(directory: string, name: string) {
  const base = `cipherlite:${directory}/${name}`;
  return {
    /** The database file name. */
    name,
    /** Held by the leader for as long as it owns the files. */
    leaderLock: `${base}:leader`,
    /** Held by each tab's worker for its lifetime; lets the leader notice a tab dying. */
    tabLock: (tabId: string) => `${base}:tab:${tabId}`,
    rpc: `${base}:rpc`,
    events: `${base}:events`,
    reply: (tabId: string) => `${base}:reply:${tabId}`,
  };
}
