"""`python -m experiments report`: scenario designs in sweeps, the report's statistics, figures and tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from experiments.cli import main
from experiments.report import stats
from experiments.report.build import build
from experiments.report.style import find_cjk, setup
from experiments.sweep import spec as spec_mod
from experiments.sweep.design import plan
from experiments.sweep.runner import prepare, run
from experiments.sweep.store import read_provenance
from model.measures import theta_ols

TINY = """
name = "tiny-scenarios"
design = "scenarios"
scenarios = ["baseline", "enclave"]
replications = 2
seeds = "common"
until = 2021
scale = 2000
root_seed = 5
"""
FIGURES = ("fig_a_gdp_share", "fig_a2_gdp_share_change", "fig_b_share_change", "fig_c_verdicts", "fig_d_theta")
CJK = find_cjk() is not None


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """2 scenarios x 2 replications at scale 2000 until 2021, run in this process."""
    tmp = tmp_path_factory.mktemp("rep")
    (tmp / "tiny.toml").write_text(TINY)
    r = run(tmp / "out", spec_path=tmp / "tiny.toml", workers=0, progress=False)
    assert r["ok"] == 4 and r["failed"] == 0
    return tmp / "out"


@pytest.fixture(scope="module")
def report(sweep) -> dict:
    return build(sweep, lang="both", resamples=100)


# ---- scenario designs in sweeps

@pytest.mark.sim
def test_scenarios_design_ids_seeds_and_columns(sweep):
    sp = spec_mod.parse(spec_mod.tomllib.loads(TINY))
    d = plan(sp)
    assert list(d.scenario) == ["baseline", "baseline", "enclave", "enclave"]
    assert d.run_id.nunique() == 4
    assert all(rid.startswith(sc + "-") for rid, sc in zip(d.run_id, d.scenario))
    # common random numbers: replicate r has the same seed in every scenario, replicates differ
    assert d.groupby("rep").seed.nunique().eq(1).all() and d.seed.nunique() == 2
    ind = plan(spec_mod.parse({**spec_mod.tomllib.loads(TINY), "seeds": "independent"}))
    assert ind.seed.nunique() == 4
    # the results tables carry the scenario, and each scenario really ran (the enclave scenario adds a park,
    # so its runs differ from the baseline's with the same seed)
    runs, cities = pd.read_parquet(sweep / "runs.parquet"), pd.read_parquet(sweep / "cities.parquet")
    assert set(runs.scenario) == {"baseline", "enclave"} and set(cities.scenario) == {"baseline", "enclave"}
    assert (cities.groupby("run_id").scenario.nunique() == 1).all()
    b = runs[runs.scenario == "baseline"].sort_values("rep")
    e = runs[runs.scenario == "enclave"].sort_values("rep")
    assert list(b.seed) == list(e.seed)
    assert not np.allclose(b.core_gdp_share_last.to_numpy(), e.core_gdp_share_last.to_numpy())


def test_scenarios_design_crossed_with_params():
    raw = {**spec_mod.tomllib.loads(TINY), "params": {"talent_recognition": [0.0, 1.0]}}
    d = plan(spec_mod.parse(raw))
    assert len(d) == 2 * 2 * 2 and d.run_id.nunique() == 8
    assert set(zip(d.scenario, d.talent_recognition)) == {(s, v) for s in ("baseline", "enclave") for v in (0.0, 1.0)}


def test_bad_scenario_name_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace('"enclave"', '"enclav"'))
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o"), "--workers", "0", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'enclav'" in err and "enclave" in err and "baseline" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.sim
def test_analyze_refuses_a_scenarios_design(sweep, capsys):
    assert main(["analyze", str(sweep)]) == 2
    assert "report" in capsys.readouterr().err


# ---- statistics

@pytest.mark.sim
@pytest.mark.parametrize("theta", [-0.6, 0.8])
def test_theta_ols_recovers_a_known_coefficient(theta):
    """y = a + theta x + noise, 16 years, 500 panels: estimates within 3 se, se matches the Monte-Carlo sd."""
    rng = np.random.default_rng(42)
    est, se, hc1, within = [], [], [], 0
    for _ in range(500):
        x = rng.normal(0.07, 0.02, 16)
        y = 0.01 + theta * x + rng.normal(0, 0.01, 16)
        r = stats.ols(x, y)
        est.append(r.coef)
        se.append(r.se)
        hc1.append(r.se_hc1)
        within += abs(r.coef - theta) <= 3 * r.se
    est = np.array(est)
    sd = est.std(ddof=1)
    assert abs(est.mean() - theta) < 3 * sd / np.sqrt(len(est))  # unbiased
    assert within / len(est) >= 0.97  # P(|t_14| > 3) is about 1%
    assert 0.88 < np.mean(se) / sd < 1.12
    assert 0.8 < np.mean(hc1) / sd < 1.15  # HC1 is a little low in small samples
    # the same numbers as numpy's least squares and as the model's theta_ols with one periphery city
    ref = np.polyfit(x, y, 1)
    assert np.isclose(r.coef, ref[0]) and np.isclose(r.intercept, ref[1])
    m = theta_ols(x, {"p": y})
    assert np.isclose(m["theta"], r.coef) and np.isclose(m["se"], r.se)
    assert 0 < r.r2 < 1 and r.n == 16


def test_ols_degenerate_cases_give_nan_not_errors():
    exact = stats.ols(np.array([0.1, 0.2]), np.array([0.3, 0.1]))
    assert exact.n == 2 and np.isfinite(exact.coef) and np.isnan(exact.se)
    flat = stats.ols(np.ones(5), np.arange(5.0))
    assert np.isnan(flat.coef)


@pytest.mark.sim
def test_t_interval_covers_the_true_mean_at_the_nominal_rate():
    rng = np.random.default_rng(7)
    for n in (3, 10):
        hits = 0
        for _ in range(2000):
            m, lo, hi, k = stats.t_interval(rng.normal(3.0, 2.0, n), 0.95)
            hits += lo <= 3.0 <= hi
        assert abs(hits / 2000 - 0.95) <= 0.03, (n, hits)
    m, lo, hi, k = stats.t_interval([1.0, np.nan])
    assert m == 1.0 and k == 1 and np.isnan(lo)


# ---- the report

@pytest.mark.sim
def test_report_figures_tables_and_index(sweep, report):
    out = sweep / "report"
    langs = ["", "_zh"] if CJK else [""]
    for stem in FIGURES:
        for sfx in langs:
            pdf, png = out / f"{stem}{sfx}.pdf", out / f"{stem}{sfx}.png"
            data = pdf.read_bytes()
            assert data.startswith(b"%PDF") and len(data) > 1000, pdf
            img = mpimg.imread(png)
            assert img.ndim == 3 and min(img.shape[:2]) > 300  # 300 dpi
            flat = img[..., :3].reshape(-1, 3)
            assert flat.std() > 0.05 and len(np.unique(flat[::7], axis=0)) > 20, png  # not one flat colour
    cmp = pd.read_csv(out / "scenario_comparison.csv")
    assert list(cmp.group) == ["baseline", "enclave"] and (cmp.runs == 2).all()
    assert "zhuzhou_share_change_pp_mean" in cmp and "zhuzhou_net_talent_from_changsha_10k_ci95_low" in cmp
    runs = pd.read_parquet(sweep / "runs.parquet").set_index("scenario")
    assert np.isclose(cmp.set_index("group").loc["enclave", "zhuzhou_share_change_pp_mean"],
                      runs.loc["enclave", "zhuzhou_gdp_share_change_pp"].mean(), atol=1e-3)
    th = pd.read_csv(out / "theta_regression.csv")
    assert len(th) == 4 + 2 and (th.estimate == "pooled").sum() == 2
    # two growth years are too few for the lagged theta (two lags, own lag, trend): no estimate, not a made-up one
    assert (th.n_years == 0).all() and th.coef.isna().all()
    ver = pd.read_csv(out / "verdicts.csv")  # counts add up to the runs per group and city
    assert len(ver) == 4 and (ver[["siphon", "neutral", "spillover"]].sum(axis=1) == 2).all()
    assert (ver.set_index(["group", "city"]).loc[("enclave", "zhuzhou"), ["siphon", "neutral", "spillover"]]
            == runs.loc["enclave", "zhuzhou_verdict"].value_counts().reindex(["siphon", "neutral", "spillover"],
                                                                           fill_value=0).to_numpy()).all()
    gov = pd.read_csv(out / "governments.csv")  # the governments' choices, from the same city-by-year rows
    cities = pd.read_parquet(sweep / "cities.parquet")
    assert set(gov.year) == {2019, 2020, 2021} and (gov.runs == 2).all()
    assert (gov.talent_subsidy_yuan_ci95_low <= gov.talent_subsidy_yuan_mean).all()
    scen = runs.reset_index().set_index("run_id").scenario
    zz = cities[(cities.year == 2021) & (cities.city == "zhuzhou")]
    want = zz.assign(sc=zz.run_id.map(scen)).groupby("sc").talent_subsidy_yuan.mean()
    got = gov[(gov.year == 2021) & (gov.city == "zhuzhou")].set_index("group").talent_subsidy_yuan_mean
    assert len(want) == 2 and np.allclose(got.loc[want.index], want)
    plan = pd.read_csv(out / "plan_targets.csv")  # every Outline 2025 target per group; the sweep ends in 2021
    from model.targets import TARGETS_2025

    assert list(plan.key) == [t.key for t in TARGETS_2025] * 2 and list(dict.fromkeys(plan.group)) == ["baseline",
                                                                                                        "enclave"]
    assert (plan.runs == 2).all() and (plan.runs_with_value == 0).all() and plan.value_mean.isna().all()
    assert plan[plan.status != "cannot"].note.str.contains("year 2025 not in the run").all()
    con = pd.read_csv(out / "contrasts.csv")  # enclave minus baseline, paired by replicate
    assert list(con.group) == ["enclave"] and (con.reference == "baseline").all() and (con.pairs == 2).all()
    assert np.isclose(con.zhuzhou_share_change_pp_diff.item(),
                      runs.loc["enclave", "zhuzhou_gdp_share_change_pp"].mean()
                      - runs.loc["baseline", "zhuzhou_gdp_share_change_pp"].mean(), atol=1e-3)
    for tex in ("scenario_comparison.tex", "theta_regression.tex", "contrasts.tex"):
        t = (out / tex).read_text()
        assert r"\begin{tabular}" in t and r"\toprule" in t and r"\bottomrule" in t
    md = (out / "report.md").read_text()
    prov = read_provenance(sweep / "runs.parquet")
    assert prov["czt_sim.digest"] in md and prov["czt_sim.code_version"] in md
    assert "python -m experiments report" in md and "python -m experiments sweep" in md
    for f in report["files"]:
        assert f.exists() and f.stat().st_size > 0
        if f.name != "report.md":
            assert f"`{f.name}`" in md
    assert not list(out.glob(".*tmp*"))  # every file renamed into place


def test_city_names_come_from_model_identity():
    """Metric and column names are built from model.identity; the names the tables had before stay the same."""
    from experiments.report import compute, labels, style, tables
    from experiments.sweep.metrics import METRICS, VERDICTS
    from model.identity import CITIES, CITY_ZH, CORE_CITY, PERIPHERY_CITIES

    assert (compute.CORE, compute.PERIPHERY) == (CORE_CITY, PERIPHERY_CITIES)
    assert [k for k, *_ in compute.COMPARISON] == [
        "zhuzhou_share_change_pp", "xiangtan_share_change_pp", "zhuzhou_net_talent_from_changsha_10k",
        "xiangtan_net_talent_from_changsha_10k", "zhuzhou_net_firms_from_changsha", "xiangtan_net_firms_from_changsha",
        "changsha_share_last_pct", "theta", "theta_city_fe", "theta_same_year"]
    assert [c for _, c, *_ in compute.COMPARISON][:6] == [
        "zhuzhou_gdp_share_change_pp", "xiangtan_gdp_share_change_pp", "zhuzhou_net_talent_from_core",
        "xiangtan_net_talent_from_core", "zhuzhou_net_firms_from_core", "xiangtan_net_firms_from_core"]
    assert compute.COMPARISON[2][3] == "Net talent Changsha to Zhuzhou (10k persons)"
    assert METRICS[3:9] == tuple(c for _, c, *_ in compute.COMPARISON[:6]) and len(METRICS) == 17
    assert VERDICTS == ("zhuzhou_verdict", "xiangtan_verdict")
    assert set(tables.TEX_HEAD) == {k for k, *_ in compute.COMPARISON}
    assert tables.TEX_HEAD["xiangtan_net_firms_from_changsha"] == r"Xiangtan net\\firms (firms)"
    assert list(style.CITY_COLOURS) == list(CITIES) and labels.CITY["zh"] == CITY_ZH
    assert labels.city("zhuzhou", "en") == "Zhuzhou" and labels.city("zhuzhou", "zh") == "株洲"


@pytest.mark.sim
def test_partial_sweep_uses_ok_runs_and_says_how_many_are_missing(sweep, tmp_path):
    part = tmp_path / "partial"
    shutil.copytree(sweep, part, ignore=shutil.ignore_patterns("report", ".lock"))
    victim = sorted((part / "parts" / "runs").glob("enclave-*.parquet"))[0]
    victim.unlink()
    res = build(part, lang="en", resamples=100)
    assert res["data"].counts == {"planned": 4, "ok": 3, "failed": 0, "pending": 1}
    assert "3 of 4 runs ok" in (part / "report" / "report.md").read_text()
    assert pd.read_csv(part / "report" / "scenario_comparison.csv").set_index("group").runs.to_dict() == \
        {"baseline": 2, "enclave": 1}


def test_report_bad_input_exits_2_with_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nowhere" in err and "sweep" in err
    (tmp_path / "tiny.toml").write_text(TINY)
    prepare(tmp_path / "planned", spec_path=tmp_path / "tiny.toml")  # planned, nothing run
    assert main(["report", str(tmp_path / "planned")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "planned" in err and "ok run" in err
    assert main(["report", str(tmp_path / "planned"), "--lang", "fr"]) == 2
    assert "--lang" in capsys.readouterr().err


def test_style_registers_cjk_or_falls_back_to_english(capsys):
    from matplotlib import font_manager

    st = setup(cjk_candidates=("/nonexistent/font.ttc",))
    assert not st.chinese and "English labels" in capsys.readouterr().err
    st = setup()
    if CJK:
        assert st.chinese
        path = font_manager.findfont(font_manager.FontProperties(family=st.cjk_font), fallback_to_default=False)
        assert "CJK" in Path(path).name


TWINS = """
name = "tiny-twins"
design = "scenarios"
scenarios = ["baseline", "commute", "training-xiangtan-commute"]
twins = { "training-xiangtan-commute" = "commute" }
replications = 2
seeds = "common"
until = 2021
scale = 2000
root_seed = 5
"""


@pytest.mark.sim
def test_twins_are_compared_with_their_own_reference(tmp_path):
    """A scenario named in ``twins`` gets a paired contrast against its twin (not only against the first group):
    the training-under-commute scenario minus the commute scenario, replicate by replicate."""
    (tmp_path / "t.toml").write_text(TWINS)
    r = run(tmp_path / "out", spec_path=tmp_path / "t.toml", workers=0, progress=False)
    assert r["ok"] == 6
    build(tmp_path / "out", lang="en", resamples=50)
    tw = pd.read_csv(tmp_path / "out" / "report" / "contrasts_twins.csv")
    assert list(tw.group) == ["training-xiangtan-commute"] and list(tw.reference) == ["commute"]
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet").set_index("scenario")
    want = (runs.loc["training-xiangtan-commute"].sort_values("rep").xiangtan_gdp_share_change_pp.to_numpy()
            - runs.loc["commute"].sort_values("rep").xiangtan_gdp_share_change_pp.to_numpy()).mean()
    assert np.isclose(tw.xiangtan_share_change_pp_diff.item(), want, atol=1e-3)


@pytest.mark.parametrize("twins, bad", [('{ "training-xiangtan-commute" = "pre-rail" }', "'pre-rail'"),
                                        ('{ "talent" = "commute" }', "'talent'")])
def test_bad_twins_exit_2_with_one_line(tmp_path, capsys, twins, bad):
    f = tmp_path / "bad.toml"
    f.write_text(TWINS.replace('{ "training-xiangtan-commute" = "commute" }', twins))
    assert main(["sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "0", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "twins" in err and bad in err
    assert not (tmp_path / "o").exists()
