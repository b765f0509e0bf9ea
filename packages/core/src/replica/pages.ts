/** Page bookkeeping of the writer: page hashes, the pages that changed, a snapshot's time. */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeManifest } from './payloads.js';
import { manifestName, open } from './format.js';
import { position, type OpenedReplica } from './reader.js';
import { CipherliteError } from '../errors.js';

export function hashPages(pages: Map<number, Uint8Array>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [pgno, page] of pages) out.set(pgno, bytesToHex(sha256(page)));
  return out;
}

/** The pages of `image` whose hash differs from `known` (all of them for a new page), with the new hashes. */
export function diffPages(image: Uint8Array, pageSize: number, known: Map<number, string>): { changed: [number, Uint8Array][]; hashes: Map<number, string>; pageCount: number } {
  const pageCount = image.length / pageSize;
  const changed: [number, Uint8Array][] = [];
  const hashes = new Map<number, string>();
  for (let pgno = 1; pgno <= pageCount; pgno++) {
    const page = image.subarray((pgno - 1) * pageSize, pgno * pageSize);
    const h = bytesToHex(sha256(page));
    hashes.set(pgno, h);
    if (known.get(pgno) !== h) changed.push([pgno, page]);
  }
  return { changed, hashes, pageCount };
}

/** When a snapshot was taken (its manifest's time), for the retention policy's day rule. */
export async function decodeManifestTime(r: OpenedReplica, seq: number): Promise<number> {
  const name = manifestName(r.prefix, r.generation, seq);
  const bytes = await r.store.get(name);
  if (!bytes) throw new CipherliteError('REPLICA_MISSING', `snapshot manifest ${name} is missing`, { object: name });
  return decodeManifest(open('manifest', bytes, name, position(r, seq), r.snapKey), name).time;
}
