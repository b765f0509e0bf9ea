#!/usr/bin/env bash
# Browser end-to-end suites (e2e/playwright.config.ts): the worker suite against the test app in
# e2e/test-app and the point-of-sale example (examples/pos), in Debian Chromium and Firefox ESR
# (Playwright, no browser download). Builds each app once, then runs two phases: every spec but the
# timing-sensitive ones with three workers, then those alone with one (E2E_PHASE, see the config).
# Reports: e2e/test-results/results-parallel.json and results-serial.json.
# Usage: scripts/e2e.sh                        builds, then both phases, every project
#        scripts/e2e.sh [playwright args...]   builds, then one run of what the arguments select,
#                                              e.g. `--project=firefox tests/keys.e2e.ts`
#        scripts/e2e.sh build                  the three builds alone (scripts/test.sh makes them
#                                              while Vitest runs, then sets E2E_BUILT=1)
# E2E_BUILT=1: the builds are there already, do not make them again.
# E2E_PHASES: the phases a run without arguments runs, in order (default "parallel serial");
# scripts/test.sh runs them one at a time, the consumer checks beside the serial one.
# Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-browsers.sh

if [ ! -d e2e/node_modules/@playwright/test ] || [ ! -d examples/pos/node_modules/vite ] || [ ! -d examples/notes/node_modules/vite ]; then
  pnpm install --frozen-lockfile
fi

if [ "${E2E_BUILT:-0}" != 1 ]; then
  e2e/node_modules/.bin/vite build e2e/test-app --logLevel warn
  # The POS example with its test-only hooks (examples/pos/src/test-hooks.ts); a production build has none.
  (cd examples/pos && POS_TEST_HOOKS=1 ./node_modules/.bin/vite build --logLevel warn)
  # The guide's example app (examples/notes), with its test-only hooks (src/test-hooks.ts).
  (cd examples/notes && VITE_NOTES_TEST_HOOKS=1 ./node_modules/.bin/vite build --logLevel warn)
fi
[ "${1:-}" = build ] && exit 0

cd e2e
rm -rf test-results/pos
# The config's webServers serve the builds just made (E2E_PREBUILT skips building again).
export E2E_PREBUILT=1
if [ $# -gt 0 ]; then
  exec pnpm exec playwright test "$@"
fi
# The replica spec's tests run in both phases, its two projects side by side in the parallel one:
# the object store is started here, once, not by whichever of them runs first (which would stop it
# when done, under the other's feet). Stopped at the end only when this run started it (scripts/s3.sh).
s3_was_up=0
bash ../scripts/s3.sh status >/dev/null 2>&1 && s3_was_up=1
[ "$s3_was_up" = 1 ] || trap 'bash ../scripts/s3.sh stop >/dev/null 2>&1 || true' EXIT
[ "$s3_was_up" = 1 ] || bash ../scripts/s3.sh start || bash ../scripts/s3.sh start || echo "e2e: the object store did not start; the replica spec's tests will fail"
status=0
for phase in ${E2E_PHASES:-parallel serial}; do
  E2E_PHASE=$phase pnpm exec playwright test || status=$?
done
exit "$status"
