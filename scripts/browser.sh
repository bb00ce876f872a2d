#!/usr/bin/env bash
# Makes sure the browser tests (test/e2e) have a Chromium: the one at $CHROMIUM_PATH, or Debian's
# /usr/bin/chromium, installed with apt-get when missing and running as root (CI, fresh machines).
# Run by `npm test` (pretest); a no-op when Chromium is there.
# `npx playwright install` cannot work here: the machine reaches only the package registries.
set -euo pipefail

# The version without running Debian's /usr/bin/chromium wrapper: the wrapper sources
# /etc/chromium.d/dev-shm, which prints "[: <number>: unexpected operator" where /dev/shm is mounted
# twice (containers), whatever the arguments, `--headless --version` included.
version() {
  dpkg-query -W -f='${Version}' chromium 2>/dev/null || "$1" --version 2>/dev/null || echo 'version unknown'
}

if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ -x "$CHROMIUM_PATH" ]; then
    echo "Chromium present: $CHROMIUM_PATH"
    exit 0
  fi
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file: fix it, or unset it to use Debian's /usr/bin/chromium" >&2
  exit 1
fi

chromium=/usr/bin/chromium
if [ -x "$chromium" ]; then
  echo "Chromium present: $chromium $(version "$chromium")"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing at $chromium, which the browser tests use. Install it with" >&2
  echo "  sudo apt-get install -y chromium" >&2
  echo "or set CHROMIUM_PATH to a Chromium or Chrome executable, then run the tests again." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "Chromium is missing at $chromium and this machine has no apt-get: install Chromium, or set CHROMIUM_PATH" >&2
  exit 1
fi
echo "Chromium is missing: installing Debian's chromium package (a minute or two)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
if [ ! -x "$chromium" ]; then
  echo "apt-get installed chromium, but $chromium is still missing: set CHROMIUM_PATH" >&2
  exit 1
fi
echo "Chromium installed: $chromium $(version "$chromium")"
