"""Sensitivity analysis: recovers the known Sobol indices of the Ishigami function; end to end on the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from SALib.test_functions import Ishigami

from experiments.cli import main
from experiments.sweep.analyze import analyze_dir, main_effects, sensitivity
from experiments.sweep.runner import run

PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
# analytic indices of Ishigami (a=7, b=0.1)
S1 = np.array([0.3139, 0.4424, 0.0])
ST = np.array([0.5576, 0.4424, 0.2437])


@pytest.mark.sim
def test_sobol_recovers_ishigami():
    X = sobol_sample.sample(PROBLEM, 2048, calc_second_order=False, seed=1)
    t = sensitivity("sobol", PROBLEM, None, Ishigami.evaluate(X), num_resamples=300, seed=1)
    assert list(t.param) == ["x1", "x2", "x3"]
    assert np.allclose(t.S1, S1, atol=0.04) and np.allclose(t.ST, ST, atol=0.04)
    assert (t.S1_conf > 0).all() and (t.S1_conf < 0.1).all()
    # the truth lies within (a slightly widened) confidence interval
    assert (np.abs(t.S1 - S1) <= 2 * t.S1_conf + 0.01).all() and (np.abs(t.ST - ST) <= 2 * t.ST_conf + 0.01).all()


@pytest.mark.sim
def test_morris_ranks_ishigami():
    X = morris_sample.sample(PROBLEM, 200, num_levels=4, seed=2)
    t = sensitivity("morris", PROBLEM, X, Ishigami.evaluate(X), num_resamples=300, seed=2).set_index("param")
    # x2 and x1 matter most on average; x3 acts only through its interaction with x1 (sigma large vs mu)
    assert t.mu_star["x3"] > 0 and (t.mu_star_conf > 0).all()
    assert t.sigma["x3"] > abs(t.mu["x3"])
    assert t.mu_star.drop("x3").min() > 0


@pytest.mark.sim
def test_main_effects_of_additive_factorial():
    rng = np.random.default_rng(0)
    grid = np.array([(a, b) for a in (0.0, 1.0) for b in (0.0, 1.0, 2.0)])
    y = 3 * grid[:, 0] + 1 * grid[:, 1]
    Yr = y[:, None] + rng.normal(0, 0.01, (len(y), 4))
    t = main_effects(grid, Yr, ["a", "b"], num_resamples=200)
    var_a, var_b = 9 * 0.25, 1 * 2 / 3
    assert np.allclose(t.S1, [var_a / (var_a + var_b), var_b / (var_a + var_b)], atol=0.02)
    # the effect from the lowest to the highest level, in the response's unit: 3 for a (0 -> 1), 2 for b (0 -> 2)
    assert np.allclose(t.effect, [3.0, 2.0], atol=0.02) and (t.effect_conf < 0.02).all()


SOBOL = """
name = "sob"
scenario = "baseline"
design = "{design}"
samples = {samples}
replications = 1
until = 2020
scale = 50000
root_seed = 5
outputs = ["gdp_share"]
metrics = ["core_gdp_share_last", "czt_gdp_last_100m_yuan"]
[params]
tfp_growth = {{ min = 0.0, max = 0.1 }}
green_heart_ban = [0.0, 1.0]
"""


@pytest.mark.sim
@pytest.mark.parametrize("design,samples,n_runs,cols", [("sobol", 4, 16, "ST_conf"), ("morris", 3, 9, "mu_star_conf")])
def test_sweep_then_analyze(tmp_path, capsys, design, samples, n_runs, cols):
    f = tmp_path / "s.toml"
    f.write_text(SOBOL.format(design=design, samples=samples))
    out = tmp_path / "o"
    r = run(out, spec_path=f, workers=2, progress=False)
    assert r["total"] <= n_runs and r["ok"] == r["total"]
    res = analyze_dir(out, resamples=100)
    t = pd.read_csv(res["csv"])
    assert set(t.metric) == {"core_gdp_share_last", "czt_gdp_last_100m_yuan"} and cols in t
    assert res["png"].stat().st_size > 5000
    assert t[cols].notna().all() and set(t.param) == {"tfp_growth", "green_heart_ban"}
    assert main(["analyze", str(out), "--metric", "theta_nonexistent"]) == 2
    assert "error: " in capsys.readouterr().err


def test_analyze_refuses_incomplete_sobol(tmp_path, capsys):
    f = tmp_path / "s.toml"
    f.write_text(SOBOL.format(design="sobol", samples=4))
    from experiments.sweep.runner import prepare

    prepare(tmp_path / "o", spec_path=f)  # planned, nothing run
    assert main(["analyze", str(tmp_path / "o")]) == 2
    assert "incomplete sweep" in capsys.readouterr().err
    assert not (tmp_path / "o" / "analysis").exists()  # a refused analysis leaves no empty folder
