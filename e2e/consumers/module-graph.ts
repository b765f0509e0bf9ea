/**
 * Walks the static import graph of an installed package's built entry (`dist/*.js`), following
 * relative imports and imports of other installed `@cipherlite/*` packages through their
 * `exports`, and reports which bare specifiers it reaches. Spawned workers
 * (`new Worker(new URL(…))`) are another thread, not an import, and are not followed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** `import … from "x"`, `export … from "x"`, `import "x"`, `import("x")`. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"']+)\1/g;

type Exports = Record<string, string | { default: string }>;

function packageEntry(nodeModules: string, specifier: string): string | null {
  const m = /^(@cipherlite\/[^/]+)(\/.*)?$/.exec(specifier);
  if (!m) return null;
  const dir = join(nodeModules, m[1]!);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: Exports };
  const target = manifest.exports[`.${m[2] ?? ''}`];
  if (target === undefined) throw new Error(`${specifier} is not exported by ${m[1]}`);
  return join(dir, typeof target === 'string' ? target : target.default);
}

/** The bare specifiers (outside `@cipherlite/*`) reachable from `entry`, and the files walked. */
export function reachableImports(nodeModules: string, entry: string): { external: Set<string>; files: string[] } {
  const start = packageEntry(nodeModules, entry);
  if (!start) throw new Error(`not a @cipherlite entry: ${entry}`);
  const seen = new Set<string>();
  const external = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, , spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (spec!.startsWith('.')) {
        stack.push(resolve(dirname(file), spec!));
        continue;
      }
      const target = packageEntry(nodeModules, spec!);
      if (target) stack.push(target);
      else external.add(spec!);
    }
  }
  return { external, files: [...seen] };
}
