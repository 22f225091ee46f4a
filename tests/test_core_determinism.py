"""Determinism: the same seed gives byte-identical outputs, in fresh processes; another seed differs.

The two same-seed runs use different PYTHONHASHSEED values, so any dependence on set/dict hash
order (or on anything else outside the seed) shows up as a difference. A third same-seed run allows the compiled
kernels one thread instead of the machine's cores: the parallel kernels get their random numbers drawn beforehand,
so the number of threads must not change a byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, TEST_SCALE

pytestmark = [pytest.mark.sim, pytest.mark.smoke]

UNTIL = 2020
FILES = ("cities.parquet", "flows.parquet", "annual.parquet")


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory) -> dict[str, Path]:
    """CLI runs in fresh interpreters, launched together: seed 7 three times (other hash seed; one numba thread), seed 8."""
    base = tmp_path_factory.mktemp("determinism")
    plan = {"a": ("7", "1", None), "b": ("7", "12345", None), "c": ("8", "1", None), "t": ("7", "1", "1")}
    procs = {}
    for key, (seed, hashseed, threads) in plan.items():
        out = base / key
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        if threads:
            env["NUMBA_NUM_THREADS"] = threads
        procs[key] = (out, subprocess.Popen(
            [sys.executable, "-m", "experiments", "run", "--scenario", "baseline", "--seed", seed, "--until",
             str(UNTIL), "--scale", str(TEST_SCALE), "--out", str(out)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    dirs = {}
    for key, (out, p) in procs.items():
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, f"run {key} failed: {stderr[-2000:]}"
        dirs[key] = out
    return dirs


@pytest.mark.cli
def test_cli_writes_all_outputs(cli_runs):
    for d in cli_runs.values():
        for name in FILES + ("run.json",):
            assert (d / name).is_file(), f"{d / name} missing"
        info = json.loads((d / "run.json").read_text())
        assert info["until"] == UNTIL and info["config"]["scale"] == TEST_SCALE
        cities = pd.read_parquet(d / "cities.parquet")
        assert cities.step.max() == (UNTIL - 2019 + 1) * 4
        assert not list(d.glob(".*.tmp")), "temporary files left behind"


@pytest.mark.cli
@pytest.mark.parametrize("name", FILES)
def test_same_seed_fresh_process_byte_identical(cli_runs, name):
    a = (cli_runs["a"] / name).read_bytes()
    b = (cli_runs["b"] / name).read_bytes()
    assert a == b, f"{name} differs between two runs with seed 7 (PYTHONHASHSEED 1 vs 12345)"


@pytest.mark.cli
@pytest.mark.parametrize("name", FILES)
def test_same_seed_one_kernel_thread_byte_identical(cli_runs, name):
    a = (cli_runs["a"] / name).read_bytes()
    t = (cli_runs["t"] / name).read_bytes()
    assert a == t, f"{name} differs between the compiled kernels on all cores and on one thread (seed 7)"


@pytest.mark.cli
def test_same_seed_same_summary(cli_runs):
    a = json.loads((cli_runs["a"] / "run.json").read_text())
    b = json.loads((cli_runs["b"] / "run.json").read_text())
    assert a["summary"] == b["summary"]
    assert a["seed"] == b["seed"] == 7


@pytest.mark.cli
@pytest.mark.parametrize("name", ("cities.parquet", "flows.parquet"))
def test_different_seed_differs(cli_runs, name):
    a = (cli_runs["a"] / name).read_bytes()
    c = (cli_runs["c"] / name).read_bytes()
    assert a != c
    da, dc = pd.read_parquet(cli_runs["a"] / name), pd.read_parquet(cli_runs["c"] / name)
    # not only metadata: the simulated numbers differ
    col = "gdp_q_100m_yuan" if name == "cities.parquet" else "count"
    assert not (len(da) == len(dc) and (da[col].to_numpy() == dc[col].to_numpy()).all())


def test_in_process_runs_do_not_share_state():
    """Building and running another model in between does not change a seed's results (no global state)."""
    from model import CZTModel

    def run(seed):
        m = CZTModel("baseline", seed=seed, overrides={"scale": 2000})
        for _ in range(6):
            m.step()
        return m.cities_frame(), m.flows_frame()

    c1, f1 = run(3)
    run(4)
    c2, f2 = run(3)
    pd.testing.assert_frame_equal(c1, c2)
    pd.testing.assert_frame_equal(f1, f2)
