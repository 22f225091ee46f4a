"""The other channels of spillover: knowledge, inward investment, training (model/knowledge.py, investment.py,
training.py). Directional checks over several seeds and accounting identities; the supply chains have their own
file (tests/test_supply_chains.py)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TEST_SCALE
from model import knowledge
from model.identity import CITIES
from runstore import frames, needs, spec

pytestmark = pytest.mark.sim

CS, ZZ, XT = (CITIES.index(c) for c in ("changsha", "zhuzhou", "xiangtan"))
SEEDS = (1, 2, 3)


def _model(seed: int = 1, scenario: str = "baseline", **overrides):
    from model import CZTModel

    return CZTModel(scenario, seed=seed, overrides={"scale": TEST_SCALE, **overrides})


# ------------------------------------------------------------------------------------------------ knowledge
def test_start_rd_share_is_the_plan_outline_figure():
    """Modelled R&D is 2.5 % of CZT GDP in 2019 (Plan Outline) and 2.5 x 1.19/1.98 in the 2010 hindcast."""
    for scenario, want in (("baseline", 0.025), ("hindcast-2010", 0.025 * 1.19 / 1.98)):
        m = _model(scenario=scenario)
        assert m.knowledge.rd.sum() / m.production.gdp_produced.sum() == pytest.approx(want, rel=1e-9)


def test_faster_travel_and_the_corridor_raise_diffusion():
    """The reach of another city's knowledge grows as travel gets faster, and with joint innovation; a city's own
    stock always counts in full."""
    slow = _model(scenario="pre-rail")
    fast = _model(scenario="commute")  # the half-hour circle
    corridor = _model(joint_innovation=1.0)
    base = _model()
    off = ~np.eye(len(CITIES), dtype=bool)
    for m in (slow, fast, corridor, base):
        m.step()
    r = {k: knowledge.reach(m) for k, m in (("slow", slow), ("fast", fast), ("corridor", corridor), ("base", base))}
    assert (r["fast"][off] > r["base"][off]).all() and (r["base"][off] > r["slow"][off]).all()
    assert (r["corridor"][off] > r["base"][off]).all()
    assert all(np.allclose(np.diag(w), 1.0) for w in r.values())


def test_knowledge_is_neutral_at_the_start_and_grows_with_rd():
    """The knowledge factor is 1 after the first quarter (stocks start on their steady path); over five years a
    city's own R&D stock grows more where its R&D grows most than where it grows least (the stock integrates the
    path, so two close growth rates may swap), and the factor rises everywhere as R&D grows (it
    also counts the other cities' stocks, by reach, so its ranking need not follow the city's own R&D)."""
    for seed in SEEDS:
        m = _model(seed)
        m.step()
        np.testing.assert_allclose(m.knowledge.factor, 1.0, atol=2e-4)
        stock0 = m.knowledge.stock.copy()
        m.run_until(2023)
        rd = m.annual_frame().pivot(index="year", columns="city", values="rd_100m_yuan")
        growth = (rd.loc[2023] / rd.loc[2019])[list(CITIES)].to_numpy()
        ratio = m.knowledge.stock / stock0
        assert ratio[np.argmax(growth)] > ratio[np.argmin(growth)]
        assert (growth > 1).all() and (m.knowledge.factor > 1).all()


def test_joint_innovation_raises_the_periphery_knowledge_factor():
    """Over three years the corridor lifts Zhuzhou's and Xiangtan's knowledge factor (Changsha's reach to the
    others' smaller stocks matters less), in every seed."""
    for seed in SEEDS:
        f = {}
        for lever in (0.0, 1.0):
            m = _model(seed, joint_innovation=lever)
            m.run_until(2021)
            f[lever] = m.knowledge.factor.copy()
        gain = f[1.0] / f[0.0]
        assert gain[ZZ] > 1.0 and gain[XT] > 1.0, gain


# ------------------------------------------------------------------------------------------------ inward investment
def _inward(m) -> float:
    fl = m.flows_frame()
    return float(fl[fl.kind == "firm_inward"]["count"].sum())


def test_inward_arrivals_follow_the_stated_rate():
    """Establishments arriving from outside over four years are about inward_investment_rate x the mobile
    sectors' establishments a year (mean over seeds within 15 %), all from the rest of China."""
    from model.location import MOBILE

    ratios = []
    for seed in SEEDS:
        m = _model(seed)
        F = m.firms
        mobile0 = float(F.n_est[F.living][MOBILE[F.sector[F.living]]].sum())
        m.run_until(2022)
        fl = m.flows_frame()
        inward = fl[fl.kind == "firm_inward"]
        assert (inward.origin == "rest_of_china").all() and inward.destination.isin(CITIES).all()
        ratios.append(_inward(m) / (4 * m.p["inward_investment_rate"] * mobile0))
    assert np.mean(ratios) == pytest.approx(1.0, rel=0.15), ratios


@needs(*(spec(seed=seed, until=2021, industrial_transfer_rate=rate) for seed in SEEDS for rate in (0.0, 0.02)))
def test_bay_area_transfer_adds_manufacturing_arrivals():
    """The industrial transfer from the Bay Area adds arrivals (of manufacturing establishments) in every seed."""
    for seed in SEEDS:
        counts = {}
        for rate in (0.0, 0.02):
            _, fl = frames(spec(seed=seed, until=2021, industrial_transfer_rate=rate))
            inward = fl[fl.kind == "firm_inward"]
            counts[rate] = float(inward["count"].sum())
        assert counts[0.02] > counts[0.0] * 1.5, counts


def test_joint_attraction_lowers_incentive_outlays():
    """One agency without the bidding premium pays less in incentives to the arriving firms than three bidding
    cities (same seed, two years), in every seed; the arrivals still come."""
    for seed in SEEDS:
        spent, arrived = {}, {}
        for lever in (0.0, 1.0):
            m = _model(seed, joint_attraction=lever, inward_investment_rate=0.03)
            m.run_until(2020)
            F = m.firms
            inward = F.living[F.origin_city[F.living] >= len(CITIES)]
            spent[lever] = float(F.incentive[inward].sum())
            arrived[lever] = _inward(m)
        assert spent[1.0] < 0.8 * spent[0.0], spent
        assert arrived[1.0] == pytest.approx(arrived[0.0], rel=0.2), arrived


# ------------------------------------------------------------------------------------------------ training
def test_training_raises_the_talent_share_and_is_paid_for():
    """Training in Xiangtan raises its talent residents against the untrained twin after three years, in every
    seed; each quarter's cost is the workers upgraded (flows) times the cost per worker."""
    for seed in SEEDS:
        talent = {}
        for rate in (0.0, 0.03):
            m = _model(seed, training_xiangtan=rate)
            m.run_until(2021)
            a = m.annual_frame()
            last = a[a.year == 2021].set_index("city")
            talent[rate] = float(last.talent_10k[CITIES[XT]] / last.population_10k[CITIES[XT]])
            if rate:
                fl = m.flows_frame()
                trained = fl[fl.kind == "trained_talent"].groupby("year")["count"].sum()
                cost = a.groupby("year").training_cost_100m_yuan.sum()
                # recorded in the quarter of the upgrades (budgets pay it the quarter after)
                assert trained.sum() > 0 and (fl[fl.kind == "trained_talent"].origin == CITIES[XT]).all()
                np.testing.assert_allclose(cost.to_numpy() * 1e8 / m.p["training_cost_yuan"],
                                           trained.reindex(cost.index, fill_value=0).to_numpy(), rtol=1e-9)
        assert talent[0.03] > talent[0.0] + 0.01, talent
