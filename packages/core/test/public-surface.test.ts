/**
 * The public surface: no back doors on Database, each entry exports what users call. Internals
 * are reached only through database/internals.ts (`@cipherlite/core/internal`, not public API).
 */
import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';
// @ts-expect-error — InternalOpenOptions is not exported by the root entry (tests take it from ../src/internal.js)
import type { InternalOpenOptions as NotPublic } from '../src/index.js';
import { CipherliteError, Database, formatRecoveryKey, MemoryStorage, nobleAesGcm, parseRecoveryKey } from '../src/index.js';
import { NodeFsStorage } from '../src/node.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { internals } from '../src/internal.js';
import { KEY } from './helpers.js';

/** Uses the import above: if the root entry ever exports InternalOpenOptions again, the @ts-expect-error fails the type-check. */
export type RootHasNoInternalOptions = NotPublic;

describe('public surface', () => {
  it('Database has no _-prefixed members, on the prototype or on an instance', async () => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'p.db', key: KEY });
    const protoNames = Object.getOwnPropertyNames(Database.prototype);
    const staticNames = Object.getOwnPropertyNames(Database);
    expect(protoNames.filter((n) => n.startsWith('_'))).toEqual([]);
    expect(staticNames.filter((n) => n.startsWith('_'))).toEqual([]);
    expect(Object.keys(db).filter((n) => n.startsWith('_'))).toEqual([]);
    expect(protoNames).toEqual(expect.arrayContaining(['exec', 'query', 'get', 'transaction', 'tables', 'onChange', 'checkKey', 'close']));
    await db.close();
  });

  it('the root entry does not export error translation or the AES-GCM override', () => {
    expect(Object.keys(root)).not.toContain('toCipherliteError');
    expect(Object.keys(root)).not.toContain('setDefaultAead');
    expect(Object.keys(root)).toContain('Database');
  });

  it('internals are reachable for a Database only, and refuse it once closed', async () => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'i.db', key: KEY });
    expect(internals(db).container.blockSize).toBe(4096);
    expect(() => internals({})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await db.close();
    expect(() => internals(db).container).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});

describe('one error type', () => {
  const invalid = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(CipherliteError);
      return (e as CipherliteError).code;
    }
    throw new Error('expected a throw');
  };

  it('public crypto helpers throw CipherliteError INVALID_ARGUMENT (not RangeError/TypeError) for bad input', () => {
    expect(invalid(() => formatRecoveryKey(new Uint8Array(5)))).toBe('INVALID_ARGUMENT');
    expect(invalid(() => nobleAesGcm(new Uint8Array(16)))).toBe('INVALID_ARGUMENT');
    expect(invalid(() => parseRecoveryKey('not a recovery key'))).toBe('INVALID_ARGUMENT');
  });

  it('a call on a closed storage handle is CLOSED (a caller mistake), not IO', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-closed-'));
    try {
      for (const storage of [new MemoryStorage(), new NodeFsStorage(dir)]) {
        const f = storage.open('x', { create: true });
        f.close();
        expect(invalid(() => f.getSize())).toBe('CLOSED');
        expect(invalid(() => f.write(new Uint8Array(1), { at: 0 }))).toBe('CLOSED');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
