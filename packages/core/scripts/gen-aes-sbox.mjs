/**
 * Derives a constant-time Boolean circuit for the AES S-box and splices it into
 * `packages/core/wasm/aes.ts` (between `// BEGIN GENERATED S-BOX` / `// END GENERATED S-BOX`).
 *
 * Why generate: a bitsliced AES evaluates the S-box as XOR/AND gates on 8 bit-planes, so no
 * memory access depends on secret data. Instead of transcribing a published gate list we derive
 * one here from the field arithmetic, and check it exhaustively against FIPS-197 §5.1.1
 * (multiplicative inverse in GF(2^8) followed by the affine map), so the circuit can be audited
 * by re-running this script.
 *
 * Construction (a "tower field" inversion, the classic approach for hardware S-boxes):
 *   GF(2^4)  = GF(2)[z]/(z^4 + z + 1)
 *   GF(2^8)' = GF(2^4)[y]/(y^2 + y + λ)   (λ: first constant making it irreducible)
 *   φ: AES field GF(2)[x]/(x^8+x^4+x^3+x+1) → GF(2^8)' maps x to a root of the AES polynomial;
 *      it is GF(2)-linear, i.e. an 8×8 bit matrix (XOR gates only).
 *   (ah·y + al)^-1 = (ah·e)·y + (ah + al)·e  with  e = (λ·ah² + ah·al + al²)^-1  in GF(2^4).
 *   The GF(2^4) inverse is emitted from its algebraic normal form (degree 3).
 *   Output: A·φ^-1(·) as one 8×8 matrix; the affine constant 0x63 is NOT applied here — the
 *   caller folds it into the round keys (see aes.ts), saving four NOTs per round.
 * Linear layers are reduced with Paar's greedy common-pair heuristic (deterministic).
 *
 * Usage: node scripts/gen-aes-sbox.mjs [--check]   (--check: fail if aes.ts is out of date)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TARGET = process.env.SBOX_TARGET ?? fileURLToPath(new URL('../wasm/aes.ts', import.meta.url));

// ---------- reference arithmetic (plain integers) ----------
/** Multiplication in the AES field, FIPS-197 §4.2 (reduction by 0x11b). */
function gf256Mul(a, b) {
  let r = 0;
  for (let i = 0; i < 8; i++) {
    if ((b >> i) & 1) r ^= a;
    a = (a << 1) ^ (a & 0x80 ? 0x11b : 0);
  }
  return r & 0xff;
}
/** The AES S-box from its definition, FIPS-197 §5.1.1 (inverse, then affine map + 0x63). */
function sboxRef(a) {
  let inv = 0;
  if (a !== 0) for (let c = 1; c < 256; c++) if (gf256Mul(a, c) === 1) inv = c;
  return affine(inv) ^ 0x63;
}
function gf16Mul(a, b) {
  let r = 0;
  for (let i = 0; i < 4; i++) {
    if ((b >> i) & 1) r ^= a;
    a = (a << 1) ^ (a & 0x8 ? 0x13 : 0);
  }
  return r & 0xf;
}
function gf16Inv(a) {
  for (let c = 1; c < 16; c++) if (gf16Mul(a, c) === 1) return c;
  return 0;
}
let LAMBDA = 0;
for (let l = 1; l < 16 && LAMBDA === 0; l++) {
  let hasRoot = false;
  for (let t = 0; t < 16; t++) if ((gf16Mul(t, t) ^ t ^ l) === 0) hasRoot = true;
  if (!hasRoot) LAMBDA = l;
}
/** Tower element: high nibble = ah (coefficient of y), low nibble = al. */
function towerMul(a, b) {
  const ah = a >> 4, al = a & 15, bh = b >> 4, bl = b & 15;
  const hh = gf16Mul(ah, bh);
  const hi = hh ^ gf16Mul(ah, bl) ^ gf16Mul(al, bh); // y^2 = y + λ
  const lo = gf16Mul(hh, LAMBDA) ^ gf16Mul(al, bl);
  return (hi << 4) | lo;
}
function towerPow(a, n) {
  let r = 1;
  for (let i = 0; i < n; i++) r = towerMul(r, a);
  return r;
}
// φ(x) = a root of x^8 + x^4 + x^3 + x + 1 in the tower field (first one found).
let ALPHA = -1;
for (let t = 2; t < 256 && ALPHA < 0; t++) {
  if ((towerPow(t, 8) ^ towerPow(t, 4) ^ towerPow(t, 3) ^ t ^ 1) === 0) ALPHA = t;
}
const phi = new Array(256);
for (let a = 0; a < 256; a++) {
  let r = 0;
  for (let i = 0; i < 8; i++) if ((a >> i) & 1) r ^= towerPow(ALPHA, i);
  phi[a] = r;
}
const phiInv = new Array(256);
for (let a = 0; a < 256; a++) phiInv[phi[a]] = a;
for (let a = 0; a < 256; a++) {
  if (phiInv[a] === undefined) throw new Error('φ is not a bijection');
  for (let b = 0; b < 256; b += 7) {
    if (phi[gf256Mul(a, b)] !== towerMul(phi[a], phi[b])) throw new Error('φ is not multiplicative');
  }
}
/** Linear part of the S-box affine map, FIPS-197 §5.1.1 eq. (5.1), without the constant 0x63. */
function affine(v) {
  let s = 0;
  for (let i = 0; i < 8; i++) {
    s ^= (((v >> i) ^ (v >> ((i + 4) % 8)) ^ (v >> ((i + 5) % 8)) ^ (v >> ((i + 6) % 8)) ^ (v >> ((i + 7) % 8))) & 1) << i;
  }
  return s;
}

// ---------- circuit builder ----------
/** @type {{op: 'xor'|'and', a: string, b: string, out: string}[]} */
const gates = [];
let tmpCount = 0;
function gate(op, a, b) {
  const out = `t${tmpCount++}`;
  gates.push({ op, a, b, out });
  return out;
}
/** Linear map: rows[i] = list of input signals XORed into output i; Paar's greedy pairing. */
function linear(rows) {
  rows = rows.map((r) => [...r]);
  for (;;) {
    const count = new Map();
    for (const r of rows) {
      for (let i = 0; i < r.length; i++) {
        for (let j = i + 1; j < r.length; j++) {
          const [p, q] = [r[i], r[j]].sort();
          const key = `${p} ${q}`;
          count.set(key, (count.get(key) ?? 0) + 1);
        }
      }
    }
    let best = null, bestN = 0;
    for (const [k, n] of [...count.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
      if (n > bestN) { best = k; bestN = n; }
    }
    if (best === null) break;
    const [p, q] = best.split(' ');
    const s = gate('xor', p, q);
    for (const r of rows) {
      if (r.includes(p) && r.includes(q)) r.splice(0, r.length, ...r.filter((x) => x !== p && x !== q), s);
    }
  }
  return rows.map((r) => {
    if (r.length !== 1) throw new Error('zero row in linear map');
    return r[0];
  });
}
/** rows of an 8-bit→n-bit linear function f given as an integer function. */
function matrixRows(f, inBits, outBits, inputs) {
  const rows = [];
  for (let o = 0; o < outBits; o++) {
    const row = [];
    for (let i = 0; i < inBits; i++) if ((f(1 << i) >> o) & 1) row.push(inputs[i]);
    rows.push(row);
  }
  return rows;
}
/** GF(2^4) product, schoolbook (16 AND) + reduction by z^4 = z + 1. */
function mul16(a, b) {
  const c = [];
  for (let k = 0; k < 7; k++) {
    let acc = null;
    for (let i = 0; i < 4; i++) {
      const j = k - i;
      if (j < 0 || j > 3) continue;
      const p = gate('and', a[i], b[j]);
      acc = acc === null ? p : gate('xor', acc, p);
    }
    c.push(acc);
  }
  return [
    gate('xor', c[0], c[4]),
    gate('xor', gate('xor', c[1], c[4]), c[5]),
    gate('xor', gate('xor', c[2], c[5]), c[6]),
    gate('xor', c[3], c[6]),
  ];
}
/** GF(2^4) inverse from its algebraic normal form (Möbius transform of the truth table). */
function inv16(d) {
  const mono = new Map(); // bitmask of variables -> signal
  for (let i = 0; i < 4; i++) mono.set(1 << i, d[i]);
  const monoSignal = (m) => {
    if (mono.has(m)) return mono.get(m);
    const top = 31 - Math.clz32(m);
    const s = gate('and', monoSignal(m & ~(1 << top)), d[top]);
    mono.set(m, s);
    return s;
  };
  const out = [];
  for (let bit = 0; bit < 4; bit++) {
    const anf = Array.from({ length: 16 }, (_, x) => (gf16Inv(x) >> bit) & 1);
    for (let i = 0; i < 4; i++) for (let x = 0; x < 16; x++) if ((x >> i) & 1) anf[x] ^= anf[x ^ (1 << i)];
    if (anf[0]) throw new Error('unexpected constant term');
    let acc = null;
    for (let m = 1; m < 16; m++) {
      if (!anf[m]) continue;
      const s = monoSignal(m);
      acc = acc === null ? s : gate('xor', acc, s);
    }
    out.push(acc);
  }
  return out;
}

const X = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'];
const u = linear(matrixRows((v) => phi[v], 8, 8, X)); // into the tower basis
const al = u.slice(0, 4), ah = u.slice(4, 8);
// λ·ah² + al² is linear in (al, ah)
const sqLin = linear(matrixRows((v) => gf16Mul(gf16Mul(v >> 4, v >> 4), LAMBDA) ^ gf16Mul(v & 15, v & 15), 8, 4, u));
const prod = mul16(ah, al);
const d = prod.map((p, i) => gate('xor', p, sqLin[i]));
const e = inv16(d);
const hiOut = mul16(ah, e);
const sum = ah.map((h, i) => gate('xor', h, al[i]));
const loOut = mul16(sum, e);
const towerOut = [...loOut, ...hiOut];
const sOut = linear(matrixRows((v) => affine(phiInv[v]), 8, 8, towerOut));

// ---------- exhaustive check against FIPS-197 ----------
function evaluate(input) {
  const val = new Map(X.map((n, i) => [n, (input >> i) & 1]));
  for (const g of gates) val.set(g.out, g.op === 'xor' ? val.get(g.a) ^ val.get(g.b) : val.get(g.a) & val.get(g.b));
  let r = 0;
  for (let i = 0; i < 8; i++) r |= val.get(sOut[i]) << i;
  return r;
}
for (let a = 0; a < 256; a++) {
  if ((evaluate(a) ^ 0x63) !== sboxRef(a)) throw new Error(`circuit wrong at ${a}`);
}
if (sboxRef(0x53) !== 0xed || sboxRef(0x00) !== 0x63) throw new Error('reference S-box wrong'); // FIPS-197 Fig. 7

// ---------- emit AssemblyScript ----------
const nAnd = gates.filter((g) => g.op === 'and').length;
const lines = [
  `      // ${gates.length} gates (${nAnd} AND, ${gates.length - nAnd} XOR); λ = ${LAMBDA}, φ(x) = 0x${ALPHA.toString(16)}.`,
  `      // Computes s ← S(s) ⊕ 0x63 on the 8 bit-planes s0..s7 (bit i of every byte in plane i).`,
];
for (const g of gates) lines.push(`      const ${g.out} = v128.${g.op}(${g.a}, ${g.b});`);
for (let i = 0; i < 8; i++) lines.push(`      s${i} = ${sOut[i]};`);
const body = lines.join('\n');

const src = readFileSync(TARGET, 'utf8');
const re = /(\/\/ BEGIN GENERATED S-BOX[^\n]*\n)[\s\S]*?([ \t]*\/\/ END GENERATED S-BOX)/g;
const next = src.replace(re, (_m, a, b) => `${a}${body}\n${b}`);
if (next === src && !src.includes('// BEGIN GENERATED S-BOX')) throw new Error(`markers not found in ${TARGET}`);
if (process.argv.includes('--check')) {
  if (next !== src) {
    console.error('aes.ts S-box circuit is out of date: run node scripts/gen-aes-sbox.mjs');
    process.exit(1);
  }
} else if (next !== src) {
  writeFileSync(TARGET, next);
}
console.log(`S-box circuit: ${gates.length} gates (${nAnd} AND), verified on all 256 inputs`);
