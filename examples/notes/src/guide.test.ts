/**
 * docs/GUIDE.md quotes this example: every TypeScript block there must appear verbatim in the
 * example file the text before it links to (or, for consecutive blocks, the one before them), so
 * the guide cannot drift from the code the e2e suite runs. The Vite setup is one snippet: the
 * root README's, which this example's vite.config.ts holds and the worker README repeats.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Quote {
  lang: string;
  code: string;
  /** Repo-relative path of the file the guide says the block comes from. */
  source: string | undefined;
}

/** The fenced blocks of a Markdown file, each with the last example file linked before it. */
function quotes(markdown: string): Quote[] {
  const found: Quote[] = [];
  let source: string | undefined;
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let last = 0;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    const links = [...markdown.slice(last, m.index).matchAll(/\]\(\.\.\/(examples\/notes\/[^)#]+)\)/g)];
    if (links.length > 0) source = links.at(-1)![1];
    found.push({ lang: m[1]!, code: m[2]!, source });
    last = m.index + m[0].length;
  }
  return found;
}

/** The ```ts blocks that configure Vite (they mention optimizeDeps). */
function viteBlocks(markdown: string): string[] {
  return quotes(markdown)
    .filter((q) => q.lang === 'ts' && q.code.includes('optimizeDeps'))
    .map((q) => q.code);
}

test('every TypeScript block of docs/GUIDE.md is quoted verbatim from the example file it names', () => {
  const blocks = quotes(read('docs/GUIDE.md')).filter((q) => q.lang === 'ts' || q.lang === 'tsx');
  // One or more per step of the recipe: a parser that finds nothing must not pass.
  expect(blocks.length).toBeGreaterThanOrEqual(12);
  for (const block of blocks) {
    expect(block.source, `a block without a linked example file:\n${block.code}`).toBeDefined();
    expect(read(block.source!), `docs/GUIDE.md quotes ${block.source}, which no longer holds:\n${block.code}`).toContain(block.code);
  }
});

test('one Vite snippet: the root README, the worker README and the guide show the example config', () => {
  const config = read('examples/notes/vite.config.ts');
  const snippets = ['README.md', 'packages/worker/README.md', 'docs/GUIDE.md'].map((path) => ({ path, blocks: viteBlocks(read(path)) }));
  for (const { path, blocks } of snippets) {
    expect(blocks, path).toHaveLength(1);
    expect(config, `${path}'s Vite snippet differs from examples/notes/vite.config.ts`).toContain(blocks[0]);
  }
});
