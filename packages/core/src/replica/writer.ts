/**
 * The writing side of a replica: keeps a bucket up to date with an open `Database`.
 *
 * After each commit (debounced) one push runs: it reads the committed pages (one consistent read
 * in the database's queue), compares them with the page state the bucket holds, and appends the
 * changed pages as the next log entry with a conditional create. The sealed entry is kept until
 * the store confirms it, and a retry sends exactly the same bytes, so a PUT whose answer was lost
 * never becomes a second history. While the store is unreachable the commits wait (state
 * `offline`) and the push is retried with backoff; refused credentials are `error` with
 * REPLICA_AUTH, retried the same way (a credentials function picks up new ones). A bucket that
 * contradicts what this device wrote (rolled back, forked, foreign, damaged) stops the replica
 * with the typed error: nothing is overwritten.
 *
 * At start-up (and after a crash) the bucket's state is read back and checked against the last
 * position this device remembers, so whatever was committed but not yet pushed is pushed then.
 */
import { randomBytes } from '../crypto/random.js';
import type { Database } from '../database/database.js';
import { internals } from '../database/internals.js';
import { CipherliteError, isCipherliteError, type ErrorCode } from '../errors.js';
import { exportPlaintext } from '../keys/plaintext.js';
import { entryName, equal, ID_SIZE } from './format.js';
import { createGeneration } from './generation.js';
import { readLocalState, writeLocalState, type LocalReplicaState } from './local-state.js';
import { ReplicaLog } from './log.js';
import { resolveReplicaOptions, type ReplicaOptions, type ResolvedReplicaOptions } from './options.js';
import { encodePages } from './payloads.js';
import { decodeManifestTime, diffPages, hashPages } from './pages.js';
import { openReplicaWithKey, readState, type OpenedReplica } from './reader.js';
import { applyRetention, writeSnapshot } from './snapshots.js';

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

/** What the writer knows the bucket holds. */
interface Remote {
  r: OpenedReplica;
  log: ReplicaLog;
  pageSize: number;
  pageCount: number;
  hashes: Map<number, string>;
  tip: { seq: number; hash: Uint8Array };
  snapshots: { seq: number; time: number }[];
  oldestEntry: number;
}

const RETRYABLE: readonly string[] = ['REPLICA_UNAVAILABLE', 'REPLICA_AUTH', 'QUOTA_EXCEEDED', 'IO'];

export class Replica {
  readonly #db: Database;
  readonly #o: ResolvedReplicaOptions;
  readonly #listeners = new Set<(s: ReplicaStatus) => void>();
  #status: ReplicaStatus = { state: 'idle', pendingCommits: 0, pendingBytes: 0, generation: null, lastPushedSeq: null, lastPushedAt: null, lastError: null };
  #remote: Remote | null = null;
  #local: LocalReplicaState | null = null;
  /** The device state on storage is older than `#local` (its last write failed). */
  #localDirty = false;
  /** A sealed entry not yet confirmed: retried byte for byte. */
  #inflight: { seq: number; bytes: Uint8Array; image: Uint8Array; hashes: Map<number, string>; pageCount: number; commits: number } | null = null;
  #timer: unknown = null;
  #retryMs = 0;
  #running: Promise<void> = Promise.resolve();
  #paused = false;
  #stopped = false;
  #fatal = false;
  readonly #unsubscribe: () => void;

  constructor(db: Database, o: ResolvedReplicaOptions) {
    this.#db = db;
    this.#o = o;
    this.#unsubscribe = db.onChange(() => {
      this.#status.pendingCommits++;
      this.#schedule(this.#o.debounceMs);
    });
  }

  status(): ReplicaStatus {
    return { ...this.#status };
  }

  /** Calls `listener` with every status change; returns the unsubscribe function. */
  onStatus(listener: (s: ReplicaStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Pushes everything committed so far; resolves with the status once the bucket holds it, rejects with the typed error otherwise. */
  async pushNow(): Promise<ReplicaStatus> {
    if (this.#stopped) throw new CipherliteError('CLOSED', 'the replica was stopped');
    this.#fatal = false;
    this.#clearTimer();
    const run = this.#running.then(() => this.#push());
    this.#running = run.catch(() => undefined);
    await run;
    return this.status();
  }

  /** Stops pushing (commits keep counting as pending) until `resume()`. */
  pause(): void {
    this.#paused = true;
    this.#clearTimer();
    this.#set({ state: 'paused' });
  }

  resume(): void {
    this.#paused = false;
    this.#set({ state: this.#status.pendingCommits > 0 ? 'pushing' : 'idle' });
    this.#schedule(0);
  }

  /** Stops the replica (a push under way finishes first). Does not close the database. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    this.#unsubscribe();
    await this.#running;
  }

  /** The log, for multi-device sync (null until the first push has connected to the bucket). */
  get log(): ReplicaLog | null {
    return this.#remote?.log ?? null;
  }

  // ---------------------------------------------------------------- scheduling

  #schedule(ms: number): void {
    if (this.#paused || this.#stopped || this.#fatal || this.#timer !== null) return;
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = null;
      const run = this.#running.then(() => this.#push());
      this.#running = run.catch(() => undefined);
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #set(patch: Partial<ReplicaStatus>): void {
    this.#status = { ...this.#status, ...patch };
    const s = this.status();
    for (const l of this.#listeners) l(s);
  }

  /** One push; on failure the status says why and a retryable failure is retried with backoff. */
  async #push(): Promise<void> {
    if (this.#stopped || this.#db.closed) return;
    this.#set({ state: 'pushing' });
    try {
      await this.#connect();
      while (await this.#pushOnce()) {
        /* until the bucket holds every commit */
      }
      // A position pushed but not yet recorded (local storage was full): record it now.
      if (this.#localDirty) this.#remember();
      this.#retryMs = 0;
      this.#set({ state: this.#paused ? 'paused' : 'idle', pendingBytes: 0, lastError: null });
    } catch (e) {
      const err = isCipherliteError(e) ? e : new CipherliteError('IO', e instanceof Error ? e.message : String(e));
      const retry = RETRYABLE.includes(err.code);
      this.#fatal = !retry;
      this.#set({ state: err.code === 'REPLICA_UNAVAILABLE' ? 'offline' : 'error', lastError: { code: err.code, message: err.message } });
      if (retry) {
        this.#retryMs = Math.min(this.#o.retryMaxMs, Math.max(this.#o.retryMinMs, this.#retryMs * 2));
        this.#schedule(this.#retryMs);
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- talking to the bucket

  /** Reads (or creates) the bucket's replica once, checked against what this device remembers. */
  async #connect(): Promise<void> {
    if (this.#remote) return;
    const { container } = internals(this.#db);
    const dek = container.dek;
    const fileId = container.fileId;
    this.#local ??= readLocalState(this.#db.storage, this.#db.name, dek, fileId);
    const { store, prefix } = this.#o;
    const opened = await openReplicaWithKey(store, prefix, dek);
    if (!opened) {
      if (this.#local) throw new CipherliteError('REPLICA_ROLLBACK', `the bucket holds no replica under "${prefix}", but this device already pushed seq ${this.#local.seq}: deleted or rolled back`);
      await this.#create();
      return;
    }
    if (this.#local && !equal(this.#local.replicaId, opened.replicaId)) throw new CipherliteError('REPLICA_FOREIGN', `the replica under "${prefix}" is not the one this device writes`);
    const read = await readState(opened, { known: this.#local });
    const snapshots: { seq: number; time: number }[] = [];
    for (const seq of read.listing.snapshots) snapshots.push({ seq, time: await decodeManifestTime(opened, seq) });
    this.#remote = {
      r: opened,
      log: new ReplicaLog(opened),
      pageSize: read.state.pageSize,
      pageCount: read.state.pageCount,
      hashes: hashPages(read.state.pages),
      tip: { seq: read.tip.seq, hash: read.tip.hash },
      snapshots,
      oldestEntry: read.listing.entries[0]!,
    };
    this.#local = { replicaId: opened.replicaId, deviceId: this.#local?.deviceId ?? randomBytes(ID_SIZE), generation: opened.generation, seq: read.tip.seq, hash: read.tip.hash };
    this.#remember();
    this.#set({ generation: opened.generation, lastPushedSeq: read.tip.seq });
  }

  /** A new replica: generation 0's keys object, then its genesis entry (seq 0, empty state). */
  async #create(): Promise<void> {
    const { container } = internals(this.#db);
    const { r, log, hash } = await createGeneration(this.#o.store, this.#o.prefix, 0, this.#db, encodePages(container.blockSize, 0, []), this.#o.now());
    this.#remote = { r, log, pageSize: container.blockSize, pageCount: 0, hashes: new Map(), tip: { seq: 0, hash }, snapshots: [], oldestEntry: 0 };
    this.#local = { replicaId: r.replicaId, deviceId: randomBytes(ID_SIZE), generation: 0, seq: 0, hash };
    this.#remember();
    this.#set({ generation: 0, lastPushedSeq: 0, lastPushedAt: this.#o.now() });
  }

  /** Pushes one entry with the pages that changed; false when the bucket already holds everything. */
  async #pushOnce(): Promise<boolean> {
    const remote = this.#remote!;
    if (!this.#inflight) {
      const commits = this.#status.pendingCommits;
      const image = await exportPlaintext(this.#db);
      const pageSize = remote.pageSize;
      const { changed, hashes, pageCount } = diffPages(image, pageSize, remote.hashes);
      if (changed.length === 0 && pageCount === remote.pageCount) {
        this.#set({ pendingCommits: Math.max(0, this.#status.pendingCommits - commits) });
        return false;
      }
      const seq = remote.tip.seq + 1;
      const bytes = remote.log.seal(seq, { prevHash: remote.tip.hash, deviceId: this.#local!.deviceId, time: this.#o.now(), kind: 'pages', payload: encodePages(pageSize, pageCount, changed) });
      this.#inflight = { seq, bytes, image, hashes, pageCount, commits };
      this.#set({ pendingBytes: bytes.length });
    }
    const f = this.#inflight;
    // The entry this device pushed last must still be there: a bucket rolled back since would
    // otherwise accept the next position again as if nothing had happened.
    if (!(await remote.r.store.head(entryName(remote.r.prefix, remote.r.generation, remote.tip.seq)))) {
      throw new CipherliteError('REPLICA_ROLLBACK', `replica log entry ${remote.tip.seq}, pushed by this device, is gone from the bucket: rolled back or deleted`);
    }
    const res = await remote.log.append(f.seq, f.bytes);
    if (!res.appended) throw new CipherliteError('REPLICA_FORK', `another writer took log position ${f.seq}: two devices write this replica`);
    this.#inflight = null;
    remote.tip = { seq: f.seq, hash: res.hash };
    remote.hashes = f.hashes;
    remote.pageCount = f.pageCount;
    this.#local = { ...this.#local!, seq: f.seq, hash: res.hash };
    this.#remember();
    this.#set({ lastPushedSeq: f.seq, lastPushedAt: this.#o.now(), pendingBytes: 0, pendingCommits: Math.max(0, this.#status.pendingCommits - f.commits) });
    await this.#maybeSnapshot(f.image, res.hash);
    f.image.fill(0);
    return this.#status.pendingCommits > 0;
  }

  async #maybeSnapshot(image: Uint8Array, entryHash: Uint8Array): Promise<void> {
    const remote = this.#remote!;
    const last = remote.snapshots.length ? remote.snapshots[remote.snapshots.length - 1]!.seq : 0;
    if (remote.tip.seq - last < this.#o.snapshotEvery) return;
    const time = this.#o.now();
    await writeSnapshot(remote.r, remote.tip.seq, entryHash, time, image, remote.pageSize);
    remote.snapshots.push({ seq: remote.tip.seq, time });
    const kept = await applyRetention(remote.r, remote.snapshots, remote.oldestEntry, this.#o.retention, time);
    remote.snapshots = kept.kept;
    remote.oldestEntry = kept.oldestEntry;
  }

  #remember(): void {
    const { container } = internals(this.#db);
    this.#localDirty = true;
    writeLocalState(this.#db.storage, this.#db.name, container.dek, container.fileId, this.#local!);
    this.#localDirty = false;
  }
}

/**
 * Starts replicating `db` to the bucket in `options`. The first push (creating the replica, or
 * catching up after a restart) starts at once; later ones follow commits.
 */
export function startReplica(db: Database, options: ReplicaOptions): Replica {
  const o = resolveReplicaOptions(options);
  internals(db).requireRollbackJournal('a replica');
  const replica = new Replica(db, o);
  replica.pushNow().catch(() => undefined); // the status carries the outcome; retries are scheduled
  return replica;
}
