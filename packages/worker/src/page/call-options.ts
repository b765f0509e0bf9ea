/**
 * `CallOptions` on the page: `onProgress` and `signal` stay on this thread (functions and signals
 * cannot cross `postMessage`); the rest of an options object goes to the worker.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import type { CallOptions } from '../shared/protocol.js';

/** Validates `CallOptions` (INVALID_ARGUMENT), so a bad one fails here and not in the worker. */
export function checkCallOptions(options: CallOptions): CallOptions {
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  const { onProgress, signal } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new CipherliteError('INVALID_ARGUMENT', 'onProgress must be a function');
  const s = signal as { aborted?: unknown; addEventListener?: unknown } | undefined | null;
  if (s !== undefined && (typeof s !== 'object' || s === null || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function')) {
    throw new CipherliteError('INVALID_ARGUMENT', 'signal must be an AbortSignal');
  }
  return options;
}

/** Splits options into what crosses `postMessage` and the `CallOptions` that stay here. */
export function splitCallOptions<T extends object, P extends string>(options: (T & CallOptions<P>) | undefined): [T | undefined, CallOptions | undefined] {
  if (options === undefined) return [undefined, undefined];
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  // A callback for some phases receives every phase's events; the worker sends only this call's.
  const { onProgress, signal, ...wire } = options as unknown as T & CallOptions;
  const call: CallOptions = { ...(onProgress !== undefined ? { onProgress } : {}), ...(signal !== undefined ? { signal } : {}) };
  return [Object.keys(wire).length > 0 ? (wire as T) : undefined, Object.keys(call).length > 0 ? call : undefined];
}
