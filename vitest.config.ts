import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/**
 * Vitest's order (the longest first by the last run's durations; with none kept, as in a clean
 * clone, the largest files first), with the property tests ahead: small files that run many
 * random cases (sync-replica.property.test.ts ~35 s), which by size would start last and leave one
 * fork running alone at the end.
 */
class PropertyTestsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const property = (f: TestSpecification) => f.moduleId.endsWith('.property.test.ts');
    return [...sorted.filter(property), ...sorted.filter((f) => !property(f))];
  }
}

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'packages/*/test/**/*.test.tsx', 'packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx', 'examples/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two forks per core. Vitest's default is the core count minus one: a single fork on a 2-core
    // machine. A fork keeps about two thirds of a core busy — the rest waits on the object store,
    // the file system and timers (two forks alone on two cores: 214 s wall, 300 s of CPU) — so four
    // forks on two cores finished the suite in 169 s (docs/PERFORMANCE.md, "The test gate"). The
    // files share nothing (own temporary folders, random bucket names, scripts/s3.sh starts the
    // object store under a lock), so they run side by side.
    maxWorkers: 2 * availableParallelism(),
    sequence: { sequencer: PropertyTestsFirst },
    // The replica suites start Ceph RGW (scripts/s3.sh) when they first need it; this stops it
    // at the end of the run when the run started it.
    globalSetup: ['packages/core/test/replica/s3-global-setup.ts'],
    // Type tests (`*.test-d.ts(x)`, vitest's expectTypeOf) run through tsc with the package's config.
    typecheck: {
      enabled: true,
      include: ['packages/react/test/**/*.test-d.ts', 'packages/react/test/**/*.test-d.tsx'],
      tsconfig: './packages/react/tsconfig.json',
    },
  },
});
