"""Sweep folders that go bad after the fact: damaged part files and design.parquet, a results folder that turns
read-only mid-sweep, a manifest with bytes that are not UTF-8, a folder planned before platforms were recorded.
In every case: finished good parts are never touched, the damage is named, and ``resume`` continues."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main
from experiments.sweep.runner import run
from experiments.sweep.status import status
from experiments.sweep.store import Store

from conftest import make_read_only, make_writable

pytestmark = pytest.mark.sim

HERE = str(Path(__file__).resolve())
SPEC = """name = "damage"
scenario = "baseline"
design = "factorial"
replications = 1
until = 2020
scale = 50000
root_seed = 9
outputs = ["gdp_100m_yuan", "gdp_share"]
[params]
enclave_tax_share = [0.0, 0.25, 0.5, 0.75]
"""


def freeze_after_two(task):
    """Test hook: once two runs are recorded, the results folder becomes read-only (as if remounted)."""
    out = Path(os.environ["CZT_TEST_FREEZE_DIR"])
    if len(list((out / "parts" / "runs").glob("*.parquet"))) >= 2 and not os.environ.get("CZT_TEST_FROZEN"):
        os.environ["CZT_TEST_FROZEN"] = "1"
        assert make_read_only(out)


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("damage")
    (tmp / "d.toml").write_text(SPEC)
    r = run(tmp / "done", spec_path=tmp / "d.toml", workers=0, progress=False)
    assert r["ok"] == 4
    return tmp / "done"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 3])


def test_damaged_parts_named_treated_as_missing_and_rerun(finished, tmp_path, capsys):
    out = _copy(finished, tmp_path / "o")
    runs_parts = sorted((out / "parts" / "runs").glob("*.parquet"))
    bad_runs, bad_cities = runs_parts[0], out / "parts" / "cities" / runs_parts[1].name
    _truncate(bad_runs)
    _truncate(bad_cities)
    hit = {bad_runs.stem, bad_cities.stem}  # both parts of these two runs are rewritten when they run again
    good = {p: p.read_bytes() for p in (out / "parts").rglob("*.parquet") if p.stem not in hit}
    assert len(good) == 4
    text = status(out)
    assert "2 ok, 0 failed, 2 pending" in text
    assert "2 damaged part files" in text and bad_runs.name in text and bad_cities.name in text
    assert main(["analyze", str(out)]) in (0, 2)  # whether indices exist or not: no traceback, damage named
    err = capsys.readouterr().err
    assert "Traceback" not in err and "damaged part file" in err
    r = run(out, workers=0, progress=False)
    assert r["executed"] == 2 and r["ok"] == 2 and r["pending"] == 0
    assert all(p.read_bytes() == b for p, b in good.items())  # finished good parts untouched
    assert "4 ok, 0 failed, 0 pending" in status(out) and "damaged part" not in status(out)
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "cities.parquet").sort_values(["run_id", "year", "city"]).reset_index(drop=True),
        pd.read_parquet(finished / "cities.parquet").sort_values(["run_id", "year", "city"]).reset_index(drop=True))


def test_damaged_design_refused_by_readers_rebuilt_by_resume(finished, tmp_path, capsys):
    out = _copy(finished, tmp_path / "o")
    _truncate(out / "design.parquet")
    assert main(["status", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "design.parquet" in err[0] and "resume" in err[0]
    assert main(["resume", str(out), "--workers", "0", "--no-progress"]) == 0
    assert "rebuilt from spec.json" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_parquet(out / "design.parquet"), pd.read_parquet(finished / "design.parquet"))
    assert "4 ok, 0 failed, 0 pending" in status(out)


def test_manifest_with_bytes_that_are_not_utf8(finished, tmp_path):
    out = _copy(finished, tmp_path / "o")
    with open(out / "manifest.jsonl", "ab") as fh:
        fh.write(b'{"event": "\xff\xfe broken\n')
    assert "4 ok" in status(out)


def test_folder_planned_before_platforms_were_recorded(finished, tmp_path, capsys):
    out = _copy(finished, tmp_path / "o")
    info = json.loads((out / "spec.json").read_text())
    info.pop("platform")
    (out / "spec.json").write_text(json.dumps(info))
    lines = [ln for ln in (out / "manifest.jsonl").read_text().splitlines() if '"platform"' not in ln]
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    assert "platform: not recorded" in status(out)
    part = next((out / "parts" / "runs").glob("*.parquet"))
    part.unlink()  # one run to do, so the resume records its platform
    (out / "parts" / "cities" / part.name).unlink()
    assert main(["resume", str(out), "--workers", "0", "--no-progress"]) == 0
    from model.platform import fingerprint_id

    assert Store(out).platform_id() == fingerprint_id() and "platform: " + fingerprint_id() in status(out)


def test_results_folder_made_read_only_mid_sweep(tmp_path, monkeypatch, capsys):
    probe = tmp_path / "probe"
    probe.mkdir()
    if not make_read_only(probe):
        pytest.skip("cannot make a folder read-only here (needs chattr as root, or a non-root user)")
    make_writable(probe)
    (tmp_path / "d.toml").write_text(SPEC)
    out = tmp_path / "o"
    monkeypatch.setenv("CZT_SWEEP_HOOK", f"{HERE}:freeze_after_two")
    monkeypatch.setenv("CZT_TEST_FREEZE_DIR", str(out))
    monkeypatch.delenv("CZT_TEST_FROZEN", raising=False)
    try:
        code = main(["sweep", str(tmp_path / "d.toml"), "--out", str(out), "--workers", "0", "--no-progress"])
        err = capsys.readouterr().err.strip().splitlines()
        kept = {p.relative_to(out): p.read_bytes() for p in (out / "parts").rglob("*.parquet")}
    finally:
        make_writable(out)
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0]
    assert err[0].startswith("error: results folder not writable") and "resume" in err[0] and "2 runs" in err[0]
    assert len(kept) == 4  # two runs, each a runs part and a cities part
    monkeypatch.delenv("CZT_SWEEP_HOOK")
    assert main(["resume", str(out), "--workers", "0", "--no-progress"]) == 0
    assert "4 ok, 0 failed, 0 pending" in status(out)
    assert all((out / p).read_bytes() == b for p, b in kept.items())


def test_read_only_finished_sweep_still_readable(finished, tmp_path, capsys):
    out = _copy(finished, tmp_path / "o")
    if not make_read_only(out):
        pytest.skip("cannot make a folder read-only here")
    try:
        assert "4 ok" in status(out)
        from experiments.report.load import read

        assert read(out).counts["ok"] == 4  # the report reads it (it writes elsewhere with --out)
        assert main(["resume", str(out), "--no-progress"]) == 2
        assert "not writable" in capsys.readouterr().err
    finally:
        make_writable(out)
