/**
 * Sync's ordered log on the replica (docs/SYNC.md "On a replica", docs/REPLICA.md "Generations"):
 * a multi-writer generation whose genesis holds the agreed starting state and whose entries
 * 1, 2, 3 … are sync's `changeset`, `schema` and `device` entries, each sealed like every replica object
 * (AES-256-GCM, bound to the database, generation and position), hash-chained to the entry
 * before it and created with a conditional PUT (`If-None-Match: *`; 412 = another device got the
 * position = 'taken').
 *
 * Every entry read is checked: its position (envelope), authenticity (GCM), its link to the entry
 * before it, and — for positions this device has already seen — that it is the same entry as
 * then. So a bucket that forks (shows two devices different histories), rolls back, replays or
 * swaps in another database's entries ends in a typed REPLICA_* error the moment this device's
 * log meets the other history; nothing is merged. The last position checked is kept sealed beside
 * the database (replica/local-state.ts), so the check survives a restart.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '../crypto/random.js';
import type { Database } from '../database/database.js';
import { internals } from '../database/internals.js';
import { CipherliteError } from '../errors.js';
import { exportPlaintext } from '../keys/plaintext.js';
import { equal, ID_SIZE, type Entry } from '../replica/format.js';
import { createGeneration } from '../replica/generation.js';
import { readLocalState, writeLocalState, type LocalReplicaState } from '../keys/replica-state.js';
import { ReplicaLog } from '../replica/log.js';
import type { ObjectStore } from '../replica/object-store.js';
import { resolveTarget, type ReplicaTarget } from '../replica/options.js';
import { diffPages } from '../replica/pages.js';
import { encodePages, SYNC_GENESIS_MARK } from '../replica/payloads.js';
import { currentGeneration, openReplicaWithKey, readEntries, readEntry, type OpenedReplica } from '../replica/reader.js';
import { KIND_CHANGESET, KIND_DEVICE, KIND_DEVICE_REMOVED, KIND_SCHEMA } from './codec.js';
import type { AppendResult, LogEntry, LogRecord, SyncLog } from './log.js';

/** Device ids travel inside the encrypted payload: u8 length ‖ UTF-8 id ‖ sync entry. */
const MAX_DEVICE_ID = 255;

export interface SyncReplicaOptions {
  /** Injected clock for entry times (ms since the epoch). */
  now?: () => number;
}

/**
 * Checks that `store` honours `If-None-Match: *`: a probe object is created, created again
 * (must be refused) and deleted. REPLICA_UNSUPPORTED when the second create succeeds: on such a
 * store two devices would overwrite each other's log entries, so multi-writer sync is refused.
 */
export async function probeConditionalWrites(store: ObjectStore, prefix: string): Promise<void> {
  const name = `${prefix}/probe/${Array.from(randomBytes(16), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const body = randomBytes(16);
  let first;
  let second;
  try {
    first = await store.put(name, body, { ifNoneMatch: true });
    second = await store.put(name, randomBytes(16), { ifNoneMatch: true });
  } finally {
    await store.delete(name);
  }
  if (first !== 'created' || second !== 'taken') {
    throw new CipherliteError('REPLICA_UNSUPPORTED', 'the object store does not honour conditional writes (If-None-Match: *): multi-writer sync would let devices overwrite each other');
  }
}

/**
 * Starts a multi-writer generation of `db`'s replica: the next generation under the prefix, its
 * genesis holding `db` as it is now (the agreed state every device starts from). `db` must not
 * have sync enabled yet: enable it afterwards with the returned log.
 */
export async function createSyncReplica(db: Database, target: ReplicaTarget, options: SyncReplicaOptions = {}): Promise<ReplicaSyncLog> {
  const { store, prefix } = resolveTarget(target);
  const i = internals(db);
  i.requireRollbackJournal('a sync replica');
  const enabled = await db.query(`SELECT 1 FROM sqlite_schema WHERE name = '_cipherlite_sync_state'`);
  if (enabled.length) throw new CipherliteError('INVALID_ARGUMENT', 'createSyncReplica: sync is already enabled on this database; start the replica from a database before enableSync');
  await probeConditionalWrites(store, prefix);
  const now = options.now ?? Date.now;
  const current = await currentGeneration(store, prefix);
  const previous = current === null ? null : ((await openReplicaWithKey(store, prefix, await replicaKeyOf(db)))?.replica ?? null);
  const image = await exportPlaintext(db);
  const pageSize = i.container.blockSize;
  const { changed, pageCount } = diffPages(image, pageSize, new Map());
  const pages = encodePages(pageSize, pageCount, changed);
  image.fill(0);
  const genesis = new Uint8Array(pages.length + SYNC_GENESIS_MARK.length);
  genesis.set(pages);
  genesis.set(SYNC_GENESIS_MARK, pages.length);
  const created = await createGeneration(store, prefix, current === null ? 0 : current + 1, db, genesis, now(), previous?.replicaId);
  genesis.fill(0);
  pages.fill(0);
  const log = new ReplicaSyncLog(created.r, [created.hash], remembering(db, created.r), now);
  log.remember();
  return log;
}

/**
 * The sync log of a device that holds the database already (the one that created the replica,
 * or one that joined with joinSyncReplica): probes conditional writes, then reads and checks the
 * whole generation against the position this device remembers.
 */
export async function openSyncReplica(db: Database, target: ReplicaTarget, options: SyncReplicaOptions = {}): Promise<ReplicaSyncLog> {
  const { store, prefix } = resolveTarget(target);
  await probeConditionalWrites(store, prefix);
  const r = (await openReplicaWithKey(store, prefix, await replicaKeyOf(db)))?.replica;
  if (!r) throw new CipherliteError('REPLICA_MISSING', `no replica under prefix "${prefix}"`);
  const { container } = internals(db);
  const known = readLocalState(db.storage, db.name, container.dek, container.fileId);
  if (known && !equal(known.replicaId, r.replicaId)) throw new CipherliteError('REPLICA_FOREIGN', `the replica under "${prefix}" is not the one this device syncs with`);
  if (known && known.generation > r.generation) {
    throw new CipherliteError('REPLICA_ROLLBACK', `the bucket's newest generation is ${r.generation}, but this device already saw generation ${known.generation}`);
  }
  const log = new ReplicaSyncLog(r, [], remembering(db, r), options.now ?? Date.now);
  await log.verify(known && known.generation === r.generation ? known : null);
  return log;
}

/** Where a joined device keeps the replica's data key (its own database has another): inside the encrypted database. */
export const REPLICA_KEY_TABLE = '_cipherlite_sync_replica';

/** The data key of the replica `db` syncs with: the one kept at join, else the database's own (the device that created it). */
async function replicaKeyOf(db: Database): Promise<Uint8Array> {
  const table = await db.query(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`, [REPLICA_KEY_TABLE]);
  const rows = table.length ? await db.query<{ dek: Uint8Array }>(`SELECT dek FROM ${REPLICA_KEY_TABLE} WHERE id = 1`) : [];
  return rows[0]?.dek ?? internals(db).container.dek;
}

function remembering(db: Database, r: OpenedReplica): (seq: number, hash: Uint8Array) => void {
  const { container } = internals(db);
  const deviceId = readLocalState(db.storage, db.name, container.dek, container.fileId)?.deviceId ?? randomBytes(ID_SIZE);
  return (seq, hash) => {
    const s: LocalReplicaState = { replicaId: r.replicaId, deviceId, generation: r.generation, seq, hash };
    writeLocalState(db.storage, db.name, container.dek, container.fileId, s);
  };
}

export class ReplicaSyncLog implements SyncLog {
  readonly #r: OpenedReplica;
  readonly #log: ReplicaLog;
  /** `#hashes[seq]`: the hash of every entry this device has checked, from genesis (seq 0) on. */
  readonly #hashes: Uint8Array[];
  readonly #remember: (seq: number, hash: Uint8Array) => void;
  readonly #now: () => number;

  /** Use createSyncReplica / openSyncReplica. */
  constructor(r: OpenedReplica, hashes: Uint8Array[], remember: (seq: number, hash: Uint8Array) => void, now: () => number) {
    this.#r = r;
    this.#log = new ReplicaLog(r);
    this.#hashes = hashes;
    this.#remember = remember;
    this.#now = now;
  }

  /** The generation this log is (multi-writer). */
  get generation(): number {
    return this.#r.generation;
  }

  /** True when `hash` is this generation's genesis entry as this log checked it. */
  isGenesis(hash: Uint8Array): boolean {
    return this.#hashes.length > 0 && equal(this.#hashes[0]!, hash);
  }

  /** Records the newest checked position beside the database. */
  remember(): void {
    const seq = this.#hashes.length - 1;
    this.#remember(seq, this.#hashes[seq]!);
  }

  /** Reads and checks the generation from genesis to the tip; `known` must be on it. */
  async verify(known: LocalReplicaState | null): Promise<void> {
    const tip = await this.tip();
    if (known && known.seq > tip) throw new CipherliteError('REPLICA_ROLLBACK', `the bucket's log ends at seq ${tip}, but this device already saw seq ${known.seq}: rolled back or truncated`);
    const genesis = await readEntry(this.#r, 0);
    if (genesis.entry.kind !== 'genesis' || !endsWithMark(genesis.entry.payload)) {
      throw new CipherliteError('REPLICA_MODE', `generation ${this.#r.generation} under "${this.#r.prefix}" is single-writer (a replica of one device), not a sync log`);
    }
    this.#hashes.length = 0;
    this.#hashes.push(genesis.hash);
    await this.#readFrom(1, tip);
    if (known && !equal(this.#hashes[known.seq]!, known.hash)) {
      throw new CipherliteError('REPLICA_FORK', `replica log entry at seq ${known.seq} differs from the one this device saw: another history was written`);
    }
    this.remember();
  }

  async tip(): Promise<number> {
    const tip = await this.#log.tip();
    if (tip === null) throw new CipherliteError('REPLICA_MISSING', `generation ${this.#r.generation} has no log entries`);
    if (tip < this.#hashes.length - 1) {
      throw new CipherliteError('REPLICA_ROLLBACK', `the bucket's log ends at seq ${tip}, but this device already saw seq ${this.#hashes.length - 1}: rolled back or truncated`);
    }
    return tip;
  }

  async read(fromSeq: number): Promise<LogEntry[]> {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) throw new CipherliteError('INVALID_ARGUMENT', `read: fromSeq must be an integer ≥ 1, got ${fromSeq}`);
    const tip = await this.tip();
    // The newest entry this device saw is read again: a store that showed this device one
    // branch and now shows another (a fork meeting its other half) is caught here, at once.
    const seen = this.#hashes.length - 1;
    if (seen === 0 && !equal((await readEntry(this.#r, 0)).hash, this.#hashes[0]!)) {
      throw new CipherliteError('REPLICA_FORK', `the genesis entry of generation ${this.#r.generation} differs from the one this device saw`, { seq: 0 });
    }
    const out = await this.#readFrom(Math.max(1, Math.min(fromSeq, seen)), tip);
    this.remember();
    return out.filter((e) => e.seq >= fromSeq);
  }

  async tryAppend(seq: number, record: LogRecord): Promise<AppendResult> {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new CipherliteError('INVALID_ARGUMENT', `tryAppend: seq must be an integer ≥ 1, got ${seq}`);
    if (seq > this.#hashes.length) await this.read(this.#hashes.length);
    if (seq > this.#hashes.length) throw new CipherliteError('INVALID_ARGUMENT', `tryAppend: position ${seq} is beyond the tip + 1 (${this.#hashes.length})`);
    if (seq < this.#hashes.length) return 'taken';
    const bytes = this.#log.seal(seq, toEntry(record, this.#hashes[seq - 1]!, this.#now()));
    const res = await this.#log.append(seq, bytes);
    if (!res.appended) return 'taken';
    this.#hashes.push(res.hash);
    this.remember();
    return 'ok';
  }

  /**
   * Reads entries `from`..`tip`, each checked against what this device saw, or chained to it —
   * in order, with the next GETs already in flight (readEntries): a pull of many entries costs
   * about one round trip per TRANSFER_CONCURRENCY entries, not one per entry.
   */
  async #readFrom(from: number, tip: number): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    for await (const { entry, hash, seq } of readEntries(this.#r, from, tip)) {
      const seen = this.#hashes[seq];
      if (seen && !equal(seen, hash)) {
        throw new CipherliteError('REPLICA_FORK', `replica log entry at seq ${seq} differs from the one this device saw: the bucket shows another history`, { seq });
      }
      if (!seen) {
        if (!equal(entry.prevHash, this.#hashes[seq - 1]!)) {
          throw new CipherliteError('REPLICA_FORK', `replica log entry at seq ${seq} does not follow the entry this device saw before it: the bucket shows another history`, { seq });
        }
        this.#hashes.push(hash);
      }
      out.push(fromEntry(entry, seq));
    }
    return out;
  }
}

function endsWithMark(payload: Uint8Array): boolean {
  const tail = payload.subarray(payload.length - SYNC_GENESIS_MARK.length);
  return tail.length === SYNC_GENESIS_MARK.length && equal(tail, SYNC_GENESIS_MARK);
}

function toEntry(record: LogRecord, prevHash: Uint8Array, time: number): Entry {
  const device = new TextEncoder().encode(record.device);
  if (device.length > MAX_DEVICE_ID) throw new CipherliteError('INVALID_ARGUMENT', `sync device ids are at most ${MAX_DEVICE_ID} bytes`);
  const kind = entryKind(record.payload[1]);
  if (!kind) throw new CipherliteError('INVALID_ARGUMENT', `not a sync entry kind: ${record.payload[1]}`);
  const payload = new Uint8Array(1 + device.length + record.payload.length);
  payload[0] = device.length;
  payload.set(device, 1);
  payload.set(record.payload, 1 + device.length);
  return { prevHash, deviceId: sha256(device).slice(0, ID_SIZE), time, kind, payload };
}

/** The replica entry kind of a sync entry kind: `device` holds both device and device-removed entries. */
function entryKind(syncKind: number | undefined): Entry['kind'] | null {
  if (syncKind === KIND_CHANGESET) return 'changeset';
  if (syncKind === KIND_SCHEMA) return 'schema';
  return syncKind === KIND_DEVICE || syncKind === KIND_DEVICE_REMOVED ? 'device' : null;
}

/**
 * The sync record in an authenticated entry. An entry that authenticates but is not a well-formed
 * sync record (only a holder of the data key can write one) is handed to sync as an empty
 * payload: sync stops on it (CORRUPT) on a log without device entries and skips it (`malformed`)
 * on one with them, so a removed device cannot stop everyone's sync with it.
 */
function fromEntry(entry: Entry, seq: number): LogEntry {
  const malformed: LogEntry = { seq, device: '', payload: new Uint8Array(0) };
  if (entry.kind !== 'changeset' && entry.kind !== 'schema' && entry.kind !== 'device') return malformed;
  const n = entry.payload[0] ?? 0;
  if (entry.payload.length < 1 + n + 2) return malformed;
  const device = entry.payload.subarray(1, 1 + n);
  if (!equal(sha256(device).slice(0, ID_SIZE), entry.deviceId)) return malformed;
  const payload = entry.payload.slice(1 + n);
  if (entryKind(payload[1]) !== entry.kind) return malformed;
  return { seq, device: new TextDecoder().decode(device), payload, time: entry.time };
}
