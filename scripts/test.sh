#!/usr/bin/env bash
# The one command that runs every test (README Quick start; CI's .ci/run calls it):
#   1. bootstrap: pnpm, packages, Debian's chromium, firefox-esr, webkit2gtk-driver, xvfb and
#      sqlite3 when missing;
#   2. type-check every package (strict TypeScript: one `tsc -b` over the root tsconfig.json's
#      project references, each source checked once per environment it compiles for, not once
#      per dependent); ESLint (typescript-eslint, type-aware) with no warnings; Prettier's format
#      check; no import cycle between modules or layers; the tests docs/SECURITY-TESTS.md cites
#      exist, README's error codes are core's; every tsconfig is reached by the type-check;
#   3. Vitest in Node: format, crypto, VFS, SQL, crash/fault/tamper suites, keys, CLI, React hooks,
#      the replica suites against Ceph RGW (started by the first suite that needs it when it is not
#      up, stopped at the end when this run started it: scripts/s3.sh);
#   4. Playwright in Debian Chromium and Debian Firefox ESR (one project each): worker + OPFS +
#      IndexedDB fallback + multi-tab e2e, and the POS example's e2e;
#   5. the WebKit smoke suite (WebKitGTK via WebKitWebDriver under Xvfb: the IndexedDB fallback);
#   6. consumer checks: pack and lint the packages, install the tarballs into fresh apps outside
#      the workspace (Vite, webpack 5, Node ESM, CLI via npx) and run them (scripts/consumers.sh).
# Stages that leave a core idle share the machine (docs/PERFORMANCE.md, "The test gate"): the
# format/cycle/docs checks and the object store's start run beside the type-check (one core);
# the e2e builds and the WebKit smoke suite beside Vitest (four forks on two cores); the browser
# suites' parallel phase alone (it keeps both cores busy); the consumer checks, then ESLint, beside
# the serial phase, whose one worker keeps about a core busy (its timing tests were run green
# beside the consumer checks, PERFORMANCE.md; ESLint takes the core they leave idle). A
# background stage's output is printed, whole, once the foreground stage it ran beside has ended;
# every stage header carries the time since the start.
# Ends with one line "N passed, N failed". Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/bootstrap.sh

reports="$(pwd)/.tmp/test-reports"
logs="$(pwd)/.tmp/test-logs"
rm -rf "$reports" "$logs" && mkdir -p "$reports" "$logs"
rm -f e2e/test-results/results-parallel.json e2e/test-results/results-serial.json e2e/test-results/webkit-results.json e2e/test-results/consumers-results.json

since() { echo "+$(($(date +%s) - started)) s"; }
stage() { echo "== $1 [$(since)]"; }

# in_background NAME COMMAND...: runs COMMAND (a function or a program) with its output in
# $logs/NAME.log; `finish NAME` waits for it, prints that output and returns its exit status.
declare -A background=()
in_background() {
  local name=$1
  shift
  (
    set +e
    t0=$(date +%s)
    "$@" >"$logs/$name.log" 2>&1
    rc=$?
    echo "($name: $(($(date +%s) - t0)) s, exit $rc, ended at $(since))" >>"$logs/$name.log"
    exit "$rc"
  ) &
  background[$name]=$!
}
finish() {
  local rc=0
  wait "${background[$1]}" || rc=$?
  cat "$logs/$1.log"
  return "$rc"
}

# Lint, format and cycle findings fail the run but do not stop it: the tests still report.
# ESLint (type-aware, ~85 s of CPU) runs last, beside the serial phase once the consumer checks
# are done (a core is idle there); the quick checks beside the type-check.
lint() {
  echo "== lint"
  pnpm run --silent lint || { echo "lint: FAILED"; return 1; }
}
static_checks() {
  local rc=0
  echo "== format"
  pnpm run --silent format:check || { rc=1; echo "format check: FAILED (pnpm format rewrites)"; }
  echo "== import cycles"
  node scripts/check-import-cycles.mjs packages/core/src packages/worker/src packages/react/src packages/cli/src packages/drizzle/src packages/kysely/src || { rc=1; echo "import cycles: FAILED"; }
  echo "== docs"
  node scripts/check-test-refs.mjs docs/SECURITY-TESTS.md || { rc=1; echo "docs: a test docs/SECURITY-TESTS.md cites is missing"; }
  node scripts/check-error-codes.mjs || { rc=1; echo "docs: README's error codes differ from core's ERROR_CODES"; }
  echo "== typecheck projects"
  node scripts/check-typecheck-projects.mjs || { rc=1; echo "typecheck projects: a tsconfig the root tsconfig.json's references do not reach"; }
  return "$rc"
}

# The replica suites (Node and browser) use Ceph RGW: start it once here, before any suite asks for
# it, and stop it at the end only if this run started it (scripts/s3.sh).
s3_was_up=0
bash scripts/s3.sh status >/dev/null 2>&1 && s3_was_up=1
stop_s3() { [ "$s3_was_up" = 1 ] || bash scripts/s3.sh stop >/dev/null 2>&1 || true; }
trap stop_s3 EXIT
start_s3() { bash scripts/s3.sh start || bash scripts/s3.sh start; }

status=0
stage "typecheck (beside it: format, import cycles, docs; the object store's start)"
in_background static-checks static_checks
in_background object-store start_s3
typecheck=0
pnpm run --silent typecheck || typecheck=$?
stage "object store (Ceph RGW)"
finish object-store || { status=1; echo "object store: FAILED to start"; }
# A type error stops the run (after ESLint, so its findings come with the type errors).
if [ "$typecheck" != 0 ]; then
  finish static-checks || true
  lint || true
  exit "$typecheck"
fi

# Beside Vitest: the three e2e builds, then the WebKit smoke suite.
beside_vitest() {
  local rc=0
  echo "== e2e builds (test app, POS example, notes example)"
  if bash scripts/e2e.sh build; then touch "$logs/e2e-built"; else rc=1; fi
  echo "== e2e (WebKit smoke) [$(since)]"
  bash scripts/e2e-webkit.sh || rc=1
  return "$rc"
}
# Vitest starts once the type-check is done; the checks still running go on beside it.
stage "vitest (Node) (beside it: the checks still running, the e2e builds, the WebKit smoke suite)"
in_background beside-vitest beside_vitest
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$reports/vitest.json" || status=$?
stage "format, import cycles, docs (began beside the type-check; their output)"
finish static-checks || status=1
stage "e2e builds, WebKit smoke (ran beside Vitest; their output)"
finish beside-vitest || status=1

stage "e2e, parallel phase (Chromium, Firefox)"
# Built beside Vitest; when that build failed, scripts/e2e.sh builds again (and reports why).
e2e_built=0
[ -f "$logs/e2e-built" ] && e2e_built=1
E2E_BUILT=$e2e_built E2E_PHASES=parallel bash scripts/e2e.sh || status=$?
# Beside the serial phase (one worker, well under the machine): the consumer checks, then ESLint.
beside_serial() {
  local rc=0
  bash scripts/consumers.sh || rc=1
  echo "(consumer checks ended at $(since))"
  lint || rc=1
  return "$rc"
}
stage "e2e, serial phase (Chromium, Firefox) (beside it: the consumer checks, then lint)"
in_background beside-serial beside_serial
E2E_BUILT=1 E2E_PHASES=serial bash scripts/e2e.sh || status=$?
stage "consumers, lint (ran beside the serial phase; their output)"
finish beside-serial || status=1
stage "done"

# e2e/playwright.config.ts (worker suite and POS example) writes one JSON report per phase,
# e2e/test-results/results-parallel.json and results-serial.json,
# e2e/webkit/smoke.ts to e2e/test-results/webkit-results.json,
# e2e/playwright.consumers.config.ts to e2e/test-results/consumers-results.json.
node scripts/summarize-tests.mjs "$reports/vitest.json" e2e/test-results/results-parallel.json e2e/test-results/results-serial.json e2e/test-results/webkit-results.json e2e/test-results/consumers-results.json || status=$?
exit "$status"
