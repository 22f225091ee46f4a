"""Answers over the posterior (experiments/posterior.py) and the screen's parameter set (scripts/screen.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, script_module
from experiments import posterior
from model.errors import ConfigError
from model.params import BY_NAME


def _calibration(tmp_path, weights):
    acc = pd.DataFrame({"rank": range(len(weights)), "point": [10 + i for i in range(len(weights))],
                        "weight": weights, "jacobs_elasticity": np.linspace(0.03, 0.08, len(weights)),
                        "tfp_growth": 0.05})
    acc.to_parquet(tmp_path / "accepted.parquet")
    pd.DataFrame({"param": ["jacobs_elasticity", "tfp_growth"]}).to_csv(tmp_path / "posterior.csv", index=False)
    return tmp_path


@pytest.mark.smoke
def test_draws_follow_the_weights_and_leave_the_hindcast_trend(tmp_path):
    cal = _calibration(tmp_path, [0.0, 0.0, 1.0, 0.0])
    d = posterior.draws(cal, 30)
    assert list(d.columns) == ["draw", "point", "jacobs_elasticity"]  # tfp_growth is the hindcast's own
    assert (d.point == 12).all()  # only the point with weight is drawn
    d2 = posterior.draws(_calibration(tmp_path, [1, 1, 1, 1]), 200)
    assert d2.equals(posterior.draws(tmp_path, 200))  # a fixed stream
    assert set(d2.point) == {10, 11, 12, 13}


@pytest.mark.smoke
def test_not_a_calibration_folder_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="--calibration"):
        posterior.draws(tmp_path, 5)


@pytest.mark.smoke
def test_contrasts_separate_parameter_from_seed_spread():
    """Two draws, four seeds: the lever adds +1 at draw 0 and -1 at draw 1 plus seed noise; P(raises) is the share
    of draws whose mean contrast is positive, and the parameter band sees the draws' spread, the seed band the
    noise within a draw."""
    rng = np.random.default_rng(1)
    rows = []
    for draw, effect in ((0, 1.0), (1, -1.0)):
        for seed in range(4):
            base = 60 + 5 * draw + rng.normal(0, 0.1)
            rows.append({"draw": draw, "scenario": "baseline", "seed": seed, "core_gdp_share_pp": base})
            rows.append({"draw": draw, "scenario": "lever", "seed": seed, "core_gdp_share_pp": base + effect})
    summary, contrasts = posterior.summarize(pd.DataFrame(rows), ["core_gdp_share_pp"])
    c = contrasts.iloc[0]
    assert c.p_raises == 0.5 and c.draws == 2
    assert c.parameter_band == pytest.approx(1.8, abs=1e-9)  # 5-95 % of {-1, +1}
    b = summary[summary.scenario == "baseline"].iloc[0]
    assert b.parameter_band > 4 and b.seed_band < 0.5


def _screen_module():
    return script_module("screen")


@pytest.mark.smoke
def test_the_screen_covers_every_numeric_non_policy_parameter_within_its_range():
    screen = _screen_module()
    rows = screen.screened()
    assert len(rows) >= 90
    for name, lo, hi in rows:
        p = BY_NAME[name]
        assert p.lever is None and name not in screen.SKIP
        assert p.lo <= lo < hi <= p.hi, name
        if p.default > 0:
            assert lo <= p.default <= hi, name


@pytest.mark.smoke
def test_a_screen_at_a_fitted_point_centres_on_it_and_counts_its_calibrated_parameters_as_fitted(tmp_path):
    """``spec --point``: the ranges sit around the point's values (half to one and a half times, within the allowed
    range), the runs start from the point's own baseline and integration files, and the report counts the
    parameters the calibration file fits as fitted there."""
    screen = _screen_module()
    point = ROOT / "experiments" / "calibrations" / "fit2005" / "baseline.toml"
    values = screen.point_values(point)
    ranges = {n: (lo, hi) for n, lo, hi in screen.screened(values)}
    moved = [n for n in values if n in ranges and values[n] != BY_NAME[n].default]
    assert moved, values
    for n in moved:
        p, v = BY_NAME[n], values[n]
        assert ranges[n] == pytest.approx((max(p.lo, 0.5 * v), min(p.hi, 1.5 * v))), n
    screen.write_spec(tmp_path, point)
    import tomllib

    base = tomllib.loads((tmp_path / "baseline.toml").read_text(encoding="utf-8"))
    seeds = tomllib.loads((tmp_path / "seeds.toml").read_text(encoding="utf-8"))
    assert Path(base["scenario"]) == point.resolve()
    assert [Path(s).name for s in seeds["scenarios"]] == ["baseline.toml", "integration.toml"]
    fitted = screen.fitted_at(point)
    assert screen.fitted_at(None) == frozenset()
    assert screen.status("entry_logit_scale", fitted) == "fitted"
    assert screen.status("in_migration_elasticity", fitted) != "fitted"  # pinned by the point, not fitted
    assert screen.status("labour_elasticity", fitted) == "fitted"  # an assumption at the registry, fitted since round 5
    assert screen.status("talent_efficiency", fitted) == "assumption"
