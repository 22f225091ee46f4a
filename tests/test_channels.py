"""The other channels of spillover: knowledge, inward investment, training (model/knowledge.py, investment.py,
training.py). Directional checks over several seeds and accounting identities; the supply chains have their own
file (tests/test_supply_chains.py)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TEST_SCALE
from model import knowledge
from model.identity import CITIES
from runstore import computed, frames, needs, spec, task

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


def knowledge_path(seed: int) -> dict:
    """The knowledge factor and stocks after the first quarter and at the end of 2023, and the R&D by year."""
    m = _model(seed)
    m.step()
    first = {"factor_q1": m.knowledge.factor.copy(), "stock_q1": m.knowledge.stock.copy()}
    m.run_until(2023)
    rd = m.annual_frame().pivot(index="year", columns="city", values="rd_100m_yuan")
    return {**first, "stock_2023": m.knowledge.stock.copy(), "factor_2023": m.knowledge.factor.copy(), "rd": rd}


@needs(*(task(knowledge_path, seed) for seed in SEEDS))
def test_knowledge_is_neutral_at_the_start_and_grows_with_rd():
    """The knowledge factor is 1 after the first quarter (stocks start on their steady path); over five years a
    city's own R&D stock grows more where its R&D grows most than where it grows least (the stock integrates the
    path, so two close growth rates may swap), and the factor rises everywhere as R&D grows (it
    also counts the other cities' stocks, by reach, so its ranking need not follow the city's own R&D)."""
    for seed in SEEDS:
        k = computed(task(knowledge_path, seed))
        np.testing.assert_allclose(k["factor_q1"], 1.0, atol=2e-4)
        rd = k["rd"]
        growth = (rd.loc[2023] / rd.loc[2019])[list(CITIES)].to_numpy()
        ratio = k["stock_2023"] / k["stock_q1"]
        assert ratio[np.argmax(growth)] > ratio[np.argmin(growth)]
        assert (growth > 1).all() and (k["factor_2023"] > 1).all()


def knowledge_factor_2021(seed: int, joint_innovation: float) -> np.ndarray:
    """Each city's knowledge factor at the end of 2021."""
    m = _model(seed, joint_innovation=joint_innovation)
    m.run_until(2021)
    return m.knowledge.factor.copy()


@needs(*(task(knowledge_factor_2021, seed, lever) for seed in SEEDS for lever in (0.0, 1.0)))
def test_joint_innovation_raises_the_periphery_knowledge_factor():
    """Over three years the corridor lifts Zhuzhou's and Xiangtan's knowledge factor (Changsha's reach to the
    others' smaller stocks matters less), in every seed."""
    for seed in SEEDS:
        f = {lever: computed(task(knowledge_factor_2021, seed, lever)) for lever in (0.0, 1.0)}
        gain = f[1.0] / f[0.0]
        assert gain[ZZ] > 1.0 and gain[XT] > 1.0, gain


# ------------------------------------------------------------------------------------------------ inward investment
def _inward(fl) -> float:
    return float(fl[fl.kind == "firm_inward"]["count"].sum())


def mobile_establishments_at_start(seed: int) -> tuple[float, float]:
    """(establishments of the mobile sectors at the start, inward_investment_rate) of the baseline with ``seed``."""
    from model.location import MOBILE

    m = _model(seed)
    F = m.firms
    return float(F.n_est[F.living][MOBILE[F.sector[F.living]]].sum()), m.p["inward_investment_rate"]


@needs(*(spec(seed=seed, until=2022) for seed in SEEDS), *(task(mobile_establishments_at_start, s) for s in SEEDS))
def test_inward_arrivals_follow_the_stated_rate():
    """Establishments arriving from outside over four years are about inward_investment_rate x the mobile
    sectors' establishments a year (mean over seeds within 15 %), all from the rest of China."""
    ratios = []
    for seed in SEEDS:
        mobile0, rate = computed(task(mobile_establishments_at_start, seed))
        _, fl = frames(spec(seed=seed, until=2022))
        inward = fl[fl.kind == "firm_inward"]
        assert (inward.origin == "rest_of_china").all() and inward.destination.isin(CITIES).all()
        ratios.append(_inward(fl) / (4 * rate * mobile0))
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


def incentives_to_arrivals_2020(seed: int, joint_attraction: float) -> tuple[float, float]:
    """(incentives paid to the living firms that arrived from outside, establishments arrived) by the end of 2020."""
    m = _model(seed, joint_attraction=joint_attraction, inward_investment_rate=0.03)
    m.run_until(2020)
    F = m.firms
    inward = F.living[F.origin_city[F.living] >= len(CITIES)]
    return float(F.incentive[inward].sum()), _inward(m.flows_frame())


@needs(*(task(incentives_to_arrivals_2020, seed, lever) for seed in SEEDS for lever in (0.0, 1.0)))
def test_joint_attraction_lowers_incentive_outlays():
    """One agency without the bidding premium pays less in incentives to the arriving firms than three bidding
    cities (same seed, two years), in every seed; the arrivals still come."""
    for seed in SEEDS:
        spent, arrived = {}, {}
        for lever in (0.0, 1.0):
            spent[lever], arrived[lever] = computed(task(incentives_to_arrivals_2020, seed, lever))
        assert spent[1.0] < 0.8 * spent[0.0], spent
        assert arrived[1.0] == pytest.approx(arrived[0.0], rel=0.2), arrived


# ------------------------------------------------------------------------------------------------ training
def training_run(seed: int, rate: float) -> tuple:
    """(annual frame, flows frame, training cost per worker in yuan) of a run to 2021 with ``training_xiangtan``."""
    m = _model(seed, training_xiangtan=rate)
    m.run_until(2021)
    return m.annual_frame(), m.flows_frame(), m.p["training_cost_yuan"]


@needs(*(task(training_run, seed, rate) for seed in SEEDS for rate in (0.0, 0.03)))
def test_training_raises_the_talent_share_and_is_paid_for():
    """Training in Xiangtan raises its talent residents against the untrained twin after three years, in every
    seed; each quarter's cost is the workers upgraded (flows) times the cost per worker."""
    for seed in SEEDS:
        talent = {}
        for rate in (0.0, 0.03):
            a, fl, cost_per_worker = computed(task(training_run, seed, rate))
            last = a[a.year == 2021].set_index("city")
            talent[rate] = float(last.talent_10k[CITIES[XT]] / last.population_10k[CITIES[XT]])
            if rate:
                trained = fl[fl.kind == "trained_talent"].groupby("year")["count"].sum()
                cost = a.groupby("year").training_cost_100m_yuan.sum()
                # recorded in the quarter of the upgrades (budgets pay it the quarter after)
                assert trained.sum() > 0 and (fl[fl.kind == "trained_talent"].origin == CITIES[XT]).all()
                np.testing.assert_allclose(cost.to_numpy() * 1e8 / cost_per_worker,
                                           trained.reindex(cost.index, fill_value=0).to_numpy(), rtol=1e-9)
        assert talent[0.03] > talent[0.0] + 0.01, talent
