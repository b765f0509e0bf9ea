#!/usr/bin/env bash
# Installs the browsers the e2e suites run in, from Debian, when missing (CI: a clean Debian with
# Node 20 + npm, running as root). Playwright never downloads a browser in this project.
#   chromium           Playwright project "chromium" (and the benchmarks, scripts/install-chromium.sh)
#   firefox-esr        Playwright project "firefox" (WebDriver BiDi, channel moz-firefox)
#   webkit2gtk-driver  WebKitWebDriver + MiniBrowser for the WebKit smoke suite
#   xvfb               a display for MiniBrowser (it has no headless switch)
# Idempotent: nothing happens when every binary is there.
set -euo pipefail
bash "$(dirname "$0")/install-chromium.sh"

FIREFOX="${FIREFOX_PATH:-/usr/bin/firefox-esr}"
missing=()
[ -x "$FIREFOX" ] || missing+=(firefox-esr)
command -v WebKitWebDriver >/dev/null 2>&1 || missing+=(webkit2gtk-driver)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-browsers: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y "${missing[@]}"
fi
echo "install-browsers: found $("$FIREFOX" --version 2>/dev/null | tail -n 1), WebKitGTK $(dpkg-query -W -f='${Version}' libwebkit2gtk-4.1-0 2>/dev/null)"
