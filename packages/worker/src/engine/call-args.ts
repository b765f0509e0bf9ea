/**
 * A call of the operation table (`WorkerApi.run`) as the engine sends it on: its arguments with
 * passwords turned into bytes at once — what core gets, and what is wiped once the call ends —
 * and the secret this tab keeps if the call succeeds (`adoptsKeyArg`: a changed password).
 * Built in a function of its own, so no closure of the call keeps the caller's arguments.
 */
import { CipherliteError } from '@cipherlite/core';
import type { KeyMaterial } from '@cipherlite/core';
import { operationRow } from '../shared/protocol.js';
import type { LeaderRequest } from '../shared/bus.js';
import type { OpArgs, OpName } from '../shared/protocol.js';
import { passwordAsBytes, Secret } from './runtime/secret.js';

export interface PreparedCall {
  readonly req: LeaderRequest;
  /** Positions of `args` holding key material, to wipe once the call ends. */
  readonly keyArgs: readonly number[];
  readonly args: readonly unknown[];
  /** The key material this tab holds from now on if the call succeeds. */
  readonly next: Secret | null;
  /** The result is a whole file, moved to the page (engine/runtime/transfer.ts). */
  readonly transferResult: boolean;
}

/** INVALID_ARGUMENT (or core's error) when an argument cannot be taken. */
export function prepareCall<K extends OpName>(op: K, args: OpArgs<K>, txId: number | undefined): PreparedCall {
  const row = operationRow(op);
  const keyArgs: readonly number[] = row?.keyArgs ?? [];
  const callArgs: unknown[] = [];
  try {
    args.forEach((a: unknown, i) => callArgs.push(keyArgs.includes(i) ? passwordAsBytes(a) : a));
    const req: LeaderRequest = { op, args: callArgs, ...(txId === undefined ? {} : { txId }) };
    const next = row?.adoptsKeyArg === undefined ? null : Secret.from(callArgs[row.adoptsKeyArg] as KeyMaterial);
    return { req, keyArgs, args: callArgs, next, transferResult: row?.transferResult ?? false };
  } catch (e) {
    throw e instanceof CipherliteError ? e : new CipherliteError('INVALID_ARGUMENT', String(e));
  }
}
