#!/usr/bin/env node
// The gate's type-check is one `tsc -b` over the root tsconfig.json's project references; a
// tsconfig that no reference reaches is checked by nobody. This checks that every tsconfig the
// repo owns is reached — as a referenced project, or extended by one — and that each package's
// `typecheck` script builds only reached projects. Not reached by design: tsconfig.base.json
// (extended by all), tsconfig.build.json (tsdown's declaration build), the consumer fixtures (apps
// of their own, type-checked by the consumer checks).
// Usage: node scripts/check-typecheck-projects.mjs   (scripts/test.sh runs it with the lint stage)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const EXEMPT = [/^tsconfig\.base\.json$/, /(^|\/)tsconfig\.build\.json$/, /^e2e\/consumers\/fixtures\//];

/** A tsconfig path as written in `extends` or `references` (relative to `from`), as a repo path. */
function target(from, ref) {
  const p = posix.normalize(posix.join(posix.dirname(from), ref));
  return p.endsWith('.json') ? p : posix.join(p, 'tsconfig.json');
}

/**
 * The problems of a repo whose tsconfigs are `configs` (repo path → parsed JSON) and whose
 * packages' typecheck scripts are `scripts` (package folder → script); '' is an empty list.
 */
export function problems(configs, scripts) {
  const reached = new Set();
  const visit = (path) => {
    if (reached.has(path) || !configs.has(path)) return;
    reached.add(path);
    const config = configs.get(path);
    for (const ref of config.references ?? []) visit(target(path, ref.path));
    for (const ext of [config.extends ?? []].flat()) visit(target(path, ext));
  };
  visit('tsconfig.json');
  const found = [];
  for (const path of configs.keys()) {
    if (!reached.has(path) && !EXEMPT.some((re) => re.test(path))) found.push(`${path} is reached by no reference of tsconfig.json`);
  }
  for (const [dir, script] of scripts) {
    const m = /^tsc -b((?: [\w.-]+\.json)+)$/.exec(script);
    if (!m) found.push(`${dir}: typecheck is not "tsc -b <project>…": ${script}`);
    else for (const p of m[1].trim().split(' ')) if (!reached.has(posix.join(dir, p))) found.push(`${dir}: typecheck builds ${p}, which tsconfig.json does not reach`);
  }
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = execFileSync('git', ['ls-files', '*tsconfig*.json', '**/package.json', 'package.json'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  const read = (f) => readFileSync(join(root, f), 'utf8');
  const configs = new Map(files.filter((f) => /tsconfig[^/]*\.json$/.test(f)).map((f) => [f, ts.parseConfigFileTextToJson(f, read(f)).config]));
  const scripts = new Map();
  for (const f of files.filter((f) => f.endsWith('package.json') && f !== 'package.json' && !f.startsWith('e2e/consumers/'))) {
    const script = JSON.parse(read(f)).scripts?.typecheck;
    if (script) scripts.set(dirname(f), script);
  }
  const found = problems(configs, scripts);
  for (const p of found) console.error(`typecheck projects: ${p}`);
  console.log(`typecheck projects: ${configs.size} tsconfigs, ${scripts.size} typecheck scripts, ${found.length} problems`);
  process.exit(found.length > 0 ? 1 : 0);
}
