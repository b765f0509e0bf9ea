/**
 * scripts/check-typecheck-projects.mjs: the gate's `tsc -b` reaches every tsconfig the repo owns.
 * The real repo passes (the script run as the gate runs it); a planted tsconfig that no reference
 * reaches, or a typecheck script that builds such a project, fails.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

interface ProjectChecker {
  problems(configs: Map<string, unknown>, scripts: Map<string, string>): string[];
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = `${ROOT}scripts/check-typecheck-projects.mjs`;
const checker = (await import(pathToFileURL(SCRIPT).href)) as ProjectChecker;

const planted = () =>
  new Map<string, unknown>([
    ['tsconfig.json', { files: [], references: [{ path: 'packages/a/tsconfig.check.json' }] }],
    ['tsconfig.base.json', { compilerOptions: { strict: true } }],
    ['packages/a/tsconfig.json', { extends: '../../tsconfig.base.json', include: ['src', 'test'] }],
    ['packages/a/tsconfig.build.json', { extends: './tsconfig.json' }],
    ['packages/a/tsconfig.lib.json', { extends: './tsconfig.json', include: ['src'] }],
    ['packages/a/tsconfig.check.json', { extends: './tsconfig.json', include: ['test'], references: [{ path: './tsconfig.lib.json' }] }],
  ]);

describe('check-typecheck-projects', () => {
  it('passes on the repo', () => {
    const out = execFileSync(process.execPath, [SCRIPT], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toMatch(/typecheck projects: \d+ tsconfigs, \d+ typecheck scripts, 0 problems/);
  });

  it('follows references and extends; base and build configs need no reference', () => {
    expect(checker.problems(planted(), new Map([['packages/a', 'tsc -b tsconfig.check.json']]))).toEqual([]);
  });

  it('reports a tsconfig no reference reaches, and a typecheck script that builds one', () => {
    const configs = planted();
    configs.set('packages/b/tsconfig.json', { extends: '../../tsconfig.base.json', include: ['src'] });
    const scripts = new Map([
      ['packages/a', 'tsc -b tsconfig.check.json'],
      ['packages/b', 'tsc -b tsconfig.json'],
      ['packages/c', 'tsc -p tsconfig.json'],
    ]);
    expect(checker.problems(configs, scripts)).toEqual([
      'packages/b/tsconfig.json is reached by no reference of tsconfig.json',
      'packages/b: typecheck builds tsconfig.json, which tsconfig.json does not reach',
      'packages/c: typecheck is not "tsc -b <project>…": tsc -p tsconfig.json',
    ]);
  });
});
