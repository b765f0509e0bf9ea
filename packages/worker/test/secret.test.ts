/** Secret: validation, copies, wiping. */
import { describe, expect, it } from 'vitest';
import { CipherliteError } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';
import { passwordAsBytes, Secret, wipeKeyMaterial } from '../src/engine/runtime/secret.js';
import { isReadOnlySql } from '../src/shared/bus.js';

describe('Secret', () => {
  it('round-trips each kind of key material', () => {
    // A password is handed out as its NFC UTF-8 bytes, never as a string again.
    expect(Secret.from({ password: 'pässwörd' }).toKeyMaterial()).toEqual({ password: new TextEncoder().encode('pässwörd') });
    expect(Secret.from({ recoveryKey: 'ABCD-EFGH' }).toKeyMaterial()).toEqual({ recoveryKey: 'ABCD-EFGH' });
    const key = new Uint8Array(32).fill(9);
    expect(Secret.from({ key }).toKeyMaterial()).toEqual({ key: new Uint8Array(32).fill(9) });
  });

  it('copies the caller key and hands out copies (wiping one never touches the other)', () => {
    const key = new Uint8Array(32).fill(1);
    const s = Secret.from({ key });
    key.fill(0);
    const km = s.toKeyMaterial() as { key: Uint8Array };
    expect(km.key[0]).toBe(1);
    km.key.fill(0);
    expect((s.toKeyMaterial() as { key: Uint8Array }).key[0]).toBe(1);
  });

  it('a passkey assertion: copied in, handed out as copies, its PRF output wiped by wipe() and wipeKeyMaterial', () => {
    const prfOutput = new Uint8Array(32).fill(5);
    const credentialId = new Uint8Array([1, 2, 3]);
    const s = Secret.from({ passkey: { credentialId, prfOutput } });
    wipeKeyMaterial({ passkey: { credentialId, prfOutput } });
    expect(prfOutput.every((b) => b === 0)).toBe(true);
    const km = s.toKeyMaterial();
    expect(km).toEqual({ passkey: { credentialId: new Uint8Array([1, 2, 3]), prfOutput: new Uint8Array(32).fill(5) } });
    s.wipe();
    expect(km.passkey!.prfOutput[0]).toBe(5); // the handed-out copy is the caller's to wipe
    expect(() => s.toKeyMaterial()).toThrow(expect.objectContaining({ code: 'LOCKED' }));
    expect(() => Secret.from({ passkey: { credentialId, prfOutput: new Uint8Array(16) } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => Secret.from({ passkey: { credentialId, prfOutput }, password: 'x' } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('a password is kept and handed out as NFC-normalized UTF-8 bytes; wipeKeyMaterial zeroes them', () => {
    const nfd = 'cafe\u0301'; // "café" typed with a combining accent
    const nfc = new TextEncoder().encode('caf\u00e9');
    const km = Secret.from({ password: nfd }).toKeyMaterial();
    expect(km.password).toBeInstanceOf(Uint8Array);
    expect(km.password).toEqual(nfc);
    wipeKeyMaterial(km);
    expect((km.password as Uint8Array).every((b) => b === 0)).toBe(true);
    // Bytes given are taken as they are (already NFC UTF-8) and copied.
    const given = nfc.slice();
    const s = Secret.from({ password: given });
    given.fill(0);
    expect(s.toKeyMaterial().password).toEqual(nfc);
  });

  it('passwordAsBytes turns a password string into bytes and leaves other material alone', () => {
    expect(passwordAsBytes({ password: 'cafe\u0301' })).toEqual({ password: new TextEncoder().encode('caf\u00e9') });
    const key = { key: new Uint8Array(32) };
    expect(passwordAsBytes(key)).toBe(key);
    expect(passwordAsBytes(null)).toBe(null);
    expect(() => passwordAsBytes({ password: '' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('passwordAsBytes and Secret refuse a password with a lone surrogate (it would encode as U+FFFD)', () => {
    for (const password of ['\ud800', 'a\udbff', '\udc00b']) {
      expect(() => passwordAsBytes({ password })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => Secret.from({ password })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(passwordAsBytes({ password: '\ufffd' })).toEqual({ password: new TextEncoder().encode('\ufffd') });
  });

  it('after wipe() it refuses with LOCKED', () => {
    const s = Secret.from({ password: 'x' });
    s.wipe();
    expect(s.wiped).toBe(true);
    expect(() => s.toKeyMaterial()).toThrow(expect.objectContaining({ code: 'LOCKED' }));
  });

  const bad: [string, unknown][] = [
    ['nothing', {}],
    ['two kinds', { password: 'a', recoveryKey: 'b' }],
    ['short key', { key: new Uint8Array(16) }],
    ['key as array', { key: Array(32).fill(0) }],
    ['number password', { password: 42 }],
    ['null', null],
  ];
  for (const [what, km] of bad) {
    it(`rejects ${what} with INVALID_ARGUMENT`, () => {
      let error: unknown;
      try {
        Secret.from(km as KeyMaterial);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CipherliteError);
      expect((error as CipherliteError).code).toBe('INVALID_ARGUMENT');
      // Messages describe the shape, never the value.
      expect((error as CipherliteError).message).not.toMatch(/42|"a"/);
    });
  }
});

describe('isReadOnlySql', () => {
  it('accepts only statements that cannot write', () => {
    expect(isReadOnlySql('  select * from t')).toBe(true);
    expect(isReadOnlySql('VALUES (1)')).toBe(true);
    expect(isReadOnlySql('WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x')).toBe(false);
    expect(isReadOnlySql('INSERT INTO t VALUES (1) RETURNING *')).toBe(false);
    expect(isReadOnlySql('SELECTED')).toBe(false);
  });
});
