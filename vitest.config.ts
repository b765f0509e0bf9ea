import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'packages/*/test/**/*.test.tsx', 'packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx', 'examples/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Type tests (`*.test-d.ts(x)`, vitest's expectTypeOf) run through tsc with the package's config.
    typecheck: {
      enabled: true,
      include: ['packages/react/test/**/*.test-d.ts', 'packages/react/test/**/*.test-d.tsx'],
      tsconfig: './packages/react/tsconfig.json',
    },
  },
});
