"""The export bundle runs anywhere: its sweep names the files inside it, its README's commands work from another
working folder with only the installed package (no PYTHONPATH), a lost part is rerun by resume, and a bundle whose
runs failed is refused with one line instead of zipped as a success (ui/bundle.py)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from model.errors import ConfigError
from ui.session import Session

pytestmark = [pytest.mark.sim, pytest.mark.app]

SCALE = 500


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m experiments`` as a fresh shell would run it: another working folder, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.cli
def test_bundle_sweep_names_files_inside_it_and_resumes_from_anywhere(tmp_path):
    from ui import bundle

    s = Session(seed=3, scale=SCALE)
    try:
        s.set_compare(True)
        s.set_levers({"commute_minutes_cs_xt": 15.0})
        s.step(5)
        zipfile.ZipFile(io.BytesIO(bundle.build(s))).extractall(tmp_path / "unzipped")
    finally:
        s.close()
    sweep = tmp_path / "unzipped" / "sweep"
    spec = json.loads((sweep / "spec.json").read_text())["spec"]
    assert spec["scenarios"] == ["baseline", "app-run.toml"]  # not the temporary path the bundle was made in
    assert "czt-bundle-" not in (sweep / "design.parquet").read_bytes().decode("latin-1")
    runs = pd.read_parquet(sweep / "runs.parquet")
    lost = runs[runs.scenario == "app-run.toml"].run_id.iloc[0]
    (sweep / "parts" / "runs" / f"{lost}.parquet").unlink()  # a part lost in transit: resume must rerun it
    (sweep / "parts" / "cities" / f"{lost}.parquet").unlink(missing_ok=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = _cli(elsewhere, "resume", str(sweep), "--workers", "0", "--no-progress")
    assert r.returncode == 0 and "2/2 ok, 0 failed" in r.stdout and "this time 1 attempts" in r.stdout, r.stdout + r.stderr
    again = pd.read_parquet(sweep / "runs.parquet")
    assert (again.status == "ok").all() and len(again) == len(runs)
    r = _cli(tmp_path / "unzipped", "report", "sweep", "--out", "report")  # README.txt's command, as written
    assert r.returncode == 0 and (tmp_path / "unzipped" / "report" / "report.md").exists(), r.stderr
    r = _cli(elsewhere, "sweep", str(sweep / "sweep.toml"), "--out", "again", "--workers", "0", "--no-progress")
    assert r.returncode == 0, r.stderr
    fresh = pd.read_parquet(elsewhere / "again" / "runs.parquet").set_index("run_id").sort_index()
    assert list(fresh.index) == sorted(runs.run_id)  # the same runs: the scenario file inside the bundle was read


def test_a_bundle_whose_runs_failed_is_refused(tmp_path, monkeypatch):
    """Every run that has to be simulated fails (a hook in the worker): build raises one ConfigError line naming
    the failed run and its reason; no zip comes back."""
    from ui import bundle

    hook = tmp_path / "hook.py"
    hook.write_text("def fail(task):\n    raise RuntimeError('disk on fire')\n")
    monkeypatch.setenv("CZT_SWEEP_HOOK", f"{hook}:fail")
    s = Session(seed=3, scale=SCALE)
    try:
        s.set_levers({"commute_minutes_cs_xt": 15.0})
        s.set_seeds(2)
        s.step(5)
        with pytest.raises(ConfigError) as exc:
            bundle.build(s)
    finally:
        s.close()
    msg = str(exc.value)
    assert "bundle not made" in msg and "runs failed" in msg and "disk on fire" in msg and "\n" not in msg, msg
