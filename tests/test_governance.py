"""City governments that decide (model/governance/): the stage game's equilibrium, the directions in which the
sharing rules move the choices, caps, the fund's accounts, and the fixed regime as before.

Stylised cases raise ``gdp_weight`` where a race in firm incentives is needed: at the default weight (0.6) the
fitted firms answer incentives too weakly for any bid to pay, and every government offers none."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TEST_SCALE
from runstore import frames, needs, spec
from model import governance as gv
from model.identity import CITIES

CS, ZZ, XT = (CITIES.index(c) for c in ("changsha", "zhuzhou", "xiangtan"))
SEEDS = (1, 2, 3, 4)
RACE = {"gdp_weight": 0.97}  # a tournament on GDP alone, nearly: bidding for firms pays
FUND = {"integration_fund_share": 0.2, "fund_payer": "cities", "fund_rewards": "cluster_total"}
CAP = {"talent_subsidy_cap": 2000.0}

pytestmark = pytest.mark.sim


def _model(seed: int = 1, scenario: str = "baseline", **overrides):
    from model import CZTModel

    return CZTModel(scenario, seed=seed, overrides={"scale": TEST_SCALE, **overrides})


def _annual(s: tuple):
    c, _ = frames(s)
    c = c[c.step > 0]
    return c.groupby(["year", "city"], sort=False).sum(numeric_only=True).reset_index()


# ------------------------------------------------------------------------------------------------ equilibrium
@pytest.mark.parametrize("overrides", [RACE, {}])
def test_stage_game_rest_point_has_no_profitable_one_step_deviation(overrides):
    """Simultaneous best responses of the firm-incentive game converge; at the rest point no government gains by
    deviating alone to any intensity on the grid (within 1e-9 of its objective), the budget respected."""
    m = _model(**overrides)
    m.run_until(2020)
    g = gv.firm_game(m)
    effects = lambda s: gv.firm_effects(m, g, s)  # noqa: E731
    grid = np.linspace(0.0, m.p["subsidy_cap"], gv.INCENTIVE_STEPS)
    budget = m.p["outlay_budget_share"] * 4 * m.fiscal.tax_after_sharing
    x, rounds = gv.equilibrium(m, effects, np.full(len(CITIES), 0.5), grid, budget)
    assert rounds < 50, "best responses did not settle"
    J0 = gv.objective(m, *effects(x[None, :])[:2])[0]
    for c in range(len(CITIES)):
        prof = np.repeat(x[None, :], len(grid), axis=0)
        prof[:, c] = grid
        d_gdp, d_rev, outlay = effects(prof)
        J = np.where(outlay[:, c] <= budget[c], gv.objective(m, d_gdp, d_rev)[:, c], -np.inf)
        assert J.max() <= J0[c] + 1e-9 * abs(J0[c]), (CITIES[c], x, J.max() - J0[c])
    if overrides:  # the stylised race: someone bids, and bidding is a real trade-off (not every city at the cap)
        assert x.max() > 0 and x.min() < grid[-1], x


def test_incentives_race_only_when_gdp_counts_most():
    """At the default cadre weights every city's best response is to offer no incentive; on an almost pure GDP
    tournament the cities bid, and their protection against firms leaving (the same intensity) ends higher."""
    calm, race = _model(), _model(**RACE)
    for m, bids in ((calm, False), (race, True)):
        g = gv.firm_game(m)
        grid = np.linspace(0.0, 1.0, gv.INCENTIVE_STEPS)
        br, _ = gv.best_responses(m, lambda s: gv.firm_effects(m, g, s), m.governance.incentive, grid,
                                  np.full(len(CITIES), np.inf))
        assert (br.max() > 0) == bids, br
    calm.run_until(2022)
    race.run_until(2022)
    assert race.governance.incentive.max() > calm.governance.incentive.max()
    slots = np.flatnonzero(race.firms.alive)[:50]
    park = race.firms.park[slots]
    origin = race.firms.city[slots].astype(np.int64)
    from model.location import leave_cost_multiplier

    assert np.all(leave_cost_multiplier(race, origin, park) >= leave_cost_multiplier(calm, origin, park))


# ------------------------------------------------------------------------------------------------ directions
def test_statistics_sharing_raises_the_sponsors_support():
    """With more of the enclave firms' GDP credited to it, Changsha keeps more of a leaving firm's worth, so it
    resists its firms' moves into its enclaves less: the kept share rises and the predicted moves there rise."""
    kept, moves = [], []
    for stat in (0.0, 0.5, 1.0):
        m = _model(scenario="enclave", government_regime="provincial", enclave_stat_share=stat)  # agreements enforced
        parks = np.flatnonzero((m.land.sponsor == CS) & m.land.open)
        kept.append(float(m.governance.kept[parks].mean()))
        g = gv.firm_game(m)
        moves.append(float(gv.firm_flows(m, g, m.governance.incentive[None, :])[1][0, :, CS, XT].sum()))
    assert kept[0] < kept[1] < kept[2]
    assert moves[0] < moves[2]


@needs(*(spec(seed=s, until=2023, **RACE, **extra) for s in SEEDS for extra in ({}, FUND)))
def test_cluster_fund_damps_incentive_outlays():
    """A fund the cities pay into by revenue and that pays back by a fixed key (so a city's payout follows the
    cluster's revenue) lowers the revenue a city gains by poaching: over seeds the chosen incentives and talent
    subsidies, and the outlays on them to 2023, are lower than without it."""
    lower = 0
    for s in SEEDS:
        a = _annual(spec(seed=s, until=2023, **RACE))
        b = _annual(spec(seed=s, until=2023, **RACE, **FUND))
        lower += b.subsidies_q_100m_yuan.sum() < a.subsidies_q_100m_yuan.sum()
    assert lower >= len(SEEDS) - 1
    # the stage game's rest point on a fine grid, same state: every city bids less with the fund, none more
    rest = []  # a weight at which Changsha's rest point is interior (Zhuzhou's and Xiangtan's sit at the cap)
    for m in (_model(gdp_weight=0.93), _model(gdp_weight=0.93, **FUND)):
        g = gv.firm_game(m)
        grid = np.linspace(0.0, 1.0, 201)
        x, rounds = gv.equilibrium(m, lambda s: gv.firm_effects(m, g, s), np.full(len(CITIES), 0.5), grid,
                                   np.full(len(CITIES), np.inf))
        assert rounds < 50
        rest.append(x)
    assert np.all(rest[1] <= rest[0]) and rest[1].sum() < rest[0].sum(), rest


@needs(*(spec(seed=s, until=2023, **extra) for s in SEEDS for extra in ({}, CAP)))
def test_caps_end_the_races():
    """A periphery city's talent subsidy races towards the cap at the default weights; a cap of 2,000 yuan ends
    the race and the outlays fall (every seed). A cap on incentive offers holds every city's intensity under it."""
    for s in SEEDS:
        free, capped = _annual(spec(seed=s, until=2023)), _annual(spec(seed=s, until=2023, **CAP))
        per_city = free[free.year == 2023].set_index("city").talent_subsidy_yuan / 4
        assert per_city[["zhuzhou", "xiangtan"]].max() > 10000.0  # at least one of them races
        assert (capped.talent_subsidy_yuan / 4).max() <= 2000.0 + 1e-9
        assert capped.subsidies_q_100m_yuan.sum() < free.subsidies_q_100m_yuan.sum()
    m = _model(**RACE, subsidy_cap=0.1)
    m.run_until(2021)
    assert m.governance.incentive.max() <= 0.1 + 1e-12


def test_provincial_coordination_enforces_agreements_and_ends_poaching():
    """Under 省级统筹 every enclave agreement is honoured as agreed and no city bids for the others' firms or
    talent (the cluster objective nets poaching out); competing hosts honour less of a costly agreement."""
    costly = {"enclave_tax_share": 1.0, "enclave_stat_share": 1.0, "enclave_duration_years": 10}
    prov = _model(scenario="enclave", government_regime="provincial", **RACE, **costly)
    comp = _model(scenario="enclave", government_regime="compete", **RACE, **costly)
    for m in (prov, comp):
        m.run_until(2020)  # a year of arrivals whose taxes are shared
    parks = np.flatnonzero((prov.land.sponsor >= 0) & prov.land.open)
    assert np.all(prov.governance.terms[parks] == 1.0) and np.all(prov.governance.honour[parks])
    assert comp.governance.terms[parks].mean() < 1.0
    assert prov.governance.incentive.max() < comp.governance.incentive.max()
    assert prov.governance.talent_subsidy.sum() < comp.governance.talent_subsidy.sum()
    g = gv.firm_game(prov)
    grid = np.linspace(0.0, 1.0, gv.INCENTIVE_STEPS)
    best, _ = gv.cluster_choice(prov, lambda s: gv.firm_effects(prov, g, s), prov.governance.incentive, grid,
                                np.full(len(CITIES), np.inf))
    assert np.all(best == 0.0)


# ------------------------------------------------------------------------------------------------ accounts
@pytest.mark.parametrize("payer", ["cities", "changsha", "province"])
def test_the_fund_pays_out_what_it_takes_in(payer):
    """Every quarter the fund pays out exactly what the cities (or the province) put in; the province's share
    comes out of its investment pool, so public spending adds up to revenue + provincial money - outlays."""
    m = _model(integration_fund_share=0.1, fund_payer=payer, fund_rewards="cooperation")
    m.run_until(2019)
    for _ in range(4):
        for stage in m.stages:  # the quarter's stages, checked right after the budget
            stage.run(m)
            if stage.name == "budgets":
                break
        X, G = m.governance, m.fiscal
        paid_in = X.province_fund if payer == "province" else X.fund_in.sum()
        assert X.fund_out.sum() == pytest.approx(paid_in, rel=1e-12)
        assert paid_in > 0
        available = G.tax_after_sharing + G.provincial_investment - G.subsidies_paid + X.fund_out - X.fund_in
        left = 1 - X.province_fund / G.provincial_investment.sum()
        available = available - G.provincial_investment * (1 - left)
        assert G.public_spending == pytest.approx(np.maximum(available, 0), rel=1e-9)
        for stage in m.stages[[s.name for s in m.stages].index("budgets") + 1:]:
            stage.run(m)


def test_decisions_are_logged_and_within_their_grids():
    """run.json's "governments" entries: one row per city and year (and per enclave agreement) with the choices
    in force; every choice lies within its cap."""
    m = _model(scenario="enclave", enclave_stat_share=0.3)
    m.run_until(2022)
    d = m.decisions_frame()
    cities = d[d.kind == "city"]
    assert sorted(cities.groupby("year").city.count().unique()) == [3]
    assert cities.year.min() == 2019 and cities.year.max() == 2023
    assert cities.incentive_intensity.between(0, m.p["subsidy_cap"]).all()
    assert cities.talent_subsidy_yuan.between(0, m.p["talent_subsidy_cap"]).all()
    enclaves = d[d.kind == "enclave"]
    assert set(enclaves.park) == {m.land.park_id[j] for j in np.flatnonzero((m.land.sponsor >= 0) & m.land.open)}
    assert enclaves.terms.between(0, 1).all() and (enclaves.honoured == (enclaves.terms > 0)).all()


def test_fixed_regime_follows_the_levers():
    """The fixed rules of earlier versions: every city's intensity is subsidy_competition, the talent subsidies
    are the levers', hosts pay with enclave_payment_prob (tests/test_core_*.py pin that behaviour down)."""
    m = _model(scenario="enclave", government_regime="fixed", subsidy_competition=0.3, talent_subsidy_periphery=7000.0)
    m.run_until(2021)
    assert np.all(m.governance.incentive == 0.3)
    assert list(m.governance.talent_subsidy) == [8000.0, 7000.0, 7000.0]
    parks = np.flatnonzero((m.land.sponsor >= 0) & m.land.open)
    assert np.allclose(m.governance.kept[parks], 0.5 * 0.9)


def test_a_city_without_free_park_land_releases_some_and_pays_for_it():
    """Changsha's parks full (capacity = land in use): its government releases extra park land (up to
    land_release_max) while the others, with room, release none; over the next year Changsha's park land grows by
    more than the quota alone would give and the development cost is booked as an outlay."""
    m = _model()
    L = m.land
    full = (~L.is_urban) & L.open & (L.city == CS)
    L.capacity_ha[full] = L.used_ha[full]
    gv.decide(m)
    assert 0 < m.governance.land_release[CS] <= m.p["land_release_max"]
    assert m.governance.land_release[ZZ] == m.governance.land_release[XT] == 0.0
    g, r = m.p["park_land_growth"], m.governance.land_release[CS]
    before = L.capacity_ha[full].sum()
    cost = extra = 0.0
    for _ in range(3):  # within the year (the next decision is at the year's end)
        extra += L.capacity_ha[full].sum() * ((1 + g + r) ** 0.25 - (1 + g) ** 0.25)  # released beyond the quota
        m.step()
        cost += m.governance.land_cost[CS]
    assert L.capacity_ha[full].sum() > before * (1 + g) ** 0.75  # more than the quota alone
    assert extra > 0 and cost == pytest.approx(extra * m.p["land_development_cost_yuan_per_ha"] / 1e8, rel=1e-9)
