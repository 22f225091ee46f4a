#!/usr/bin/env bash
# The main job: set up (first time only), then serve the browser app on the calibrated baseline at
# http://127.0.0.1:8765 (HOST and PORT override). Batch runs: see README (python -m experiments ...).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
# no "This website runs on Solara" banner: it covered the bottom of the inspect table
# a tab that vanished without closing (a killed browser) keeps its kernel, model and ensemble workers until culled:
# after an hour rather than Solara's default day (a closed or reloaded tab frees them at once)
export SOLARA_KERNEL_CULL_TIMEOUT="${SOLARA_KERNEL_CULL_TIMEOUT:-1h}"
export SOLARA_THEME_SHOW_BANNER="${SOLARA_THEME_SHOW_BANNER:-false}" SOLARA_THEME_TITLE="${SOLARA_THEME_TITLE:-CZT-Sim}"
echo "CZT-Sim app: open http://${HOST:-127.0.0.1}:${PORT:-8765} in a browser (Ctrl-C stops it)"
exec .venv/bin/solara run ui/app.py --host "${HOST:-127.0.0.1}" --port "${PORT:-8765}" --production --no-open "$@"
