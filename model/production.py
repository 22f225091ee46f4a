"""Production, agglomeration, taxes and enclave sharing (飞地园区税收与统计分成).

Establishment output per quarter: y = A(sector, city) * z * e**alpha, e = effective persons employed
(ordinary + talent_efficiency * talent). A firm cohort of n identical establishments with E effective
persons in all produces n * A * z * (E / n)**alpha. A carries exogenous growth and agglomeration:
A = A0 * (1+g)**t * (E_sc/E_sc0)**marshall * (E_c/E_c0)**jacobs * (h_c/h_c0)**human_capital * K_c**infrastructure,
with E_sc same-sector employment, E_c city employment and h_c the talent share of the city's jobs.
Money is in 100 million yuan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import calibration as cal

if TYPE_CHECKING:
    from model.czt_model import CZTModel


def effective_persons(m: CZTModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Effective persons (ordinary-worker equivalents) employed by each firm cohort, real persons."""
    F = m.firms
    return m.persons_per_agent * (F.n_ordinary[slots] + m.p["talent_efficiency"] * F.n_talent[slots])


def value_added(m: CZTModel, slots: np.ndarray, e: np.ndarray, sec: np.ndarray, city: np.ndarray) -> np.ndarray:
    """Quarterly value added (100m yuan) of cohorts employing ``e`` effective persons: n * A * z * (e / n)**alpha."""
    F = m.firms
    n = F.n_est[slots].astype(float)
    return n * m.A[sec, city] * F.z[slots] * (e / np.maximum(n, 1)) ** m.p["labour_elasticity"]


def _city_sector_employment(m: CZTModel) -> tuple[np.ndarray, np.ndarray]:
    """Effective persons (real units) by (sector, city), and talent share of jobs by city."""
    F = m.firms
    live = F.alive
    key = F.sector[live].astype(np.int64) * 3 + F.city[live]
    e = effective_persons(m)[live]
    E = np.bincount(key, weights=e, minlength=len(m.sectors) * 3).reshape(len(m.sectors), 3)
    tal = np.bincount(F.city[live], weights=F.n_talent[live], minlength=3)
    tot = np.bincount(F.city[live], weights=(F.n_talent + F.n_ordinary)[live], minlength=3)
    return E, tal / np.maximum(tot, 1)


def investment_shares(m: CZTModel, tilt: float) -> np.ndarray:
    """Provincial investment shares: ``tilt`` to Changsha, the rest to Zhuzhou and Xiangtan by population."""
    pop = m.city_population.astype(float)
    return np.array([tilt, (1 - tilt) * pop[1] / pop[1:].sum(), (1 - tilt) * pop[2] / pop[1:].sum()])


def allocate_provincial_investment(m: CZTModel, last_year_gdp: float | None) -> None:
    """A pool (share of last year's CZT GDP, 2019 data before the first year ends) spent over four quarters."""
    gdp = last_year_gdp if last_year_gdp else float(cal.city_table(m.start_year).gdp_100m_yuan.sum())
    shares = investment_shares(m, m.p["strong_capital_tilt"])
    for g in m.governments:
        g.provincial_investment = m.p["provincial_investment_share"] * gdp * shares[g.city] / 4


def calibrate_budgets(m: CZTModel) -> None:
    """2019 government levels: housing cost, population, spending per resident, public-capital flow."""
    p = m.p
    pop = m.city_population
    allocate_provincial_investment(m, None)
    for g in m.governments:
        g.housing_cost_0 = p["housing_cost_changsha"] if g.city == 0 else p["housing_cost_periphery"]
        g.housing_cost = g.housing_cost_0
        g.population_0 = int(pop[g.city])
        spend0 = max(g.tax_after_sharing + g.provincial_investment - g.subsidies_paid, 1e-9)
        g.spending_per_resident_0 = 0.7 * spend0 / max(pop[g.city], 1)
        g.infra_flow_0 = 0.3 * spend0
        g.public_service_index = 1.0


def calibrate(m: CZTModel) -> None:
    """Set z (firms optimal at their 2019 size) and A0 so that 2019 value added is reproduced exactly."""
    F, p = m.firms, m.p
    alpha = p["labour_elasticity"]
    n = F.n_est.astype(float)
    e = effective_persons(m) / n  # per establishment
    F.z[:] = np.maximum(e, 1e-9) ** (1 - alpha)
    gdp_q = cal.sector_gdp(m.cities, m.start_year) / 4  # quarterly value added, 100m yuan
    key = F.sector.astype(np.int64) * 3 + F.city
    raw = np.bincount(key, weights=n * F.z * e**alpha, minlength=len(m.sectors) * 3).reshape(-1, 3)
    m.A0 = np.where(raw > 0, gdp_q / np.maximum(raw, 1e-300), 0.0)
    m.A = m.A0.copy()
    m.E0, m.h0 = _city_sector_employment(m)
    m.E0_city = m.E0.sum(axis=0)
    # fill empty cells (a sector absent from a city) with the sector's cluster-wide level: entrants can go there
    for k in range(len(m.sectors)):
        missing = m.A0[k] == 0
        if missing.any():
            m.A0[k, missing] = m.A0[k, ~missing].mean()
            m.E0[k, missing] = m.E0[k, ~missing].mean() * 0.05
    m.A = m.A0.copy()
    # cost per effective person and quarter that makes every 2019 firm optimal: alpha * y / e
    m.kappa0 = alpha * gdp_q / np.maximum(m.E0, 1e-9)  # (sectors, cities)
    m.productivity_index = np.ones(3)


def tfp_trend(m: CZTModel, step: int | None = None) -> float:
    """Exogenous productivity level of quarter ``step`` (default: the current one), 1 in the first quarter.

    Piecewise: ``m.tfp_anchor = (step, level)`` moves when a timeline switches ``tfp_growth``, so the level
    never jumps; with one rate all run long it is (1 + g) ** ((step - 1) / 4)."""
    a_step, a_level = m.tfp_anchor
    s = m.steps if step is None else step
    return a_level * (1 + m.p["tfp_growth"]) ** ((s - 1 - a_step) / 4)


def update_productivity(m: CZTModel) -> None:
    p = m.p
    E, h = _city_sector_employment(m)
    growth = tfp_trend(m)
    marshall = (np.maximum(E, 0.05 * m.E0) / m.E0) ** p["marshall_elasticity"]
    jacobs = (np.maximum(E.sum(axis=0), 0.05 * m.E0_city) / m.E0_city) ** p["jacobs_elasticity"]
    human = (np.maximum(h, 0.2 * m.h0) / m.h0) ** p["human_capital_elasticity"]
    infra = np.array([g.infrastructure for g in m.governments]) ** p["infrastructure_elasticity"]
    m.A = m.A0 * growth * marshall * (jacobs * human * infra)[None, :]
    # city productivity index (employment-weighted), which wages follow
    w = np.maximum(E, 1e-9)
    m.productivity_index = (m.A / m.A0 * w).sum(axis=0) / w.sum(axis=0)


def produce(m: CZTModel) -> None:
    """Value added, profits and local taxes of every firm; enclave sharing; government revenue."""
    F, p = m.firms, m.p
    alpha, tau = p["labour_elasticity"], p["local_tax_rate"]
    live = F.living
    e = effective_persons(m, live)
    sec, city = F.sector[live], F.city[live]
    y = value_added(m, live, e, sec, city)
    cost = e * unit_cost(m, sec, city, F.park[live], F.wage_premium[live])
    incentive = incentive_rate(m, sec, city, F.arrived_step[live]) * y
    tax = tau * y
    F.value_added[live] = y
    F.tax[live] = tax
    from model.location import site_share

    F.profit[live] = y - cost - tax + incentive - site_share(m, sec, city) * y
    dead = ~F.alive
    F.value_added[dead] = F.tax[dead] = F.profit[dead] = 0.0
    _share_taxes(m, live, y, tax, incentive)


def unit_cost(m: CZTModel, sec: np.ndarray, city: np.ndarray, park: np.ndarray,
              premium: np.ndarray | float = 1.0) -> np.ndarray:
    """Cost per effective person and quarter: 2019 level x (wage index x firm's wage premium, land-rent index) mix."""
    wage_idx = m.wage_index[city] * premium
    rent_idx = m.rent_index[park]
    lam = m.land_cost_share[sec, city]
    return m.kappa0[sec, city] * ((1 - lam) * wage_idx + lam * rent_idx)


def incentive_rate(m: CZTModel, sec: np.ndarray, city: np.ndarray, arrived: np.ndarray) -> np.ndarray:
    """Incentives as a share of value added: division guidance (ongoing) + subsidy competition (first 3 years)."""
    p = m.p
    guided = m.division_guided[sec, city]
    new = (m.steps - arrived) < 12
    fiscal = m.fiscal_strength[city]
    return 0.05 * p["division_guidance"] * guided + 0.10 * p["subsidy_competition"] * fiscal * new


def _share_taxes(m: CZTModel, live: np.ndarray, y: np.ndarray, tax: np.ndarray, incentive: np.ndarray) -> None:
    """Split each enclave firm's local taxes and recorded GDP between host and sponsor.

    Sharing applies to firms in an enclave park that came from the sponsor city (or started there),
    for ``enclave_duration_years`` after arrival, capped at ``enclave_cap_multiple`` x the firm's
    pre-move annual tax, and paid only when the park's payment draw succeeds this quarter.
    """
    F, p = m.firms, m.p
    city = F.city[live].astype(np.int64)
    collected = np.bincount(city, weights=tax, minlength=3)
    produced = np.bincount(city, weights=y, minlength=3)
    to_sponsor_tax = np.zeros(3)
    to_sponsor_gdp = np.zeros(3)
    from_host_tax = np.zeros(3)
    from_host_gdp = np.zeros(3)
    sponsor = m.park_sponsor[F.park[live]]
    in_enclave = sponsor >= 0
    if in_enclave.any():
        # one payment draw per enclave park and quarter, in park order (deterministic stream use)
        paid_park = m.rng.random(len(m.parks)) < p["enclave_payment_prob"]
        origin = F.origin_city[live]
        started_here = F.born_step[live] == F.arrived_step[live]
        eligible = in_enclave & ((origin == sponsor) | started_here) & \
            ((m.steps - F.arrived_step[live]) < 4 * p["enclave_duration_years"]) & paid_park[F.park[live]]
        share_tax = p["enclave_tax_share"] * tax * eligible
        cap = F.pre_move_tax[live] * p["enclave_cap_multiple"] / 4
        capped = F.pre_move_tax[live] > 0
        share_tax = np.where(capped, np.minimum(share_tax, cap), share_tax)
        share_gdp = p["enclave_stat_share"] * y * eligible
        to_sponsor_tax = np.bincount(city, weights=share_tax, minlength=3)  # paid by host city
        to_sponsor_gdp = np.bincount(city, weights=share_gdp, minlength=3)
        sp = np.maximum(sponsor, 0).astype(np.int64)
        from_host_tax = np.bincount(sp, weights=share_tax, minlength=3)  # received by sponsor city
        from_host_gdp = np.bincount(sp, weights=share_gdp, minlength=3)
    m.gdp_produced = produced
    m.gdp_credited = produced - to_sponsor_gdp + from_host_gdp
    m.tax_shared_out = to_sponsor_tax
    m.tax_shared_in = from_host_tax
    subsidies = np.bincount(city, weights=incentive, minlength=3)
    for g in m.governments:
        g.tax_collected = collected[g.city]
        g.tax_after_sharing = collected[g.city] - to_sponsor_tax[g.city] + from_host_tax[g.city]
        g.subsidies_paid = subsidies[g.city] + m.talent_subsidy_cost[g.city]
