#!/usr/bin/env bash
# End-to-end tests of the point-of-sale example (examples/pos) in Debian Chromium and Firefox ESR
# (one Playwright project each; POS_E2E_ENGINES=firefox runs one): builds the example for
# production and serves it with `vite preview` on 127.0.0.1 (service worker included).
# Usage: scripts/e2e-pos.sh [playwright test args...]   Screenshots: e2e/test-results/pos/*.png
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-browsers.sh
if [ ! -d e2e/node_modules/@playwright/test ] || [ ! -d examples/pos/node_modules/vite ]; then
  pnpm install --frozen-lockfile
fi

(cd examples/pos && ./node_modules/.bin/vite build --logLevel warn)
cd e2e
rm -rf test-results/pos
E2E_PREBUILT=1 pnpm exec playwright test -c playwright.pos.config.ts "$@"
