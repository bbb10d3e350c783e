#!/usr/bin/env bash
# Installs Debian's Chromium for the SPA's end-to-end tests (driven by playwright-core; no browser
# is ever downloaded by a test tool). Idempotent: does nothing when the browser is already there.
# Non-interactive; works as root, or through sudo when run as another user.
#   CHROMIUM_PATH  where the tests expect the browser (default /usr/bin/chromium)
set -euo pipefail

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM_PATH" ]; then
  echo "chromium: already installed ($("$CHROMIUM_PATH" --version 2>/dev/null || echo "$CHROMIUM_PATH"))"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "install_chromium.sh: $CHROMIUM_PATH is missing and installing it needs root (or sudo)." >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium.sh: no apt-get here; install Chromium so that $CHROMIUM_PATH exists." >&2
  exit 1
fi

echo "chromium: installing Debian's chromium package"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
# fonts-dejavu-core: without a font the screenshots show boxes instead of text.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  chromium fonts-dejavu-core

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "install_chromium.sh: the chromium package is installed but $CHROMIUM_PATH is not there." >&2
  exit 1
fi
echo "chromium: installed ($("$CHROMIUM_PATH" --version 2>/dev/null || echo "$CHROMIUM_PATH"))"
