/**
 * Large byte results leave the worker by transfer, not by copy.
 *
 * `backup`, `exportPlaintext` and `readBackup` return a whole database file (up to hundreds of
 * megabytes). Posted as they are, the structured clone copies every byte once more, on the
 * worker's critical path, and holds two copies at the peak. Their arrays are created for the call
 * and never used by the worker again, so their buffers can move to the page instead.
 */
import { transfer } from 'comlink';

/**
 * Marks the bytes of `result` (a Uint8Array, or an object with one as `bytes`) for transfer when
 * the array owns its whole buffer; a view into a larger buffer (memory that may be shared) is
 * left to be copied. Returns `result` itself.
 */
export function transferBytes<T>(result: T): T {
  const bytes = result instanceof Uint8Array ? result : (result as { bytes?: unknown } | null)?.bytes;
  if (!(bytes instanceof Uint8Array)) return result;
  const buffer = bytes.buffer;
  if (!(buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength || bytes.byteLength === 0) return result;
  return transfer(result, [buffer]);
}
