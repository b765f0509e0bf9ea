#!/usr/bin/env node
// Checks every test docs/SECURITY-TESTS.md cites: each `file › test name` (and `› test name`,
// which names another test of the file cited just before it on the same line) must name a test
// file of the repository, and the test's title must be found in that file. `…` stands for text
// left out, `${…}` for a parameter and ` › ` between names for a `describe` around the test: each
// stretch between them must appear in the file, in order.
// Usage: node scripts/check-test-refs.mjs [doc]...   (scripts/test.sh runs it with the lint stage)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const TEST_DIRS = ['packages', 'e2e', 'examples'];
const SKIP = new Set(['node_modules', 'dist', 'test-results', '.tmp', 'playwright-report']);

function testFiles(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry) || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) testFiles(path, out);
    else if (/\.(test|e2e|spec)\.tsx?$|\.test-d\.tsx?$/.test(entry) || /\/(e2e|test)\/.*\.tsx?$/.test(path)) out.push(path);
  }
  return out;
}

/** A test file's text with string escapes undone, so a title reads as the doc writes it. */
function titleText(path) {
  return readFileSync(path, 'utf8').replace(/\\(['"`\\])/g, '$1');
}

/** The `file › name` references of `markdown`, with the line each is on; `› name` inherits the file before it. */
export function references(markdown) {
  const refs = [];
  markdown.split('\n').forEach((line, i) => {
    let file = null;
    for (const [, code] of line.matchAll(/`([^`]*›[^`]*)`/g)) {
      const m = /^\s*([^\s›]*)\s*›\s*(.+?)\s*$/.exec(code);
      if (!m) continue;
      if (m[1]) file = m[1];
      if (file === 'file' && m[2] === 'test name') continue; // the doc's own explanation of the notation
      refs.push({ line: i + 1, file, name: m[2] });
    }
  });
  return refs;
}

/** Whether every literal stretch of `name` (split at `…`, `${…}` and ` › `) appears in `text`, in order. */
export function titleFound(text, name) {
  let at = 0;
  for (const part of name
    .split(/\$\{[^}]*\}|…|\s›\s/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const found = text.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return true;
}

export function check(docs) {
  const files = TEST_DIRS.flatMap((dir) => testFiles(join(root, dir)));
  const problems = [];
  let count = 0;
  for (const doc of docs) {
    for (const ref of references(readFileSync(doc, 'utf8'))) {
      count++;
      const where = `${relative(root, doc)}:${ref.line}`;
      if (!ref.file) {
        problems.push(`${where}: "› ${ref.name}" names no file before it`);
        continue;
      }
      const matches = files.filter((p) => (ref.file.includes('/') ? p.endsWith(`/${ref.file}`) : basename(p) === ref.file));
      if (matches.length === 0) {
        problems.push(`${where}: no test file ${ref.file}`);
        continue;
      }
      if (!matches.some((p) => titleFound(titleText(p), ref.name))) problems.push(`${where}: ${ref.file} has no test "${ref.name}"`);
    }
  }
  return { count, problems };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const docs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [join(root, 'docs/SECURITY-TESTS.md')];
  const { count, problems } = check(docs.map((d) => resolve(d)));
  for (const p of problems) console.error(p);
  console.log(`test references: ${count} checked, ${problems.length} not found`);
  process.exit(problems.length > 0 ? 1 : 0);
}
