/**
 * Playwright config of both browser suites, one project per suite and engine — Debian's Chromium
 * and Debian's Firefox ESR (no browser download):
 * - `chromium`, `firefox`: the worker suite against the test app (e2e/test-app), served by
 *   `vite preview` on 127.0.0.1:4391 (E2E_PORT overrides);
 * - `pos-chromium`, `pos-firefox`: the point-of-sale example (examples/pos) built for production
 *   with its test-only hooks and served by `vite preview` on 127.0.0.1:4180 (POS_E2E_PORT), a real
 *   origin, so its service worker registers and the offline tests mean something;
 * - `notes-chromium`: the app of docs/GUIDE.md (examples/notes) built with its test-only hooks and
 *   served on 127.0.0.1:4186 (NOTES_E2E_PORT).
 * Each Playwright worker starts one browser; a test gets a fresh context in it, or a persistent
 * profile of its own where the profile is under test (see tests/fixtures.ts).
 *
 * scripts/e2e.sh builds the apps once and runs two phases (E2E_PHASE): `parallel`, three workers,
 * every test except those of TIMING_SPECS that measure time; then `serial`, one worker, those alone
 * — crash and kill timings, leader failover, liveness deadlines, auto-lock, BUSY after a timeout,
 * progress and abort, backoff retries are measured with no other browser of these suites running
 * (scripts/test.sh runs the consumer checks beside this phase: it keeps well under a core busy,
 * and its tests were run green with them beside it, docs/PERFORMANCE.md). A test of a
 * timing spec that measures none is tagged `@any-phase` (ANY_PHASE in tests/fixtures.ts) and runs
 * in the parallel phase; an untagged one runs in the serial phase, so a new test lands there unless
 * its author tags it. Every test runs in exactly one phase (`--list` of both phases).
 * Without E2E_PHASE every test runs (`--project=firefox tests/keys.e2e.ts` runs one file in one engine).
 */
import { defineConfig } from '@playwright/test';
import type { Project } from '@playwright/test';
import { ANY_PHASE_TAG, ENGINES, NOTES_PORT, PORT, engineTimeout, engineUse } from './tests/env.ts';
import type { Engine } from './tests/env.ts';
import { POS_PORT } from './tests/pos-helpers.ts';

/**
 * Specs with tests whose assertions are about time (deadlines, takeovers, kills): those tests run
 * with nothing beside them. `replica` kills a worker while its writer pushes, and waits on backoff
 * retries. A test of these files that measures no time carries ANY_PHASE_TAG (tests/env.ts) and
 * runs in the parallel phase; an untagged one, a new test included, runs in the serial phase.
 */
const TIMING_FILES = ['crash', 'multitab', 'direct-line', 'worker-liveness', 'keys', 'key-management', 'indexeddb', 'opfs', 'progress', 'cleared', 'replica'];
export const TIMING_SPECS = TIMING_FILES.map((s) => `**/${s}.e2e.ts`);
/**
 * Matches an untagged test of a timing spec. Playwright matches `grep` against the project name,
 * the spec's path, the titles and the tags, joined by spaces.
 */
const UNTAGGED_TIMING_TEST = new RegExp(`^(?!.* ${ANY_PHASE_TAG}( |$)).*[ /](${TIMING_FILES.join('|')})\\.e2e\\.ts `);
const ANY_PHASE_TEST = new RegExp(` ${ANY_PHASE_TAG}( |$)`);

/** The phase scripts/e2e.sh runs (E2E_PHASE), or none: every test. */
function phase(value: string | undefined): 'parallel' | 'serial' | undefined {
  if (value === undefined || value === 'parallel' || value === 'serial') return value;
  throw new Error(`E2E_PHASE: expected "parallel" or "serial", got "${value}"`);
}
const PHASE = phase(process.env.E2E_PHASE);

/**
 * Engines of the POS suite: every engine by default, like the worker suite; `POS_E2E_ENGINES`
 * (comma-separated, e.g. `firefox`) narrows a run.
 */
const POS_ENGINES = (process.env.POS_E2E_ENGINES?.split(',') ?? [...ENGINES]).map((name) => {
  const engine = ENGINES.find((e) => e === name.trim());
  if (!engine) throw new Error(`POS_E2E_ENGINES: unknown engine "${name}" (known: ${ENGINES.join(', ')})`);
  return engine;
});

const prebuilt = process.env.E2E_PREBUILT === '1';

function workerSuite(engine: Engine): Project {
  // Serial: the timing specs' untagged tests. Parallel: every test but those. Neither: every test.
  const selected = PHASE === 'serial' ? { testMatch: TIMING_SPECS, grepInvert: ANY_PHASE_TEST } : { testMatch: '**/*.e2e.ts', ...(PHASE === 'parallel' ? { grepInvert: UNTAGGED_TIMING_TEST } : {}) };
  return {
    name: engine,
    ...selected,
    testIgnore: ['**/pos-*.e2e.ts', '**/notes.e2e.ts'],
    use: { ...engineUse(engine), baseURL: `http://127.0.0.1:${PORT}/` },
    timeout: engineTimeout(engine, 90_000),
  };
}

function posSuite(engine: Engine): Project {
  return { name: `pos-${engine}`, testMatch: '**/pos-*.e2e.ts', use: { ...engineUse(engine), baseURL: `http://127.0.0.1:${POS_PORT}/` }, timeout: engineTimeout(engine, 120_000) };
}

/** The guide's example app, in Chromium: it walks the recipe end to end; the worker suite covers the engines. */
const notesSuite: Project = { name: 'notes-chromium', testMatch: '**/notes.e2e.ts', use: { ...engineUse('chromium'), baseURL: `http://127.0.0.1:${NOTES_PORT}/` }, timeout: 90_000 };

export default defineConfig({
  testDir: './tests',
  // Not *.test.ts / *.spec.ts, so the root Vitest run never picks these up.
  testMatch: '**/*.e2e.ts',
  expect: { timeout: 15_000 },
  fullyParallel: false,
  // Parallel phase: three workers on two cores. A worker of that phase keeps about two thirds of
  // a core busy (CPU seconds of five of its specs against their time on the quiet CI: 53–70 %, the
  // rest waiting on pages, timers, the servers; docs/PERFORMANCE.md), so two left a core mostly idle. The timing specs run
  // in a phase of their own with one worker (see above).
  workers: PHASE === 'parallel' ? 3 : 1,
  forbidOnly: true,
  retries: 0,
  // One output directory per phase: Playwright empties it when a run starts.
  outputDir: `test-results/artifacts-${PHASE ?? 'all'}`,
  reporter: [['list'], ['json', { outputFile: `test-results/results${PHASE ? `-${PHASE}` : ''}.json` }]],
  use: { trace: 'off' },
  projects: [...ENGINES.map(workerSuite), ...(PHASE === 'serial' ? [] : POS_ENGINES.map(posSuite)), ...(PHASE === 'serial' ? [] : [notesSuite])],
  webServer: [
    {
      command: `${prebuilt ? '' : 'pnpm exec vite build test-app --logLevel warn && '}pnpm exec vite preview test-app --port ${PORT} --strictPort --host 127.0.0.1`,
      url: `http://127.0.0.1:${PORT}/`,
      // Opt-in only: a stale server on the port would test a stale build.
      reuseExistingServer: process.env.E2E_REUSE_SERVER === '1',
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      command: `${prebuilt ? '' : 'POS_TEST_HOOKS=1 pnpm --dir ../examples/pos exec vite build --logLevel warn && '}pnpm --dir ../examples/pos exec vite preview --port ${POS_PORT} --strictPort --host 127.0.0.1`,
      url: `http://127.0.0.1:${POS_PORT}/`,
      reuseExistingServer: process.env.E2E_REUSE_SERVER === '1',
      timeout: 180_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      command: `${prebuilt ? '' : 'VITE_NOTES_TEST_HOOKS=1 pnpm --dir ../examples/notes exec vite build --logLevel warn && '}pnpm --dir ../examples/notes exec vite preview --port ${NOTES_PORT} --strictPort --host 127.0.0.1`,
      url: `http://127.0.0.1:${NOTES_PORT}/`,
      reuseExistingServer: process.env.E2E_REUSE_SERVER === '1',
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
