/**
 * Sealing the writer's next log entry from a read of the committed pages (docs/REPLICA.md "Write
 * path"): a `pages` entry with the pages whose hash differs from what the bucket holds, or — when
 * a snapshot is due, or a full read finds most pages changed — an `image` entry whose pages are the
 * snapshot's chunks, so every page is hashed once, sealed once and uploaded once.
 */
import { encodeEntry, objectHash, type EntryKind } from './format.js';
import { diffSomePages, type PageRead } from './pages.js';
import { encodeImage, encodePages, PAGES_PER_CHUNK } from './payloads.js';
import { position, type OpenedReplica } from './reader.js';
import { sealManifest, sealSnapshot, type SealedSnapshot } from './snapshots.js';
import { hashPagesBulk, sealBulk } from './transfer.js';

/** A sealed entry not yet confirmed: retried byte for byte. */
export interface SealedEntry {
  seq: number;
  bytes: Uint8Array;
  /** The hashes of the pages it sends (all pages when `full`). */
  hashes: Map<number, string>;
  full: boolean;
  pageCount: number;
  /** Local commits it carries. */
  commits: number;
  time: number;
  /** An `image` entry's snapshot: its chunks go before the entry, its manifest after it. */
  snapshot: { sealed: SealedSnapshot; manifest: Uint8Array } | null;
  appended: boolean;
}

export interface SealInput {
  /** What the bucket holds: its tip, and the hash of each page. */
  tip: { seq: number; hash: Uint8Array };
  hashes: Map<number, string>;
  pageCount: number;
  read: PageRead;
  snapshotDue: boolean;
  commits: number;
  deviceId: Uint8Array;
  time: number;
}

/** The entry at `tip + 1` for `read`; null when the bucket already holds every page. The caller wipes `read`. */
export async function sealEntry(r: OpenedReplica, o: SealInput): Promise<SealedEntry | null> {
  const { read, time } = o;
  const { pageSize, pageCount } = read;
  const seq = o.tip.seq + 1;
  const entry = (kind: EntryKind, payload: Uint8Array): Promise<Uint8Array> =>
    sealBulk('entry', position(r, seq), r.logKey, encodeEntry({ prevHash: o.tip.hash, deviceId: o.deviceId, time, kind, payload }));
  let changed: [number, Uint8Array][];
  let hashes: Map<number, string>;
  if (read.full) {
    const list = await hashPagesBulk(read.image, pageSize);
    hashes = new Map(list.map((h, i) => [i + 1, h]));
    changed = [];
    list.forEach((h, i) => o.hashes.get(i + 1) !== h && changed.push([i + 1, read.image.subarray(i * pageSize, (i + 1) * pageSize)]));
    const most = changed.length >= PAGES_PER_CHUNK && 2 * changed.length >= pageCount;
    if ((changed.length > 0 || pageCount !== o.pageCount) && (o.snapshotDue || most)) {
      const sealed = await sealSnapshot(r, seq, read.image, pageSize);
      const bytes = await entry('image', encodeImage(sealed));
      return { seq, bytes, hashes, full: true, pageCount, commits: o.commits, time, snapshot: { sealed, manifest: sealManifest(r, sealed, objectHash(bytes), time) }, appended: false };
    }
  } else {
    ({ changed, hashes } = diffSomePages(read.pages, o.hashes));
  }
  if (changed.length === 0 && pageCount === o.pageCount) return null;
  const bytes = await entry('pages', encodePages(pageSize, pageCount, changed));
  return { seq, bytes, hashes, full: read.full, pageCount, commits: o.commits, time, snapshot: null, appended: false };
}
