// Bundles the CLI (TypeScript, including @cipherlite/core's sources) into one ESM file for Node 20.
// Rolldown (already in the tree via Vite; a prebuilt binding from npm, no install script) does the
// TypeScript transform. @sqlite.org/sqlite-wasm stays external: it locates its .wasm file next to
// its own module at run time.
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'cipherlite.mjs');
await build({
  input: join(root, 'src', 'main.ts'),
  platform: 'node',
  external: [/^node:/, '@sqlite.org/sqlite-wasm'],
  logLevel: 'warn',
  output: { file: outfile, format: 'esm', banner: '#!/usr/bin/env node', sourcemap: true, codeSplitting: false },
});
chmodSync(outfile, 0o755);
console.log(`built ${outfile}`);
