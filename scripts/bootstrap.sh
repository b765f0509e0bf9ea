#!/usr/bin/env bash
# Installs everything cipherlite's scripts need on a clean Debian machine that has only Node 20
# and npm: pnpm (from npm), the workspace's packages (pnpm, frozen lockfile), and from Debian
# the browsers (Chromium: e2e and benchmarks; Firefox ESR, WebKitGTK's WebDriver and Xvfb: e2e),
# the sqlite3 shell (CLI tests), Ceph's mon, OSD and RADOS Gateway (replica tests, scripts/s3.sh). Idempotent: each
# step is skipped when its result is already there. Browsers are never downloaded by Playwright.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  echo "bootstrap: installing pnpm"
  npm install -g pnpm@10.34.9 >/dev/null
fi

if [ "${BOOTSTRAP_SKIP_INSTALL:-0}" != 1 ]; then
  pnpm install --frozen-lockfile --reporter=silent
fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
command -v WebKitWebDriver >/dev/null 2>&1 || missing+=(webkit2gtk-driver)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
# Ceph's RADOS Gateway: the real S3 object store of the replica tests (scripts/s3.sh).
command -v ceph-mon >/dev/null 2>&1 || missing+=(ceph-mon)
command -v ceph-osd >/dev/null 2>&1 || missing+=(ceph-osd)
command -v radosgw >/dev/null 2>&1 || missing+=(radosgw)
command -v ceph >/dev/null 2>&1 || missing+=(ceph-common)
if [ "${BOOTSTRAP_SKIP_APT:-0}" != 1 ] && [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
