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
 * scripts/e2e.sh builds the apps once and runs three phases (E2E_PHASE, `PHASES` below):
 * - `parallel`, three workers: every test except those of TIMING_SPECS that measure time, and except
 *   the POS suite in the engines of BESIDE_SERIAL_POS_ENGINES;
 * - `serial`, one worker: those timing tests — crash and kill timings, leader failover, liveness
 *   deadlines, auto-lock, BUSY after a timeout, progress and abort, backoff retries — with no other
 *   browser of the worker suite running;
 * - `beside-serial`, one worker: the POS suite in Firefox, which measures no time; scripts/test.sh
 *   runs it, and the consumer checks, beside the serial phase (whose one worker keeps about a third
 *   of a core busy). The serial phase's tests were run green with both beside them
 *   (docs/PERFORMANCE.md, "The test gate"); scripts/e2e.sh alone runs the three one after another.
 * A test of a timing spec that measures none is tagged `@any-phase` (ANY_PHASE in tests/fixtures.ts)
 * and runs in the parallel phase; an untagged one runs in the serial phase, so a new test lands there
 * unless its author tags it. Every test runs in exactly one phase (`--list` of the three phases).
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

/**
 * The phases scripts/e2e.sh runs (E2E_PHASE): how many workers each has and which suites it holds.
 * Without E2E_PHASE a run holds every test, with one worker.
 */
const PHASES = {
  parallel: { workers: 3 },
  serial: { workers: 1 },
  'beside-serial': { workers: 1 },
} as const;
type Phase = keyof typeof PHASES;

/** The phase scripts/e2e.sh runs (E2E_PHASE), or none: every test. */
function phase(value: string | undefined): Phase | undefined {
  if (value === undefined || Object.hasOwn(PHASES, value)) return value as Phase | undefined;
  throw new Error(`E2E_PHASE: expected one of ${Object.keys(PHASES).join(', ')}; got "${value}"`);
}
const PHASE = phase(process.env.E2E_PHASE);

/**
 * The POS suite's engines that run in the `beside-serial` phase rather than the parallel one: its
 * Firefox tests are the largest share of the parallel phase's test time (281 s of 965 s in the
 * last clean-clone gate) and measure no time, so they fill the core the serial phase leaves idle.
 */
const BESIDE_SERIAL_POS_ENGINES: readonly Engine[] = ['firefox'];

/**
 * Engines of the POS suite: every engine by default, like the worker suite; `POS_E2E_ENGINES`
 * (comma-separated, e.g. `firefox`) narrows a run.
 */
const POS_ENGINES = (process.env.POS_E2E_ENGINES?.split(',') ?? [...ENGINES]).map((name) => {
  const engine = ENGINES.find((e) => e === name.trim());
  if (!engine) throw new Error(`POS_E2E_ENGINES: unknown engine "${name}" (known: ${ENGINES.join(', ')})`);
  return engine;
});

/**
 * The projects of a phase: the worker suite in `parallel` and `serial` (each its share of the
 * tests), the POS suite in `parallel` and `beside-serial` (each its engines), the notes app in
 * `parallel`; every project without a phase.
 */
function projectsOf(p: Phase | undefined): Project[] {
  const besideSerial = (e: Engine) => BESIDE_SERIAL_POS_ENGINES.includes(e);
  const pos = POS_ENGINES.filter((e) => (p === 'parallel' ? !besideSerial(e) : p === 'beside-serial' ? besideSerial(e) : p === undefined));
  const worker = p === 'beside-serial' ? [] : ENGINES.map(workerSuite);
  return [...worker, ...pos.map(posSuite), ...(p === 'parallel' || p === undefined ? [notesSuite] : [])];
}

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

const reuseExistingServer = process.env.E2E_REUSE_SERVER === '1'; // opt-in only: a stale server on the port would test a stale build
const testAppServer = {
  command: `${prebuilt ? '' : 'pnpm exec vite build test-app --logLevel warn && '}pnpm exec vite preview test-app --port ${PORT} --strictPort --host 127.0.0.1`,
  url: `http://127.0.0.1:${PORT}/`,
  reuseExistingServer,
  timeout: 120_000,
  stdout: 'pipe',
  stderr: 'pipe',
} as const;
const posServer = {
  command: `${prebuilt ? '' : 'POS_TEST_HOOKS=1 pnpm --dir ../examples/pos exec vite build --logLevel warn && '}pnpm --dir ../examples/pos exec vite preview --port ${POS_PORT} --strictPort --host 127.0.0.1`,
  url: `http://127.0.0.1:${POS_PORT}/`,
  reuseExistingServer,
  timeout: 180_000,
  stdout: 'pipe',
  stderr: 'pipe',
} as const;
const notesServer = {
  command: `${prebuilt ? '' : 'VITE_NOTES_TEST_HOOKS=1 pnpm --dir ../examples/notes exec vite build --logLevel warn && '}pnpm --dir ../examples/notes exec vite preview --port ${NOTES_PORT} --strictPort --host 127.0.0.1`,
  url: `http://127.0.0.1:${NOTES_PORT}/`,
  reuseExistingServer,
  timeout: 120_000,
  stdout: 'pipe',
  stderr: 'pipe',
} as const;

const projects = projectsOf(PHASE);

export default defineConfig({
  testDir: './tests',
  // Not *.test.ts / *.spec.ts, so the root Vitest run never picks these up.
  testMatch: '**/*.e2e.ts',
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: PHASE ? PHASES[PHASE].workers : 1,
  forbidOnly: true,
  retries: 0,
  // One output directory per phase: Playwright empties it when a run starts.
  outputDir: `test-results/artifacts-${PHASE ?? 'all'}`,
  reporter: [['list'], ['json', { outputFile: `test-results/results${PHASE ? `-${PHASE}` : ''}.json` }]],
  use: { trace: 'off' },
  projects,
  // Only the servers of this phase's suites: the serial and beside-serial phases run side by side.
  webServer: [
    ...(projects.some((p) => ENGINES.includes(p.name as Engine)) ? [testAppServer] : []),
    ...(projects.some((p) => p.name?.startsWith('pos-')) ? [posServer] : []),
    ...(projects.includes(notesSuite) ? [notesServer] : []),
  ],
});
