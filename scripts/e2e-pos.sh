#!/usr/bin/env bash
# End-to-end tests of the point-of-sale example (examples/pos) alone: the `pos-chromium` and
# `pos-firefox` projects of e2e/playwright.config.ts (POS_E2E_ENGINES=firefox narrows to one engine),
# built and served as scripts/e2e.sh does. `npm test` runs them within scripts/e2e.sh.
# Usage: scripts/e2e-pos.sh [playwright test args...]   Screenshots: e2e/test-results/pos/*.png
set -euo pipefail
cd "$(dirname "$0")/.."
projects=()
for engine in $(echo "${POS_E2E_ENGINES:-chromium,firefox}" | tr ',' ' '); do projects+=("--project=pos-$engine"); done
exec bash scripts/e2e.sh "${projects[@]}" "$@"
