/** Size of the AES-GCM WebAssembly module's memory (for the benchmark's memory figures). */
import { aesGcmWasm } from '../../packages/core/src/crypto/aes-gcm-wasm/module.ts';

export function aesWasmMemoryBytes(): number {
  return aesGcmWasm().exports.memory.buffer.byteLength;
}
