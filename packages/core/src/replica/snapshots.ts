/**
 * Writing snapshots and applying the retention policy (docs/REPLICA.md "Snapshots",
 * "Retention"). A snapshot is written chunks first (in parallel), manifest last: a snapshot
 * without a manifest does not exist for readers, so a crash mid-snapshot leaves nothing
 * half-believed. The chunks are sealed once and kept until the store confirms each of them, so a
 * retried upload sends the same bytes and skips the chunks already there.
 */
import { CipherliteError } from '../errors.js';
import { chunkName, entryName, generationDir, keysName, manifestName, seal, snapshotDir } from './format.js';
import { listAll } from './object-store.js';
import { encodeManifest, PAGES_PER_CHUNK, type ChunkList } from './payloads.js';
import { position, type OpenedReplica } from './reader.js';
import { hashBulk, inParallel, sealBulk, TRANSFER_CONCURRENCY } from './transfer.js';

export interface RetentionPolicy {
  /** Snapshots kept (default 2, at least 1). */
  keepSnapshots: number;
  /** Snapshots younger than this many days are kept too, whatever their number (default 0). */
  keepDays: number;
  /**
   * Generations a rekey superseded: deleted once the current generation has a snapshot older
   * than `keepDays` (`'after-keepDays'`, the default), as soon as it has a snapshot
   * (`'at-once'`), or never (`'keep'`).
   */
  oldGenerations: 'after-keepDays' | 'at-once' | 'keep';
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepSnapshots: 2, keepDays: 0, oldGenerations: 'after-keepDays' };

const DAY_MS = 86_400_000;

/** A snapshot sealed and not yet (entirely) in the bucket. */
export interface SealedSnapshot extends ChunkList {
  seq: number;
  chunks: Uint8Array[];
  /** Indexes of the chunks the store confirmed. */
  sent: Set<number>;
}

/** Seals the snapshot of `image` (pages 1..n of `pageSize`) taken at entry `seq`: one pass, chunks sealed in parallel. */
export async function sealSnapshot(r: OpenedReplica, seq: number, image: Uint8Array, pageSize: number): Promise<SealedSnapshot> {
  const pageCount = image.length / pageSize;
  const count = Math.ceil(pageCount / PAGES_PER_CHUNK);
  const chunks: Uint8Array[] = new Array<Uint8Array>(count);
  const chunkHashes: Uint8Array[] = new Array<Uint8Array>(count);
  const indexes = Array.from({ length: count }, (_, i) => i);
  await inParallel(indexes, TRANSFER_CONCURRENCY, async (i) => {
    const body = image.subarray(i * PAGES_PER_CHUNK * pageSize, Math.min(image.length, (i + 1) * PAGES_PER_CHUNK * pageSize));
    chunks[i] = await sealBulk('chunk', position(r, seq, i, count), r.snapKey, body);
    chunkHashes[i] = await hashBulk(chunks[i]);
  });
  return { seq, pageSize, pageCount, chunkHashes, chunks, sent: new Set() };
}

/** Uploads the chunks not confirmed yet, at most TRANSFER_CONCURRENCY at once; a failure stops further uploads and is thrown. */
export async function putChunks(r: OpenedReplica, s: SealedSnapshot): Promise<void> {
  const todo = s.chunks.map((_, i) => i).filter((i) => !s.sent.has(i));
  await inParallel(todo, TRANSFER_CONCURRENCY, async (i) => {
    await r.store.put(chunkName(r.prefix, r.generation, s.seq, i), s.chunks[i]!);
    s.sent.add(i);
  });
}

/**
 * Deletes the chunks of `s` this writer uploaded, for a push `refused` before its entry
 * (REPLICA_ROLLBACK): they belong to no entry. Left alone when an entry or a manifest at that
 * seq exists — another writer's, which may name those chunks. `s` then counts none as sent. A
 * deletion that fails is `refused` again, saying so, with the store's error as its cause.
 */
export async function deleteUploadedChunks(r: OpenedReplica, s: SealedSnapshot, refused: CipherliteError): Promise<void> {
  try {
    if ((await r.store.head(entryName(r.prefix, r.generation, s.seq))) || (await r.store.head(manifestName(r.prefix, r.generation, s.seq)))) return;
    const sent = [...s.sent];
    s.sent.clear();
    await inParallel(sent, TRANSFER_CONCURRENCY, (i) => r.store.delete(chunkName(r.prefix, r.generation, s.seq, i)));
  } catch (e) {
    throw new CipherliteError(refused.code, `${refused.message} (the snapshot chunks uploaded for seq ${s.seq} could not be deleted)`, refused.details, { cause: e });
  }
}

/** The sealed manifest of `s`, bound to the entry at its seq (`entryHash`). */
export function sealManifest(r: OpenedReplica, s: SealedSnapshot, entryHash: Uint8Array, time: number): Uint8Array {
  return seal('manifest', position(r, s.seq), r.snapKey, encodeManifest({ entryHash, time, pageSize: s.pageSize, pageCount: s.pageCount, chunkHashes: s.chunkHashes }));
}

/** Writes a whole snapshot: chunks, then the manifest. */
export async function writeSnapshot(r: OpenedReplica, seq: number, entryHash: Uint8Array, time: number, image: Uint8Array, pageSize: number): Promise<void> {
  const s = await sealSnapshot(r, seq, image, pageSize);
  await putChunks(r, s);
  await r.store.put(manifestName(r.prefix, r.generation, seq), sealManifest(r, s, entryHash, time));
}

/**
 * Deletes snapshots beyond the policy and the log entries older than the oldest snapshot kept
 * (with any chunk left under their seqs, e.g. by a snapshot cut off before its manifest).
 * `snapshots` is ascending `{ seq, time }`; the newest is always kept, and so is every entry from
 * it on: what the newest state needs is never deleted. Returns the snapshots kept.
 */
export async function applyRetention(
  r: OpenedReplica,
  snapshots: { seq: number; time: number }[],
  oldestEntry: number,
  policy: RetentionPolicy,
  now: number,
): Promise<{ kept: { seq: number; time: number }[]; oldestEntry: number }> {
  const keep = Math.max(1, policy.keepSnapshots);
  const cutoff = now - policy.keepDays * DAY_MS;
  const drop = snapshots.filter((s, i) => i < snapshots.length - keep && s.time < cutoff);
  const kept = snapshots.filter((s) => !drop.includes(s));
  // Until `keep` snapshots exist, the genesis entry (the empty state) counts as the oldest one.
  const floor = kept.length >= keep ? kept[0]!.seq : oldestEntry;
  // Manifests first: a half-deleted snapshot is then one readers no longer see.
  for (const s of drop) await r.store.delete(manifestName(r.prefix, r.generation, s.seq));
  if (floor > oldestEntry) {
    const below = (await listAll(r.store, `${generationDir(r.prefix, r.generation)}/snap/`)).filter(({ key }) => key < `${snapshotDir(r.prefix, r.generation, floor)}/`);
    await inParallel(below, TRANSFER_CONCURRENCY, ({ key }) => r.store.delete(key));
  }
  for (let seq = oldestEntry; seq < floor; seq++) await r.store.delete(entryName(r.prefix, r.generation, seq));
  return { kept, oldestEntry: Math.max(oldestEntry, floor) };
}

/**
 * Deletes the generations before the current one (superseded by a rekey) once `policy` allows:
 * the current generation must have a snapshot (`oldestSnapshotTime`: its oldest one kept), and
 * with `'after-keepDays'` that snapshot must be older than `keepDays`. Keys objects go first, so
 * a generation cut off mid-deletion is one no reader opens; a later pass deletes the rest.
 * Returns whether the old generations are gone.
 */
export async function retireOldGenerations(r: OpenedReplica, oldestSnapshotTime: number | null, policy: RetentionPolicy, now: number): Promise<boolean> {
  if (r.generation === 0 || oldestSnapshotTime === null || policy.oldGenerations === 'keep') return false;
  if (policy.oldGenerations === 'after-keepDays' && oldestSnapshotTime > now - policy.keepDays * DAY_MS) return false;
  for (let g = 0; g < r.generation; g++) {
    const dir = `${generationDir(r.prefix, g)}/`;
    const objects = await listAll(r.store, dir);
    const isKeys = (key: string): boolean => key === keysName(r.prefix, g) || key.startsWith(`${dir}keyslots/`);
    await inParallel(
      objects.filter((o) => isKeys(o.key)),
      TRANSFER_CONCURRENCY,
      ({ key }) => r.store.delete(key),
    );
    await inParallel(
      objects.filter((o) => !isKeys(o.key)),
      TRANSFER_CONCURRENCY,
      ({ key }) => r.store.delete(key),
    );
  }
  return true;
}
