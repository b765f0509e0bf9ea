/**
 * Passkey keyslots (kind 4) with a fixed PRF output: what the WebAuthn ceremony would return is
 * a constant here, so the slot's derivation can be checked against an independent computation
 * (Node's WebCrypto HKDF and HMAC, not our code) and its handling tested without a browser.
 */
import { webcrypto } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format } from '../src/index.js';
import { addPasskey, changePassword, listKeyslots, passkeyChallenges, removeKeyslot } from '../src/keys/index.js';
import { decodeMainHeaderCopy } from '../src/format/main-header.js';
import { derivePasskeyKek } from '../src/crypto/subkeys.js';
import { FAST_KDF, fileBytes, tryOpen } from './keys-helpers.js';

const PASSWORD = 'counter 7 password';
const PRF = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 255);
const SALT = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const CREDENTIAL = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 255);
const OTHER_CREDENTIAL = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 255);
/** docs/FORMAT.md's passkey vector: PRF output 03 0a 11 … (i·7+3), salt a0..af. */
const KAT_KEK = '220a6c3c4b67ec70eb748c2100f14958e411a89e40dfde72be721ca9de105696';
const KAT_COMMITMENT = '9cef97e8ce332a58460b5a6c4ca22cf80bd891944f6162228cf8b203efe64497';
const passkey = (prfOutput = PRF, credentialId = CREDENTIAL) => ({ passkey: { credentialId, prfOutput } });

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'OK',
    (e: { code?: string }) => e.code ?? 'THROWN',
  );

async function withPasskey(): Promise<{ storage: MemoryStorage; db: Database }> {
  const storage = new MemoryStorage();
  const db = await Database.open({ storage, name: 'a.db', password: PASSWORD, kdf: FAST_KDF });
  await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('sale 1')");
  await addPasskey(db, { password: PASSWORD }, { credentialId: CREDENTIAL, salt: SALT, prfOutput: PRF.slice(), label: 'alice@till-1' });
  return { storage, db };
}

/** Offset of keyslot `i` in header copy `copy`. */
const slotAt = (copy: 0 | 1, i: number) => copy * format.MAIN_HEADER_COPY_SIZE + 64 + i * format.KEYSLOT_SIZE;

function reseal(file: Uint8Array, copy: 0 | 1): void {
  const base = copy * format.MAIN_HEADER_COPY_SIZE;
  file.set(sha256(file.subarray(base, base + 4048)).subarray(0, 16), base + 4048);
}

describe('passkey keyslot derivation (known answers, computed with Node WebCrypto)', () => {
  it('KEK = HKDF-SHA256(PRF output, slot salt, "cipherlite/v1/passkey-kek"); commitment = HMAC(KEK, "cipherlite/v1/slot-commit")', async () => {
    const { storage, db } = await withPasskey();
    await db.close();
    const header = decodeMainHeaderCopy(fileBytes(storage, 'a.db').subarray(0, format.MAIN_HEADER_COPY_SIZE));
    if (!header.ok) throw new Error(header.reason);
    const slot = header.header.keyslots[1]!;
    expect(slot.kind).toBe('passkey');
    expect(Buffer.from(slot.salt).toString('hex')).toBe(Buffer.from(SALT).toString('hex'));

    const subtle = webcrypto.subtle;
    const ikm = await subtle.importKey('raw', PRF, 'HKDF', false, ['deriveBits']);
    const kek = new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: SALT, info: new TextEncoder().encode('cipherlite/v1/passkey-kek') }, ikm, 256));
    const macKey = await subtle.importKey('raw', kek, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const commitment = new Uint8Array(await subtle.sign('HMAC', macKey, new TextEncoder().encode('cipherlite/v1/slot-commit')));
    expect(Buffer.from(slot.commitment).toString('hex')).toBe(Buffer.from(commitment).toString('hex'));
    // The vector as published in docs/FORMAT.md (computed with WebCrypto from the description).
    expect(Buffer.from(kek).toString('hex')).toBe(KAT_KEK);
    expect(Buffer.from(commitment).toString('hex')).toBe(KAT_COMMITMENT);
    expect(Buffer.from(derivePasskeyKek(PRF, SALT)).toString('hex')).toBe(KAT_KEK);
  });

  it('slot layout: kind 4, no KDF, credential id and label in bytes 132..256', async () => {
    const { storage, db } = await withPasskey();
    await db.close();
    const file = fileBytes(storage, 'a.db');
    const s = file.subarray(slotAt(0, 1), slotAt(0, 2));
    expect(s[0]).toBe(4);
    expect(s[1]).toBe(0);
    expect(s[132]).toBe(CREDENTIAL.length);
    expect(Buffer.compare(s.subarray(133, 133 + CREDENTIAL.length), CREDENTIAL)).toBe(0);
    expect(s[213]).toBe('alice@till-1'.length);
    expect(new TextDecoder().decode(s.subarray(214, 214 + s[213]!))).toBe('alice@till-1');
  });
});

describe('passkey keyslots', () => {
  it('the PRF output of the right credential unlocks; a wrong PRF output or another credential is WRONG_KEY', async () => {
    const { storage, db } = await withPasskey();
    await db.close();
    const files = storage.snapshot();
    expect(await tryOpen(files, passkey(), (d) => d.query('SELECT v FROM t'))).toMatchObject({ ok: true, value: [{ v: 'sale 1' }] });
    const wrongPrf = PRF.slice();
    wrongPrf[0]! ^= 1;
    expect(await tryOpen(files, passkey(wrongPrf), async () => 1)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
    expect(await tryOpen(files, passkey(PRF, OTHER_CREDENTIAL), async () => 1)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
    // The password slot is unaffected.
    expect(await tryOpen(files, { password: PASSWORD }, (d) => d.query('SELECT v FROM t'))).toMatchObject({ ok: true });
  });

  it('listKeyslots shows the label, credential id (base64url) and creation date; passkeyChallenges reads them without a key', async () => {
    const before = Date.now();
    const { storage, db } = await withPasskey();
    const slots = listKeyslots(db);
    expect(slots[0]).toMatchObject({ index: 0, kind: 'password' });
    expect(slots[1]).toMatchObject({ index: 1, kind: 'passkey', label: 'alice@till-1', credentialId: Buffer.from(CREDENTIAL).toString('base64url') });
    expect(slots[1]!.createdAt).toBeGreaterThanOrEqual(before);
    expect(slots[1]).not.toHaveProperty('kdf');
    await db.close();
    const challenges = passkeyChallenges(fileBytes(storage, 'a.db').subarray(0, format.MAIN_HEADER_SIZE));
    expect(challenges).toEqual([{ credentialId: CREDENTIAL, salt: SALT, label: 'alice@till-1' }]);
  });

  it('passkeyChallenges: NO_PASSKEY without a passkey slot, NOT_A_DATABASE for other bytes', async () => {
    const storage = new MemoryStorage();
    const db = await Database.open({ storage, name: 'a.db', password: PASSWORD, kdf: FAST_KDF });
    await db.close();
    expect(() => passkeyChallenges(fileBytes(storage, 'a.db').subarray(0, format.MAIN_HEADER_SIZE))).toThrow(expect.objectContaining({ code: 'NO_PASSKEY' }));
    expect(() => passkeyChallenges(new Uint8Array(format.MAIN_HEADER_SIZE))).toThrow(expect.objectContaining({ code: 'NOT_A_DATABASE' }));
  });

  it('adding needs an existing secret; several passkeys coexist up to the slot limit; a credential gets one slot', async () => {
    const { storage, db } = await withPasskey();
    const second = { credentialId: OTHER_CREDENTIAL, salt: SALT.map((b) => b ^ 0xff), prfOutput: PRF.map((b) => b ^ 0x55), label: 'bob' };
    expect(await codeOf(addPasskey(db, { password: 'not it' }, { ...second, prfOutput: second.prfOutput.slice() }))).toBe('WRONG_KEY');
    expect(await codeOf(addPasskey(db, { password: PASSWORD }, { credentialId: CREDENTIAL, salt: SALT, prfOutput: PRF.slice(), label: 'again' }))).toBe('INVALID_ARGUMENT');
    // A passkey proves itself like any secret.
    await addPasskey(db, passkey(), { ...second, prfOutput: second.prfOutput.slice() });
    expect(listKeyslots(db).map((s) => s.kind)).toEqual(['password', 'passkey', 'passkey']);
    await db.close();
    const files = storage.snapshot();
    expect(await tryOpen(files, passkey(second.prfOutput, OTHER_CREDENTIAL), (d) => d.query('SELECT v FROM t'))).toMatchObject({ ok: true });
    expect(await tryOpen(files, passkey(), async () => 1)).toMatchObject({ ok: true });
    expect(passkeyChallenges(fileBytes(storage, 'a.db').subarray(0, format.MAIN_HEADER_SIZE)).map((c) => c.label)).toEqual(['alice@till-1', 'bob']);
  });

  it('a removed passkey slot no longer unlocks; the password still does', async () => {
    const { storage, db } = await withPasskey();
    await removeKeyslot(db, { password: PASSWORD }, 1);
    expect(listKeyslots(db).map((s) => s.kind)).toEqual(['password']);
    await db.close();
    const files = storage.snapshot();
    expect(await tryOpen(files, passkey(), async () => 1)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
    expect(await tryOpen(files, { password: PASSWORD }, (d) => d.query('SELECT v FROM t'))).toMatchObject({ ok: true, value: [{ v: 'sale 1' }] });
  });

  it('a passkey cannot create a database or replace a password; bad shapes are INVALID_ARGUMENT', async () => {
    expect(await codeOf(Database.open({ storage: new MemoryStorage(), name: 'n.db', ...passkey() }))).toBe('INVALID_ARGUMENT');
    const { db } = await withPasskey();
    expect(await codeOf(changePassword(db, { password: PASSWORD }, passkey() as never))).toBe('INVALID_ARGUMENT');
    const add = (p: Partial<Parameters<typeof addPasskey>[2]>) =>
      codeOf(addPasskey(db, { password: PASSWORD }, { credentialId: OTHER_CREDENTIAL, salt: SALT, prfOutput: PRF.slice(), label: 'x', ...p }));
    expect(await add({ prfOutput: new Uint8Array(16) })).toBe('INVALID_ARGUMENT');
    expect(await add({ salt: new Uint8Array(8) })).toBe('INVALID_ARGUMENT');
    expect(await add({ credentialId: new Uint8Array(81) })).toBe('INVALID_ARGUMENT');
    expect(await add({ credentialId: new Uint8Array(0) })).toBe('INVALID_ARGUMENT');
    expect(await add({ label: 'é'.repeat(22) })).toBe('INVALID_ARGUMENT');
    expect(listKeyslots(db)).toHaveLength(2);
    await db.close();
  });

  it('the label and credential id are bound to the slot: an edited label is CORRUPT, an edited id no longer matches', async () => {
    const { storage, db } = await withPasskey();
    await db.close();
    const edited = (at: number) => {
      const files = storage.snapshot();
      const file = files.get('a.db')!;
      for (const copy of [0, 1] as const) {
        file[slotAt(copy, 1) + at]! ^= 1;
        reseal(file, copy);
      }
      return files;
    };
    expect(await tryOpen(edited(214), passkey(), async () => 1)).toMatchObject({ ok: false, code: 'CORRUPT' });
    const idEdited = edited(133);
    expect(await tryOpen(idEdited, passkey(), async () => 1)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
    const forged = CREDENTIAL.slice();
    forged[0]! ^= 1;
    expect(await tryOpen(idEdited, passkey(PRF, forged), async () => 1)).toMatchObject({ ok: false, code: 'CORRUPT' });
  });

  it('a reader refuses a keyslot kind it does not know, naming it (NOT_A_DATABASE)', async () => {
    const { storage, db } = await withPasskey();
    await db.close();
    const files = storage.snapshot();
    const file = files.get('a.db')!;
    for (const copy of [0, 1] as const) {
      file[slotAt(copy, 1)] = 5;
      reseal(file, copy);
    }
    const r = await tryOpen(files, { password: PASSWORD }, async () => 1);
    expect(r).toMatchObject({ ok: false, code: 'NOT_A_DATABASE' });
    expect(r.ok ? '' : r.message).toContain('unknown keyslot kind 5');
  });
});
