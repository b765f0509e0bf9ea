/**
 * What a writing device remembers about its replica, beside the database (`<name>-replica`):
 * the replica id, this device's id and the last (generation, seq, hash) it pushed or saw. Sealed
 * with AES-256-GCM under HKDF(data key, file id, "cipherlite/v1/replica-state"), so it is as
 * private as the database, and a swapped or damaged file is CORRUPT, never believed.
 *
 * The file holds one or more sealed records; a reader takes the first one its key opens. A rekey
 * (a new data key and file id) adds a record under the new key before its swap (`carryReplicaState`),
 * so whichever database the swap leaves — old or new — reads its own record, and a writer started
 * on the rekeyed database still knows the replica and the last entry it pushed (docs/REPLICA.md
 * "Rekey"). It lives in the keys layer because rekey writes it; the replica reads it.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '../crypto/random.js';
import { CipherliteError } from '../errors.js';
import type { SyncStorage } from '../storage/sync-file.js';
import { NONCE_SIZE, TAG_SIZE } from '../crypto/aead.js';

/** The replica's id and device-id size, and SHA-256's (replica/format.ts ID_SIZE, HASH_SIZE). */
const ID_SIZE = 16;
const HASH_SIZE = 32;

export interface LocalReplicaState {
  replicaId: Uint8Array;
  deviceId: Uint8Array;
  generation: number;
  seq: number;
  hash: Uint8Array;
}

const AAD = new TextEncoder().encode('cipherlite/v1/replica-state');
const BODY_SIZE = ID_SIZE * 2 + 4 + 8 + HASH_SIZE;
const RECORD_SIZE = NONCE_SIZE + BODY_SIZE + TAG_SIZE;

export const localStateName = (name: string): string => `${name}-replica`;

function stateKey(dek: Uint8Array, fileId: Uint8Array): Uint8Array {
  return hkdf(sha256, dek, fileId, AAD, 32);
}

export function readLocalState(storage: SyncStorage, name: string, dek: Uint8Array, fileId: Uint8Array): LocalReplicaState | null {
  const fname = localStateName(name);
  if (!storage.exists(fname)) return null;
  const f = storage.open(fname, { create: false });
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(f.getSize());
    f.read(bytes, { at: 0 });
  } finally {
    f.close();
  }
  const body = openRecords(bytes, stateKey(dek, fileId), fname);
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return {
    replicaId: body.slice(0, ID_SIZE),
    deviceId: body.slice(ID_SIZE, 2 * ID_SIZE),
    generation: dv.getUint32(2 * ID_SIZE),
    seq: Number(dv.getBigUint64(2 * ID_SIZE + 4)),
    hash: body.slice(2 * ID_SIZE + 12),
  };
}

/** The body of the first record of `bytes` that `key` opens; CORRUPT when none does. */
function openRecords(bytes: Uint8Array, key: Uint8Array, fname: string): Uint8Array {
  if (bytes.length === 0 || bytes.length % RECORD_SIZE !== 0) throw new CipherliteError('CORRUPT', `${fname} has the wrong size`, { fileKind: 'replica-state' });
  for (let at = 0; at < bytes.length; at += RECORD_SIZE) {
    try {
      return gcm(key, bytes.subarray(at, at + NONCE_SIZE), AAD).decrypt(bytes.subarray(at + NONCE_SIZE, at + RECORD_SIZE));
    } catch {
      /* another key's record: try the next one */
    }
  }
  throw new CipherliteError('CORRUPT', `${fname} fails authentication (damaged or from another database)`, { fileKind: 'replica-state' });
}

function sealRecord(key: Uint8Array, body: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_SIZE);
  const sealed = gcm(key, nonce, AAD).encrypt(body);
  const out = new Uint8Array(NONCE_SIZE + sealed.length);
  out.set(nonce);
  out.set(sealed, NONCE_SIZE);
  return out;
}

function writeFile(storage: SyncStorage, name: string, bytes: Uint8Array): void {
  const f = storage.open(localStateName(name), { create: true });
  try {
    f.write(bytes, { at: 0 });
    f.truncate(bytes.length);
    f.flush();
  } finally {
    f.close();
  }
}

/**
 * A rekey of `name` from key `from` to key `to`: adds a record of the same state sealed for the
 * new database (before the swap: the old database goes on reading its own record if the swap
 * does not happen). Nothing to do without a state file; one the old key does not open is left
 * as it is (it was already unusable).
 */
export function carryReplicaState(storage: SyncStorage, name: string, from: { dek: Uint8Array; fileId: Uint8Array }, to: { dek: Uint8Array; fileId: Uint8Array }): void {
  let state: LocalReplicaState | null;
  try {
    state = readLocalState(storage, name, from.dek, from.fileId);
  } catch {
    return;
  }
  if (!state) return;
  const old = sealRecord(stateKey(from.dek, from.fileId), encodeBody(state));
  const next = sealRecord(stateKey(to.dek, to.fileId), encodeBody(state));
  const both = new Uint8Array(old.length + next.length);
  both.set(next);
  both.set(old, next.length);
  writeFile(storage, name, both);
}

function encodeBody(s: LocalReplicaState): Uint8Array {
  const body = new Uint8Array(BODY_SIZE);
  const dv = new DataView(body.buffer);
  body.set(s.replicaId, 0);
  body.set(s.deviceId, ID_SIZE);
  dv.setUint32(2 * ID_SIZE, s.generation);
  dv.setBigUint64(2 * ID_SIZE + 4, BigInt(s.seq));
  body.set(s.hash, 2 * ID_SIZE + 12);
  return body;
}

/** Writes and flushes the state as one record (one small write; a torn one fails authentication and is CORRUPT). */
export function writeLocalState(storage: SyncStorage, name: string, dek: Uint8Array, fileId: Uint8Array, s: LocalReplicaState): void {
  writeFile(storage, name, sealRecord(stateKey(dek, fileId), encodeBody(s)));
}
