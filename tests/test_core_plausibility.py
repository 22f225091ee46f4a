"""Plausibility bands for the baseline, 2019-2035, at a coarse scale (1000 residents per agent), seeds 1, 2, 3.

Each seed must stay inside every band (the bands are wide: they catch broken dynamics, not calibration):
- CZT GDP (2019 prices) grows between 2% and 12% a year on average from 2019 to 2035;
- no year-on-year change of CZT GDP below -5% or above +20% (no collapse, no explosion);
- each city's GDP grows between 0% and 12% a year on average from 2019 to 2035 (no city shrinks for 16 years
  while the cluster grows);
- Changsha's GDP share stays between 0.55 and 0.80 in every year (2019: 0.67);
- unemployment: the cluster rate in every quarter, and each city's yearly average of its quarterly rates,
  stay between 1% and 15% (2019: 5.2%);
- resident population grows between -1% and +4% a year on average (cluster), each city between -2% and +5%;
- the average wage grows between 0% and 12% a year on average, in every city;
- CZT GDP in 2025 is within +-20% of the Plan Outline target of 2.7 trillion yuan (27,000 x 100m yuan).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import frames, prefetch, spec

SEEDS = (1, 2, 3)
SPECS = {seed: spec("baseline", seed=seed, until=2035) for seed in SEEDS}
YEARS = 2035 - 2019


@pytest.fixture(scope="module")
def runs() -> dict[int, pd.DataFrame]:
    prefetch(list(SPECS.values()))
    return {seed: frames(s)[0] for seed, s in SPECS.items()}


def _annual(c: pd.DataFrame, col: str) -> pd.DataFrame:
    """Year x city table: quarterly flow columns summed, stocks at the fourth quarter."""
    q = c[c.step > 0]
    if "_q_" in col:
        return q.pivot_table(index="year", columns="city", values=col, aggfunc="sum")
    return q[q.quarter == 4].pivot(index="year", columns="city", values=col)


def _cagr(series: pd.Series) -> float:
    return float((series.loc[2035] / series.loc[2019]) ** (1 / YEARS) - 1)


@pytest.mark.parametrize("seed", SEEDS)
def test_cluster_gdp_growth(runs, seed):
    gdp = _annual(runs[seed], "gdp_q_100m_yuan").sum(axis=1)
    g = _cagr(gdp)
    assert 0.02 <= g <= 0.12, f"seed {seed}: CZT GDP grows {g:.2%} a year 2019-2035"
    yoy = gdp.pct_change().dropna()
    assert yoy.min() >= -0.05 and yoy.max() <= 0.20, f"seed {seed}: year-on-year growth {yoy.round(3).to_dict()}"


@pytest.mark.parametrize("seed", SEEDS)
def test_each_city_gdp_growth(runs, seed):
    gdp = _annual(runs[seed], "gdp_q_100m_yuan")
    growth = {city: _cagr(gdp[city]) for city in gdp.columns}
    bad = {c: f"{g:.2%}" for c, g in growth.items() if not 0.0 <= g <= 0.12}
    assert not bad, f"seed {seed}: city GDP growth a year 2019-2035 outside [0%, 12%]: {bad}"


@pytest.mark.parametrize("seed", SEEDS)
def test_changsha_gdp_share(runs, seed):
    gdp = _annual(runs[seed], "gdp_q_100m_yuan")
    share = gdp["changsha"] / gdp.sum(axis=1)
    assert share.between(0.55, 0.80).all(), f"seed {seed}: Changsha share {share.round(3).to_dict()}"


@pytest.mark.parametrize("seed", SEEDS)
def test_unemployment(runs, seed):
    c = runs[seed]
    q = c[c.step > 0]
    lf = q.population_10k  # worker agents are labour-force members: residents are proportional to them
    cluster = (q.unemployment_rate * lf).groupby(q.step).sum() / lf.groupby(q.step).sum()
    assert cluster.between(0.01, 0.15).all(), \
        f"seed {seed}: cluster unemployment {cluster.min():.3f}-{cluster.max():.3f} (step {cluster.idxmax()})"
    yearly = q.pivot_table(index="year", columns="city", values="unemployment_rate", aggfunc="mean")
    out = yearly.stack()
    out = out[(out < 0.01) | (out > 0.15)]
    assert out.empty, f"seed {seed}: yearly mean unemployment outside [1%, 15%]: {out.round(3).to_dict()}"


@pytest.mark.parametrize("seed", SEEDS)
def test_population_growth(runs, seed):
    pop = _annual(runs[seed], "population_10k")
    g = _cagr(pop.sum(axis=1))
    assert -0.01 <= g <= 0.04, f"seed {seed}: CZT population grows {g:.2%} a year"
    by_city = {city: _cagr(pop[city]) for city in pop.columns}
    bad = {c: f"{v:.2%}" for c, v in by_city.items() if not -0.02 <= v <= 0.05}
    assert not bad, f"seed {seed}: city population growth outside [-2%, 5%]: {bad}"


@pytest.mark.parametrize("seed", SEEDS)
def test_wage_growth(runs, seed):
    wage = _annual(runs[seed], "avg_wage_yuan")
    by_city = {city: _cagr(wage[city]) for city in wage.columns}
    bad = {c: f"{v:.2%}" for c, v in by_city.items() if not 0.0 <= v <= 0.12}
    assert not bad, f"seed {seed}: average wage growth outside [0%, 12%]: {bad}"


@pytest.mark.parametrize("seed", SEEDS)
def test_gdp_2025_near_plan_target(runs, seed):
    gdp = _annual(runs[seed], "gdp_q_100m_yuan").sum(axis=1)
    assert 0.8 * 27000 <= gdp.loc[2025] <= 1.2 * 27000, f"seed {seed}: CZT GDP 2025 = {gdp.loc[2025]:.0f}"


def test_summary_is_consistent_with_frames():
    """The summary's measures agree with the annual frame they come from, and its verdicts follow the rule."""
    from model import CZTModel

    m = CZTModel("baseline", seed=1, overrides={"scale": 2000})
    m.run_until(2027)
    s = m.summary()
    a = m.annual_frame()
    assert s["first_year"] == 2019 and s["last_year"] == 2027
    share = a.pivot(index="year", columns="city", values="gdp_share")
    assert s["core_share"]["gdp_100m_yuan"]["first"] == pytest.approx(share.changsha.loc[2019])
    assert s["core_share"]["gdp_100m_yuan"]["last"] == pytest.approx(share.changsha.loc[2027])
    for city in ("zhuzhou", "xiangtan"):
        ch = 100 * (share[city].loc[2027] - share[city].loc[2019])
        assert s["cities"][city]["gdp_share_change_pp"] == pytest.approx(ch)
        v = s["verdict"][city]
        flows = s["cities"][city]["net_flows_from_core"]
        if v == "siphon":
            assert ch <= -0.5 and (flows["talent_persons"] < 0 or flows["firms_and_branches"] < 0)
        elif v == "spillover":
            assert ch >= 0.5 and (flows["talent_persons"] > 0 or flows["firms_and_branches"] > 0)
        else:
            assert v == "neutral"
        f = m.flows_frame()
        mt = f[f.kind == "move_talent"]
        net_t = mt[(mt.origin == "changsha") & (mt.destination == city)]["count"].sum() - \
            mt[(mt.origin == city) & (mt.destination == "changsha")]["count"].sum()
        assert flows["talent_persons"] == pytest.approx(net_t)
    assert s["theta"]["n"] == 2 * (2027 - 2019)
    assert np.isfinite(s["theta"]["theta"])
