/**
 * scripts/check-test-refs.mjs: every `file › test name` docs/SECURITY-TESTS.md cites names a test
 * file that holds that title. Planted references prove each kind of miss is found.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

interface RefChecker {
  check: (docs: string[]) => { count: number; problems: string[] };
  references: (markdown: string) => { line: number; file: string | null; name: string }[];
  titleFound: (text: string, name: string) => boolean;
}

const ROOT = join(import.meta.dirname, '../../../');
const { check, references, titleFound } = (await import(pathToFileURL(`${ROOT}scripts/check-test-refs.mjs`).href)) as RefChecker;

function plant(markdown: string): string {
  const doc = join(mkdtempSync(join(tmpdir(), 'test-refs-')), 'doc.md');
  writeFileSync(doc, markdown);
  return doc;
}

describe('check-test-refs', () => {
  it('finds every reference of docs/SECURITY-TESTS.md', () => {
    const { count, problems } = check([`${ROOT}docs/SECURITY-TESTS.md`]);
    expect(problems).toEqual([]);
    expect(count).toBeGreaterThan(100);
  });

  it('accepts a real title, also through `›` continuations, `…` and `${…}` placeholders', () => {
    const doc = plant(
      '| x | `operations.test.ts › has exactly one row per DbOps method (type level)`; `› derives the sets …` |\n' +
        '| y | `exactly-once.test.ts › exec, leader killed ${step}: answered, one row` |\n',
    );
    expect(check([doc])).toEqual({ count: 3, problems: [] });
  });

  it('reports a missing file, a missing title, and a `›` with no file before it', () => {
    const doc = plant(
      '| a | `no-such-file.test.ts › anything` |\n' +
        '| b | `operations.test.ts › a title nobody wrote` |\n' +
        '| c | `› an orphan continuation` |\n' +
        '| d | `operations.test.ts › derives the sets` … `› a second missing title` |\n',
    );
    const { count, problems } = check([doc]);
    expect(count).toBe(5);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/doc\.md:1: no test file no-such-file\.test\.ts/);
    expect(problems[1]).toMatch(/doc\.md:2: operations\.test\.ts has no test "a title nobody wrote"/);
    expect(problems[2]).toMatch(/doc\.md:3: .*names no file before it/);
    expect(problems[3]).toMatch(/doc\.md:4: operations\.test\.ts has no test "a second missing title"/);
  });

  it('matches the stretches of a title in order only', () => {
    expect(titleFound("it('alpha beta gamma')", 'alpha … gamma')).toBe(true);
    expect(titleFound("it('alpha beta gamma')", 'gamma … alpha')).toBe(false);
    expect(references('see `file › test name` for the notation')).toEqual([]);
  });
});
