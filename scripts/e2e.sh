#!/usr/bin/env bash
# Browser end-to-end suite: Debian Chromium + Playwright (no browser download) against the test
# app in e2e/test-app, built with Vite and served by `vite preview` on 127.0.0.1:4391 (E2E_PORT overrides).
# Usage: scripts/e2e.sh [playwright test args...]   Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-browsers.sh

if [ ! -d e2e/node_modules/@playwright/test ]; then
  pnpm install --frozen-lockfile
fi

cd e2e
pnpm exec vite build test-app --logLevel warn
# The config's webServer serves the build just made (E2E_PREBUILT skips building again).
E2E_PREBUILT=1 pnpm exec playwright test "$@"
