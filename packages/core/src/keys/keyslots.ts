/**
 * Keyslot administration: change a password, add/remove a recovery key, list slots.
 *
 * Every change here is O(1): the data key (DEK) is re-wrapped, no data block is touched. The new
 * slot list is committed with `MainContainer.setKeyslots`, which writes the *other* header copy
 * (flushed) and then refreshes the first. Open trusts only the newest intact copy, so a crash at
 * any write leaves exactly one of {old slots, new slots} in force — never neither
 * (docs/SECURITY-TESTS.md #21; tested by snapshotting storage after every write, torn writes included).
 *
 * Each function first proves `current` (one KDF run; WRONG_KEY otherwise, nothing written), then
 * derives the new slot *outside* the database queue (Argon2id takes ~0.35 s), and finally swaps
 * the slots inside the queue after checking that nobody changed them meanwhile.
 */
import { internals } from '../database/internals.js';
import type { Database } from '../database/database.js';
import { createKeyslot, type NewPasskeySlot, type SlotSecret } from '../container/keyslots.js';
import { DEFAULT_KDF } from '../crypto/kdf.js';
import { randomBytes } from '../crypto/random.js';
import { formatRecoveryKey, RECOVERY_KEY_BYTES } from '../crypto/recovery-key.js';
import { wipe } from '../crypto/wipe.js';
import { CipherliteError, invalidArgument } from '../errors.js';
import { MAX_KEYSLOTS } from '../format/constants.js';
import type { KdfParams, KeyMaterial } from '../types.js';
import { assertSlotUnchanged, kdfFor, keyslotInfo, newSecretFrom, proveKey } from './_shared.js';
import { rekey } from './rekey.js';
import type { KeyslotInfo, NewSecret, RekeyResult, ReopenOptions } from './types.js';

export interface ChangePasswordOptions {
  /** Argon2id parameters for a new password slot (default: those of the slot being replaced). */
  kdf?: Partial<KdfParams>;
  /**
   * `changePassword` only: the index of the slot to replace (default: the one `current` opens) —
   * e.g. the password slot, when a passkey proves the change and is to stay.
   */
  slot?: number;
}

/**
 * Replaces the keyslot that `current` opens (or `options.slot`) with one for `next` (a password
 * or a raw key). Afterwards the replaced slot's secret no longer opens the database; other slots
 * (e.g. a recovery key) keep working. No data block is rewritten. Returns the new slot's public facts.
 */
export async function changePassword(db: Database, current: KeyMaterial, next: NewSecret, options: ChangePasswordOptions = {}): Promise<KeyslotInfo> {
  const { slot: target } = options;
  if (target !== undefined && (!Number.isInteger(target) || target < 0)) invalidArgument(`options.slot must be a non-negative integer, got ${String(target)}`);
  const nextSecret = newSecretFrom(next, 'next');
  try {
    const proof = await proveKey(db, current);
    const index = target ?? proof.index;
    const count = internals(db).container.header.keyslots.length;
    if (index >= count) invalidArgument(`no keyslot ${index} (the database has ${count})`);
    const replaced = internals(db).container.header.keyslots[index]!;
    const kdf = kdfFor(options.kdf, replaced);
    const slot = await createKeyslot(internals(db).container.dek, nextSecret, internals(db).container.fileId, kdf);
    return await internals(db).exclusive(() => {
      const slots = assertSlotUnchanged(db, proof);
      if (slots[index] !== replaced) throw new CipherliteError('BUSY', 'the keyslots changed while this operation was running; retry it');
      internals(db).container.setKeyslots(slots.map((s, i) => (i === index ? slot : s)));
      return keyslotInfo(slot, index);
    });
  } finally {
    wipe(nextSecret.bytes);
  }
}

export interface AddKeyslotResult {
  /** The slot's public facts. */
  slot: KeyslotInfo;
}

/**
 * Adds a slot for another password or raw key (e.g. a second device key). At most 4 slots.
 */
export async function addKeyslot(db: Database, current: KeyMaterial, secret: NewSecret, options: ChangePasswordOptions = {}): Promise<AddKeyslotResult> {
  const s = newSecretFrom(secret, 'secret');
  try {
    return { slot: await appendSlot(db, current, s, options.kdf) };
  } finally {
    wipe(s.bytes);
  }
}

export interface RecoveryKeyResult {
  /**
   * The recovery key (160 random bits, `XXXX-XXXX-…`, 8 groups). Shown once: it is not stored
   * anywhere and cannot be retrieved again. Unlock with `{ recoveryKey }`.
   */
  recoveryKey: string;
  slot: KeyslotInfo;
}

/** Adds a recovery-key slot and returns the key, once. At most 4 slots in total. */
export async function addRecoveryKey(db: Database, current: KeyMaterial): Promise<RecoveryKeyResult> {
  const bytes = randomBytes(RECOVERY_KEY_BYTES);
  const secret: SlotSecret = { kind: 'recovery', bytes };
  try {
    const recoveryKey = formatRecoveryKey(bytes);
    const slot = await appendSlot(db, current, secret, undefined);
    return { recoveryKey, slot };
  } finally {
    wipe(bytes);
  }
}

/** Proves `current`, then adds a slot for `secret` (a passkey secret brings its slot fields). */
export async function appendSlot(db: Database, current: KeyMaterial, secret: SlotSecret, kdf: Partial<KdfParams> | undefined, passkey?: NewPasskeySlot): Promise<KeyslotInfo> {
  if (internals(db).container.header.keyslots.length >= MAX_KEYSLOTS) throw tooMany();
  const proof = await proveKey(db, current);
  const slot = await createKeyslot(internals(db).container.dek, secret, internals(db).container.fileId, secret.kind === 'password' ? kdfFor(kdf, proof.slot) : DEFAULT_KDF, passkey);
  return internals(db).exclusive(() => {
    const slots = assertSlotUnchanged(db, proof);
    if (slots.length >= MAX_KEYSLOTS) throw tooMany();
    internals(db).container.setKeyslots([...slots, slot]);
    return keyslotInfo(slot, slots.length);
  });
}

function tooMany(): CipherliteError {
  return new CipherliteError('INVALID_ARGUMENT', `a database has at most ${MAX_KEYSLOTS} keyslots; remove one first`);
}

export interface RemoveKeyslotOptions {
  /**
   * Revoke for real: after removing the slot, replace the data key and re-encrypt every page
   * (`rekey`). Without it the data key stays the same, so a header copy saved before the removal
   * still opens current data with the removed secret (as in LUKS; README "Security"). With it,
   * only `current`'s slot carries over — every other slot wraps the old data key and is dropped
   * (add recovery keys again). `db` is closed; the result holds the reopened database.
   */
  rekey: true;
  /** Options for reopening the database afterwards. */
  reopen?: ReopenOptions;
}

/**
 * Removes keyslot `index` (see `listKeyslots`). Refuses to remove the last slot, and — as LUKS's
 * `luksKillSlot` does — refuses when `current` opens only the slot being removed: prove a secret
 * of a slot you keep, so a typo cannot lock you out. Indices of later slots shift down by one.
 * With `{ rekey: true }` the removal is a real revocation (see `RemoveKeyslotOptions`).
 */
export async function removeKeyslot(db: Database, current: KeyMaterial, index: number): Promise<KeyslotInfo[]>;
export async function removeKeyslot(db: Database, current: KeyMaterial, index: number, options: RemoveKeyslotOptions): Promise<RekeyResult>;
export async function removeKeyslot(db: Database, current: KeyMaterial, index: number, options?: RemoveKeyslotOptions): Promise<KeyslotInfo[] | RekeyResult> {
  if (!Number.isInteger(index) || index < 0) invalidArgument(`index must be a non-negative integer, got ${String(index)}`);
  const count = internals(db).container.header.keyslots.length;
  if (index >= count) invalidArgument(`no keyslot ${index} (the database has ${count})`);
  if (count === 1) invalidArgument('refusing to remove the last keyslot: the database could never be opened again');
  if (options !== undefined && options.rekey !== true) invalidArgument('options.rekey must be true when options are given');
  const proof = await proveKey(db, current);
  if (proof.index === index) invalidArgument('the secret you gave opens the slot being removed; prove a secret of a slot that stays');
  if (options?.rekey) {
    // The revocation is the rekey alone: the new container carries only `current`'s slot, so the
    // removed slot goes with the swap's commit point. Removing it first would open a window (a
    // crash before the commit) in which the slot is gone but the data key is still the old one.
    const result = await rekey(db, current, options.reopen ? { reopen: options.reopen } : {});
    // Reported as before: the removed slot is not "dropped", and later indices shift down by one.
    const dropped = result.droppedKeyslots.filter((s) => s.index !== index).map((s) => (s.index > index ? { ...s, index: s.index - 1 } : s));
    return { ...result, droppedKeyslots: dropped };
  }
  return internals(db).exclusive(() => {
    const slots = assertSlotUnchanged(db, proof);
    if (index >= slots.length) invalidArgument(`no keyslot ${index}`);
    const remaining = slots.filter((_, i) => i !== index);
    internals(db).container.setKeyslots(remaining);
    return remaining.map(keyslotInfo);
  });
}

/** Public facts of every keyslot, in header order. Never key material. */
export function listKeyslots(db: Database): KeyslotInfo[] {
  return internals(db).container.header.keyslots.map(keyslotInfo);
}
