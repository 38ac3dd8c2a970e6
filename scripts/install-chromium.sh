#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium (Playwright never downloads a browser).
# Installs it when missing; `make test` calls this.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "Chromium is missing and this user cannot install it: apt-get install chromium" >&2
        exit 1
    fi
fi
echo "[socialsync] installing Debian's chromium for the console's browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq chromium >/dev/null
if ! command -v chromium >/dev/null 2>&1; then
    echo "apt-get finished but there is no chromium on PATH: set CHROMIUM_PATH" >&2
    exit 1
fi
