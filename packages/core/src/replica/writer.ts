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
 * An entry that gets a snapshot is an `image` entry (sealing.ts): its chunks go up in parallel
 * before it, its manifest after it. After a rekey — followed live, or found at start-up through
 * the device state the rekey carried over — the next generation continues the replica, and the
 * retention policy deletes the generations it superseded.
 */
import { deriveHeaderMacKey } from '../crypto/subkeys.js';
import { randomBytes } from '../crypto/random.js';
import type { Database } from '../database/database.js';
import { internals, onReplaced } from '../database/internals.js';
import { CipherliteError, isCipherliteError } from '../errors.js';
import { encodeMainHeader } from '../format/main-header.js';
import { entryName, equal, ID_SIZE, keysCopyName, manifestName, replicaKey, writeEnvelope, ZERO_HASH } from './format.js';
import { readLocalState, writeLocalState, type LocalReplicaState } from '../keys/replica-state.js';
import { ReplicaLog } from './log.js';
import { resolveReplicaOptions, type ReplicaOptions, type ResolvedReplicaOptions } from './options.js';
import { bucketHeader, encodeKeysObject, encodePages, keyslotsOf } from './payloads.js';
import { decodeManifestTime, hashPages, readPages, wipeRead, type PageRead } from './pages.js';
import { openReplicaWithKey, position, readState, type OpenedReplica } from './reader.js';
import { createGeneration, proveLastEntry, unfinishedGeneration } from './generation.js';
import { applyRetention, deleteUploadedChunks, putChunks, retireOldGenerations, type SealedSnapshot } from './snapshots.js';
import { sealEntry, type SealedEntry } from './sealing.js';
import type { ReplicaStatus } from './status.js';

export type { ReplicaStateName, ReplicaStatus } from './status.js';

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

/** Failures retried with backoff (BUSY: the app holds a transaction open; its pages are not committed yet). */
const RETRYABLE: readonly string[] = ['REPLICA_UNAVAILABLE', 'REPLICA_AUTH', 'QUOTA_EXCEEDED', 'IO', 'BUSY'];

export class Replica {
  #db: Database;
  readonly #o: ResolvedReplicaOptions;
  readonly #listeners = new Set<(s: ReplicaStatus) => void>();
  #status: ReplicaStatus = { state: 'idle', pendingCommits: 0, pendingBytes: 0, generation: null, lastPushedSeq: null, lastPushedAt: null, lastError: null };
  #remote: Remote | null = null;
  #local: LocalReplicaState | null = null;
  /** The device state on storage is older than `#local` (its last write failed). */
  #localDirty = false;
  /** A sealed entry not yet confirmed (or an image entry whose manifest is not written yet). */
  #inflight: SealedEntry | null = null;
  /** The generations before the current one are gone from the bucket (retention). */
  #retired = false;
  /** The keyslots of the header the bucket's newest keys object holds (null: not connected yet). */
  #keysSent: Uint8Array | null = null;
  /** A sealed `keys` entry not yet confirmed, with the header it uploads. */
  #keysInflight: { seq: number; bytes: Uint8Array; header: Uint8Array; slots: Uint8Array } | null = null;
  /** Pages written since the last read (reported by the VFS); null: unknown (start-up), read them all. */
  #dirty: Set<number> | null = null;
  #timer: unknown = null;
  #retryMs = 0;
  #running: Promise<void> = Promise.resolve();
  #paused = false;
  #stopped = false;
  #fatal = false;
  /** The database was rekeyed (a new data key): the next push starts a new generation. */
  #rekeyed = false;
  #detach: () => void = () => undefined;

  constructor(db: Database, o: ResolvedReplicaOptions) {
    this.#db = db;
    this.#o = o;
    this.#attach(db);
  }

  /** Follows `db`'s commits and page writes, and the database that replaces it after a rekey. */
  #attach(db: Database): void {
    const { binding } = internals(db);
    const onPageWrite = (pgno: number): void => void this.#dirty?.add(pgno);
    binding.onPageWrite = onPageWrite;
    const unsubscribe = db.onChange(() => {
      this.#status.pendingCommits++;
      this.#schedule(this.#o.debounceMs);
    });
    const unfollow = onReplaced(db, (next) => {
      this.#detach();
      this.#db = next as Database;
      this.#rekeyed = true;
      this.#dirty = null;
      this.#attach(this.#db);
      if (this.#stopped) return;
      this.#fatal = false;
      this.#status.pendingCommits++;
      this.#schedule(0);
    });
    this.#detach = () => {
      if (binding.onPageWrite === onPageWrite) binding.onPageWrite = null;
      unsubscribe();
      unfollow();
    };
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
    await this.#running;
    this.#detach();
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
      if (this.#rekeyed) await this.#newGeneration();
      // A `keys` entry sealed by an earlier push holds its position: it goes first.
      if (this.#keysInflight) await this.#pushKeys();
      while (await this.#pushOnce()) {
        /* until the bucket holds every commit */
      }
      await this.#pushKeys();
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
    let found;
    try {
      found = await openReplicaWithKey(store, prefix, dek);
    } catch (e) {
      // Rekeyed while no writer was connected: the bucket's generation is under the old data key.
      // This device's state (carried over by the rekey) proves the replica is its own.
      if (!isCipherliteError(e) || e.code !== 'REPLICA_FOREIGN' || !this.#local) throw e;
      await proveLastEntry(store, prefix, this.#local, container.fileId);
      await this.#startGeneration(this.#local.generation + 1, this.#local.replicaId, this.#local.hash);
      return;
    }
    if (!found) {
      if (this.#local) throw new CipherliteError('REPLICA_ROLLBACK', `the bucket holds no replica under "${prefix}", but this device already pushed seq ${this.#local.seq}: deleted or rolled back`);
      await this.#create();
      return;
    }
    const opened = found.replica;
    // A generation this device started and was cut off before its genesis entry: finish it.
    const owed = await unfinishedGeneration(opened, this.#local);
    if (owed) return this.#startGeneration(opened.generation, opened.replicaId, owed);
    this.#keysSent = keyslotsOf(found.header);
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
    await this.#startGeneration(0, randomBytes(ID_SIZE), ZERO_HASH);
  }

  /**
   * Starts `generation` of replica `replicaId` under keys from the database's data key: its keys
   * object (the keyslots it has now), then its genesis entry chained to `prevHash` (a later
   * generation: the SHA-256 of the previous generation's last entry). Entries sealed for an
   * earlier generation and not yet confirmed are dropped: the first push of this one sends every page.
   */
  async #startGeneration(generation: number, replicaId: Uint8Array, prevHash: Uint8Array): Promise<void> {
    const { container } = internals(this.#db);
    const deviceId = this.#local?.deviceId ?? randomBytes(ID_SIZE);
    const now = this.#o.now();
    // The keyslots the keys object gets: read now, as createGeneration does (one changed during the upload goes with the next push).
    const keysSent = keyslotsOf(container.header);
    const { r, log, hash } = await createGeneration(this.#o.store, this.#o.prefix, generation, this.#db, encodePages(container.blockSize, 0, []), now, replicaId, { prevHash, deviceId, resume: true });
    this.#remote = { r, log, pageSize: container.blockSize, pageCount: 0, hashes: new Map(), tip: { seq: 0, hash }, snapshots: [], oldestEntry: 0 };
    this.#inflight = null;
    this.#keysInflight = null;
    this.#keysSent = keysSent;
    this.#rekeyed = false;
    this.#retired = false;
    this.#local = { replicaId, deviceId, generation, seq: 0, hash };
    this.#remember();
    this.#set({ generation, lastPushedSeq: 0, lastPushedAt: now });
  }

  /**
   * Pushes one entry with the pages that changed; false when the bucket already holds everything.
   * An entry that gets a snapshot is an `image` entry: its chunks (uploaded in parallel) are the
   * snapshot, the manifest follows the entry — every page goes up once.
   */
  async #pushOnce(): Promise<boolean> {
    const remote = this.#remote!;
    if (!this.#inflight) {
      const sealed = await this.#sealNext(remote);
      if (!sealed) return false;
      this.#inflight = sealed;
      this.#set({ pendingBytes: sealed.bytes.length + (sealed.snapshot?.sealed.chunks.reduce((n, c) => n + c.length, 0) ?? 0) });
    }
    const f = this.#inflight;
    if (!f.appended) {
      // Everything the entry references is durable before the entry: no entry without its chunks.
      if (f.snapshot) await putChunks(remote.r, f.snapshot.sealed);
      await this.#checkTip(remote, f.snapshot?.sealed);
      const res = await remote.log.append(f.seq, f.bytes);
      if (!res.appended) throw new CipherliteError('REPLICA_FORK', `another writer took log position ${f.seq}: two devices write this replica`);
      f.appended = true;
      remote.tip = { seq: f.seq, hash: res.hash };
      if (f.full) remote.hashes = f.hashes;
      else for (const [pgno, h] of f.hashes) remote.hashes.set(pgno, h);
      for (let pgno = f.pageCount + 1; pgno <= remote.pageCount; pgno++) remote.hashes.delete(pgno);
      remote.pageCount = f.pageCount;
      this.#local = { ...this.#local!, seq: f.seq, hash: res.hash };
      this.#remember();
      this.#set({ lastPushedSeq: f.seq, lastPushedAt: this.#o.now(), pendingCommits: Math.max(0, this.#status.pendingCommits - f.commits) });
    }
    if (f.snapshot) {
      // A manifest that fails is retried by the next push (the entry alone already restores).
      await remote.r.store.put(manifestName(remote.r.prefix, remote.r.generation, f.seq), f.snapshot.manifest);
      remote.snapshots.push({ seq: f.seq, time: f.time });
      this.#inflight = null;
      await this.#retain(f.time);
    }
    this.#inflight = null;
    this.#set({ pendingBytes: 0 });
    return this.#status.pendingCommits > 0;
  }

  /** Reads the committed pages and seals the next entry; null when the bucket holds them already. */
  async #sealNext(remote: Remote): Promise<SealedEntry | null> {
    const commits = this.#status.pendingCommits;
    const last = remote.snapshots.length ? remote.snapshots[remote.snapshots.length - 1]!.seq : 0;
    // A new generation's first entry holds every page: it gets a snapshot at once.
    const snapshotDue = remote.tip.seq + 1 - last >= this.#o.snapshotEvery || (remote.r.generation > 0 && remote.snapshots.length === 0);
    const took: { ran: boolean; dirty: Set<number> | null } = { ran: false, dirty: null };
    let read: PageRead;
    try {
      read = await readPages(this.#db, (pageCount) => {
        // Swapped inside the read transaction: a page written after it lands in the new set.
        Object.assign(took, { ran: true, dirty: this.#dirty });
        this.#dirty = new Set();
        if (took.dirty === null) return null;
        // A snapshot due reads every page — once a page was written since the last read: with
        // none, the bucket holds this state already, and the snapshot waits for the next change.
        if (snapshotDue && (took.dirty.size > 0 || pageCount !== remote.pageCount)) return null;
        const wanted = new Set(took.dirty);
        for (let pgno = remote.pageCount + 1; pgno <= pageCount; pgno++) wanted.add(pgno);
        return wanted;
      });
    } catch (e) {
      this.#untake(took);
      throw e;
    }
    try {
      if (read.pageSize !== remote.pageSize) throw new CipherliteError('UNSUPPORTED', `the database's page size (${read.pageSize}) is not the replica's (${remote.pageSize})`);
      const sealed = await sealEntry(remote.r, { ...remote, read, snapshotDue, commits, deviceId: this.#local!.deviceId, time: this.#o.now() });
      if (!sealed) this.#set({ pendingCommits: Math.max(0, this.#status.pendingCommits - commits) });
      return sealed;
    } catch (e) {
      this.#untake(took);
      throw e;
    } finally {
      wipeRead(read);
    }
  }

  /** A read that sealed no entry (it failed, or its sealing did): the pages it took are still to be read next time. */
  #untake(took: { ran: boolean; dirty: Set<number> | null }): void {
    if (took.ran) this.#dirty = took.dirty && this.#dirty ? new Set([...took.dirty, ...this.#dirty]) : null;
  }

  /** The entry this device pushed last must still be there: a bucket rolled back since would otherwise accept the next position again. */
  async #checkTip(remote: Remote, uploaded?: SealedSnapshot): Promise<void> {
    if (await remote.r.store.head(entryName(remote.r.prefix, remote.r.generation, remote.tip.seq))) return;
    const refused = new CipherliteError('REPLICA_ROLLBACK', `replica log entry ${remote.tip.seq}, pushed by this device, is gone from the bucket: rolled back or deleted`);
    // The chunks just uploaded for the next entry: no entry will name them.
    if (uploaded) await deleteUploadedChunks(remote.r, uploaded, refused);
    throw refused;
  }

  /** The retention policy after a snapshot: older snapshots and entries, then superseded generations. */
  async #retain(now: number): Promise<void> {
    const remote = this.#remote!;
    const kept = await applyRetention(remote.r, remote.snapshots, remote.oldestEntry, this.#o.retention, now);
    remote.snapshots = kept.kept;
    remote.oldestEntry = kept.oldestEntry;
    if (!this.#retired) this.#retired = await retireOldGenerations(remote.r, remote.snapshots[0]?.time ?? null, this.#o.retention, now);
  }

  /** After a rekey: generation + 1 under keys from the new data key, chained to the last entry of the previous one. */
  async #newGeneration(): Promise<void> {
    const prev = this.#remote!;
    await this.#startGeneration(prev.r.generation + 1, prev.r.replicaId, prev.tip.hash);
  }

  /**
   * A keyslot change (changePassword, a recovery key or passkey added or removed) since the header
   * the bucket holds: appends a `keys` entry with the new header, then uploads it as the keys
   * object a new device opens (docs/REPLICA.md "Keyslot changes").
   */
  async #pushKeys(): Promise<void> {
    const remote = this.#remote!;
    const { container } = internals(this.#db);
    if (!this.#keysInflight) {
      const slots = keyslotsOf(container.header);
      if (this.#keysSent && equal(slots, this.#keysSent)) return;
      const header = encodeMainHeader(bucketHeader(container.header), deriveHeaderMacKey(container.dek, container.fileId));
      const seq = remote.tip.seq + 1;
      const bytes = remote.log.seal(seq, { prevHash: remote.tip.hash, deviceId: this.#local!.deviceId, time: this.#o.now(), kind: 'keys', payload: header });
      this.#keysInflight = { seq, bytes, header, slots };
    }
    const k = this.#keysInflight;
    await this.#checkTip(remote);
    const res = await remote.log.append(k.seq, k.bytes);
    if (!res.appended) throw new CipherliteError('REPLICA_FORK', `another writer took log position ${k.seq}: two devices write this replica`);
    remote.tip = { seq: k.seq, hash: res.hash };
    this.#local = { ...this.#local!, seq: k.seq, hash: res.hash };
    this.#remember();
    this.#set({ lastPushedSeq: k.seq, lastPushedAt: this.#o.now() });
    const r = remote.r;
    await r.store.put(
      keysCopyName(r.prefix, r.generation, k.seq),
      encodeKeysObject(writeEnvelope('keys', position(r, k.seq), new Uint8Array(12)), k.header, replicaKey(r.dek, r.generationId, 'keys-mac')),
    );
    this.#keysInflight = null;
    this.#keysSent = k.slots;
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
  const replica = new Replica(db, o);
  replica.pushNow().catch(() => undefined); // the status carries the outcome; retries are scheduled
  return replica;
}
