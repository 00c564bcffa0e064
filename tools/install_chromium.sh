#!/usr/bin/env bash
# The browser test (tests/test_browser.py) drives a headless Chromium. `make test` runs this first: when no Chromium is
# on PATH it installs Debian's `chromium` with apt-get (as root, or through sudo without a password). Where it cannot,
# it says so and the browser test skips with the same advice; nothing else depends on it.
set -uo pipefail
for b in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
if [ -n "${MDMOE_CHROMIUM:-}" ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no chromium and no apt-get here: tests/test_browser.py will skip (install Chromium, or set MDMOE_CHROMIUM)"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then as_root=""; elif sudo -n true 2>/dev/null; then as_root="sudo -n"; else
  echo "no chromium, and apt-get needs root: tests/test_browser.py will skip (sudo apt-get install chromium)"
  exit 0
fi
echo "installing Debian's chromium for the browser test (apt-get, once) ..."
if ! $as_root apt-get install -y -q chromium >/dev/null 2>&1; then
  $as_root apt-get update -q >/dev/null 2>&1
  $as_root apt-get install -y -q chromium >/dev/null 2>&1 || echo "apt-get install chromium failed: tests/test_browser.py will skip"
fi
exit 0
