"""The same run on two of numpy's CPU code paths: every agent decides the same; outputs differ in the last bits only.

numpy dispatches SIMD kernels by CPU (e.g. X86_V4/AVX512_ICL on AVX-512 machines, X86_V3 on AVX2 ones); np.exp,
np.log and ** round differently in the last bit between them. The model must not amplify that: no draw may use the
random stream differently on a near-tie, and no discrete choice may turn on an exact floating-point equality. So the
run is repeated in a fresh interpreter with every dispatch target disabled (NPY_DISABLE_CPU_FEATURES: numpy's
baseline code path) and compared with this machine's default path:
- the flows table's decisions (every move, hire-related commute, birth, death, relocation, entry and exit, in whole
  persons and establishments) are identical, and its money rows (intermediate inputs between the cities, 100m yuan)
  agree to 1e-9 relative;
- every number of the city table agrees to 1e-9 relative.
This is a strong property, not a promise for every run: a uniform draw that falls within one unit in the last place
of a threshold would still take the other branch (about 1e-16 per draw); the README says what is guaranteed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT

pytestmark = [pytest.mark.sim, pytest.mark.numpy_paths, pytest.mark.cli]

CONFIGS = [("baseline", 1, 1000, 2030), ("integration", 2, 1000, 2030), ("enclave", 4, 2000, 2035),
           ("hindcast-2010", 3, 2000, 2016)]

SCRIPT = """
import sys
from model import CZTModel
out = sys.argv[1]
for i, (scenario, seed, scale, until) in enumerate({configs!r}):
    m = CZTModel(scenario, seed=seed, overrides={{"scale": scale}})
    m.run_until(until)
    m.cities_frame().to_parquet(f"{{out}}/c{{i}}.parquet")
    m.flows_frame().to_parquet(f"{{out}}/f{{i}}.parquet")
"""


def _dispatched() -> tuple[list[str], list[str]]:
    """numpy's dispatch targets, and those this process actually uses."""
    from numpy._core import _multiarray_umath as mu

    targets = list(mu.__cpu_dispatch__)
    return targets, [t for t in targets if mu.__cpu_features__.get(t)]


def test_decisions_identical_on_numpy_baseline_code_path(tmp_path):
    targets, active = _dispatched()
    if not active:
        pytest.skip("numpy already runs its baseline code path here (no dispatch target active): nothing to compare")
    script = SCRIPT.format(configs=CONFIGS)
    procs = {}
    for name, extra in (("default", {}), ("baseline", {"NPY_DISABLE_CPU_FEATURES": " ".join(targets)})):
        out = tmp_path / name
        out.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
        procs[name] = subprocess.Popen([sys.executable, "-c", script, str(out)], cwd=ROOT, env={**env, **extra},
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for name, p in procs.items():
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, f"{name} path failed: {err[-2000:]}"
    for i, cfg in enumerate(CONFIGS):
        fa, fb = (pd.read_parquet(tmp_path / n / f"f{i}.parquet") for n in ("default", "baseline"))
        money = fa.unit == "100m yuan"
        assert money.any() and (money == (fb.unit == "100m yuan")).all()
        pd.testing.assert_frame_equal(fa[~money], fb[~money], check_exact=True, obj=f"flows of {cfg}")
        pd.testing.assert_frame_equal(fa[money], fb[money], check_exact=False, rtol=1e-9, obj=f"money flows of {cfg}")
        ca, cb = (pd.read_parquet(tmp_path / n / f"c{i}.parquet") for n in ("default", "baseline"))
        num = ca.select_dtypes("number").columns
        rel = (np.abs(ca[num] - cb[num]) / np.maximum(np.abs(ca[num]), 1e-300)).max()
        assert (rel <= 1e-9).all(), f"{cfg}: columns differing by more than 1e-9: {rel[rel > 1e-9].to_dict()}"
