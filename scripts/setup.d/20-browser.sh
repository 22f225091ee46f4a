#!/usr/bin/env bash
# Browser app (ui/) extras that pip cannot install: Debian's chromium for the end-to-end test
# (tests/test_ui_e2e.py drives /usr/bin/chromium through Playwright; Playwright's own browser download
# is not used) and CJK fonts so the 中文 interface and the Chinese labels in the map render as text, not boxes.
# Runs as root from scripts/setup.sh; idempotent and quiet when everything is there.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "warning: the browser test needs: ${need[*]} (apt-get install -y ${need[*]} as root)" >&2
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Solara's front-end must come from the solara-assets package (no CDN): check it is really there.
py=.venv/bin/python
if [ -x "$py" ] && ! "$py" - <<'PY'
import sys, pathlib
cdn = pathlib.Path(sys.prefix) / "share" / "solara" / "cdn"
sys.exit(0 if cdn.is_dir() and any(cdn.iterdir()) else 1)
PY
then
  echo "error: solara-assets is missing from .venv (pip install -r requirements.txt)" >&2
  exit 1
fi
