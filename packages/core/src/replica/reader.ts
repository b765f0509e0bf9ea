/**
 * Reading a replica: unlock its keys object with one of the database's secrets, list a
 * generation, read entries and snapshots with every link checked, and rebuild the page state at a
 * chosen position. Restore, verify and the writer's start-up all go through here, so a hostile
 * bucket meets the same checks everywhere (docs/REPLICA.md "What is checked").
 */
import { openKeyslots, type SlotSecret, wipeKekCache } from '../container/keyslots.js';
import { deriveHeaderMacKey } from '../crypto/subkeys.js';
import { CipherliteError } from '../errors.js';
import { decodeMainHeaderCopy, verifyMainHeaderMac, type MainHeader } from '../format/main-header.js';
import type { Pacer } from '../keys/cancel.js';
import { headerChallenges, type PasskeyChallenge } from '../keys/passkey-challenges.js';
import { chunkName, decodeEntry, entryName, keysCopyName, equal, generationDir, keysName, manifestName, open, replicaKey, seqOf, ZERO_HASH, type Entry, type Position } from './format.js';
import { listAll, type ObjectStore } from './object-store.js';
import { applyPages, checkKeysObjectMac, decodeImage, decodeManifest, PAGES_PER_CHUNK, splitGenesis, splitKeysObject, type ChunkList, type Manifest, type PageState } from './payloads.js';
import { hashBulk, inParallel, openBulk, TRANSFER_CONCURRENCY } from './transfer.js';

export interface OpenedReplica {
  store: ObjectStore;
  prefix: string;
  generation: number;
  generationId: Uint8Array;
  replicaId: Uint8Array;
  dek: Uint8Array;
  logKey: Uint8Array;
  snapKey: Uint8Array;
}

/** The last position a device saw: what lets it recognise a bucket rolled back or forked under it. */
export interface KnownTip {
  generation: number;
  seq: number;
  hash: Uint8Array;
}

export interface Listing {
  entries: number[];
  /** Snapshot seqs with a manifest, ascending. */
  snapshots: number[];
  /** Every object name with its size. */
  objects: { key: string; size: number }[];
}

export const position = (r: Pick<OpenedReplica, 'replicaId' | 'generationId' | 'generation'>, seq: number, index = 0, count = 0): Position => ({
  replicaId: r.replicaId,
  generationId: r.generationId,
  generation: r.generation,
  seq,
  index,
  count,
});

/** The highest generation that has a keys object, or null for an empty prefix. */
export async function currentGeneration(store: ObjectStore, prefix: string, signal?: AbortSignal): Promise<number | null> {
  let best: number | null = null;
  for (const { key } of await listAll(store, `${prefix}/g/`, signal)) {
    const m = /\/g\/([0-9a-f]{8})\/keys$/.exec(key);
    if (m) best = Math.max(best ?? 0, parseInt(m[1]!, 16));
  }
  return best;
}

/** Unlocks the current generation's keys object with `secret` (WRONG_KEY when no keyslot opens). */
export async function openReplica(store: ObjectStore, prefix: string, secret: SlotSecret, signal?: AbortSignal): Promise<OpenedReplica> {
  return (await openReplicaWithHeader(store, prefix, secret, signal)).replica;
}

/**
 * openReplica, with the database header the keys object holds (its keyslots: what a restore
 * keeps). `generation`: an older generation instead of the current one (REPLICA_MISSING when
 * retention deleted it, or it never existed).
 */
export async function openReplicaWithHeader(
  store: ObjectStore,
  prefix: string,
  secret: SlotSecret,
  signal?: AbortSignal,
  generation?: number,
): Promise<{ replica: OpenedReplica; header: MainHeader }> {
  const { seq, name, bytes, header } = await fetchKeys(store, prefix, signal, generation);
  const cache = new Map<string, Uint8Array>();
  let opened;
  try {
    opened = await openKeyslots(header.keyslots, header.fileId, secret, cache);
  } finally {
    wipeKekCache(cache);
  }
  if (!opened) throw new CipherliteError('WRONG_KEY', 'wrong password or key for this replica');
  const replica = bindKeys(store, prefix, splitKeysObject(bytes, name).position.generation, seq, name, bytes, opened.dek);
  await checkKeysEntry(replica, seq, bytes, signal);
  return { replica, header };
}

/**
 * The passkey slots (credential ids and salts) of the keys object of the current generation, or
 * of `generation`, read without a key: what a browser asks the authenticator for before it opens
 * the replica with a passkey. Public data, and not yet authenticated: challenges a bucket forged
 * give a PRF output that opens nothing (WRONG_KEY). NO_PASSKEY when there is none.
 */
export async function keysPasskeyChallenges(store: ObjectStore, prefix: string, generation?: number, signal?: AbortSignal): Promise<PasskeyChallenge[]> {
  return headerChallenges([(await fetchKeys(store, prefix, signal, generation)).header]);
}

/** Opens the current generation with a data key already known (the writing database's), with the newest header the bucket holds. */
export async function openReplicaWithKey(store: ObjectStore, prefix: string, dek: Uint8Array, signal?: AbortSignal): Promise<{ replica: OpenedReplica; header: MainHeader } | null> {
  if ((await currentGeneration(store, prefix, signal)) === null) return null;
  const { generation, seq, name, bytes, header } = await fetchKeys(store, prefix, signal);
  const replica = bindKeys(store, prefix, generation, seq, name, bytes, dek);
  await checkKeysEntry(replica, seq, bytes, signal);
  return { replica, header };
}

/**
 * A keys object re-uploaded at `seq` must be what the `keys` log entry at `seq` holds, while the
 * bucket still holds that entry (retention may have deleted it; the object's MAC binds it to its
 * position either way).
 */
async function checkKeysEntry(r: OpenedReplica, seq: number, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
  if (seq === 0 || !(await r.store.head(entryName(r.prefix, r.generation, seq)))) return;
  const { entry } = await readEntry(r, seq, signal);
  const name = keysCopyName(r.prefix, r.generation, seq);
  if (entry.kind !== 'keys' || !equal(entry.payload, splitKeysObject(bytes, name).header)) {
    throw new CipherliteError('REPLICA_REORDERED', `replica keys object ${name} is not the one the log entry at seq ${seq} uploaded`, { object: name });
  }
}

/** The generation's newest keys object: the last one a keyslot change uploaded, else the first (seq 0). */
async function fetchKeys(store: ObjectStore, prefix: string, signal?: AbortSignal, wanted?: number): Promise<{ generation: number; seq: number; name: string; bytes: Uint8Array; header: MainHeader }> {
  const current = await currentGeneration(store, prefix, signal);
  if (current === null) throw new CipherliteError('REPLICA_MISSING', `no replica under prefix "${prefix}" (no keys object)`);
  const generation = wanted ?? current;
  if (!Number.isInteger(generation) || generation < 0 || generation > current)
    throw new CipherliteError('REPLICA_MISSING', `generation ${generation} is not in the replica under "${prefix}" (newest: ${current})`);
  if (generation < current && !(await store.head(keysName(prefix, generation), signal ? { signal } : {}))) {
    throw new CipherliteError('REPLICA_MISSING', `generation ${generation} of the replica under "${prefix}" is gone: deleted by the retention policy once generation ${current} superseded it`, {
      generation,
    });
  }
  const dir = `${generationDir(prefix, generation)}/keyslots`;
  let seq = 0;
  for (const { key } of await listAll(store, `${dir}/`, signal)) {
    const at = seqOf(key, dir);
    if (at !== null && key === keysCopyName(prefix, generation, at)) seq = Math.max(seq, at);
  }
  const name = seq === 0 ? keysName(prefix, generation) : keysCopyName(prefix, generation, seq);
  const bytes = await store.get(name, signal ? { signal } : {});
  if (!bytes) throw new CipherliteError('REPLICA_MISSING', `replica keys object ${name} is missing`, { object: name });
  const decoded = decodeMainHeaderCopy(splitKeysObject(bytes, name).header);
  if (!decoded.ok) throw new CipherliteError('REPLICA_CORRUPT', `replica keys object ${name}: ${decoded.reason}`, { object: name });
  return { generation, seq, name, bytes, header: decoded.header };
}

/** Checks the keys object under `dek` (header MAC, then the replica MAC) and derives the generation's keys. */
export function bindKeys(store: ObjectStore, prefix: string, generation: number, seq: number, name: string, bytes: Uint8Array, dek: Uint8Array): OpenedReplica {
  const { position: p, header } = splitKeysObject(bytes, name);
  const decoded = decodeMainHeaderCopy(header);
  if (!decoded.ok || !verifyMainHeaderMac(header, deriveHeaderMacKey(dek, decoded.header.fileId))) {
    throw new CipherliteError('REPLICA_FOREIGN', `replica keys object ${name} does not belong to this database (or was replaced)`, { object: name });
  }
  checkKeysObjectMac(bytes, replicaKey(dek, p.generationId, 'keys-mac'), name);
  if (p.generation !== generation || p.seq !== seq)
    throw new CipherliteError('REPLICA_REORDERED', `replica keys object ${name} was written for generation ${p.generation}, seq ${p.seq}`, { object: name });
  return {
    store,
    prefix,
    generation,
    generationId: p.generationId,
    replicaId: p.replicaId,
    dek,
    logKey: replicaKey(dek, p.generationId, 'log'),
    snapKey: replicaKey(dek, p.generationId, 'snapshot'),
  };
}

export async function listGeneration(r: OpenedReplica, signal?: AbortSignal): Promise<Listing> {
  const dir = generationDir(r.prefix, r.generation);
  const objects = await listAll(r.store, `${dir}/`, signal);
  const entries: number[] = [];
  const snapshots: number[] = [];
  for (const { key } of objects) {
    const e = seqOf(key, `${dir}/log`);
    if (e !== null && key === entryName(r.prefix, r.generation, e)) entries.push(e);
    const s = seqOf(key, `${dir}/snap`);
    if (s !== null && key === manifestName(r.prefix, r.generation, s)) snapshots.push(s);
  }
  return { entries: entries.sort((a, b) => a - b), snapshots: snapshots.sort((a, b) => a - b), objects };
}

export interface ReadEntry {
  entry: Entry;
  hash: Uint8Array;
  bytes: Uint8Array;
}

export async function readEntry(r: OpenedReplica, seq: number, signal?: AbortSignal): Promise<ReadEntry> {
  const name = entryName(r.prefix, r.generation, seq);
  const bytes = await r.store.get(name, signal ? { signal } : {});
  if (!bytes) throw new CipherliteError('REPLICA_MISSING', `replica log entry ${name} is missing`, { object: name });
  return { entry: decodeEntry(await openBulk('entry', bytes, name, position(r, seq), r.logKey), name), hash: await hashBulk(bytes), bytes };
}

/**
 * Entries `from`..`to` in order, with up to TRANSFER_CONCURRENCY GETs in flight ahead of the one
 * the caller is at (memory: that many entries). A failed GET surfaces when its turn comes.
 */
export async function* readEntries(r: OpenedReplica, from: number, to: number, signal?: AbortSignal): AsyncGenerator<ReadEntry & { seq: number }> {
  const ahead: Promise<ReadEntry>[] = [];
  let next = from;
  for (let seq = from; seq <= to; seq++) {
    while (next <= to && ahead.length < TRANSFER_CONCURRENCY) {
      const p = readEntry(r, next++, signal);
      p.catch(() => undefined); // awaited in its turn; a caller that stops early leaves it unobserved
      ahead.push(p);
    }
    yield { ...(await ahead.shift()!), seq };
  }
}

/**
 * The pages held by the chunks of the snapshot directory at `seq`, each chunk checked against
 * `list` (REPLICA_REORDERED for another object): fetched and opened TRANSFER_CONCURRENCY at a time.
 * `by` is the object that lists the chunks (a manifest or an `image` entry), named in messages.
 */
async function readChunks(r: OpenedReplica, seq: number, list: ChunkList, by: { kind: string; name: string }, pacer?: Pacer, signal?: AbortSignal): Promise<PageState> {
  const listed = `${by.kind} ${by.name}`;
  const state: PageState = { pageSize: list.pageSize, pageCount: list.pageCount, pages: new Map() };
  const count = list.chunkHashes.length;
  if (count !== Math.ceil(list.pageCount / PAGES_PER_CHUNK)) throw new CipherliteError('REPLICA_CORRUPT', `${listed} lists ${count} chunks for ${list.pageCount} pages`, { object: by.name });
  await inParallel(
    Array.from({ length: count }, (_, i) => i),
    TRANSFER_CONCURRENCY,
    async (i) => {
      const name = chunkName(r.prefix, r.generation, seq, i);
      const bytes = await r.store.get(name, signal ? { signal } : {});
      if (!bytes) throw new CipherliteError('REPLICA_MISSING', `snapshot chunk ${name} is missing`, { object: name });
      const body = await openBulk('chunk', bytes, name, position(r, seq, i, count), r.snapKey);
      if (!equal(await hashBulk(bytes), list.chunkHashes[i]!)) throw new CipherliteError('REPLICA_REORDERED', `snapshot chunk ${name} is not the one ${listed} lists`, { object: name });
      const first = i * PAGES_PER_CHUNK + 1;
      const n = Math.min(PAGES_PER_CHUNK, list.pageCount - first + 1);
      for (let k = 0; k < n; k++) state.pages.set(first + k, body.subarray(k * list.pageSize, (k + 1) * list.pageSize));
      await pacer?.tick();
    },
  );
  return state;
}

/** The whole database an `image` entry at `seq` stands for (its pages are the chunks under its seq). */
export function readImage(r: OpenedReplica, seq: number, payload: Uint8Array, pacer?: Pacer, signal?: AbortSignal): Promise<PageState> {
  const name = entryName(r.prefix, r.generation, seq);
  return readChunks(r, seq, decodeImage(payload, name), { kind: 'replica log entry', name }, pacer, signal);
}

/** A snapshot's manifest and page state; every chunk's hash is checked against the manifest. */
export async function readSnapshot(r: OpenedReplica, seq: number, pacer?: Pacer, signal?: AbortSignal): Promise<{ manifest: Manifest; state: PageState }> {
  const manifest = await readManifest(r, seq, signal);
  const state = await readChunks(r, seq, manifest, { kind: 'snapshot manifest', name: manifestName(r.prefix, r.generation, seq) }, pacer, signal);
  return { manifest, state };
}

/** The snapshot manifest at `seq`, opened and bound to its position. */
async function readManifest(r: OpenedReplica, seq: number, signal?: AbortSignal): Promise<Manifest> {
  const mName = manifestName(r.prefix, r.generation, seq);
  const mBytes = await r.store.get(mName, signal ? { signal } : {});
  if (!mBytes) throw new CipherliteError('REPLICA_MISSING', `snapshot manifest ${mName} is missing`, { object: mName });
  return decodeManifest(open('manifest', mBytes, mName, position(r, seq), r.snapKey), mName);
}

export interface ReadStateOptions {
  /** Stop at this seq (default: the tip). */
  seq?: number;
  /** Stop at the last entry written at or before this time (ms since the epoch). */
  time?: number;
  known?: KnownTip | null;
  onEntry?: (done: number, total: number) => void;
  pacer?: Pacer;
  signal?: AbortSignal;
  /** Accept a multi-writer (sync) generation: its genesis state is returned, its logical entries are checked but not applied. */
  multiWriter?: boolean;
}

export interface ReplicaState {
  state: PageState;
  tip: { seq: number; hash: Uint8Array; time: number };
  listing: Listing;
  /** The generation is multi-writer (docs/REPLICA.md "Generations"). */
  multiWriter: boolean;
}

/**
 * The page state after entry `target`: the newest snapshot at or before it, then every entry up
 * to it, each chained to the one before. REPLICA_MISSING for a gap, REPLICA_ROLLBACK /
 * REPLICA_FORK when the bucket contradicts `known`.
 */
export async function readState(r: OpenedReplica, o: ReadStateOptions = {}): Promise<ReplicaState> {
  const listing = await listGeneration(r, o.signal);
  const { entries } = listing;
  if (entries.length === 0) throw new CipherliteError('REPLICA_MISSING', `generation ${r.generation} has no log entries`);
  const tip = entries[entries.length - 1]!;
  entries.forEach((seq, i) => {
    if (i > 0 && seq !== entries[i - 1]! + 1) {
      throw new CipherliteError('REPLICA_MISSING', `replica log entry ${entryName(r.prefix, r.generation, entries[i - 1]! + 1)} is missing (a gap in the log)`);
    }
  });
  if (o.known && o.known.generation === r.generation && o.known.seq > tip) {
    throw new CipherliteError('REPLICA_ROLLBACK', `the bucket's log ends at seq ${tip}, but this device already saw seq ${o.known.seq}: rolled back or truncated`);
  }
  if (o.known && o.known.generation > r.generation) {
    throw new CipherliteError('REPLICA_ROLLBACK', `the bucket's newest generation is ${r.generation}, but this device already saw generation ${o.known.generation}`);
  }
  const target = Math.min(o.seq ?? tip, tip);
  if (target < entries[0]!) throw new CipherliteError('REPLICA_MISSING', `seq ${target} is older than the retained log (oldest: ${entries[0]})`);
  const candidates = listing.snapshots.filter((s) => s <= target && s >= entries[0]!);
  let snap = candidates.pop();
  // A point in time: the newest snapshot taken at or before it (a newer one already holds later commits).
  while (o.time !== undefined && snap !== undefined && (await readManifest(r, snap, o.signal)).time > o.time) snap = candidates.pop();
  let state: PageState = { pageSize: 0, pageCount: 0, pages: new Map() };
  let manifest: Manifest | null = null;
  let from = entries[0]!;
  if (snap !== undefined) {
    ({ manifest, state } = await readSnapshot(r, snap, o.pacer, o.signal));
    from = snap;
    if (o.time !== undefined && manifest.time > o.time) throw new CipherliteError('REPLICA_MISSING', 'the requested time is older than the retained history');
  } else if (from !== 0) {
    if (o.time !== undefined) throw new CipherliteError('REPLICA_MISSING', 'the requested time is older than the retained history');
    throw new CipherliteError('REPLICA_MISSING', `the log starts at seq ${from} and no snapshot covers it (genesis and snapshots deleted)`);
  }
  let prev: Uint8Array | null = null;
  let multiWriter = false;
  let last: { seq: number; hash: Uint8Array; time: number } = { seq: from, hash: ZERO_HASH, time: 0 };
  const checkKnown = (seq: number, hash: Uint8Array): void => {
    if (o.known && o.known.generation === r.generation && o.known.seq === seq && !equal(o.known.hash, hash)) {
      throw new CipherliteError('REPLICA_FORK', `replica log entry at seq ${seq} differs from the one this device saw: another history was written`);
    }
  };
  for await (const { seq, entry, hash } of readEntries(r, from, target, o.signal)) {
    const name = entryName(r.prefix, r.generation, seq);
    // Genesis of generation 0 starts the chain; a later generation's is chained to the previous one's last entry.
    if (seq === 0 && (entry.kind !== 'genesis' || (r.generation === 0 && !equal(entry.prevHash, ZERO_HASH))))
      throw new CipherliteError('REPLICA_CORRUPT', `replica log entry ${name} is not a genesis entry`, { object: name });
    if (prev && !equal(entry.prevHash, prev)) throw new CipherliteError('REPLICA_FORK', `replica log entry ${name} does not follow the entry before it (broken chain)`, { object: name });
    if (seq === snap && !equal(hash, manifest!.entryHash)) throw new CipherliteError('REPLICA_REORDERED', `snapshot ${seq} was not taken at the log entry now at ${name}`, { object: name });
    checkKnown(seq, hash);
    if (o.time !== undefined && seq > from && entry.time > o.time) break;
    multiWriter = checkMode(entry, name, multiWriter, o.multiWriter === true);
    if (seq !== snap && entry.kind === 'genesis') applyPages(state, splitGenesis(entry.payload).pages, name);
    if (seq !== snap && entry.kind === 'pages') applyPages(state, entry.payload, name);
    // An image whose manifest is not there (cut off before it): its chunks, checked against the entry.
    if (seq !== snap && entry.kind === 'image') state = await readImage(r, seq, entry.payload, o.pacer, o.signal);
    prev = hash;
    last = { seq, hash, time: entry.time };
    o.onEntry?.(seq - from + 1, target - from + 1);
    await o.pacer?.tick();
  }
  // A known position outside the entries read (past the target, or before the snapshot) is
  // checked directly while the bucket still holds it.
  const k = o.known;
  if (k && k.generation === r.generation && (k.seq > last.seq || k.seq < from) && entries.includes(k.seq)) checkKnown(k.seq, (await readEntry(r, k.seq, o.signal)).hash);
  return { state, tip: last, listing, multiWriter };
}

/**
 * A generation is single-writer (`pages` entries) or multi-writer (a marked genesis, then
 * `changeset`/`schema`/`device` entries), never both; REPLICA_MODE when it is not the kind the
 * caller reads, REPLICA_CORRUPT when it mixes them. Returns whether it is multi-writer.
 */
function checkMode(entry: Entry, name: string, multiWriter: boolean, acceptMultiWriter: boolean): boolean {
  const logical = entry.kind === 'changeset' || entry.kind === 'schema' || entry.kind === 'device' || (entry.kind === 'genesis' && splitGenesis(entry.payload).multiWriter);
  if (logical && !acceptMultiWriter) {
    throw new CipherliteError('REPLICA_MODE', `replica log entry ${name} belongs to a multi-writer (sync) generation: join it with joinSyncReplica`, { object: name });
  }
  if ((entry.kind === 'pages' || entry.kind === 'image') && multiWriter)
    throw new CipherliteError('REPLICA_CORRUPT', `replica log entry ${name} holds pages in a multi-writer generation`, { object: name });
  return multiWriter || logical;
}
