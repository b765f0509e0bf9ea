/**
 * Cache keys of live queries: equal inputs give equal keys, different inputs different keys.
 *
 * Every value is written with a type tag and strings are JSON-quoted, so no two different inputs
 * can meet on one key: `5n` (a bigint) and `"5n"` (a string), `5` and `5n`, a byte array and an
 * object that looks like one's encoding, no parameters and an empty parameter list. Object keys
 * are sorted, so `{ ':a': 1, ':b': 2 }` and `{ ':b': 2, ':a': 1 }` are one query.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import type { BindParams } from '@cipherlite/core';

/** A fetcher's identity: a string, or an array of plain values (`['stats']`, `['order', id]`). */
export type QueryKey = string | readonly unknown[];

function encode(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return `n:${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'bigint':
      return `b:${value.toString()}`;
    case 'string':
      return `s:${JSON.stringify(value)}`;
    default:
      break;
  }
  if (value instanceof Uint8Array) return `u8:${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${encode(record[k])}`)
      .join(',')}}`;
  }
  throw new CipherliteError('INVALID_ARGUMENT', `expected a query key of strings, numbers, bigints, booleans, null, bytes, arrays and plain objects, got ${Object.prototype.toString.call(value)}`);
}

/** Identity of a SQL query: equal SQL and equal parameter values give equal keys. */
export function queryKey(sql: string, params?: BindParams): string {
  return `sql:${JSON.stringify(sql)}|${encode(params)}`;
}

/** Identity of a fetcher query (`useQuery(key, fetcher)`); never equal to a SQL query's key. */
export function fetcherKey(key: QueryKey): string {
  return `fn:${encode(key)}`;
}
