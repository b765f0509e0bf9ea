/**
 * The worker's diagnostics: one opt-in logger with levels, instead of silently dropped errors.
 *
 * The worker deliberately ignores some failures — a callback of a client that went away, a
 * best-effort cleanup, a rollback after the caller's own error. Each goes through `Diagnostics`,
 * which is silent by default (`logLevel: 'off'`) and otherwise hands a record to a sink (the
 * worker's console in the browser). A record holds an event name and the error's name, `code`
 * and message — never arguments, rows or key material; core's error messages never contain
 * secrets, and nothing else is printed.
 */
import { CipherliteError } from '@cipherlite/core/errors';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** `off` (default) prints nothing; each level includes the ones before it. */
export type LogSetting = 'off' | LogLevel;

export const LOG_SETTINGS: readonly LogSetting[] = ['off', 'error', 'warn', 'info', 'debug'];

/** The error's name, code (for a `CipherliteError`) and message. */
export interface LoggedError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
}

export interface LogRecord {
  readonly level: LogLevel;
  /** What happened, as a stable dotted name (`leader.restore-cancel-failed`). */
  readonly event: string;
  readonly error?: LoggedError;
}

export type LogSink = (record: LogRecord) => void;

/** Writes records to `console` with a `[cipherlite]` prefix. */
export const consoleSink: LogSink = (record) => {
  const detail = record.error ? ` ${record.error.name}${record.error.code ? ` ${record.error.code}` : ''}: ${record.error.message}` : '';
  const line = `[cipherlite] ${record.event}${detail}`;
  if (record.level === 'error') console.error(line);
  else if (record.level === 'warn') console.warn(line);
  else if (record.level === 'info') console.info(line);
  else console.debug(line);
};

function describe(e: unknown): LoggedError {
  if (e instanceof CipherliteError) return { name: e.name, code: e.code, message: e.message };
  if (e instanceof Error || (typeof DOMException === 'function' && e instanceof DOMException)) return { name: e.name, message: e.message };
  return { name: typeof e, message: 'a non-Error value was thrown' };
}

export class Diagnostics {
  /** Prints nothing: for code that runs before options are known. */
  static readonly silent = new Diagnostics('off', () => undefined);

  readonly #rank: number;
  readonly #sink: LogSink;

  constructor(setting: LogSetting, sink: LogSink) {
    this.#rank = LOG_SETTINGS.indexOf(setting);
    this.#sink = sink;
  }

  enabled(level: LogLevel): boolean {
    return LOG_SETTINGS.indexOf(level) <= this.#rank;
  }

  report(level: LogLevel, event: string, error?: unknown): void {
    if (!this.enabled(level)) return;
    try {
      this.#sink(error === undefined ? { level, event } : { level, event, error: describe(error) });
    } catch {
      // A failing sink must not break the worker; there is nowhere left to report it.
    }
  }

  /** A rejection handler for a failure the worker deliberately goes on after: reported, not rethrown. */
  ignored(event: string, level: LogLevel = 'warn'): (e: unknown) => void {
    return (e) => this.report(level, event, e);
  }
}

/** Throws `INVALID_ARGUMENT` unless `value` is a log setting (`off`, `error`, `warn`, `info`, `debug`). */
export function assertLogSetting(value: unknown): asserts value is LogSetting | undefined {
  if (value !== undefined && !LOG_SETTINGS.includes(value as LogSetting)) {
    throw new CipherliteError('INVALID_ARGUMENT', `expected logLevel to be one of ${LOG_SETTINGS.join(', ')}, got ${typeof value === 'string' ? value : typeof value}`);
  }
}
