"""Mechanisms added to reproduce the 2010s: Changsha's housing regulation, productivity catch-up, national growth
shocks, bounded firm relocation; and the as-happened scenario."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TEST_SCALE
from model import land
from model.czt_model import CZTModel
from model.identity import CITIES, CORE, PERIPHERY
from model.production import catch_up, tfp_trend
from runstore import needs, result, spec

pytestmark = pytest.mark.sim

SEEDS = (1, 2, 3)


def _write(tmp_path, body: str, name: str = "sc"):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\nextends = "baseline"\n' + body, encoding="utf-8")
    return str(path)


def test_full_regulation_freezes_changsha_housing_cost_only():
    m = CZTModel("baseline", seed=1, overrides={"scale": TEST_SCALE, "changsha_housing_regulation": 1.0})
    e = land.housing_exponent(m)
    assert e[CORE] == 0.0 and all(e[c] == m.p["housing_elasticity"] for c in PERIPHERY)
    h0 = m.land.housing_cost.copy()
    m.run_until(2024)
    assert m.land.housing_cost[CORE] == pytest.approx(h0[CORE])
    assert m.city_population[CORE] != m.land.housing_anchor_pop[CORE]  # Changsha grew, its cost did not


def test_regulation_switched_on_bends_the_path_without_a_jump(tmp_path):
    sc = _write(tmp_path, "[params]\nchangsha_housing_regulation = 0.0\n[[timeline]]\nyear = 2021\n"
                          "params = { changsha_housing_regulation = 1.0 }\n")
    m = CZTModel(sc, seed=2, overrides={"scale": TEST_SCALE})
    m.run_until(2020)
    before = float(m.land.housing_cost[CORE])
    m.step()  # 2021Q1: the regulation is in force from this quarter
    after = float(m.land.housing_cost[CORE])
    assert after == pytest.approx(before, rel=0.01)  # no jump back to the 2019 level
    m.run_until(2023)
    assert float(m.land.housing_cost[CORE]) == pytest.approx(after, rel=1e-12)


REGULATION = {reg: [spec(seed=s, until=2026, changsha_housing_regulation=reg) for s in SEEDS] for reg in (0.0, 1.0)}


@needs(*REGULATION[0.0], *REGULATION[1.0])
def test_regulation_lowers_changsha_housing_cost_over_seeds():
    cost = {}
    for reg, specs in REGULATION.items():
        vals = []
        for s in specs:
            c = result(s).cities  # housing_cost_yuan is the land's housing cost, recorded each quarter
            vals.append(float(c[(c.step == c.step.max()) & (c.city == CITIES[CORE])].housing_cost_yuan.iloc[0]))
        cost[reg] = np.mean(vals)
    assert cost[1.0] < cost[0.0]


def test_catch_up_closes_gaps_only_towards_the_core():
    m = CZTModel("baseline", seed=1, overrides={"scale": TEST_SCALE, "productivity_catch_up": 0.1})
    assert np.all(catch_up(m) == 1.0)  # nothing closed before the first quarter
    m.run_until(2029)
    c = catch_up(m)
    A0 = m.production.A0
    behind = A0 < A0[:, [CORE]]
    assert np.all(c[behind] > 1.0) and np.all(c[~behind] == 1.0)
    assert np.all(c[:, CORE] == 1.0)
    # never beyond the core's start level: the share closed is 1 - exp(-kappa t) < 1
    assert np.all(A0 * c <= A0[:, [CORE]] * (1 + 1e-12) + (~behind) * A0)


def test_no_catch_up_leaves_productivity_as_before():
    m = CZTModel("baseline", seed=1, overrides={"scale": TEST_SCALE, "productivity_catch_up": 0.0})
    m.run_until(2021)
    assert np.all(catch_up(m) == 1.0)


def test_national_growth_gap_keeps_the_level_continuous_and_lowers_growth(tmp_path):
    sc = _write(tmp_path, "[[timeline]]\nyear = 2020\nparams = { national_growth_gap = -0.05 }\n"
                          "[[timeline]]\nyear = 2021\nparams = { national_growth_gap = 0.0 }\n")
    m = CZTModel(sc, seed=1, overrides={"scale": TEST_SCALE})
    levels = []
    for _ in range(12):
        m.step()
        levels.append(tfp_trend(m))
    g = np.diff(np.log(levels))
    g0 = np.log(1 + m.p["tfp_growth"]) / 4
    np.testing.assert_allclose(g[:3], g0, rtol=1e-9)  # 2019
    np.testing.assert_allclose(g[4:7], np.log(1 + m.p["tfp_growth"] - 0.05) / 4, rtol=1e-9)  # 2020
    np.testing.assert_allclose(g[8:], g0, rtol=1e-9)  # 2021: back to trend, from the lower level
    assert levels[-1] < (1 + m.p["tfp_growth"]) ** (11 / 4)


@needs(*(spec(sc, seed=s, until=2020) for s in SEEDS[:2] for sc in ("as-happened", "hindcast-2010")))
def test_as_happened_2020_shock_lowers_growth_against_the_counterfactual():
    """Paired seeds: the as-happened run equals the 2019-institutions hindcast until 2019 and grows less in 2020."""
    for s in SEEDS[:2]:
        runs = {}
        for sc in ("as-happened", "hindcast-2010"):
            a = result(spec(sc, seed=s, until=2020)).annual.groupby("year").gdp_100m_yuan.sum()
            runs[sc] = a
        assert runs["as-happened"][2019] == runs["hindcast-2010"][2019]  # identical until the timeline diverges
        g = {k: v[2020] / v[2019] - 1 for k, v in runs.items()}
        assert g["as-happened"] < g["hindcast-2010"] - 0.02, g


def test_firm_relocation_stays_within_the_published_bound():
    """At most location_review_rate x 4 of establishments can move in a year (every reviewer moving): about 1%,
    against published relocation rates of 0.1-3% (model/data/firm_dynamics.csv)."""
    m = CZTModel("hindcast-2010", seed=1, overrides={"scale": TEST_SCALE})
    m.run_until(2019)
    f, a = m.flows_frame(), m.annual_frame()
    moved = f[f.kind.isin(("firm_relocation", "branch_opening"))].groupby("year")["count"].sum()
    est = a.groupby("year").firms.sum()
    rate = (moved.reindex(est.index).fillna(0) / est)
    assert rate.max() <= 4 * m.p["location_review_rate"] + 1e-9
