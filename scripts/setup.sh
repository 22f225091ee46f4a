#!/usr/bin/env bash
# Create .venv with Python 3.12+, install requirements.txt and this checkout as the package czt-sim (editable:
# pip install -e ., so imports need no sys.path edits or PYTHONPATH); then run every scripts/setup.d/*.sh (extra
# installs such as the browser for the end-to-end test). Idempotent and quiet when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
  echo "error: CZT-Sim needs Python 3.12 or newer; '$PY' is $("$PY" --version 2>&1)." >&2
  echo "       With pyenv, the .python-version file here selects 3.12.1 (pyenv install 3.12.1)." >&2
  exit 3
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$( (cat requirements.txt pyproject.toml scripts/setup.d/*.sh 2>/dev/null; pwd) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  .venv/bin/python -m pip install --quiet --no-deps -e .
  for hook in scripts/setup.d/*.sh; do
    [ -e "$hook" ] && bash "$hook"
  done
  echo "$want" > "$stamp"
fi
