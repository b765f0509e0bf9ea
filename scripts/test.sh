#!/usr/bin/env bash
# The one command that runs every test (README Quick start; CI's .ci/run calls it):
#   1. bootstrap: pnpm, packages, Debian's chromium, firefox-esr, webkit2gtk-driver, xvfb and
#      sqlite3 when missing;
#   2. type-check every package (strict TypeScript); ESLint (typescript-eslint, type-aware) with
#      no warnings; Prettier's format check; no import cycle between modules or layers; the tests
#      docs/SECURITY-TESTS.md cites exist, README's error codes are core's;
#   3. Vitest in Node: format, crypto, VFS, SQL, crash/fault/tamper suites, keys, CLI, React hooks,
#      the replica suites against Ceph RGW (started by the first suite that needs it when it is not
#      up, stopped at the end when this run started it: scripts/s3.sh);
#   4. Playwright in Debian Chromium and Debian Firefox ESR (one project each): worker + OPFS +
#      IndexedDB fallback + multi-tab e2e, and the POS example's e2e;
#   5. the WebKit smoke suite (WebKitGTK via WebKitWebDriver under Xvfb: the IndexedDB fallback);
#   6. consumer checks: pack and lint the packages, install the tarballs into fresh apps outside
#      the workspace (Vite, webpack 5, Node ESM, CLI via npx) and run them (scripts/consumers.sh).
# Ends with one line "N passed, N failed". Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

reports="$(pwd)/.tmp/test-reports"
rm -rf "$reports" && mkdir -p "$reports"

echo "== typecheck"
pnpm -r --if-present --reporter-hide-prefix run typecheck

# Lint, format and cycle findings fail the run but do not stop it: the tests still report.
status=0
echo "== lint"
pnpm run --silent lint || { status=1; echo "lint: FAILED"; }

echo "== format"
pnpm run --silent format:check || { status=1; echo "format check: FAILED (pnpm format rewrites)"; }

echo "== import cycles"
node scripts/check-import-cycles.mjs packages/core/src packages/worker/src packages/react/src packages/cli/src packages/drizzle/src packages/kysely/src || { status=1; echo "import cycles: FAILED"; }

echo "== docs"
node scripts/check-test-refs.mjs docs/SECURITY-TESTS.md || { status=1; echo "docs: a test docs/SECURITY-TESTS.md cites is missing"; }
node scripts/check-error-codes.mjs || { status=1; echo "docs: README's error codes differ from core's ERROR_CODES"; }

# The replica suites (Node and browser) use Ceph RGW: start it once here, before any suite asks for
# it, and stop it at the end only if this run started it (scripts/s3.sh).
echo "== object store (Ceph RGW)"
s3_was_up=0
bash scripts/s3.sh status >/dev/null 2>&1 && s3_was_up=1
bash scripts/s3.sh start || bash scripts/s3.sh start || { status=1; echo "object store: FAILED to start"; }
stop_s3() { [ "$s3_was_up" = 1 ] || bash scripts/s3.sh stop >/dev/null 2>&1 || true; }
trap stop_s3 EXIT

echo "== vitest (Node)"
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$reports/vitest.json" || status=$?

echo "== e2e (Chromium, Firefox)"
rm -f e2e/test-results/results-parallel.json e2e/test-results/results-serial.json e2e/test-results/webkit-results.json e2e/test-results/consumers-results.json
bash scripts/e2e.sh || status=$?
echo "== e2e (WebKit smoke)"
bash scripts/e2e-webkit.sh || status=$?

echo "== consumers (packed tarballs in fresh apps)"
bash scripts/consumers.sh || status=$?

# e2e/playwright.config.ts (worker suite and POS example) writes one JSON report per phase,
# e2e/test-results/results-parallel.json and results-serial.json,
# e2e/webkit/smoke.ts to e2e/test-results/webkit-results.json,
# e2e/playwright.consumers.config.ts to e2e/test-results/consumers-results.json.
node scripts/summarize-tests.mjs "$reports/vitest.json" e2e/test-results/results-parallel.json e2e/test-results/results-serial.json e2e/test-results/webkit-results.json e2e/test-results/consumers-results.json || status=$?
exit "$status"
