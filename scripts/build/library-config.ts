/**
 * The one tsdown setup every published library package (core, worker, react) builds with:
 * ESM JavaScript + `.d.ts` + source maps in `dist/`, one file per entry point (shared code in
 * hashed chunks), dependencies external.
 *
 * Why tsdown: it is made for libraries (entry-per-export, declaration bundling through
 * rolldown-plugin-dts on the real TypeScript compiler, source maps) and runs on Rolldown, the
 * bundler Vite 8 already brings into this tree; tsdown 0.21.x is the last line that runs on
 * Node 20. See docs/PACKAGING.md.
 */
import type { Plugin } from 'rolldown';
import { defineConfig, type UserConfig } from 'tsdown';

/** Declarations that mention these need TypeScript's `esnext.disposable` lib. */
const DISPOSABLE_TYPES = /\bSymbol\.asyncDispose\b|\bAsyncDisposable\b|\bSymbol\.dispose\b/;
const DISPOSABLE_LIB_REFERENCE = '/// <reference lib="esnext.disposable" />\n';

/**
 * Our handles implement `AsyncDisposable` (`await using db = …`). A consumer whose `lib` lacks
 * `ESNext.Disposable` — the stock Vite template's `["ES2022", "DOM", "DOM.Iterable"]` — would get
 * "Property 'asyncDispose' does not exist" inside our `.d.ts`. A `reference lib` directive in the
 * declaration that needs it pulls that lib in for them, as @types/node does; nothing else changes.
 * (TypeScript 5.5+ drops such directives from its own output, so it is added here.)
 */
function referenceDisposableLib(): Plugin {
  return {
    name: 'cipherlite:reference-disposable-lib',
    renderChunk(code, chunk) {
      if (!chunk.fileName.endsWith('.d.ts') || !DISPOSABLE_TYPES.test(code)) return null;
      return { code: DISPOSABLE_LIB_REFERENCE + code, map: null };
    },
  };
}

export function libraryConfig(options: Pick<UserConfig, 'entry' | 'plugins'> & { nodeBuiltins?: boolean }): UserConfig {
  return defineConfig({
    entry: options.entry,
    format: 'esm',
    platform: 'neutral',
    tsconfig: 'tsconfig.build.json',
    dts: true,
    sourcemap: true,
    // A neutral build does not know `node:*` modules; only core's `./node` entry imports them.
    deps: { neverBundle: [/^node:/] },
    plugins: [referenceDisposableLib(), ...[options.plugins ?? []].flat()],
  });
}
