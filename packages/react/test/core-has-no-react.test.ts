/**
 * Layering: react → worker client → core. Neither core nor the worker may import React (or this
 * package): they must stay usable from any UI layer, in Node and in workers.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' ? [] : sources(p);
    return /\.(ts|tsx|js|mjs)$/.test(f) ? [p] : [];
  });
}

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

describe.each(['core', 'worker'])('packages/%s', (pkg) => {
  it('imports neither React nor @cipherlite/react', () => {
    const files = sources(join(root, pkg, 'src'));
    expect(files.length).toBeGreaterThan(3);
    const offending = files.flatMap((f) =>
      specifiers(f)
        .filter((s) => /^(react|react-dom|scheduler)(\/|$)|^@cipherlite\/react/.test(s))
        .map((s) => `${relative(root, f)}: ${s}`),
    );
    expect(offending).toEqual([]);
  });

  it('does not depend on React in package.json', () => {
    const manifest = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const deps = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'].flatMap((k) => Object.keys(manifest[k] ?? {}));
    expect(deps.filter((d) => /^(react|react-dom|@types\/react|@cipherlite\/react)$/.test(d))).toEqual([]);
  });
});

it('the import scanner finds what it should (guards the test above)', () => {
  const own = specifiers(join(import.meta.dirname, '..', 'src', 'use-query.ts'));
  expect(own).toContain('react');
  expect(own).toContain('@cipherlite/core');
});
