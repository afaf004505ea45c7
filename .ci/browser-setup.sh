#!/usr/bin/env bash
# Install what the serve tests need beyond the test extras: Debian's chromium (driven by Playwright in
# tests/browser/; Playwright's own browser download is never used), the playwright package, and
# schemathesis (tests/test_serve_fuzz.py).
# Usage: .ci/browser-setup.sh [PYTHON]  (default: the active venv's python, else .venv/bin/python, else python3)
# A step that cannot run here (no apt, no network) prints a warning and the tests that need it skip,
# saying why; the script itself never fails the CI run.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
py=${1:-}
if [ -z "$py" ]; then
  if [ -n "${VIRTUAL_ENV:-}" ]; then py="$VIRTUAL_ENV/bin/python"
  elif [ -x "$here/.venv/bin/python" ]; then py="$here/.venv/bin/python"
  else py=python3
  fi
fi

if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
  if ! { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
             chromium fonts-dejavu-core fonts-liberation >/dev/null; }; then
    echo "browser-setup: WARNING: could not apt-get install chromium; the browser tests will skip" >&2
  fi
fi

if ! "$py" -m pip install -q playwright schemathesis; then
  echo "browser-setup: WARNING: could not pip install playwright/schemathesis; their tests will skip" >&2
fi

if [ -x /usr/bin/chromium ]; then
  /usr/bin/chromium --version 2>/dev/null | head -1
fi
exit 0
