/**
 * Loads the embedded AES-256-GCM WebAssembly module (built by scripts/build-wasm.mjs from
 * packages/core/wasm/) synchronously, once, on first use.
 *
 * Synchronous compile (`new WebAssembly.Module`) keeps the cipher API synchronous, which the VFS
 * needs. Workers and Node allow it for any size; Chromium's main thread has historically refused
 * synchronous compiles above a small size limit — cipherlite runs the cipher in a worker.
 * The module has no imports; its memory layout is published as exported globals (layout.ts).
 */
import { AES_GCM_WASM_BASE64 } from './aes-gcm.wasm.js';

/** The module's exports (see packages/core/wasm/gcm.ts). Pointers are byte offsets. */
export interface AesGcmExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  setKey(slot: number): void;
  wipeSlot(slot: number): void;
  wipeScratch(): void;
  seal(slot: number, aadLen: number, len: number): void;
  open(slot: number, aadLen: number, len: number): number;
  /** Test hook: raw AES-256 encryption of the 8 blocks at DATA_PTR, in place. */
  encryptBlocks(slot: number): void;
}

/** Fixed offsets in linear memory, read from the module so the two sides cannot disagree. */
export interface AesGcmLayout {
  readonly NONCE_PTR: number;
  readonly TAG_PTR: number;
  readonly KEY_PTR: number;
  readonly AAD_PTR: number;
  readonly AAD_MAX: number;
  readonly DATA_PTR: number;
  readonly DATA_MAX: number;
  readonly SLOTS_PTR: number;
  readonly SLOT_SIZE: number;
}

export interface AesGcmWasm {
  readonly exports: AesGcmExports;
  readonly layout: AesGcmLayout;
}

/** Only the slice of the WebAssembly JS API used here (the repo's `lib` has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

const LAYOUT_NAMES = ['NONCE_PTR', 'TAG_PTR', 'KEY_PTR', 'AAD_PTR', 'AAD_MAX', 'DATA_PTR', 'DATA_MAX', 'SLOTS_PTR', 'SLOT_SIZE'] as const;

let instance: AesGcmWasm | undefined;

/** Returns the process-wide instance, compiling it on the first call. */
export function aesGcmWasm(): AesGcmWasm {
  if (instance !== undefined) return instance;
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new Error('aes-gcm-wasm: WebAssembly is not available in this environment');
  const inst = new api.Instance(new api.Module(decodeBase64(AES_GCM_WASM_BASE64)), {});
  const raw = inst.exports;
  const layout = {} as Record<(typeof LAYOUT_NAMES)[number], number>;
  for (const name of LAYOUT_NAMES) layout[name] = (raw[name] as { value: number }).value;
  instance = { exports: raw as unknown as AesGcmExports, layout };
  return instance;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes standard base64 (with `=` padding). Kept local: `atob` is not in every TS lib. */
function decodeBase64(s: string): Uint8Array {
  const lookup = new Uint8Array(128).fill(255);
  for (let i = 0; i < B64.length; i++) lookup[B64.charCodeAt(i)] = i;
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let acc = 0,
    bits = 0,
    o = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? lookup[c]! : 255;
    if (v === 255) throw new Error('aes-gcm-wasm: corrupt embedded module (bad base64)');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
