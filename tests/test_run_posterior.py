"""``python -m experiments run --posterior N``: the run's forecast over posterior draws x seeds in run.json
(experiments/cli.py, the rules of experiments/posterior.py), its one-line errors, and finished work kept."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from experiments import cli, posterior

TINY = ("--scale", "2000", "--until", "2020")


@pytest.mark.smoke
def test_bands_follow_the_summary_rules():
    """The array rules (used by the app's charts) are the summary's: two draws of four seeds."""
    grid = np.array([[1.0, 2.0, 3.0, 4.0], [11.0, 12.0, 13.0, 14.0]])
    b = posterior.bands(grid)
    assert b["median"] == pytest.approx(7.5)
    assert (b["param_lo"], b["param_hi"]) == pytest.approx((2.5 + 0.05 * 10, 2.5 + 0.95 * 10))
    assert b["seed_hi"] - b["seed_lo"] == pytest.approx(np.quantile([1, 2, 3, 4], 0.95) - np.quantile([1, 2, 3, 4], 0.05))
    runs = pd.DataFrame([{"draw": d, "seed": s, "scenario": "baseline", "x_pp": grid[d, s]}
                         for d in range(2) for s in range(4)])
    row = posterior.summarize(runs, ["x_pp"])[0].iloc[0]
    assert row.parameter_band == pytest.approx(b["param_hi"] - b["param_lo"])
    assert row.seed_band == pytest.approx(b["seed_hi"] - b["seed_lo"])
    q = posterior.bands(np.stack([grid, 2 * grid], axis=-1))  # quarters along a last axis: per quarter
    assert q["param_hi"].shape == (2,) and q["param_hi"][1] == pytest.approx(2 * b["param_hi"])


@pytest.mark.smoke
@pytest.mark.parametrize("args, flag, allowed", [
    (("--posterior", "0"), "--posterior", "from 1 to 1000"),
    (("--posterior", "1001"), "--posterior", "from 1 to 1000"),
    (("--posterior", "400", "--seeds", "100"), "--posterior", "up to 20,000 runs"),
    (("--posterior", "2", "--seeds", "0"), "--seeds", "from 1 to 100"),
    (("--posterior", "2", "--posterior-from", "{tmp}"), "--posterior-from", "accepted.parquet"),
    (("--seeds", "3"), "--seeds", "only with --posterior"),
    (("--posterior-from", "docs/record-fit"), "--posterior-from", "only with --posterior"),
    (("--posterior", "2", "--workers", "0"), "--workers", "1 to"),
    (("--posterior", "2", "--set", "jacobs_elasticity=0.05"), "--set jacobs_elasticity", "does not draw"),
])
def test_bad_posterior_values_are_one_line_before_any_run(tmp_path, capsys, args, flag, allowed):
    out = tmp_path / "run"
    argv = ["run", *(a.replace("{tmp}", str(tmp_path)) for a in args), "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"'{flag}'" in err and allowed in err, err
    assert not out.exists()  # refused before anything ran or was written


@pytest.mark.sim
@pytest.mark.cli
def test_run_json_holds_the_forecast_over_the_posterior(tmp_path):
    out = tmp_path / "run"
    r = run_cli("run", "--seed", "3", *TINY, "--posterior", "2", "--seeds", "2", "--set",
                "moving_cost=0.3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "parameter band" in r.stdout and "seed band" in r.stdout
    info = json.loads((out / "run.json").read_text())
    p = info["posterior"]
    assert p["calibration"] == "docs/record-fit" and p["draws"] == 2 and p["seeds"] == [3, 4] and p["runs"] == 4
    assert p["year"] == 2020 and p["fixed"] == {"moving_cost": 0.3} and p["scale"] == 2000
    assert "tfp_growth" not in p["drawn"] and "jacobs_elasticity" in p["drawn"] and len(p["points"]) == 2
    assert "in_migration_elasticity" in p["drawn"]  # the calibration's pinned value travels with every draw
    runs = pd.read_csv(out / "posterior_runs.csv")
    assert (runs.in_migration_elasticity == 1.5).all()
    names = {"core_gdp_share_pp", "zhuzhou_gdp_share_pp", "xiangtan_gdp_share_pp", "zhuzhou_gdp_100m_yuan",
             "xiangtan_gdp_100m_yuan", "zhuzhou_residents_10k", "xiangtan_residents_10k"}
    assert set(p["outcomes"]) == names
    for name, o in p["outcomes"].items():
        assert set(o) == {"unit", "median", "q05", "q95", "parameter_band", "seed_band"}
        assert o["q05"] <= o["median"] <= o["q95"] and o["parameter_band"] >= 0 and o["seed_band"] >= 0, name
    assert p["outcomes"]["zhuzhou_residents_10k"]["unit"] == "10k persons"
    shares = [p["outcomes"][f"{c}_gdp_share_pp"]["median"] for c in ("core", "zhuzhou", "xiangtan")]
    assert 95 < sum(shares) < 105  # medians of shares that add up to 100 in every run
    runs = pd.read_csv(out / "posterior_runs.csv")
    assert len(runs) == 4 and set(runs.seed) == {3, 4}
    g = posterior.grid_of(runs, "core_gdp_share_pp")
    assert p["outcomes"]["core_gdp_share_pp"]["median"] == pytest.approx(float(np.median(g)), rel=1e-5)
    assert info["seed"] == 3 and "summary" in info  # the run itself as without --posterior


@pytest.mark.sim
def test_a_failed_posterior_keeps_the_finished_run(tmp_path, monkeypatch, capsys):
    """The run's four files are complete before the draws start; a failure there leaves them (without the block)."""
    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(posterior, "forecast_block", boom)
    out = tmp_path / "run"
    assert cli.main(["run", "--scale", "2000", "--until", "2019", "--posterior", "2", "--out", str(out)]) == 130
    info = json.loads((out / "run.json").read_text())
    assert "posterior" not in info and info["until"] == 2019
    assert {p.name for p in out.iterdir()} == {"run.json", "cities.parquet", "flows.parquet", "annual.parquet"}
