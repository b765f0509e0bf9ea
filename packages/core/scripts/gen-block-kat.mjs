// Generates test/vectors/block-format.json: known-answer vectors for one encrypted slot.
//
// Provenance: computed with Node's built-in WebCrypto (OpenSSL's HKDF and AES-GCM), which shares
// no code with the library under test (@noble/hashes + @noble/ciphers or our WASM AES), from
// the format as written in docs/FORMAT.md. Re-run: node packages/core/scripts/gen-block-kat.mjs
import { webcrypto as crypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const hex = (b) => Buffer.from(b).toString('hex');
const enc = new TextEncoder();
const MAGIC = enc.encode('cipherlt');

async function vector({ blockSize, kind, index, length, epoch }) {
  const dek = Uint8Array.from({ length: 32 }, (_, i) => i); // 00 01 … 1f
  const fileId = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
  const nonce = Uint8Array.from({ length: 12 }, (_, i) => 0xc0 + i);
  const plaintext = Uint8Array.from({ length: blockSize }, (_, i) => (i * 7 + 3) % 251);
  const label = enc.encode('cipherlite/v1/block');
  const info = new Uint8Array(label.length + 5);
  info.set(label);
  new DataView(info.buffer).setUint8(label.length, kind);
  new DataView(info.buffer).setUint32(label.length + 1, epoch);
  const ikm = await crypto.subtle.importKey('raw', dek, 'HKDF', false, ['deriveBits']);
  const blockKey = new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: fileId, info }, ikm, 256));
  const aad = new Uint8Array(43);
  const dv = new DataView(aad.buffer);
  aad.set(MAGIC, 0);
  dv.setUint16(8, 1);
  aad[10] = kind;
  aad.set(fileId, 11);
  dv.setBigUint64(27, BigInt(index));
  dv.setUint32(35, length);
  dv.setUint32(39, epoch);
  const key = await crypto.subtle.importKey('raw', blockKey, 'AES-GCM', false, ['encrypt']);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, key, plaintext));
  const slot = new Uint8Array(8 + 12 + sealed.length);
  new DataView(slot.buffer).setUint32(0, epoch);
  new DataView(slot.buffer).setUint32(4, length);
  slot.set(nonce, 8);
  slot.set(sealed, 20);
  return { blockSize, kind, index, length, epoch, dek: hex(dek), fileId: hex(fileId), nonce: hex(nonce), plaintextRule: '(i * 7 + 3) % 251', blockKey: hex(blockKey), aad: hex(aad), slot: hex(slot) };
}

const vectors = [
  await vector({ blockSize: 512, kind: 1, index: 3, length: 512, epoch: 1 }),
  await vector({ blockSize: 512, kind: 2, index: 0, length: 28, epoch: 7 }),
  await vector({ blockSize: 4096, kind: 1, index: 123456789, length: 4096, epoch: 0xfffffffe }),
];
writeFileSync(
  new URL('../test/vectors/block-format.json', import.meta.url),
  JSON.stringify({ provenance: 'Node WebCrypto (OpenSSL) HKDF-SHA256 + AES-256-GCM, scripts/gen-block-kat.mjs; independent of the code under test', vectors }, null, 1) + '\n',
);
console.log('wrote', vectors.length, 'vectors');
