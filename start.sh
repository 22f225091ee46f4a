#!/usr/bin/env bash
# The main job: set up (first time only) and run the calibrated baseline 2019-2035 into runs/baseline.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m experiments run --scenario baseline --seed 7 --until 2035 --out runs/baseline "$@"
