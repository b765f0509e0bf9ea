import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'packages/*/test/**/*.test.tsx', 'packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx', 'examples/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One fork per core, at least two. Vitest's default is the core count minus one: a single fork
    // on a 2-core machine, which left a core idle once the stages beside Vitest (scripts/test.sh)
    // were done. The files share nothing (own temporary folders, random bucket names, scripts/s3.sh
    // starts the object store under a lock), so two run side by side.
    maxWorkers: Math.max(2, availableParallelism()),
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
