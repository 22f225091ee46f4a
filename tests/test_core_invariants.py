"""Accounting invariants, checked after every quarter of a few simulated years.

The model is stepped one quarter at a time and the state is checked after each step:
- people are conserved: living worker agents(t) = living(t-1) + (births + in-migrants - deaths - out-migrants)
  of step t, from the flows frame (counts are persons = agents x scale), and city by city with the
  residence moves between cities;
- enclave sharing only moves money and statistics between cities: sum of tax_after_sharing = sum of
  tax_collected, and sum of credited GDP = sum of produced GDP (in scenarios where sharing really happens);
- government taxes and produced GDP are the sums over the living firms of each city;
- no negative stocks (headcounts, population, GDP, wages, every numeric column of the city frame);
- firm headcounts equal the bincount of the living workers' employer column, and no living worker is
  employed by a dead firm;
- the city frame and the flows frame agree with the arrays (population, commuters).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TEST_SCALE

pytestmark = pytest.mark.sim

STEPS = 12  # three simulated years

SCENARIOS = {
    # sharing on and always paid, so every quarter has shared taxes and statistics to account for
    # (a long sharing period so that the few enclave firm agents of a coarse run qualify)
    "enclave-paid": ("enclave", {"enclave_tax_share": 0.5, "enclave_stat_share": 0.5, "enclave_payment_prob": 1.0,
                                 "enclave_duration_years": 30}),
    # the full package: sharing plus every other lever moved at once
    "integration": ("integration", {}),
    "baseline": ("baseline", {}),
}


def _snapshot(m) -> dict:
    """Everything the invariant tests need from the state at the end of a step."""
    W, F = m.workers, m.firms
    alive = W.alive
    emp_alive = alive & (W.employer >= 0)
    live_f = F.alive
    counts_talent = np.bincount(W.employer[emp_alive & (W.skill == 1)], minlength=F.n)[: F.n]
    counts_ord = np.bincount(W.employer[emp_alive & (W.skill == 0)], minlength=F.n)[: F.n]
    fcity = F.city[live_f].astype(np.int64)
    jc = m.job_city()
    res = W.residence
    cross = emp_alive & (jc != res) & (jc >= 0)
    return {
        "step": m.steps,
        "n_alive": int(alive.sum()),
        "max_employer_index": int(W.employer[emp_alive].max()) if emp_alive.any() else -1,
        "employed_by_dead_firm": int((~F.alive[W.employer[emp_alive]]).sum()) if emp_alive.any() else 0,
        "headcount_mismatch_ordinary": int(np.abs(F.n_ordinary - counts_ord).sum()),
        "headcount_mismatch_talent": int(np.abs(F.n_talent - counts_talent).sum()),
        "dead_firms_with_staff": int(((F.n_ordinary + F.n_talent)[~live_f] > 0).sum()),
        "min_headcount": int(min(F.n_ordinary.min(), F.n_talent.min())),
        "residence_ok": bool(np.isin(res[alive], (0, 1, 2)).all()),
        "tax_collected": np.array([g.tax_collected for g in m.governments]),
        "tax_after_sharing": np.array([g.tax_after_sharing for g in m.governments]),
        "tax_by_firms": np.bincount(fcity, weights=F.tax[live_f], minlength=3),
        "gdp_by_firms": np.bincount(fcity, weights=F.value_added[live_f], minlength=3),
        # firms that exited during the step keep last production's tax until the next production (then 0)
        "tax_all_slots": float(F.tax.sum()),
        "gdp_all_slots": float(F.value_added.sum()),
        "gdp_produced": np.array(m.production.gdp_produced, dtype=float),
        "gdp_credited": np.array(m.fiscal.gdp_credited, dtype=float),
        "tax_shared_out": np.array(m.fiscal.tax_shared_out, dtype=float),
        "tax_shared_in": np.array(m.fiscal.tax_shared_in, dtype=float),
        "min_value_added": float(F.value_added[live_f].min()),
        "wages": np.array(m.wages, dtype=float),
        "population_agents": np.bincount(res[alive].astype(np.int64), minlength=3),
        "avg_paid_wage": _avg_paid_wage(m),
        "cross_commuters_agents": int(cross.sum()),
    }


def _avg_paid_wage(m) -> np.ndarray:
    """Mean annual wage actually paid to the jobs of each city: market wage x the employer's premium (if any)."""
    W, F = m.workers, m.firms
    emp = W.alive & (W.employer >= 0)
    f = W.employer[emp]
    prem = F.wage_premium[f] if "wage_premium" in F._cols else 1.0
    paid = m.wages[F.city[f], W.skill[emp]] * prem
    jc = F.city[f].astype(np.int64)
    return np.bincount(jc, weights=paid, minlength=3) / np.maximum(np.bincount(jc, minlength=3), 1)


@pytest.fixture(scope="module", params=[pytest.param(k, marks=pytest.mark.smoke) if k == "baseline" else k
                                        for k in SCENARIOS])
def stepped(request):
    """(name, model, per-step snapshots) for STEPS quarters, snapshot 0 being the initial state."""
    from model import CZTModel

    scenario, overrides = SCENARIOS[request.param]
    m = CZTModel(scenario, seed=11, overrides={"scale": TEST_SCALE, **overrides})
    snaps = [_snapshot(m)]
    for _ in range(STEPS):
        m.step()
        snaps.append(_snapshot(m))
    return request.param, m, snaps


def test_people_are_conserved_every_step(stepped):
    name, m, snaps = stepped
    f = m.flows_frame()
    people = f[f.unit == "persons"]
    sign = {"birth": 1, "in_migration": 1, "death": -1, "out_migration": -1}
    kind_root = people.kind.str.rsplit("_", n=1).str[0]
    moves = people.assign(root=kind_root)
    moves = moves[moves.root.isin(sign)]
    net = (moves["count"] * moves.root.map(sign)).groupby(moves.step).sum()
    seen_births = seen_deaths = 0
    for prev, cur in zip(snaps[:-1], snaps[1:]):
        t = cur["step"]
        expected = prev["n_alive"] + net.get(t, 0.0) / m.scale
        assert cur["n_alive"] == pytest.approx(expected, abs=1e-9), \
            f"{name}: step {t}: {cur['n_alive']} living agents, flows imply {expected}"
        step_rows = moves[moves.step == t]
        seen_births += int((step_rows.root == "birth").any())
        seen_deaths += int((step_rows.root == "death").any())
    # the check is only meaningful if there were births and deaths to account for
    assert seen_births > STEPS / 2 and seen_deaths > STEPS / 2


def test_people_are_conserved_by_city_every_step(stepped):
    """Residents of each city(t) = residents(t-1) + births + in-migrants + movers in - deaths - out-migrants - movers out."""
    name, m, snaps = stepped
    f = m.flows_frame()
    f = f[f.unit == "persons"].assign(root=lambda d: d.kind.str.rsplit("_", n=1).str[0])
    gains = f[f.root.isin(("birth", "in_migration", "move"))]
    losses = f[f.root.isin(("death", "out_migration", "move"))]
    moved = 0.0
    for prev, cur in zip(snaps[:-1], snaps[1:]):
        t = cur["step"]
        g = gains[gains.step == t].groupby("destination")["count"].sum()
        lo = losses[losses.step == t].groupby("origin")["count"].sum()
        for c, city in enumerate(m.cities):
            expected = prev["population_agents"][c] + (g.get(city, 0.0) - lo.get(city, 0.0)) / m.scale
            assert cur["population_agents"][c] == pytest.approx(expected, abs=1e-9), \
                f"{name}: step {t}, {city}: {cur['population_agents'][c]} agents, flows imply {expected}"
        moved += f[(f.step == t) & (f.root == "move")]["count"].sum()
    assert moved > 0, "no residence moves between cities: the by-city balance was not exercised"


def test_population_in_city_frame_matches_agents(stepped):
    name, m, snaps = stepped
    c = m.cities_frame()
    for s in snaps:
        rows = c[c.step == s["step"]].set_index("city").loc[list(m.cities)]
        np.testing.assert_allclose(rows.population_10k.to_numpy(), s["population_agents"] * m.scale / 1e4,
                                   rtol=1e-12, err_msg=f"{name} step {s['step']}")


def test_commuter_flows_match_commuter_stocks(stepped):
    """The two commuter outputs a user reads agree with each other and with the agents: flows rows commuters_*
    (persons, by origin and destination) = the city frame's commuters_out_10k = the agents working in another city."""
    name, m, snaps = stepped
    c, f = m.cities_frame(), m.flows_frame()
    com = f[f.kind.str.startswith("commuters_")]
    for s in snaps[1:]:
        t = s["step"]
        persons = s["cross_commuters_agents"] * m.persons_per_agent
        assert com[com.step == t]["count"].sum() == pytest.approx(persons, rel=1e-9, abs=1e-6), f"{name} step {t}"
        by_origin = com[com.step == t].groupby("origin")["count"].sum()
        rows = c[c.step == t].set_index("city")
        for city in m.cities:
            assert rows.commuters_out_10k[city] * 1e4 == pytest.approx(by_origin.get(city, 0.0), rel=1e-9, abs=1e-6)


def test_shared_taxes_sum_to_taxes_collected(stepped):
    name, m, snaps = stepped
    shared_any = False
    for s in snaps:
        assert s["tax_after_sharing"].sum() == pytest.approx(s["tax_collected"].sum(), rel=1e-12), \
            f"{name} step {s['step']}"
        assert s["tax_shared_out"].sum() == pytest.approx(s["tax_shared_in"].sum(), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(s["tax_after_sharing"],
                                   s["tax_collected"] - s["tax_shared_out"] + s["tax_shared_in"], rtol=1e-12, atol=1e-12)
        shared_any |= s["tax_shared_out"].sum() > 0
    if name == "enclave-paid":  # sharing is on and paid: the identity must be exercised, not trivially 0 = 0
        assert shared_any, f"{name}: no tax was ever shared, the invariant was not exercised"


def test_credited_gdp_sums_to_produced_gdp(stepped):
    name, m, snaps = stepped
    differs = False
    for s in snaps:
        assert s["gdp_credited"].sum() == pytest.approx(s["gdp_produced"].sum(), rel=1e-12), \
            f"{name} step {s['step']}"
        differs |= not np.allclose(s["gdp_credited"], s["gdp_produced"], rtol=1e-12)
    if name == "enclave-paid":
        assert differs, f"{name}: statistics sharing never moved any GDP between cities"
    elif name == "baseline":  # no statistics sharing in the 2019 institutions
        for s in snaps:
            np.testing.assert_allclose(s["gdp_credited"], s["gdp_produced"], rtol=1e-12)


def test_taxes_and_gdp_are_sums_over_firms(stepped):
    """Taxes collected and GDP produced are the firms' taxes and value added (this quarter's producers).

    Production comes first in the quarter; firms then exit, enter and relocate. So per city the identity
    holds exactly at the initial state, and for the cluster total at every step (exited firms keep this
    quarter's figures until the next production; entrants have produced nothing yet).
    """
    name, m, snaps = stepped
    s0 = snaps[0]
    np.testing.assert_allclose(s0["tax_collected"], s0["tax_by_firms"], rtol=1e-9)
    np.testing.assert_allclose(s0["gdp_produced"], s0["gdp_by_firms"], rtol=1e-9)
    for s in snaps:
        where = f"{name} step {s['step']}"
        assert s["tax_collected"].sum() == pytest.approx(s["tax_all_slots"], rel=1e-9), where
        assert s["gdp_produced"].sum() == pytest.approx(s["gdp_all_slots"], rel=1e-9), where


def test_firm_headcounts_equal_bincount_of_employers(stepped):
    name, m, snaps = stepped
    for s in snaps:
        where = f"{name} step {s['step']}"
        assert s["headcount_mismatch_ordinary"] == 0, where
        assert s["headcount_mismatch_talent"] == 0, where
        assert s["employed_by_dead_firm"] == 0, where
        assert s["dead_firms_with_staff"] == 0, where
        assert s["max_employer_index"] < m.firms.n, where
        assert s["residence_ok"], where


def test_no_negative_stocks(stepped):
    name, m, snaps = stepped
    for s in snaps:
        where = f"{name} step {s['step']}"
        assert s["min_headcount"] >= 0, where
        assert s["min_value_added"] >= 0, where
        assert (s["wages"] > 0).all(), where
        assert (s["gdp_produced"] > 0).all(), where
        assert (s["tax_after_sharing"] >= 0).all(), where
        assert (s["population_agents"] > 0).all(), where
    c = m.cities_frame()
    num = c.select_dtypes("number")
    negative = {col: float(num[col].min()) for col in num.columns if (num[col] < 0).any()}
    assert not negative, f"{name}: negative values in the city frame: {negative}"
    assert not num.isna().any().any(), f"{name}: NaN in the city frame: {list(num.columns[num.isna().any()])}"
    f = m.flows_frame()
    assert (f["count"] > 0).all(), f"{name}: flows rows with zero or negative counts"


def test_employed_residents_equal_jobs(stepped):
    """Unemployment is recorded by city of residence, employment by city of the job: over the cluster, employed
    residents (labour force x (1 - unemployment rate)) are the jobs, every quarter; and each rate is in [0, 1]."""
    name, m, snaps = stepped
    c = m.cities_frame()
    employed_residents = ((1 - c.unemployment_rate) * c.population_10k * m.lf_share).groupby(c.step).sum()
    jobs = c.groupby(c.step).employment_10k.sum()
    np.testing.assert_allclose(employed_residents.to_numpy(), jobs.to_numpy(), rtol=1e-9, err_msg=name)
    assert ((c.unemployment_rate >= 0) & (c.unemployment_rate <= 1)).all()
    assert c.unemployment_rate.max() > 0, f"{name}: nobody is ever unemployed, the identity was not exercised"


def test_annual_frame_sums_quarters(stepped):
    """Annual flows are the sums of the four quarters; stocks are the fourth quarter's."""
    name, m, snaps = stepped
    c, a = m.cities_frame(), m.annual_frame()
    q = c[(c.step > 0) & (c.year == 2020)]
    row = a[(a.year == 2020) & (a.city == "zhuzhou")].iloc[0]
    z = q[q.city == "zhuzhou"]
    assert len(z) == 4
    assert row.gdp_100m_yuan == pytest.approx(z.gdp_q_100m_yuan.sum(), rel=1e-12)
    assert row.tax_collected_100m_yuan == pytest.approx(z.tax_collected_q_100m_yuan.sum(), rel=1e-12)
    assert row.population_10k == pytest.approx(z[z.quarter == 4].population_10k.iloc[0], rel=1e-12)
    shares = a.groupby("year").gdp_share.sum()
    np.testing.assert_allclose(shares.to_numpy(), 1.0, rtol=1e-12)
    assert set(a.year) == {2019, 2020, 2021}




def test_recorded_average_wage_is_the_wage_paid(stepped):
    """The city frame's avg_wage_yuan is the mean wage paid to the city's jobs (what WorkerView.wage_yuan reports)."""
    name, m, snaps = stepped
    c = m.cities_frame()
    for s in snaps:
        rows = c[c.step == s["step"]].set_index("city").loc[list(m.cities)]
        np.testing.assert_allclose(rows.avg_wage_yuan.to_numpy(), s["avg_paid_wage"], rtol=1e-6,
                                   err_msg=f"{name} step {s['step']}")


def test_supply_chain_accounts_balance_every_quarter(stepped):
    """Supply chains (model.supply): in every recorded quarter and city, GDP is gross output less the intermediate
    inputs the city's firms bought; those purchases split exactly into inputs from the own city, from the other two
    cities and from outside; and what the cluster's firms bought from cluster suppliers is what the cities sold to
    them (purchases equal sales)."""
    name, m, _ = stepped
    df = m.cities_frame()
    assert (df.intermediates_q_100m_yuan > 0).all(), f"{name}: a city bought no intermediate inputs"
    np.testing.assert_allclose(df.gdp_q_100m_yuan, df.gross_output_q_100m_yuan - df.intermediates_q_100m_yuan,
                               rtol=1e-9, err_msg=name)
    np.testing.assert_allclose(df.intermediates_q_100m_yuan,
                               df.inputs_local_q_100m_yuan + df.inputs_from_cluster_q_100m_yuan
                               + df.inputs_from_outside_q_100m_yuan, rtol=1e-9, err_msg=name)
    per_step = df.groupby("step")[["sales_to_cluster_q_100m_yuan", "inputs_local_q_100m_yuan",
                                   "inputs_from_cluster_q_100m_yuan", "sales_to_other_cities_q_100m_yuan"]].sum()
    np.testing.assert_allclose(per_step.sales_to_cluster_q_100m_yuan,
                               per_step.inputs_local_q_100m_yuan + per_step.inputs_from_cluster_q_100m_yuan,
                               rtol=1e-9, err_msg=name)
    np.testing.assert_allclose(per_step.sales_to_other_cities_q_100m_yuan, per_step.inputs_from_cluster_q_100m_yuan,
                               rtol=1e-9, err_msg=name)
    # the flows frame's inter-city intermediate flows are the same purchases, seen from the supplier's side
    fl = m.flows_frame()
    fl = fl[fl.kind == "intermediate_inputs"]
    assert (fl.unit == "100m yuan").all()
    by_buyer = fl.groupby(["step", "destination"])["count"].sum()
    rec = df.set_index(["step", "city"]).inputs_from_cluster_q_100m_yuan
    np.testing.assert_allclose(by_buyer.to_numpy(), rec.loc[by_buyer.index].to_numpy(), rtol=1e-9, err_msg=name)
