// Fails when the relative imports of a package's TypeScript sources form a cycle — between
// modules, and between the folders directly under the source directory (the layers: `format/`
// may not import `container/` when `container/` imports `format/`, even through different files).
// Usage: node scripts/check-import-cycles.mjs <src dir>...   (scripts/test.sh runs it)
// Every import counts, `import type` included: a type-only cycle still means two modules that
// cannot be understood (or moved) one without the other. Uses TypeScript's own import scanner.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry) && !entry.endsWith('.d.ts')) out.push(resolve(path));
  }
  return out;
}

/** The file a relative specifier names (`./x.js` → `./x.ts`), or null for packages and assets. */
function resolveImport(from, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(m?js|jsx)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.tsx`, join(base, 'index.ts')]) {
    if (/\.tsx?$/.test(candidate) && existsSync(candidate)) return candidate;
  }
  return null;
}

function importGraph(files) {
  const graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = [...info.importedFiles].map((f) => resolveImport(file, f.fileName)).filter((t) => t !== null);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The graph between top-level folders (a file directly in `dir` is its own node). */
function layerGraph(dir, graph) {
  const layerOf = (file) => relative(dir, file).split(/[\\/]/)[0];
  const layers = new Map();
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    if (!layers.has(from)) layers.set(from, new Set());
    for (const t of targets) if (layerOf(t) !== from) layers.get(from).add(layerOf(t));
  }
  return new Map([...layers].map(([k, v]) => [k, [...v]]));
}

/** Cycles found by depth-first search (at least one per group of modules that import each other), each reported once. */
function findCycles(graph) {
  const cycles = [];
  const seen = new Set();
  const state = new Map(); // file → 'open' | 'done'
  const stack = [];
  const visit = (file) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cycle, next]);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: node scripts/check-import-cycles.mjs <src dir>...');
  process.exit(2);
}
let failed = false;
for (const dir of dirs) {
  const files = sourceFiles(dir);
  const graph = importGraph(files);
  const cycles = findCycles(graph);
  for (const cycle of cycles) {
    failed = true;
    console.error(`import cycle: ${cycle.map((f) => relative(process.cwd(), f)).join(' → ')}`);
  }
  const layers = findCycles(layerGraph(resolve(dir), graph));
  for (const cycle of layers) {
    failed = true;
    console.error(`layer cycle: ${cycle.join(' → ')}`);
  }
  console.log(`${dir}: ${files.length} modules, ${cycles.length} import cycle(s), ${layers.length} layer cycle(s)`);
}
process.exit(failed ? 1 : 0);
