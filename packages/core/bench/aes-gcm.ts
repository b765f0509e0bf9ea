/**
 * Micro-benchmark: AES-256-GCM seal/open throughput per block size, WebAssembly vs @noble/ciphers.
 *
 *   pnpm bench:aes      (tsx packages/core/bench/aes-gcm.ts)
 *
 * Each case encrypts/decrypts one block per call with a fresh nonce pattern and 40 bytes of AAD
 * (about the size of cipherlite's block AAD), repeating for ≈1 s after a warm-up, and prints
 * the median of 3 runs. The WebAssembly key is created once (as the VFS does per subkey);
 * noble's `gcm(key, nonce, aad)` is single-use per nonce and has no output-buffer option, so its
 * only form is a construction per call (key expansion + GHASH tables every time).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { createAesGcmKey } from '../src/crypto/aes-gcm-wasm/index.js';

const SIZES = [4096, 8192, 16384];
const RUN_MS = Number(process.env.BENCH_MS ?? 1000);

interface Case {
  name: string;
  size: number;
  op: 'seal' | 'open';
  fn: (i: number) => void;
}

function measure(c: Case): number {
  for (let i = 0; i < 50; i++) c.fn(i); // warm-up (tier-up in V8)
  const rates: number[] = [];
  for (let run = 0; run < 3; run++) {
    let n = 0;
    const t0 = performance.now();
    let t = 0;
    do {
      for (let k = 0; k < 20; k++) c.fn(n++);
      t = performance.now() - t0;
    } while (t < RUN_MS / 3);
    rates.push((c.size * n) / (t * 1000)); // bytes per µs = MB/s
  }
  rates.sort((a, b) => a - b);
  return rates[1]!;
}

const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
const aad = new Uint8Array(40).map((_, i) => i);
const nonce = new Uint8Array(12);
const setNonce = (i: number): Uint8Array => {
  new DataView(nonce.buffer).setUint32(8, i);
  return nonce;
};

const cases: Case[] = [];
const wasmKey = createAesGcmKey(key);
for (const size of SIZES) {
  const pt = new Uint8Array(size).map((_, i) => i);
  const out = new Uint8Array(size);
  const tag = new Uint8Array(16);
  // Pre-sealed input for open (fixed nonce so the tag verifies).
  const fixedNonce = new Uint8Array(12).fill(5);
  const ct = new Uint8Array(size);
  const ctTag = new Uint8Array(16);
  wasmKey.seal(fixedNonce, aad, pt, ct, ctTag);
  const nobleSealed = gcm(key, fixedNonce, aad).encrypt(pt);

  cases.push({ name: 'wasm', size, op: 'seal', fn: (i) => wasmKey.seal(setNonce(i), aad, pt, out, tag) });
  cases.push({
    name: 'wasm',
    size,
    op: 'open',
    fn: () => {
      if (!wasmKey.open(fixedNonce, aad, ct, ctTag, out)) throw new Error('open failed');
    },
  });
  cases.push({ name: 'noble gcm() per call', size, op: 'seal', fn: (i) => gcm(key, setNonce(i), aad).encrypt(pt) });
  cases.push({ name: 'noble gcm() per call', size, op: 'open', fn: () => gcm(key, fixedNonce, aad).decrypt(nobleSealed) });
}

console.log(`AES-256-GCM, Node ${process.version}, ${RUN_MS} ms per case (median of 3)`);
console.log('impl                   op     bytes     MB/s     µs/call');
const results = new Map<string, number>();
for (const c of cases) {
  const mbs = measure(c);
  results.set(`${c.name}|${c.op}|${c.size}`, mbs);
  console.log(`${c.name.padEnd(22)} ${c.op.padEnd(5)} ${String(c.size).padStart(6)} ${mbs.toFixed(1).padStart(8)} ${(c.size / mbs).toFixed(1).padStart(11)}`);
}
console.log('\nspeed-up wasm / noble:');
for (const size of SIZES) {
  for (const op of ['seal', 'open']) {
    const r = results.get(`wasm|${op}|${size}`)! / results.get(`noble gcm() per call|${op}|${size}`)!;
    console.log(`  ${op.padEnd(5)} ${String(size).padStart(6)}: ${r.toFixed(1)}×`);
  }
}
wasmKey.destroy();
