#!/usr/bin/env bash
# The demo: the point-of-sale example (examples/pos) built for production and served on
# 127.0.0.1:4173 and shown as http://localhost:4173 — open it in Chromium/Chrome/Edge (or
# Firefox/Safari with OPFS support). localhost, not the IP: passkeys (WebAuthn) need a domain name.
# From a clean clone: installs pnpm when missing, the workspace's packages (frozen lockfile),
# builds the example (it bundles @cipherlite/worker, /react and /core from source), serves it.
# Ctrl-C stops the server. PORT=… to use another port.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-4173}"
URL="http://127.0.0.1:${PORT}/"
# The address to open: same server, but a name browsers accept as a WebAuthn relying party.
OPEN_URL="http://localhost:${PORT}/"

if ! command -v pnpm >/dev/null 2>&1; then
  echo "demo: installing pnpm"
  npm install -g pnpm@10.34.9 >/dev/null
fi
pnpm install --frozen-lockfile --reporter=silent

echo "demo: building examples/pos"
(cd examples/pos && ./node_modules/.bin/vite build --logLevel warn)

# Run the server directly (not through `pnpm exec`), so stopping this script stops it too.
(cd examples/pos && exec ./node_modules/.bin/vite preview --host 127.0.0.1 --port "$PORT" --strictPort --logLevel warn) &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 150); do
  if node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$URL"; then break; fi
  kill -0 "$server" 2>/dev/null || { echo "demo: the server failed to start (is port $PORT in use?)" >&2; exit 1; }
  sleep 0.2
done

cat <<BANNER

  ┌──────────────────────────────────────────────────────────────┐
     cipherlite POS demo is running:  ${OPEN_URL}
  └──────────────────────────────────────────────────────────────┘
  Open it, create the shop (choose a password), add products, ring up sales.
  Admin: backups, restore, password. Works offline after the first load.
  Press Ctrl-C to stop.

BANNER
wait "$server"
