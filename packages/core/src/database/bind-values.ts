/** Values crossing into and out of SQLite: parameter checks before binding, integer narrowing after. */
import { invalidArgument } from '../errors.js';
import type { BindParams, SqlValue } from '../types.js';

/** Throws INVALID_ARGUMENT unless `params` is an array or object of bindable values. */
export function checkBindParams(params: BindParams): void {
  if (!Array.isArray(params) && (typeof params !== 'object' || params === null)) invalidArgument('params must be an array or an object');
  for (const v of Array.isArray(params) ? params : Object.values(params)) checkValue(v);
}

function checkValue(v: unknown): asserts v is SqlValue {
  if (v === null || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || v instanceof Uint8Array) return;
  invalidArgument(`cannot bind a value of type ${v === undefined ? 'undefined' : typeof v}; use null, number, bigint, string or Uint8Array`);
}

/** A rowid as a number when it is a safe integer, else as a bigint. */
export function narrowInteger(v: number | bigint): number | bigint {
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return v;
}
