/** Shared test helpers: real SQLite-WASM, real encryption, in-memory or real-file storage. */
import { expect } from 'vitest';
import { Database, MemoryStorage, type DatabaseOpenOptions } from '../src/index.js';
import { openWithInternalOptions, type InternalOpenOptions } from '../src/internal.js';

export const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 255);
export const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 5) & 255);
/** The smallest Argon2id parameters the library accepts: keeps password tests fast. */
export const FAST_KDF = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 };

type Extra = Partial<Omit<DatabaseOpenOptions, 'storage' | 'name' | 'password' | 'key' | 'recoveryKey' | 'passkey'>> & InternalOpenOptions;

export function openWithKey(storage: MemoryStorage, name = 'test.db', extra: Extra = {}, key = KEY): Promise<Database> {
  const { aead, epochWriteLimit, ...options } = extra;
  return openWithInternalOptions({ storage, name, key, ...options }, { ...(aead ? { aead } : {}), ...(epochWriteLimit !== undefined ? { epochWriteLimit } : {}) });
}

/** Same file names and bytes (Buffer.compare: a deep toEqual of megabytes is slow). */
export function expectSameFiles(actual: Map<string, Uint8Array>, expected: Map<string, Uint8Array>, label = ''): void {
  expect([...actual.keys()].sort(), label).toEqual([...expected.keys()].sort());
  for (const [name, bytes] of expected) expect(Buffer.compare(actual.get(name)!, bytes), `${label} ${name}`).toBe(0);
}

/** Every stored byte, per file. */
export function rawFiles(storage: MemoryStorage): Map<string, Uint8Array> {
  return storage.snapshot();
}

export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Occurrences of each marker (UTF-8 and UTF-16LE) in any stored file. */
export function findPlaintext(files: Map<string, Uint8Array>, markers: string[]): string[] {
  const hits: string[] = [];
  for (const [name, bytes] of files) {
    for (const m of markers) {
      const utf8 = new TextEncoder().encode(m);
      const utf16 = new Uint8Array([...m].flatMap((c) => [c.charCodeAt(0) & 255, c.charCodeAt(0) >> 8]));
      if (indexOfBytes(bytes, utf8) >= 0) hits.push(`${name}: ${m}`);
      if (indexOfBytes(bytes, utf16) >= 0) hits.push(`${name}: ${m} (utf16)`);
    }
  }
  return hits;
}

/** Slot geometry of a main database file (docs/FORMAT.md). */
export function mainSlot(pageSize: number, page: number): { start: number; size: number } {
  const size = pageSize + 36;
  return { start: 8192 + (page - 1) * size, size };
}

export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<Error & { code: string; details: Record<string, unknown> }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    const err = e as Error & { code: string; details: Record<string, unknown> };
    if (err.code !== code) throw new Error(`expected code ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  throw new Error(`expected a ${code} error, but the call succeeded`);
}
