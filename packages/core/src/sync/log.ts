/**
 * The ordered log sync is built on, as an interface: positions 1, 2, 3 … each written at most
 * once, by whoever claims it first. On S3-compatible storage that is a PUT with
 * `If-None-Match: *` on the object for position `tip + 1` (412 = taken); the replica supplies that
 * implementation (authentication, encryption, hash chain and padding are its job). Here the
 * payload is plaintext bytes plus the id of the device that wrote it.
 *
 * Contract, which every implementation must keep:
 * - `tryAppend(seq, r)` stores `r` at `seq` only if nothing is there yet and answers 'ok'; if the
 *   position is already written it changes nothing and answers 'taken'. A failure (network, store
 *   error) throws — and the append may or may not have happened: sync recognises its own entry
 *   when it reads it back (device id + transaction number), so a retry never duplicates.
 * - `read(fromSeq)` returns every entry from `fromSeq` on, in order, without gaps; `tip()` the
 *   highest written position (0 when empty).
 */
import { CipherliteError } from '../errors.js';

/** What a device appends: its id and the encoded entry (sync/codec.ts). */
export interface LogRecord {
  readonly device: string;
  readonly payload: Uint8Array;
}

export interface LogEntry extends LogRecord {
  readonly seq: number;
  /** When the writer says it wrote the entry (its clock, ms since the epoch), where the log keeps one (the replica does). */
  readonly time?: number;
}

export type AppendResult = 'ok' | 'taken';

export interface SyncLog {
  tip(): Promise<number>;
  read(fromSeq: number): Promise<LogEntry[]>;
  tryAppend(seq: number, record: LogRecord): Promise<AppendResult>;
}

export type LogOperation = 'tip' | 'read' | 'append';

/** A fault the in-memory log injects into its next call. */
export type LogFault =
  /** The request never reaches the store: nothing happens, the call throws. */
  | 'lost-request'
  /** The store performs the call but the answer is lost: the call throws anyway. */
  | 'lost-response';

/**
 * The conditional-append contract in memory, shared by every "device" of a test (one instance =
 * one bucket). Entries are copied in and out, so no caller can alter what another reads.
 */
export class MemorySyncLog implements SyncLog {
  readonly #entries: LogEntry[] = [];
  readonly #faults: Record<LogOperation, LogFault[]> = { tip: [], read: [], append: [] };

  /** Queues a fault for the next call(s) of `op`, in order. */
  injectFault(op: LogOperation, ...faults: LogFault[]): void {
    this.#faults[op].push(...faults);
  }

  /** Every entry, for inspection (copies). */
  entries(): LogEntry[] {
    return this.#entries.map(copyEntry);
  }

  tip(): Promise<number> {
    return this.#call('tip', () => this.#entries.length);
  }

  read(fromSeq: number): Promise<LogEntry[]> {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', `read: fromSeq must be an integer ≥ 1, got ${fromSeq}`));
    return this.#call('read', () => this.#entries.slice(fromSeq - 1).map(copyEntry));
  }

  tryAppend(seq: number, record: LogRecord): Promise<AppendResult> {
    if (!Number.isSafeInteger(seq) || seq < 1) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', `tryAppend: seq must be an integer ≥ 1, got ${seq}`));
    return this.#call('append', (): AppendResult => {
      if (seq <= this.#entries.length) return 'taken';
      // A conditional PUT can name any position; the log itself never has a gap.
      if (seq !== this.#entries.length + 1) throw new CipherliteError('INVALID_ARGUMENT', `tryAppend: position ${seq} is beyond the tip + 1 (${this.#entries.length + 1})`);
      this.#entries.push(copyEntry({ seq, device: record.device, payload: record.payload }));
      return 'ok';
    });
  }

  async #call<R>(op: LogOperation, fn: () => R): Promise<R> {
    await Promise.resolve();
    const fault = this.#faults[op].shift();
    if (fault === 'lost-request') throw new CipherliteError('IO', 'sync log unreachable (the request was lost)');
    const result = fn();
    if (fault === 'lost-response') throw new CipherliteError('IO', 'sync log unreachable (the answer was lost)');
    return result;
  }
}

function copyEntry(e: LogEntry): LogEntry {
  return { seq: e.seq, device: e.device, payload: e.payload.slice() };
}
