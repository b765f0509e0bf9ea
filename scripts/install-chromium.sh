#!/usr/bin/env bash
# Installs Debian's Chromium for the e2e suite when it is missing (CI: a clean Debian with
# Node 20 + npm, running as root). Playwright never downloads a browser in this project.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "install-chromium: found $("$CHROMIUM" --version 2>/dev/null | tail -n 1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-chromium: $CHROMIUM missing; installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium
"$CHROMIUM" --version 2>/dev/null | tail -n 1
