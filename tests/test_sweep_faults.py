"""Sweep faults: a run that raises, a worker killed mid-run, Ctrl-C and a killed coordinator, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.sweep.runner import run
from experiments.sweep.store import Store

pytestmark = [pytest.mark.sim, pytest.mark.plumbing]  # runs' bookkeeping under faults, no simulated value

ROOT = Path(__file__).resolve().parents[1]
HERE = str(Path(__file__).resolve())

SPEC = """
name = "faults"
scenario = "baseline"
design = "factorial"
replications = {reps}
until = 2020
scale = 50000
root_seed = 11
retries = {retries}
outputs = ["gdp_100m_yuan", "gdp_share"]
[params]
enclave_tax_share = [0.0, 0.5]
talent_recognition = [0.0, 0.5, 1.0]
"""


# ---- test-only hooks, called in the worker before the model runs (CZT_SWEEP_HOOK=this_file:function)
def fail_half(task):
    if task["values"]["enclave_tax_share"] == 0.5:
        raise RuntimeError("injected failure for the test")


def flaky(task):
    if task["attempt"] == 1 and task["values"]["talent_recognition"] == 0.5:
        raise RuntimeError("transient injected failure")


def die_once(task):
    if task["attempt"] == 1 and task["point"] == 1 and task["rep"] == 0:
        os.kill(os.getpid(), signal.SIGKILL)


def gate(task):
    """Runs wait at a gate the test controls, so a kill or Ctrl-C lands mid-run by construction, not by timing.

    Each run takes a numbered ticket ``started/NNNN`` holding its worker's pid; the first CZT_SWEEP_TEST_FREE runs
    pass, later ones wait until the test creates the file ``release`` (CZT_SWEEP_TEST_GATE is the folder of both)."""
    d = Path(os.environ["CZT_SWEEP_TEST_GATE"])
    started = d / "started"
    started.mkdir(exist_ok=True)
    ticket = 0
    while True:  # numbered tickets taken with O_EXCL: the order of arrival, even for runs starting together
        try:
            fd = os.open(started / f"{ticket:04d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            ticket += 1
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    if ticket < int(os.environ.get("CZT_SWEEP_TEST_FREE", "0")):
        return
    deadline = time.time() + 120
    while not (d / "release").exists():
        assert time.time() < deadline, "the test never opened the gate"
        time.sleep(0.01)


def _spec(tmp: Path, reps: int = 1, retries: int = 1) -> Path:
    p = tmp / "f.toml"
    p.write_text(SPEC.format(reps=reps, retries=retries))
    return p


def _events(out: Path, kind: str) -> list[dict]:
    return [e for e in Store(out).events() if e["event"] == kind]


def _check_tables(out: Path, n_ok: int) -> pd.DataFrame:
    runs = pd.read_parquet(out / "runs.parquet")
    cities = pd.read_parquet(out / "cities.parquet")
    assert not runs.run_id.duplicated().any()
    assert not cities.duplicated(["run_id", "year", "city"]).any()
    assert set(cities.run_id) == set(runs.run_id[runs.status == "ok"])
    assert len(cities) == n_ok * 2 * 3
    assert not list(out.rglob("*.tmp"))
    return runs


def test_run_that_raises_is_recorded_retried_and_others_continue(tmp_path, monkeypatch):
    monkeypatch.setenv("CZT_SWEEP_HOOK", f"{HERE}:fail_half")
    out = tmp_path / "o"
    r = run(out, spec_path=_spec(tmp_path, retries=2), workers=2, progress=False)
    assert (r["ok"], r["failed"], r["retried"]) == (3, 3, 6)
    runs = _check_tables(out, 3)
    bad = runs[runs.status == "failed"]
    assert (bad.enclave_tax_share == 0.5).all() and (bad.attempts == 3).all()
    assert bad.error.str.contains("RuntimeError: injected failure for the test").all()
    assert (runs[runs.status == "ok"].enclave_tax_share == 0.0).all()
    assert len(_events(out, "retry")) == 6
    # resume without the fault: only the failed runs run again
    monkeypatch.delenv("CZT_SWEEP_HOOK")
    r2 = run(out, workers=0, progress=False)
    assert (r2["executed"], r2["ok"], r2["failed_total"]) == (3, 3, 0)
    _check_tables(out, 6)


def test_transient_failure_succeeds_on_retry(tmp_path, monkeypatch):
    monkeypatch.setenv("CZT_SWEEP_HOOK", f"{HERE}:flaky")
    out = tmp_path / "o"
    r = run(out, spec_path=_spec(tmp_path), workers=0, progress=False)
    assert (r["ok"], r["failed_total"], r["retried"]) == (6, 0, 2)
    runs = _check_tables(out, 6)
    assert sorted(runs.attempts) == [1, 1, 1, 1, 2, 2]


def test_worker_killing_itself_mid_run_is_retried(tmp_path, monkeypatch):
    monkeypatch.setenv("CZT_SWEEP_HOOK", f"{HERE}:die_once")
    out = tmp_path / "o"
    r = run(out, spec_path=_spec(tmp_path), workers=2, progress=False)
    assert (r["ok"], r["failed_total"]) == (6, 0)
    (retry,) = _events(out, "retry")
    assert "WorkerDied" in retry["error"] and "SIGKILL" in retry["error"]
    _check_tables(out, 6)


def _cli(args: list[str], env: dict, stderr=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "experiments", *args, "--no-progress"], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=stderr, text=True,
                            start_new_session=True)


def _wait(cond, timeout: float = 60.0) -> None:
    t = time.time()
    while not cond():
        assert time.time() - t < timeout, "timed out waiting"
        time.sleep(0.05)


def _gate_env(tmp: Path, free: int) -> tuple[dict, Path]:
    d = tmp / "gate"
    d.mkdir()
    return {"CZT_SWEEP_HOOK": f"{HERE}:gate", "CZT_SWEEP_TEST_GATE": str(d), "CZT_SWEEP_TEST_FREE": str(free)}, d


def _started(d: Path) -> list[Path]:
    return sorted((d / "started").iterdir()) if (d / "started").exists() else []


@pytest.mark.cli
def test_worker_killed_from_outside_sweep_completes(tmp_path):
    out = tmp_path / "o"
    env, gate_dir = _gate_env(tmp_path, free=0)  # every run waits at the gate: the victim is mid-run when killed
    p = _cli(["sweep", str(_spec(tmp_path)), "--out", str(out), "--workers", "2"], env)
    _wait(lambda: len(_started(gate_dir)) >= 1)
    victim = int(_started(gate_dir)[0].read_text())
    os.kill(victim, signal.SIGKILL)
    (gate_dir / "release").touch()
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 0, stderr
    assert "6/6 ok" in stdout
    retries = _events(out, "retry")
    assert len(retries) == 1 and f"worker process {victim} died" in retries[0]["error"]
    _check_tables(out, 6)


@pytest.mark.cli
def test_ctrl_c_then_resume_twice(tmp_path):
    out = tmp_path / "o"
    env, gate_dir = _gate_env(tmp_path, free=2)  # two runs pass, the third waits until after the Ctrl-C
    err = tmp_path / "stderr.txt"
    with err.open("w") as fh:
        p = _cli(["sweep", str(_spec(tmp_path, reps=2)), "--out", str(out), "--workers", "1"], env, stderr=fh)
        _wait(lambda: len(_events(out, "ok")) >= 2 and len(_started(gate_dir)) >= 3)
        os.killpg(p.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
        _wait(lambda: "stopping: no new runs" in err.read_text())  # the coordinator has taken the Ctrl-C
        (gate_dir / "release").touch()  # the run in flight finishes and is recorded; no new run starts
        p.communicate(timeout=60)
    stderr = err.read_text()
    assert p.returncode == 130, stderr
    assert "resume with" in stderr and "Traceback" not in stderr
    runs = _check_tables(out, 3)
    assert (runs.status == "ok").sum() == 3 and (runs.status == "pending").sum() == 9
    from experiments.sweep.status import status

    assert "3 ok, 0 failed, 9 pending" in status(out)
    r = run(out, workers=2, progress=False)
    assert r["executed"] == 9 and r["ok"] == 9 and r["pending"] == 0
    before = pd.read_parquet(out / "runs.parquet")
    _check_tables(out, 12)
    r2 = run(out, workers=2, progress=False)
    assert r2["executed"] == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), before)
    _check_tables(out, 12)


@pytest.mark.cli
def test_second_ctrl_c_stops_busy_workers_without_leaking_semaphores(tmp_path):
    """Ctrl-C twice while both workers are mid-run: the coordinator stops them now (SIGTERM, which they answer by
    unwinding), exits 130 with its lines and no "leaked semaphore" warning after them; the finished run is kept."""
    out = tmp_path / "o"
    env, gate_dir = _gate_env(tmp_path, free=1)  # one run finishes; the next two wait at the gate, never released
    err = tmp_path / "stderr.txt"
    with err.open("w") as fh:
        p = _cli(["sweep", str(_spec(tmp_path)), "--out", str(out), "--workers", "2"], env, stderr=fh)
        _wait(lambda: len(_events(out, "ok")) >= 1 and len(_started(gate_dir)) >= 3)
        os.killpg(p.pid, signal.SIGINT)
        _wait(lambda: "stopping: no new runs" in err.read_text())
        os.killpg(p.pid, signal.SIGINT)  # again: stop now, both workers are busy at the gate
        p.communicate(timeout=60)
    stderr = err.read_text()
    assert p.returncode == 130, stderr
    assert "leaked" not in stderr and "Traceback" not in stderr and "resume with" in stderr, stderr
    from experiments.sweep.status import status

    assert "1 ok, 0 failed, 5 pending" in status(out)


@pytest.mark.cli
def test_coordinator_killed_hard_then_resume(tmp_path):
    out = tmp_path / "o"
    env, gate_dir = _gate_env(tmp_path, free=1)  # one run finishes; the others are held, then killed with it
    p = _cli(["sweep", str(_spec(tmp_path)), "--out", str(out), "--workers", "2"], env)
    _wait(lambda: len(_events(out, "ok")) >= 1 and len(_started(gate_dir)) >= 2)
    os.killpg(p.pid, signal.SIGKILL)  # no chance to clean up: power cut
    p.communicate(timeout=30)
    r = run(out, workers=2, progress=False)
    assert r["ok_before"] == 1 and r["ok"] == 5 and r["pending"] == 0 and r["failed_total"] == 0
    _check_tables(out, 6)
    assert json.loads((out / "spec.json").read_text())["spec"]["name"] == "faults"
