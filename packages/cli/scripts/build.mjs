// Bundles the CLI (TypeScript, including @cipherlite/core's sources) into one ESM file for Node 20.
// Rolldown (already in the tree via Vite; a prebuilt binding from npm, no install script) does the
// TypeScript transform. @sqlite.org/sqlite-wasm stays external: it locates its .wasm file next to
// its own module at run time.
// Usage: node scripts/build.mjs [outfile]   (default dist/cipherlite.mjs; the tests build their own
// copy elsewhere, so a `pnpm pack` running meanwhile never ships or runs a half-written file)
import { chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = process.argv[2] ? resolve(process.argv[2]) : join(root, 'dist', 'cipherlite.mjs');
await build({
  input: join(root, 'src', 'main.ts'),
  platform: 'node',
  external: [/^node:/, '@sqlite.org/sqlite-wasm'],
  logLevel: 'warn',
  output: { file: outfile, format: 'esm', banner: '#!/usr/bin/env node', sourcemap: true, codeSplitting: false },
});
chmodSync(outfile, 0o755);
console.log(`built ${outfile}`);
