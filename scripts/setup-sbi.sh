#!/usr/bin/env bash
# Optional extra for `python -m experiments infer` (neural posterior estimation, docs/inference.md): creates
# .venv-sbi with Python 3.11, a CPU-only torch and sbi 0.27.0. The app, the tests and CI never need it: torch for
# Python 3.12 on PyPI is a multi-GB CUDA build, so it stays out of .venv; the neural step runs in .venv-sbi as a
# subprocess that reads and writes plain files (experiments/infer/npe_step.py imports no project module).
#   bash scripts/setup-sbi.sh            # PYTHON311=/path/to/python3.11 to choose the interpreter
# The torch wheel is taken from /opt/wheels when it lies there (a CPU build, on this project's machines); else pip
# asks its index for torch==2.13.0, which on PyPI for x86_64 Linux is a CUDA build of several GB (point PIP_INDEX_URL at
# PyTorch's CPU index where it is reachable to avoid that).
# Idempotent: quiet when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON311:-python3.11}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
  echo "error: the sbi extra needs Python 3.11 (a CPU torch wheel exists for it); '$PY' is $("$PY" --version 2>&1 || echo missing)." >&2
  exit 3
fi
TORCH_VERSION=2.13.0
SBI_VERSION=0.27.0
wheel=$(ls /opt/wheels/torch-${TORCH_VERSION}+cpu-cp311-*.whl 2>/dev/null | head -1 || true)
if [ -n "$wheel" ]; then torch_spec="$wheel"; else torch_spec="torch==${TORCH_VERSION}"; fi
stamp=.venv-sbi/.requirements.sha
want=$(printf '%s\n' "$torch_spec" "sbi==$SBI_VERSION" "$(cat "$0")" "$(pwd)" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
[ -x .venv-sbi/bin/python ] || "$PY" -m venv .venv-sbi
.venv-sbi/bin/python -m pip install --quiet --upgrade pip
# torch first, from the CPU file, so that sbi's requirement is met by it and pip never fetches a CUDA build
.venv-sbi/bin/python -m pip install --quiet "$torch_spec"
.venv-sbi/bin/python -m pip install --quiet "sbi==$SBI_VERSION" numpy pandas pyarrow matplotlib
.venv-sbi/bin/python -c 'import torch, sbi; print("sbi", sbi.__version__, "torch", torch.__version__)'
echo "$want" > "$stamp"
