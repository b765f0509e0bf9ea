/** Diagnostics: levels filter, records carry name/code/message only, a broken sink is contained. */
import { describe, expect, it } from 'vitest';
import { CipherliteError } from '@cipherlite/core';
import { Diagnostics, assertLogSetting } from '../src/shared/diagnostics.js';
import type { LogRecord } from '../src/shared/diagnostics.js';

describe('Diagnostics', () => {
  it('passes records at or above the chosen level and drops the rest', () => {
    const records: LogRecord[] = [];
    const log = new Diagnostics('warn', (r) => records.push(r));
    log.report('error', 'e');
    log.report('warn', 'w');
    log.report('info', 'i');
    log.report('debug', 'd');
    expect(records.map((r) => r.event)).toEqual(['e', 'w']);
    expect(new Diagnostics('off', () => records.push({ level: 'error', event: 'never' })).enabled('error')).toBe(false);
  });

  it('records the error name, code and message only', () => {
    const records: LogRecord[] = [];
    const log = new Diagnostics('debug', (r) => records.push(r));
    const error = new CipherliteError('CORRUPT', 'page 3 failed authentication', { page: 3 });
    log.ignored('test.failed', 'error')(error);
    expect(records).toEqual([{ level: 'error', event: 'test.failed', error: { name: error.name, code: 'CORRUPT', message: 'page 3 failed authentication' } }]);
    log.report('warn', 'test.thrown-string', 'a secret string');
    expect(JSON.stringify(records)).not.toContain('a secret string');
  });

  it('a sink that throws does not break the caller', () => {
    const log = new Diagnostics('debug', () => {
      throw new Error('sink broke');
    });
    expect(() => log.report('error', 'x')).not.toThrow();
  });

  it('rejects an unknown log level with INVALID_ARGUMENT', () => {
    expect(() => assertLogSetting('verbose')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => assertLogSetting(undefined)).not.toThrow();
  });
});
