/**
 * Writing snapshots and applying the retention policy (docs/REPLICA.md "Snapshots",
 * "Retention"). A snapshot is written chunks first, manifest last: a snapshot without a manifest
 * does not exist for readers, so a crash mid-snapshot leaves nothing half-believed.
 */
import { chunkName, manifestName, objectHash, seal, snapshotDir } from './format.js';
import { encodeManifest, PAGES_PER_CHUNK } from './payloads.js';
import { position, type OpenedReplica } from './reader.js';
import { entryName } from './format.js';
import { listAll } from './object-store.js';

export interface RetentionPolicy {
  /** Snapshots kept (default 2, at least 1). */
  keepSnapshots: number;
  /** Snapshots younger than this many days are kept too, whatever their number (default 0). */
  keepDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepSnapshots: 2, keepDays: 0 };

/** Writes the snapshot of `image` (pages 1..n of `pageSize`) taken right after entry `seq`. */
export async function writeSnapshot(r: OpenedReplica, seq: number, entryHash: Uint8Array, time: number, image: Uint8Array, pageSize: number): Promise<void> {
  const pageCount = image.length / pageSize;
  const count = Math.ceil(pageCount / PAGES_PER_CHUNK);
  const chunkHashes: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const body = image.subarray(i * PAGES_PER_CHUNK * pageSize, Math.min(image.length, (i + 1) * PAGES_PER_CHUNK * pageSize));
    const bytes = seal('chunk', position(r, seq, i, count), r.snapKey, body);
    chunkHashes.push(objectHash(bytes));
    await r.store.put(chunkName(r.prefix, r.generation, seq, i), bytes);
  }
  const manifest = encodeManifest({ entryHash, time, pageSize, pageCount, chunkHashes });
  await r.store.put(manifestName(r.prefix, r.generation, seq), seal('manifest', position(r, seq), r.snapKey, manifest));
}

/**
 * Deletes snapshots beyond the policy and the log entries older than the oldest snapshot kept.
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
  const cutoff = now - policy.keepDays * 86_400_000;
  const drop = snapshots.filter((s, i) => i < snapshots.length - keep && s.time < cutoff);
  const kept = snapshots.filter((s) => !drop.includes(s));
  // Until `keep` snapshots exist, the genesis entry (the empty state) counts as the oldest one.
  const floor = kept.length >= keep ? kept[0]!.seq : oldestEntry;
  for (const s of drop) {
    // Manifest first: a half-deleted snapshot is then one readers no longer see.
    await r.store.delete(manifestName(r.prefix, r.generation, s.seq));
    for (const { key } of await listAll(r.store, `${snapshotDir(r.prefix, r.generation, s.seq)}/`)) await r.store.delete(key);
  }
  for (let seq = oldestEntry; seq < floor; seq++) await r.store.delete(entryName(r.prefix, r.generation, seq));
  return { kept, oldestEntry: Math.max(oldestEntry, floor) };
}
