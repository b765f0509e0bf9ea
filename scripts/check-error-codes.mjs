#!/usr/bin/env node
// The one list of error codes users read — README.md's "Errors" section — names exactly the codes
// of core's `ERROR_CODES` (packages/core/src/errors.ts): every code, and no code that is not one.
// Usage: node scripts/check-error-codes.mjs   (scripts/test.sh runs it with the lint stage)
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');

/** The string literals of `export const ERROR_CODES = [ … ]` in `source`. */
export function declaredCodes(source) {
  const m = /export const ERROR_CODES\b[^=]*=\s*\[([\s\S]*?)\]/.exec(source);
  if (!m) throw new Error('no ERROR_CODES array found');
  const body = m[1].replace(/\/\/.*$/gm, '');
  return [...body.matchAll(/'([A-Z_]+)'/g)].map((x) => x[1]);
}

/** The backquoted UPPER_CASE names of the markdown section headed `heading` (up to the next heading). */
export function documentedCodes(markdown, heading) {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#+\s/.test(l) && l.replace(/^#+\s*/, '').trim() === heading);
  if (start < 0) throw new Error(`no "${heading}" section found`);
  const end = lines.findIndex((l, i) => i > start && /^#+\s/.test(l));
  const text = lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
  return [...new Set([...text.matchAll(/`([A-Z][A-Z_]+)`/g)].map((x) => x[1]))];
}

export function compare(declared, documented) {
  const problems = [];
  for (const code of declared) if (!documented.includes(code)) problems.push(`${code} is an error code but is not documented`);
  for (const code of documented) if (!declared.includes(code)) problems.push(`${code} is documented but is no error code`);
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const declared = declaredCodes(readFileSync(join(root, 'packages/core/src/errors.ts'), 'utf8'));
  const problems = compare(declared, documentedCodes(readFileSync(join(root, 'README.md'), 'utf8'), 'Errors'));
  for (const p of problems) console.error(`README.md "Errors": ${p}`);
  console.log(`error codes: ${declared.length} declared, ${problems.length} problems`);
  process.exit(problems.length > 0 ? 1 : 0);
}
