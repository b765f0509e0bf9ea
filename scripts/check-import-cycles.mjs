// Fails when the relative imports of a package's TypeScript sources form a cycle — between
// modules, and between the folders directly under the source directory (the layers: `format/`
// may not import `container/` when `container/` imports `format/`, even through different files)
// — and, for the packages whose layers docs/DESIGN.md orders (`LAYERS` below), when a module
// imports a layer above its own, or lies in no declared layer.
// Usage: node scripts/check-import-cycles.mjs <src dir>...   (scripts/test.sh runs it)
// Every import counts, `import type` included: a type-only cycle still means two modules that
// cannot be understood (or moved) one without the other. Uses TypeScript's own import scanner.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The layer order of docs/DESIGN.md ("Layers", "Source tree of …"), lowest first. A layer is a
 * folder or a file under the source directory (a file belongs to the longest that contains it);
 * one entry may group several. A module imports its own layer and the layers below it in every
 * chain its layer belongs to — so `page` and `engine`, in different chains over `shared`, never
 * import each other.
 */
export const LAYERS = {
  'packages/core/src': [
    [
      ['types.ts', 'errors.ts'],
      'crypto',
      'format',
      'storage',
      'container',
      'sqlite',
      'vfs',
      'database',
      'keys',
      'replica',
      'sync',
      'migrate',
      ['index.ts', 'node.ts', 'internal.ts', 'errors-entry.ts', 'header.ts', 'storage-entry.ts'],
    ],
  ],
  'packages/worker/src': [
    ['shared', 'engine/runtime', 'engine/storage', 'engine/leader', 'engine', 'worker.ts'],
    ['shared', 'page', 'index.ts'],
    ['shared', 'broker.ts'],
  ],
};

export function sourceFiles(dir) {
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

export function importGraph(files) {
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

/** The layer of `file`: the longest declared folder or file (relative to `dir`) that contains it, or null. */
function layerOf(dir, names, file) {
  const path = relative(dir, file).split(sep).join('/');
  let best = null;
  for (const name of names) if ((path === name || path.startsWith(`${name}/`)) && (best === null || name.length > best.length)) best = name;
  return best;
}

/**
 * Imports that go up the declared order, and modules in no declared layer. `chains` lists layers
 * lowest first; an entry that is an array is one layer of several names.
 */
export function layerViolations(dir, graph, chains) {
  const groupOf = new Map(); // name → its group's first name (the layer's id)
  const below = new Map(); // layer id → ids it may import (itself and lower, in every chain)
  for (const chain of chains) {
    const ids = chain.map((entry) => [entry].flat());
    ids.forEach((names, i) => {
      for (const name of names) groupOf.set(name, names[0]);
      const allowed = below.get(names[0]) ?? new Set();
      for (const lower of ids.slice(0, i + 1)) allowed.add(lower[0]);
      below.set(names[0], allowed);
    });
  }
  const names = [...groupOf.keys()];
  const at = (file) => relative(process.cwd(), file);
  const problems = [];
  for (const [file, targets] of graph) {
    const from = layerOf(dir, names, file);
    if (from === null) {
      problems.push(`${at(file)} is in no layer of the declared order (name its folder in LAYERS and docs/DESIGN.md)`);
      continue;
    }
    for (const target of targets) {
      const to = layerOf(dir, names, target);
      if (to !== null && !below.get(groupOf.get(from)).has(groupOf.get(to))) problems.push(`layer order: ${at(file)} (${from}) imports ${at(target)} (${to}), which is not below it`);
    }
  }
  return problems;
}

/** Names of layers docs/DESIGN.md does not mention as `name/` or `name`. */
function undocumentedLayers(chains, design) {
  const names = new Set(chains.flat(2));
  return [...names].filter((name) => !design.includes(name.endsWith('.ts') ? name : `${name}/`));
}

function main(dirs) {
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
    const chains = LAYERS[relative(process.cwd(), resolve(dir)).split(sep).join('/')];
    let order = 'no declared layer order';
    if (chains) {
      const problems = layerViolations(resolve(dir), graph, chains);
      const design = readFileSync(new URL('../docs/DESIGN.md', import.meta.url), 'utf8');
      for (const name of undocumentedLayers(chains, design)) problems.push(`layer ${name} of ${dir} is not named in docs/DESIGN.md`);
      for (const problem of problems) console.error(problem);
      failed ||= problems.length > 0;
      order = `${problems.length} layer-order problem(s)`;
    }
    console.log(`${dir}: ${files.length} modules, ${cycles.length} import cycle(s), ${layers.length} layer cycle(s), ${order}`);
  }
  return failed;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    console.error('usage: node scripts/check-import-cycles.mjs <src dir>...');
    process.exit(2);
  }
  process.exit(main(dirs) ? 1 : 0);
}
