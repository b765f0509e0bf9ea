#!/usr/bin/env bash
# Consumer checks: the packages as a user installs them from npm (e2e/playwright.consumers.config.ts).
# Packs core, worker, react and cli; lints the tarballs (publint, attw); `pnpm -r publish --dry-run`;
# installs the tarballs into fresh apps in a temp dir (CONSUMERS_DIR, default $TMPDIR/cipherlite-consumers)
# from the npm registry; then runs a stock Vite React app and a webpack 5 build of the same code in
# Chromium, a Next.js 16 app built by Turbopack and by webpack and run by `next dev` (all on free
# ports of 127.0.0.1), plain Node ESM, and the CLI through npx.
# Usage: scripts/consumers.sh [playwright test args...]   Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-chromium.sh
if [ ! -d e2e/node_modules/@playwright/test ]; then
  pnpm install --frozen-lockfile
fi

cd e2e
pnpm exec playwright test -c playwright.consumers.config.ts "$@"
