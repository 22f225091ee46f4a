"""Calibration: the estimators recover known parameters of a synthetic simulator; the CLI runs end to end on
the real model through the sweep runner and resumes; bad calibration files give one-line errors (exit 2)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibrate import config
from experiments.calibrate.abc import abc
from experiments.calibrate.moments import distance
from experiments.calibrate.pipeline import design_point_means
from experiments.calibrate.smm import estimate
from experiments.cli import main
from model.params import BY_NAME
from conftest import run_cli

LO, HI = np.array([0.0, 0.0]), np.array([1.0, 2.0])
TRUTH = np.array([0.35, 1.2])
SIGMA = 0.05  # sd of each synthetic moment in one replication


def moments(th: np.ndarray) -> np.ndarray:
    a, b = th[:, 0], th[:, 1]
    return np.column_stack([a + b, a - 0.5 * b, a * b, np.exp(0.5 * a)])


def jacobian(th: np.ndarray) -> np.ndarray:
    a, b = th
    return np.array([[1, 1], [1, -0.5], [b, a], [0.5 * np.exp(0.5 * a), 0]])


def synthetic(n: int = 400, reps: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A Latin hypercube on the prior box and the moments averaged over ``reps`` noisy replications."""
    rng = np.random.default_rng(seed)
    u = (np.column_stack([rng.permutation(n) for _ in range(2)]) + rng.random((n, 2))) / n
    th = LO + u * (HI - LO)
    sims = np.mean([moments(th) + rng.normal(0, SIGMA, (n, 4)) for _ in range(reps)], axis=0)
    return u, sims


@pytest.mark.sim
@pytest.mark.parametrize("n_moments, mode", [(4, "projected"), (2, "raw")])
def test_estimators_recover_known_parameters(n_moments: int, mode: str) -> None:
    reps, n_acc = 2, 80
    u, sims = synthetic(reps=reps)
    th = LO + u * (HI - LO)
    obs = moments(TRUTH[None])[0][:n_moments]
    sd = np.full(n_moments, SIGMA)
    post = abc(th, sims[:, :n_moments], obs, sd, LO, HI, n_acc)
    assert post.mode == mode
    for j, p in enumerate(post.posterior):
        assert p["q05"] <= TRUTH[j] <= p["q95"], (j, p)
        # the regression adjustment narrows the posterior compared with plain rejection
        assert p["sd"] < 0.6 * post.rejection[j]["sd"], (j, p, post.rejection[j])
    assert ((post.theta_adjusted > LO) & (post.theta_adjusted < HI)).all()  # logit scale keeps draws in the prior

    sm = estimate(u, sims[:, :n_moments], obs, sd, post.distances, n_acc)
    est = LO + sm.u * (HI - LO)
    # Tolerance: 3 x the standard error of the ideal SMM estimator that evaluates the moments once at the truth
    # with `reps` replications, cov = (sigma^2 / reps) (J'J)^-1. The surface pools ~80 points, so its noise is
    # below that; the margin covers the quadratic's approximation bias.
    jac = jacobian(TRUTH)[:n_moments]
    se = np.sqrt(np.diag(SIGMA**2 / reps * np.linalg.inv(jac.T @ jac)))
    assert (np.abs(est - TRUTH) < 3 * se).all(), (est, TRUTH, se)
    best = th[np.argmin(post.distances)]
    assert np.linalg.norm((est - TRUTH) / se) < np.linalg.norm((best - TRUTH) / se)  # better than the closest draw


@pytest.mark.sim
def test_uninformative_moments_do_not_blur_the_posterior() -> None:
    """40 pure-noise moments next to the 4 informative ones: the projection's ridge penalty (chosen by GCV) keeps
    the adjusted 90% intervals as narrow as with the informative moments alone (an unpenalized projection
    overfits the 120-point design and widens them 1.3-2.3x), and they still cover the truth."""
    n, n_acc = 120, 30
    u, sims = synthetic(n=n)
    th = LO + u * (HI - LO)
    obs = moments(TRUTH[None])[0]
    clean = abc(th, sims, obs, np.full(4, SIGMA), LO, HI, n_acc)
    noise = np.random.default_rng(50).normal(0, 1, (n, 40))
    noisy = abc(th, np.column_stack([sims, noise]), np.concatenate([obs, np.zeros(40)]),
                np.concatenate([np.full(4, SIGMA), np.full(40, 10.0)]), LO, HI, n_acc)
    assert noisy.mode == clean.mode == "projected"
    for j in range(2):
        width = {k: r.posterior[j]["q95"] - r.posterior[j]["q05"] for k, r in (("clean", clean), ("noisy", noisy))}
        assert width["noisy"] < 1.2 * width["clean"], (j, width)
        assert noisy.posterior[j]["q05"] <= TRUTH[j] <= noisy.posterior[j]["q95"]


def test_too_few_accepted_points_fall_back_to_rejection() -> None:
    """5 accepted points cannot support a regression on 2 summaries (fewer than 2 points per coefficient)."""
    u, sims = synthetic(n=40)
    th = LO + u * (HI - LO)
    post = abc(th, sims, moments(TRUTH[None])[0], np.full(4, SIGMA), LO, HI, 5)
    assert post.mode == "none"
    assert post.posterior == post.rejection
    assert abc(th, sims, moments(TRUTH[None])[0], np.full(4, SIGMA), LO, HI, 6).mode == "projected"


@pytest.mark.sim
def test_a_record_the_model_cannot_reach_gets_rejection_not_an_extrapolated_adjustment() -> None:
    """A misspecified simulator: the record's fourth moment, exp(a / 2), is 10, which no point of the prior reaches
    (at most e^0.5 = 1.65). The projected summaries put the record far outside the accepted draws', so the
    adjustment would extrapolate to the bounds (the collapse seen in the round-3 fit of docs/record.md); it is
    refused, and the posterior is the rejection sample. The same design with a reachable record is adjusted."""
    u, sims = synthetic()
    th = LO + u * (HI - LO)
    sd = np.full(4, SIGMA)
    good = moments(TRUTH[None])[0]
    bad = good.copy()
    bad[3] = 10.0
    reached, missed = abc(th, sims, good, sd, LO, HI, 80), abc(th, sims, bad, sd, LO, HI, 80)
    assert reached.mode == "projected" and reached.outlyingness < reached.outside_threshold
    assert missed.mode == "outside" and missed.outlyingness > missed.outside_threshold
    assert missed.posterior == missed.rejection
    # what the refused adjustment would have given: draws squeezed against the prior's edges
    from experiments.calibrate.abc import from_logit, regression_adjust, summaries, to_logit

    phi = to_logit(th, LO, HI)
    s_all, _ = summaries((sims - bad) / sd, phi)
    w = np.ones(80)
    forced = from_logit(regression_adjust(phi[missed.accepted], s_all[missed.accepted], w)[0], LO, HI)
    at_edge = (np.minimum(forced - LO, HI - forced) < 0.01 * (HI - LO)).mean(axis=0)
    assert at_edge.max() > 0.9, at_edge  # most draws of a parameter within 1 % of its bound


def test_distance_averages_replications_first() -> None:
    """Two points x two replications: the distance uses each point's mean moment, not the mean of distances."""
    import tests.calib_moments as prov
    from experiments.calibrate.moments import observed

    obs = observed(prov)
    design = pd.DataFrame({"point": [0, 0, 1, 1], "rep": [0, 1, 0, 1], "run_id": ["a", "b", "c", "d"]})
    shares = {"a": (0.60, 0.25, 0.15), "b": (0.70, 0.15, 0.15), "c": (0.69, 0.18, 0.13), "d": (0.69, 0.18, 0.13)}
    cities = pd.DataFrame([{"run_id": r, "year": 2020, "city": c, "gdp_share": s[i]}
                           for r, s in shares.items() for i, c in enumerate(("changsha", "zhuzhou", "xiangtan"))])
    means, n = design_point_means(prov, cities, design, obs)
    assert list(n) == [2, 2]
    fit = (obs.split == "fit").to_numpy()
    d = distance(means.to_numpy()[:, fit], obs.value.to_numpy()[fit], obs.sd.to_numpy()[fit])
    o = obs.set_index("moment").value
    assert d[0] == pytest.approx(abs(0.65 - o["gdp_share_changsha"]) / 0.02)  # mean of 0.60 and 0.70
    assert d[1] == pytest.approx(abs(0.69 - o["gdp_share_changsha"]) / 0.02)
    assert means.loc[0, "gdp_share_zhuzhou|2020"] == pytest.approx(0.20)
    assert list(obs.split) == ["fit", "holdout", "holdout"]  # fit moments first


TINY = """
name = "tiny"
scenario = "baseline"
until = 2020
scale = 2000
moments = "{moments}"
samples = 6
replications = 1
root_seed = 3
accept = 0.67
validation_replications = 1
[params]
jacobs_elasticity = {{min = 0.0, max = 0.12}}
location_logit_scale = {{min = {lo}, max = 60}}
"""


@pytest.mark.cli
@pytest.mark.sim
def test_cli_end_to_end_and_resume(tmp_path: Path) -> None:
    f = tmp_path / "tiny.toml"
    f.write_text(TINY.format(moments="tests.calib_moments", lo=5))
    out = tmp_path / "calib"
    r = run_cli("calibrate", str(f), "--out", str(out), "--workers", "2", "--no-progress")
    assert r.returncode == 0, r.stderr[-2000:]
    for name in ("posterior.csv", "accepted.parquet", "fit.csv", "calibration.json", "posterior.png"):
        assert (out / name).stat().st_size > 0, name
    post = pd.read_csv(out / "posterior.csv")
    fit = pd.read_csv(out / "fit.csv")
    acc = pd.read_parquet(out / "accepted.parquet")
    info = json.loads((out / "calibration.json").read_text())
    assert list(post.param) == ["jacobs_elasticity", "location_logit_scale"]
    assert sorted(fit.moment) == ["gdp_share_changsha", "gdp_share_xiangtan", "gdp_share_zhuzhou"]
    assert list(fit.split) == ["fit", "holdout", "holdout"]
    assert len(acc) == info["abc"]["accepted"] == 5  # ceil(0.67 x 6)
    assert info["abc"]["regressors"] == "raw"  # one fit moment: 5 points support the regression adjustment
    assert (post.prior_lo <= post.abc_q05).all() and (post.abc_q05 <= post.abc_median).all()
    assert (post.abc_median <= post.abc_q95).all() and (post.abc_q95 <= post.prior_hi).all()
    assert (post.prior_lo <= post.smm).all() and (post.smm <= post.prior_hi).all()
    assert dict(zip(post.param, post.smm)) == pytest.approx(info["smm"]["values"])
    assert list(post["default"]) == [BY_NAME["jacobs_elasticity"].default, BY_NAME["location_logit_scale"].default]
    assert np.allclose(fit.err_smm_sd, (fit.sim_smm - fit.observed) / fit.sd, atol=1e-6)
    runs = pd.read_parquet(out / "sweep" / "runs.parquet")
    assert len(runs) == 6 and (runs.status == "ok").all()
    assert info["design"]["runs_ok"] == 6 and info["failed_runs"] == 0
    # the validation runs at the SMM values really used those values, with seeds the design did not use
    vals = [p for p in out.iterdir() if p.name.startswith("validate-smm-")]
    assert len(vals) == 1
    vruns = pd.read_parquet(vals[0] / "runs.parquet")
    assert vruns.jacobs_elasticity.iloc[0] == pytest.approx(info["smm"]["values"]["jacobs_elasticity"])
    assert not set(vruns.seed) & set(runs.seed)
    assert "RMSE fit" in r.stdout and "gdp_share_xiangtan" in r.stdout
    # the folder reads back as its own calibration's (spec.json's digest is the design of calibration.toml)
    cov = run_cli("calibration-coverage", str(out))
    assert cov.returncode == 0 and (out / "coverage.json").exists() and not list(out.glob(".partial-*")), cov.stderr

    def ok_events() -> int:
        return sum(json.loads(x)["event"] == "ok" for p in out.glob("*/manifest.jsonl")
                   for x in p.read_text().splitlines())

    before = ok_events()
    assert before == 8  # 6 design + 1 default + 1 smm
    again = run_cli("calibrate", str(f), "--out", str(out), "--workers", "2", "--no-progress")
    assert again.returncode == 0, again.stderr[-2000:]
    assert ok_events() == before  # resumed: nothing ran again
    assert pd.read_csv(out / "posterior.csv").equals(post)  # and the estimate is the same


@pytest.mark.parametrize("moments, lo, extra, field", [
    ("tests.calib_moments", 5, "no_such_parameter = {min = 0, max = 1}\n", "params.no_such_parameter"),
    ("tests.calib_moments", -5, "", "params.location_logit_scale.min"),
    ("tests.no_such_provider", 5, "", "moments"),
])
def test_bad_config_one_line_exit_2(tmp_path: Path, capsys, moments: str, lo: int, extra: str, field: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(TINY.format(moments=moments, lo=lo) + extra)
    assert main(["calibrate", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error:") and field in err, err
    assert not (tmp_path / "o").exists()  # nothing ran


def test_hindcast_draft_is_valid(repo_root: Path) -> None:
    """The draft's keys and prior ranges validate; its scenario and provider are the lead's (may not exist yet)."""
    raw = tomllib.loads((repo_root / "experiments/calibrations/hindcast.toml").read_text())
    assert (raw["scenario"], raw["moments"], raw["until"]) == ("hindcast-2010", "model.history", 2020)
    from model.scenarios import available

    if raw["scenario"] not in available():
        raw["scenario"] = "baseline"
    if not (repo_root / "model/history.py").exists():
        raw["moments"] = "tests.calib_moments"
    cs = config.parse(raw, "hindcast.toml")
    assert len(cs.priors) >= 2
    assert cs.n_accept >= 2 * (len(cs.priors) + 1)  # enough accepted points for the regression adjustment


@pytest.mark.sim
def test_coverage_of_rejection_intervals_is_near_nominal_on_a_toy_model() -> None:
    """A linear toy model with noise: rejection-ABC 90% intervals cover the true parameter in about 90% of the
    pseudo-observed cases (statistical, 300 design points with a fixed seed), and an uninformative parameter has
    wide intervals while an identified one has narrow ones."""
    import numpy as np

    from experiments.calibrate.coverage import coverage

    rng = np.random.default_rng(20261201)
    n = 300
    theta = rng.uniform(0, 1, size=(n, 2))
    # moments depend strongly on parameter 0 and not at all on parameter 1
    sims = np.column_stack([theta[:, 0] + 0.05 * rng.standard_normal(n), 2 * theta[:, 0] + 0.05 * rng.standard_normal(n),
                            0.05 * rng.standard_normal(n)])
    t = coverage(theta, sims, np.full(3, 0.05), np.zeros(2), np.ones(2), n_accept=45, tests=np.arange(0, n, 3))
    cov = t.coverage_rejection.to_numpy()
    assert np.all((cov > 0.78) & (cov < 0.99)), t
    assert t.width_rejection_share_of_prior[0] < 0.5 * t.width_rejection_share_of_prior[1], t
