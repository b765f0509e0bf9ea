/**
 * Core's dist loads SQLite through `#sqlite3` (package.json `imports`): the official Node build of
 * `@sqlite.org/sqlite-wasm` under the `node` condition, and everywhere else a copy of its browser
 * build (`dist/sqlite3-browser.js`, beside `dist/sqlite3.wasm`) with the two Worker spawns cut out.
 *
 * Why: the browser build carries helpers cipherlite never runs — the Worker1 promiser spawns
 * `new Worker(new URL("sqlite3-worker1.mjs", import.meta.url))`, and sqlite-wasm's own "opfs"
 * VFS spawns `sqlite3-opfs-async-proxy.js` (cipherlite brings its own VFS). Bundlers follow those
 * literals: Vite and webpack emit both helper files (~74 KB gzip that a service worker then
 * precaches), and Turbopack (Next.js 16's default) fails the build on the `new Worker(new
 * URL(proxyUri, import.meta.url))` with a computed name inside `sqlite3-worker1.mjs`. With the
 * spawns replaced by a thrown error, no bundler sees a worker to build. Each patch must match
 * exactly once, so a sqlite-wasm update that moves them fails the build instead of shipping them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'rolldown';

const SPECIFIER = '@sqlite.org/sqlite-wasm';
const ALIAS = '#sqlite3';

const PATCHES: readonly { what: string; from: string; to: string }[] = [
  {
    what: 'the Worker1 promiser (sqlite3-worker1.mjs)',
    from: 'return new Worker(new URL("sqlite3-worker1.mjs", import.meta.url), { type: "module" });',
    to: 'throw new Error("sqlite3Worker1Promiser is not part of cipherlite\'s SQLite build");',
  },
  {
    what: 'the "opfs" VFS async proxy (sqlite3-opfs-async-proxy.js)',
    from: 'const url = new URL("sqlite3-opfs-async-proxy.js", import.meta.url);\n\t\t\t\t\t\t\turl.searchParams.set("vfs", vfsName);\n\t\t\t\t\t\t\treturn new Worker(url.toString());',
    // Thrown inside a Promise executor: installOpfsVfs() rejects and sqlite-wasm skips that VFS.
    to: 'throw new Error("sqlite-wasm\'s \\"opfs\\" VFS is not part of cipherlite\'s SQLite build (cipherlite brings its own VFS)");',
  },
];

function patchedBrowserBuild(dist: string, version: string): string {
  let code = readFileSync(join(dist, 'index.mjs'), 'utf8');
  for (const p of PATCHES) {
    const count = code.split(p.from).length - 1;
    if (count !== 1) throw new Error(`sqlite-wasm ${version}: expected ${p.what} once in dist/index.mjs, found ${count}`);
    code = code.replace(p.from, p.to);
  }
  if (/new Worker\(|new URL\("sqlite3-/.test(code)) throw new Error(`sqlite-wasm ${version}: dist/index.mjs still spawns a worker after patching`);
  const header = `/*! ${SPECIFIER}@${version} dist/index.mjs (Apache-2.0; SQLite itself is public domain), with its two Worker spawns replaced by throws — see cipherlite's docs/PACKAGING.md. */\n`;
  return header + code;
}

/** Rewrites core's imports of sqlite-wasm to `#sqlite3` and emits the files it maps to. */
export function sqliteWasmBrowser(): Plugin {
  const require = createRequire(import.meta.url);
  return {
    name: 'cipherlite:sqlite-wasm-browser',
    renderChunk(code, chunk) {
      if (!chunk.fileName.endsWith('.js') || !code.includes(SPECIFIER)) return null;
      const next = code.replace(/(\bfrom\s*)(["'])@sqlite\.org\/sqlite-wasm\2/g, `$1$2${ALIAS}$2`);
      if (/\b(?:import|from)\s*\(?\s*["']@sqlite\.org\/sqlite-wasm["']/.test(next)) this.error(`${chunk.fileName} imports ${SPECIFIER} in a form this plugin does not rewrite`);
      return { code: next, map: null };
    },
    generateBundle() {
      const manifestPath = require.resolve(`${SPECIFIER}/package.json`, { paths: [process.cwd()] });
      const version = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string }).version;
      const dist = join(dirname(manifestPath), 'dist');
      this.emitFile({ type: 'asset', fileName: 'sqlite3-browser.js', source: patchedBrowserBuild(dist, version) });
      this.emitFile({ type: 'asset', fileName: 'sqlite3.wasm', source: readFileSync(join(dist, 'sqlite3.wasm')) });
      this.emitFile({
        type: 'asset',
        fileName: 'sqlite3-node.js',
        source: `/** Node: the official Node build of ${SPECIFIER} (see package.json "imports"). */\nexport { default } from '${SPECIFIER}';\n`,
      });
    },
  };
}
