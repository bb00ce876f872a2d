#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (test/e2e) when it is missing.
# `npx playwright install` cannot work here: the machine reaches only the package registries.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "Chromium present: $(chromium --version 2>/dev/null || echo unknown)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing; install it with: sudo apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "Chromium installed: $(chromium --version)"
