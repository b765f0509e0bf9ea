/**
 * What a writing device remembers about its replica, beside the database (`<name>-replica`):
 * the replica id, this device's id and the last (generation, seq, hash) it pushed or saw. Sealed
 * with AES-256-GCM under HKDF(data key, file id, "cipherlite/v1/replica-state"), so it is as
 * private as the database, and a swapped or damaged file is CORRUPT, never believed.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '../crypto/random.js';
import { CipherliteError } from '../errors.js';
import type { SyncStorage } from '../storage/sync-file.js';
import { HASH_SIZE, ID_SIZE, NONCE_SIZE } from './format.js';

export interface LocalReplicaState {
  replicaId: Uint8Array;
  deviceId: Uint8Array;
  generation: number;
  seq: number;
  hash: Uint8Array;
}

const AAD = new TextEncoder().encode('cipherlite/v1/replica-state');
const BODY_SIZE = ID_SIZE * 2 + 4 + 8 + HASH_SIZE;

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
  let body: Uint8Array;
  try {
    body = gcm(stateKey(dek, fileId), bytes.subarray(0, NONCE_SIZE), AAD).decrypt(bytes.subarray(NONCE_SIZE));
  } catch {
    throw new CipherliteError('CORRUPT', `${fname} fails authentication (damaged or from another database)`, { fileKind: 'replica-state' });
  }
  if (body.length !== BODY_SIZE) throw new CipherliteError('CORRUPT', `${fname} has the wrong size`, { fileKind: 'replica-state' });
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return {
    replicaId: body.slice(0, ID_SIZE),
    deviceId: body.slice(ID_SIZE, 2 * ID_SIZE),
    generation: dv.getUint32(2 * ID_SIZE),
    seq: Number(dv.getBigUint64(2 * ID_SIZE + 4)),
    hash: body.slice(2 * ID_SIZE + 12),
  };
}

/** Writes and flushes the state (one small write; a torn one fails authentication and is CORRUPT). */
export function writeLocalState(storage: SyncStorage, name: string, dek: Uint8Array, fileId: Uint8Array, s: LocalReplicaState): void {
  const body = new Uint8Array(BODY_SIZE);
  const dv = new DataView(body.buffer);
  body.set(s.replicaId, 0);
  body.set(s.deviceId, ID_SIZE);
  dv.setUint32(2 * ID_SIZE, s.generation);
  dv.setBigUint64(2 * ID_SIZE + 4, BigInt(s.seq));
  body.set(s.hash, 2 * ID_SIZE + 12);
  const nonce = randomBytes(NONCE_SIZE);
  const sealed = gcm(stateKey(dek, fileId), nonce, AAD).encrypt(body);
  const out = new Uint8Array(NONCE_SIZE + sealed.length);
  out.set(nonce);
  out.set(sealed, NONCE_SIZE);
  const f = storage.open(localStateName(name), { create: true });
  try {
    f.write(out, { at: 0 });
    f.truncate(out.length);
    f.flush();
  } finally {
    f.close();
  }
}
