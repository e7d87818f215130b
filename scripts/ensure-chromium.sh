#!/usr/bin/env bash
# Installs Debian's chromium for the browser test when it is missing and we may install
# packages (root with apt). Anywhere else the test skips with the reason.
set -u
for candidate in "${PREFLIGHT_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  [ -n "$candidate" ] && [ -x "$candidate" ] && { echo "chromium: $candidate"; exit 0; }
done
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
  echo "chromium: not installed and cannot install it here (needs root and apt); the browser test will skip"
  exit 0
fi
echo "chromium: installing Debian's chromium for the browser test"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null \
  && echo "chromium: installed /usr/bin/chromium" \
  || echo "chromium: apt-get install failed; the browser test will skip"
