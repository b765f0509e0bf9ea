/**
 * The layer order docs/DESIGN.md states for core and for this package is the one the import
 * checker (scripts/check-import-cycles.mjs) enforces: the real source trees keep it, and a planted
 * upward import, an import between page/ and engine/, or a module outside every layer is reported.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

type Chains = (string | string[])[][];
interface Checker {
  LAYERS: Record<string, Chains>;
  sourceFiles(dir: string): string[];
  importGraph(files: string[]): Map<string, string[]>;
  layerViolations(dir: string, graph: Map<string, string[]>, chains: Chains): string[];
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const checker = (await import(pathToFileURL(`${ROOT}scripts/check-import-cycles.mjs`).href)) as Checker;

function violations(dir: string, chains: Chains): string[] {
  return checker.layerViolations(dir, checker.importGraph(checker.sourceFiles(dir)), chains);
}

describe('the source trees keep their declared layer order', () => {
  it.each(['packages/core/src', 'packages/worker/src'])('%s', (src) => {
    const chains = checker.LAYERS[src];
    expect(chains).toBeDefined();
    expect(violations(join(ROOT, src), chains!)).toEqual([]);
  });
});

describe('a planted violation is reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cipherlite-layers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const plant = (files: Record<string, string>) => {
    rmSync(dir, { recursive: true, force: true });
    for (const [path, code] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), code);
    }
  };
  const worker = () => checker.LAYERS['packages/worker/src']!;
  const base = {
    'shared/protocol.ts': 'export const P = 1;\n',
    'engine/runtime/secret.ts': "import { P } from '../../shared/protocol.js';\nexport const S = P;\n",
    'engine/leader/leader.ts': "import { S } from '../runtime/secret.js';\nimport { P } from '../../shared/protocol.js';\nexport const L = S + P;\n",
    'engine/engine.ts': "import { L } from './leader/leader.js';\nexport const E = L;\n",
    'page/client.ts': "import { P } from '../shared/protocol.js';\nexport const C = P;\n",
    'index.ts': "export { C } from './page/client.js';\n",
    'worker.ts': "export { E } from './engine/engine.js';\n",
  };

  it('imports down the order pass', () => {
    plant(base);
    expect(violations(dir, worker())).toEqual([]);
  });

  it.each([
    ['engine/runtime/secret.ts', "import { L } from '../leader/leader.js';\nexport const S = L;\n", '(engine/runtime) imports'],
    ['shared/protocol.ts', "import type { C } from '../page/client.js';\nexport const P: C = 1;\n", '(shared) imports'],
    ['page/client.ts', "import { S } from '../engine/runtime/secret.js';\nexport const C = S;\n", '(page) imports'],
    ['engine/engine.ts', "import { C } from '../page/client.js';\nexport const E = C;\n", '(engine) imports'],
  ])('%s importing up or across', (file, code, expected) => {
    plant({ ...base, [file]: code });
    const found = violations(dir, worker());
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });

  it('a module in no declared layer', () => {
    plant({ ...base, 'helpers/util.ts': 'export const U = 1;\n' });
    expect(violations(dir, worker())).toEqual([expect.stringContaining('is in no layer')]);
  });
});
