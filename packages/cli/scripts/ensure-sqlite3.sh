#!/usr/bin/env bash
# Installs Debian's sqlite3 shell when missing (the CLI tests check that `cipherlite decrypt`
# output opens in it; they skip that one assertion when the binary is absent). Needs root + apt.
set -euo pipefail
if command -v sqlite3 >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get install -y --no-install-recommends sqlite3 >/dev/null 2>&1) ||
    (apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends sqlite3 >/dev/null 2>&1) ||
    echo "ensure-sqlite3: could not install sqlite3; the shell check will be skipped" >&2
fi
