#!/usr/bin/env bash
# WebKit smoke suite (e2e/webkit/smoke.ts): the e2e test app in WebKitGTK's MiniBrowser, driven
# by WebKitWebDriver (W3C WebDriver) under Xvfb; Debian's webkit2gtk-driver and xvfb packages.
# Serves the test app built by scripts/e2e.sh (builds it when missing) on 127.0.0.1:$E2E_PORT.
# Usage: scripts/e2e-webkit.sh   Report: e2e/test-results/webkit-results.json
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-browsers.sh

PORT="${E2E_PORT:-4391}"
free_port() { node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"; }
DRIVER_PORT="$(free_port)"

cd e2e
[ -f test-app/dist/index.html ] || pnpm exec vite build test-app --logLevel warn

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

./node_modules/.bin/vite preview test-app --port "$PORT" --strictPort --host 127.0.0.1 --logLevel warn &
pids+=($!)
# Xvfb picks a free display and writes its number to fd 3; the driver starts MiniBrowser on it.
display_file="$(mktemp)"
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$display_file" 2>/dev/null &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$display_file" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$display_file")"
rm -f "$display_file"
WebKitWebDriver --port="$DRIVER_PORT" >/dev/null 2>&1 &
pids+=($!)

ready() { node -e "Promise.all([fetch(process.argv[1]), fetch(process.argv[2] + '/status')]).then((r) => process.exit(r.every((x) => x.ok) ? 0 : 1), () => process.exit(1))" "http://127.0.0.1:$PORT/" "http://127.0.0.1:$DRIVER_PORT"; }
for _ in $(seq 1 100); do ready && break; sleep 0.2; done

echo "== WebKit smoke (WebKitGTK $(dpkg-query -W -f='${Version}' libwebkit2gtk-4.1-0 2>/dev/null), DISPLAY=$DISPLAY)"
WEBDRIVER_URL="http://127.0.0.1:$DRIVER_PORT" APP_URL="http://127.0.0.1:$PORT/" REPORT=test-results/webkit-results.json \
  ../node_modules/.bin/tsx webkit/smoke.ts
