#!/usr/bin/env bash
# Make sure Debian's headless Chromium is installed for the browser tests (Playwright drives it through
# its executable path; Playwright's own browser download does not work on a closed network).
# Prints the executable's path. Installs with apt-get when missing and running as root.
set -euo pipefail
for candidate in "${CTDX_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium package" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  echo /usr/bin/chromium
  exit 0
fi
echo "ensure-chromium: no Chromium found and cannot install it; browser tests will skip" >&2
exit 0
