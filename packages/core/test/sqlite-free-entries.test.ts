/**
 * `@cipherlite/core/errors`, `/header` and `/storage` are what the page imports: nothing they
 * reach may import `@sqlite.org/sqlite-wasm` (a page would download and parse SQLite for nothing).
 * Walked over the sources here (type-only imports are erased, so they do not count); the consumer
 * check walks the built, installed packages the same way (e2e/consumers/module-graph.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors-entry.js';
import * as header from '../src/header.js';
import * as root from '../src/index.js';
import * as storage from '../src/storage-entry.js';
import * as keys from '../src/keys/index.js';

const SRC = join(import.meta.dirname, '..', 'src');
/** Value imports and re-exports (`import type` / `export type` are erased). */
const VALUE_IMPORT = /^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gms;

function packagesReached(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const stack = [join(SRC, entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(VALUE_IMPORT)) {
      if (spec!.startsWith('.')) stack.push(resolve(dirname(file), spec!.replace(/\.js$/, '.ts')));
      else packages.add(spec!);
    }
  }
  return packages;
}

describe('SQLite-free entries', () => {
  for (const entry of ['errors-entry.ts', 'header.ts', 'storage-entry.ts']) {
    it(`${entry} reaches no sqlite-wasm`, () => {
      expect([...packagesReached(entry)].filter((p) => p.includes('sqlite'))).toEqual([]);
    });
  }

  it('the walk finds sqlite-wasm from the root entry (so it does follow imports)', () => {
    expect(packagesReached('index.ts')).toContain('@sqlite.org/sqlite-wasm');
  });

  it('they export the same objects as the root entry, and only what a page calls', () => {
    expect(errors.CipherliteError).toBe(root.CipherliteError);
    expect(errors.fromWire).toBe(root.fromWire);
    expect(storage.MemoryFile).toBe(root.MemoryFile);
    expect(header.format).toEqual(root.format);
    expect(Object.keys(errors).sort()).toEqual(['CipherliteError', 'ERROR_CODES', 'fromWire', 'isCipherliteError', 'isWireError', 'toWire']);
    expect(Object.keys(header).sort()).toEqual(['PASSKEY_SALT_SIZE', 'PRF_OUTPUT_SIZE', 'format', 'passkeyChallenges']);
    expect(header.PASSKEY_SALT_SIZE).toBe(keys.PASSKEY_SALT_SIZE);
    expect(header.PRF_OUTPUT_SIZE).toBe(keys.PRF_OUTPUT_SIZE);
    expect(Object.keys(storage).sort()).toEqual(['MemoryFile', 'MemoryStorage']);
  });
});
