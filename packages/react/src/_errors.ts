/** Error normalization shared by the query and mutation objects. */
import { CipherliteError, ERROR_CODES } from '@cipherlite/core/errors';
import type { ErrorCode } from '@cipherlite/core';

/**
 * A database failure as a `CipherliteError`. An error that lost its class on the way (another copy
 * of core, a structured clone) keeps its `code` when the code is one of ours; anything else is `IO`.
 */
export function asCipherliteError(e: unknown): CipherliteError {
  if (e instanceof CipherliteError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = errorCode(e);
  return new CipherliteError(code ?? 'IO', message, {}, { cause: e });
}

/** The library error code carried by `e`, or null. */
export function errorCode(e: unknown): ErrorCode | null {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : null;
}
