/**
 * scripts/check-error-codes.mjs: README's "Errors" section names exactly core's ERROR_CODES. The
 * real README passes; a planted section that misses a code or names a made-up one fails.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';

interface CodeChecker {
  declaredCodes(source: string): string[];
  documentedCodes(markdown: string, heading: string): string[];
  compare(declared: readonly string[], documented: readonly string[]): string[];
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const checker = (await import(pathToFileURL(`${ROOT}scripts/check-error-codes.mjs`).href)) as CodeChecker;

describe('check-error-codes', () => {
  it('reads the codes core declares, in order', () => {
    expect(checker.declaredCodes(readFileSync(`${ROOT}packages/core/src/errors.ts`, 'utf8'))).toEqual([...ERROR_CODES]);
  });

  it("README's Errors section names every code and no other", () => {
    const documented = checker.documentedCodes(readFileSync(`${ROOT}README.md`, 'utf8'), 'Errors');
    expect(checker.compare(ERROR_CODES, documented)).toEqual([]);
  });

  it('reports a missing code and a code that does not exist, and reads only its own section', () => {
    const markdown = '## API\n`WORKER_LOST` here is another section.\n### Errors\nCodes: `WRONG_KEY`, `NO_SUCH_CODE`.\n## Security\n`IO`\n';
    const documented = checker.documentedCodes(markdown, 'Errors');
    expect(documented).toEqual(['WRONG_KEY', 'NO_SUCH_CODE']);
    expect(checker.compare(['WRONG_KEY', 'IO'], documented)).toEqual(['IO is an error code but is not documented', 'NO_SUCH_CODE is documented but is no error code']);
  });
});
