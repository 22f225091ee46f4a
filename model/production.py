"""Production, agglomeration and the firms' cost structure (生产与集聚).

Establishment output per quarter: y = A(sector, city) * z * e**alpha, e = effective persons employed
(ordinary + talent_efficiency * talent). A firm cohort of n identical establishments with E effective
persons in all produces n * A * z * (E / n)**alpha. A carries exogenous growth and agglomeration:
A = A0 * (1+g)**t * (E_sc/E_sc0)**marshall * (E_c/E_c0)**jacobs * (h_c/h_c0)**human_capital * K_c**infrastructure,
with E_sc same-sector employment, E_c city employment and h_c the talent share of the city's jobs.
Money is in 100 million yuan. The :class:`Production` component owns productivity and the 2019 cost structure;
the firms' own columns are in ``agents.firm.FirmTable``. Taxes and their sharing are ``model.fiscal``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model import calibration as cal
from model.identity import CITIES, CORE, N_CITIES, OUTSIDE, SECTORS

if TYPE_CHECKING:
    from model.czt_model import CZTModel

@dataclass(slots=True)
class Production:
    """Productivity by (sector, city), its 2019 reference levels and the 2019 cost structure."""

    A0: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))  # 2019 level
    A: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))  # this quarter
    E0: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))  # 2019 effective persons
    E0_city: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    h0: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))  # 2019 talent share of jobs
    kappa0: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))  # cost per person-quarter
    productivity_index: np.ndarray = field(default_factory=lambda: np.ones(N_CITIES))  # employment-weighted A / A0
    tfp_anchor: tuple[int, float] = (0, 1.0)  # (step, level): see tfp_trend
    land_cost_share: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))
    site_share0: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))
    division_guided: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES), dtype=bool))
    gdp_produced: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))  # value added this quarter
    # the same by sector, where it was produced (sector x city): recorded as the per-sector GDP columns, so they add
    # up to GDP even when an establishment exits or moves later in the quarter
    value_added_by_sector: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))


def effective_persons(m: CZTModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Effective persons (ordinary-worker equivalents) employed by each firm cohort, real persons."""
    F = m.firms
    return m.persons_per_agent * (F.n_ordinary[slots] + m.p["talent_efficiency"] * F.n_talent[slots])


def value_added(m: CZTModel, slots: np.ndarray, e: np.ndarray, sec: np.ndarray, city: np.ndarray) -> np.ndarray:
    """Quarterly value added (100m yuan) of cohorts employing ``e`` effective persons: n * A * z * (e / n)**alpha."""
    F = m.firms
    n = F.n_est[slots].astype(float)
    return n * m.production.A[sec, city] * F.z[slots] * (e / np.maximum(n, 1)) ** m.p["labour_elasticity"]


def _city_sector_employment(m: CZTModel) -> tuple[np.ndarray, np.ndarray]:
    """Effective persons (real units) by (sector, city), and talent share of jobs by city."""
    F = m.firms
    live = F.alive
    key = F.sector[live].astype(np.int64) * N_CITIES + F.city[live]
    e = effective_persons(m)[live]
    E = np.bincount(key, weights=e, minlength=len(SECTORS) * N_CITIES).reshape(len(SECTORS), N_CITIES)
    tal = np.bincount(F.city[live], weights=F.n_talent[live], minlength=N_CITIES)
    tot = np.bincount(F.city[live], weights=(F.n_talent + F.n_ordinary)[live], minlength=N_CITIES)
    return E, tal / np.maximum(tot, 1)


# ---------------------------------------------------------------------------------------------- calibration
def calibrate(m: CZTModel) -> None:
    """Set z (firms optimal at their 2019 size) and A0 so that 2019 value added is reproduced exactly."""
    F, P, p = m.firms, m.production, m.p
    alpha = p["labour_elasticity"]
    n = F.n_est.astype(float)
    e = effective_persons(m) / n  # per establishment
    F.z[:] = np.maximum(e, 1e-9) ** (1 - alpha)
    gdp_q = cal.sector_gdp(CITIES, m.start_year) / 4  # quarterly value added, 100m yuan
    key = F.sector.astype(np.int64) * N_CITIES + F.city
    raw = np.bincount(key, weights=n * F.z * e**alpha, minlength=len(SECTORS) * N_CITIES).reshape(-1, N_CITIES)
    P.A0 = np.where(raw > 0, gdp_q / np.maximum(raw, 1e-300), 0.0)
    P.E0, P.h0 = _city_sector_employment(m)
    P.E0_city = P.E0.sum(axis=0)
    # fill empty cells (a sector absent from a city) with the sector's cluster-wide level: entrants can go there
    for k in range(len(SECTORS)):
        missing = P.A0[k] == 0
        if missing.any():
            P.A0[k, missing] = P.A0[k, ~missing].mean()
            P.E0[k, missing] = P.E0[k, ~missing].mean() * 0.05
    P.A = P.A0.copy()
    # cost per effective person and quarter that makes every 2019 firm optimal: alpha * y / e
    P.kappa0 = alpha * gdp_q / np.maximum(P.E0, 1e-9)  # (sectors, cities)
    P.productivity_index = np.ones(N_CITIES)


def calibrate_costs(m: CZTModel) -> None:
    """The 2019 cost structure: land-cost shares, division-guided pairs, and site costs that absorb the 2019
    productivity gaps and incentives, so that a new firm's profit at z=1 is the same in every city under 2019
    institutions (2019 is a spatial equilibrium). Needs the calibrated land (rent0_city) and fiscal strength 1."""
    from model.land import land_cost_share

    P, p = m.production, m.p
    P.land_cost_share = land_cost_share(m)
    P.division_guided = np.zeros((len(SECTORS), N_CITIES), dtype=bool)
    for row in cal.division_catalogue().itertuples():
        P.division_guided[SECTORS.index(row.sector), CITIES.index(row.city)] = True
    alpha, tau = p["labour_elasticity"], p["local_tax_rate"]
    k_idx, c_idx = np.meshgrid(np.arange(len(SECTORS)), np.arange(N_CITIES), indexing="ij")
    inc0 = incentive_rate(m, k_idx.ravel(), c_idx.ravel(), np.full(k_idx.size, m.steps)).reshape(k_idx.shape)
    margin = 1 - alpha - tau + inc0
    target = (P.A0 * margin).min(axis=1, keepdims=True)
    P.site_share0 = np.maximum(margin - target / P.A0, 0.0)


# ---------------------------------------------------------------------------------------------- stages
def tfp_trend(m: CZTModel, step: int | None = None) -> float:
    """Exogenous productivity level of quarter ``step`` (default: the current one), 1 in the first quarter.

    Piecewise: ``tfp_anchor = (step, level)`` moves when a phase switches ``tfp_growth`` or
    ``national_growth_gap`` (a year of national boom or shock, e.g. 2020), so the level never jumps; with one rate
    all run long it is (1 + g) ** ((step - 1) / 4), g = tfp_growth + national_growth_gap."""
    a_step, a_level = m.production.tfp_anchor
    s = m.steps if step is None else step
    return a_level * (1 + m.p["tfp_growth"] + m.p["national_growth_gap"]) ** ((s - 1 - a_step) / 4)


def catch_up(m: CZTModel) -> np.ndarray:
    """Convergence of each city's sector productivity towards the core's (技术追赶): the start year's log gap
    ln(A0_core / A0_c) of a sector closes at ``productivity_catch_up`` a year, a share 1 - exp(-kappa t) after t
    years; only gaps below the core close (a city ahead in a sector keeps its lead). (sectors, cities).

    Conditional beta-convergence of productivity across regions (Barro and Sala-i-Martin 1992, about 2% a year)
    in its simplest form: the rate is fitted to the 2010-2015 record, in which Zhuzhou's and Xiangtan's GDP shares held
    while Changsha's share of residents rose by about a point a year (the censuses)."""
    A0 = m.production.A0
    gap = np.maximum(np.log(np.maximum(A0[:, [CORE]], 1e-300) / np.maximum(A0, 1e-300)), 0.0)
    years = max(m.steps - 1, 0) / 4
    return np.exp(gap * (1.0 - np.exp(-m.p["productivity_catch_up"] * years)))


def core_shock(m: CZTModel) -> np.ndarray:
    """The experimental treatment of the causal siphon/spillover measure: Changsha's productivity times (1 +
    ``core_productivity_shock``), the other cities' untouched (model/spillover.py). (cities,)"""
    out = np.ones(N_CITIES)
    out[CORE] += m.p["core_productivity_shock"]
    return out


def update_productivity(m: CZTModel) -> None:
    """Agglomeration (Marshall, Jacobs), supply-chain linkages (last quarter's market and supplier access,
    ``model.supply``), accessible knowledge (``model.knowledge``), human-capital and public-capital effects on A;
    the city productivity index."""
    P, p = m.production, m.p
    E, h = _city_sector_employment(m)
    growth = tfp_trend(m)
    marshall = (np.maximum(E, 0.05 * P.E0) / P.E0) ** p["marshall_elasticity"]
    jacobs = (np.maximum(E.sum(axis=0), 0.05 * P.E0_city) / P.E0_city) ** p["jacobs_elasticity"]
    human = (np.maximum(h, 0.2 * P.h0) / P.h0) ** p["human_capital_elasticity"]
    infra = m.fiscal.infrastructure ** p["infrastructure_elasticity"]
    P.A = P.A0 * growth * catch_up(m) * marshall * m.supply.linkage * \
        (jacobs * human * infra * m.knowledge.factor * core_shock(m))[None, :]
    # city productivity index (employment-weighted), which wages follow
    w = np.maximum(E, 1e-9)
    P.productivity_index = (P.A / P.A0 * w).sum(axis=0) / w.sum(axis=0)


def produce(m: CZTModel) -> None:
    """Value added, costs, incentives, local taxes and profits of every firm; GDP produced by city."""
    F, p = m.firms, m.p
    tau = p["local_tax_rate"]
    live = F.living
    e = effective_persons(m, live)
    sec, city = F.sector[live], F.city[live]
    y = value_added(m, live, e, sec, city)
    cost = e * unit_cost(m, sec, city, F.park[live], F.wage_premium[live])
    incentive = incentive_rate(m, sec, city, F.arrived_step[live], F.origin_city[live] >= OUTSIDE) * y
    tax = tau * y
    F.value_added[live] = y
    F.tax[live] = tax
    F.incentive[live] = incentive
    F.profit[live] = y - cost - tax + incentive - site_share(m, sec, city) * y
    dead = ~F.alive
    F.value_added[dead] = F.tax[dead] = F.profit[dead] = F.incentive[dead] = 0.0
    m.production.gdp_produced = np.bincount(city.astype(np.int64), weights=y, minlength=N_CITIES)
    m.production.value_added_by_sector = np.bincount(sec.astype(np.int64) * N_CITIES + city.astype(np.int64),
                                                     weights=y, minlength=len(SECTORS) * N_CITIES
                                                     ).reshape(len(SECTORS), N_CITIES)


def unit_cost(m: CZTModel, sec: np.ndarray, city: np.ndarray, park: np.ndarray,
              premium: np.ndarray | float = 1.0) -> np.ndarray:
    """Cost per effective person and quarter: 2019 level x (wage index x firm's wage premium, land-rent index) mix."""
    P = m.production
    wage_idx = m.labour.wage_index[city] * premium
    rent_idx = m.land.rent_index[park]
    lam = P.land_cost_share[sec, city]
    return P.kappa0[sec, city] * ((1 - lam) * wage_idx + lam * rent_idx)


def incentive_rate(m: CZTModel, sec: np.ndarray, city: np.ndarray, arrived: np.ndarray,
                   inward: np.ndarray | bool = False) -> np.ndarray:
    """Incentives as a share of value added: division guidance (ongoing) + subsidy competition (first 3 years).

    The competition intensity is each city's choice (``model.governance``). Each city bids for newcomers with its fiscal strength; for establishments arriving from outside the cluster
    (``inward``) the share ``joint_attraction`` of the offer is the one agency's instead: the cities' mean bid
    without the bidding premium (三市联合招商, model/investment.py)."""
    p = m.p
    guided = m.production.division_guided[sec, city]
    new = (m.steps - arrived) < p["new_arrival_quarters"]
    fiscal = m.fiscal.fiscal_strength[city]
    j = p["joint_attraction"] * np.asarray(inward, dtype=float)
    bid = (1 - j) * fiscal + j * m.fiscal.fiscal_strength.mean() * (1 - p["bidding_premium_share"])
    return p["division_incentive_scale"] * p["division_guidance"] * guided + \
        p["competition_incentive_scale"] * m.governance.incentive[city] * bid * new


def site_share(m: CZTModel, sec: np.ndarray, city: np.ndarray) -> np.ndarray:
    """Share of value added paid for the site: the 2019 level plus property costs rising with the city's crowding."""
    extra = m.p["congestion_cost_share"] * (m.land.housing_index[city] - 1.0)
    return np.clip(m.production.site_share0[sec, city] + extra, 0.0, 0.9)


def optimal_output(m: CZTModel, slots: np.ndarray, city: np.ndarray, park: np.ndarray) -> np.ndarray:
    """Quarterly value added (100m yuan) of firm ``slots`` at (city, park) at its optimal size."""
    F, alpha = m.firms, m.p["labour_elasticity"]
    sec = F.sector[slots]
    kappa = unit_cost(m, sec, city, park)
    return F.n_est[slots] * (m.production.A[sec, city] * F.z[slots]) ** (1 / (1 - alpha)) * \
        (alpha / kappa) ** (alpha / (1 - alpha))


def optimal_profit(m: CZTModel, slots: np.ndarray, city: np.ndarray, park: np.ndarray, new: bool,
                   inward: bool = False) -> np.ndarray:
    """Annual profit (100m yuan) of firm ``slots`` if it were at (city, park) at its optimal size (``inward``: as an
    investor from outside the cluster, with the offer such newcomers get)."""
    F, p = m.firms, m.p
    alpha, tau = p["labour_elasticity"], p["local_tax_rate"]
    sec = F.sector[slots]
    y = optimal_output(m, slots, city, park)
    arrived = np.full(len(slots), m.steps) if new else F.arrived_step[slots]
    margin = 1 - alpha - tau + incentive_rate(m, sec, city, arrived, inward) - site_share(m, sec, city)
    return 4 * y * margin
