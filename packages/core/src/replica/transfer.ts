/**
 * Large transfers at storage speed: sealing, opening and hashing big objects with the platform's
 * WebCrypto (native AES-GCM and SHA-256, present in Node ≥ 19, browsers and workers in a secure
 * context), and a bounded pool of parallel requests.
 *
 * Why WebCrypto here and not the VFS's AEAD: replica objects are up to a few MiB, sealed and
 * opened asynchronously anyway (they travel over fetch), and the WebAssembly AEAD takes at most
 * 64 KiB per call. The output is the same AES-256-GCM (NIST SP 800-38D, 96-bit nonce, 128-bit
 * tag) as format.ts's `seal`/`open` (@noble/ciphers), which stay the fallback where WebCrypto is
 * missing (an insecure browser context): objects written by one open with the other.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { randomBytes } from '../crypto/random.js';
import { authFailed, checkPosition, ENV_NONCE, ENVELOPE_SIZE, NONCE_SIZE, open, paddedSize, seal, TAG_SIZE, writeEnvelope, type ObjectKind, type Position } from './format.js';

/**
 * Below this many bytes the synchronous @noble path is used: a WebCrypto call is a hop to another
 * thread, which costs more than it saves on a small commit's entry (and much more on a loaded machine).
 */
const BULK_MIN = 64 * 1024;

/** Requests in flight at once for snapshot chunks and log entries (both directions). */
export const TRANSFER_CONCURRENCY = 6;

type Subtle = (typeof globalThis.crypto)['subtle'];
type Key = Awaited<ReturnType<Subtle['importKey']>>;

// Absent in an insecure browser context (then format.ts's @noble/ciphers path runs).
const subtle: Subtle | undefined = (globalThis.crypto as typeof globalThis.crypto | undefined)?.subtle;

/** `b` as WebCrypto takes it: over an ArrayBuffer (ours always are; a shared one is copied). */
const plain = (b: Uint8Array): Uint8Array<ArrayBuffer> => (b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : b.slice());

/** One CryptoKey per raw key (a generation's log or snapshot key lives as long as the replica). */
const cryptoKeys = new WeakMap<Uint8Array, Promise<Key>>();

function cryptoKey(s: Subtle, key: Uint8Array): Promise<Key> {
  let k = cryptoKeys.get(key);
  if (!k) cryptoKeys.set(key, (k = s.importKey('raw', plain(key), 'AES-GCM', false, ['encrypt', 'decrypt'])));
  return k;
}

/** format.ts `seal` (same bytes layout), through WebCrypto when present. */
export async function sealBulk(kind: ObjectKind, p: Position, key: Uint8Array, body: Uint8Array): Promise<Uint8Array> {
  if (!subtle || body.length < BULK_MIN) return seal(kind, p, key, body);
  const nonce = randomBytes(NONCE_SIZE);
  const envelope = writeEnvelope(kind, p, nonce);
  const padded = new Uint8Array(paddedSize(body.length));
  padded.set(body);
  const sealed = await subtle.encrypt({ name: 'AES-GCM', iv: plain(nonce), additionalData: plain(envelope), tagLength: TAG_SIZE * 8 }, await cryptoKey(subtle, key), plain(padded));
  padded.fill(0);
  const out = new Uint8Array(ENVELOPE_SIZE + sealed.byteLength);
  out.set(envelope);
  out.set(new Uint8Array(sealed), ENVELOPE_SIZE);
  return out;
}

/** format.ts `open` (position checked first, then REPLICA_CORRUPT if authentication fails), through WebCrypto when present. */
export async function openBulk(kind: ObjectKind, bytes: Uint8Array, name: string, expected: Position, key: Uint8Array): Promise<Uint8Array> {
  if (!subtle || bytes.length < BULK_MIN) return open(kind, bytes, name, expected, key);
  checkPosition(kind, bytes, name, expected);
  try {
    const iv = plain(bytes.subarray(ENV_NONCE, ENVELOPE_SIZE));
    const body = await subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: plain(bytes.subarray(0, ENVELOPE_SIZE)), tagLength: TAG_SIZE * 8 },
      await cryptoKey(subtle, key),
      plain(bytes.subarray(ENVELOPE_SIZE)),
    );
    return new Uint8Array(body);
  } catch {
    throw authFailed(name);
  }
}

/** SHA-256 of `bytes` (an object's hash: format.ts `objectHash`), through WebCrypto when present. */
export async function hashBulk(bytes: Uint8Array): Promise<Uint8Array> {
  return bytes.length >= BULK_MIN ? digest(bytes) : sha256(bytes);
}

async function digest(bytes: Uint8Array): Promise<Uint8Array> {
  return subtle ? new Uint8Array(await subtle.digest('SHA-256', plain(bytes))) : sha256(bytes);
}

/** Hex SHA-256 of each `pageSize` page of `image`, page 1 first (WebCrypto calls batched: one thread hop per batch's worth). */
export async function hashPagesBulk(image: Uint8Array, pageSize: number): Promise<string[]> {
  const count = image.length / pageSize;
  const out: string[] = new Array<string>(count);
  const BATCH = 256;
  for (let from = 0; from < count; from += BATCH) {
    const to = Math.min(count, from + BATCH);
    const pages = Array.from({ length: to - from }, (_, i) => image.subarray((from + i) * pageSize, (from + i + 1) * pageSize));
    const hashes = await Promise.all(pages.map((p) => digest(p)));
    hashes.forEach((h, i) => (out[from + i] = bytesToHex(h)));
  }
  return out;
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight. On the first failure no further
 * call starts; the ones in flight settle, then that failure is thrown. Resolves once every call
 * succeeded.
 */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
