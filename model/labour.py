"""Labour market: firms' hiring and firing, job search across the three cities, wages.

Searchers (the unemployed, and some employed) sample vacancies with probability proportional to the
vacancies and to accessibility from their home city; an offer is worth its wage net of commuting
time and fare (Eurace@Unibi-style), plus a taste shock; the best offer above the reservation value
is taken. Conflicts (more applicants than vacancies) are settled by random priority, all in numpy.
Wages (yuan per year) follow the city's productivity and its labour-market tightness. The :class:`LabourMarket`
component owns wages, tightness, unemployment and the firms' vacancies; headcounts are the firms' columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from agents.worker import TALENT
from model import calibration as cal
from model import kernels, rules
from model.identity import CITIES, N_CITIES, OUTSIDE
from model.land import free_land, land_ha_per_agent
from model.production import unit_cost
from model.sampling import stochastic_round

if TYPE_CHECKING:
    from model.czt_model import CZTModel

WORK_DAYS = 250
HOURS_PER_YEAR = 2000.0
GAP_TOLERANCE = 1e-6  # worker agents: gaps smaller than this are rounding, not a shortage or an excess


def _cs(fill: float = 0.0) -> np.ndarray:
    return np.full((N_CITIES, 2), fill)


@dataclass(slots=True)
class LabourMarket:
    """Wages by (city, skill) in yuan per year, tightness, unemployment, and the firms' vacancies."""

    wage0: np.ndarray = field(default_factory=_cs)  # start-year wages
    wages: np.ndarray = field(default_factory=_cs)  # market wages this quarter
    tightness: np.ndarray = field(default_factory=lambda: _cs(1.0))  # wage factor from the Phillips curve
    u_star: np.ndarray = field(default_factory=_cs)  # start-year (post burn-in) unemployment by (city, skill)
    unemployment_rate: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))  # by city of residence
    vacancy_rate: np.ndarray = field(default_factory=_cs)
    wage_index: np.ndarray = field(default_factory=lambda: np.ones(N_CITIES))  # firms' wage cost relative to 2019
    vacancies: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))  # (firm slot, skill)


def calibrate(m: CZTModel) -> None:
    """Start-year wages by city and skill that reproduce the yearbook average wage; unemployment at its 2019 rate."""
    F, L = m.firms, m.labour
    emp_by_sc = np.zeros((len(m.sectors), N_CITIES))
    np.add.at(emp_by_sc, (F.sector, F.city), F.n_ordinary + F.n_talent)
    tal = cal.talent_share_by_city(CITIES, emp_by_sc)
    L.wage0 = cal.wage_levels(CITIES, tal, m.p["talent_wage_premium"], m.start_year)  # (cities, skills) yuan per year
    L.wages = L.wage0.copy()
    L.tightness = _cs(1.0)
    L.wage_index = np.ones(N_CITIES)
    L.vacancies = np.zeros((F.n, 2), dtype=np.int64)
    L.unemployment_rate = np.full(N_CITIES, m.p["unemployment_rate_0"])
    L.vacancy_rate = _cs()


def calibrate_unemployment(m: CZTModel) -> None:
    """The 2019 (post burn-in) unemployment rate by city and skill: the reference of the wage curve."""
    W, L = m.workers, m.labour
    alive = W.alive
    key = W.residence[alive].astype(np.int64) * 2 + W.skill[alive]
    lf = np.bincount(key, minlength=2 * N_CITIES)
    un = np.bincount(key, weights=W.employer[alive] < 0, minlength=2 * N_CITIES)
    L.u_star = (un / np.maximum(lf, 1)).reshape(N_CITIES, 2)
    L.unemployment_rate = un.reshape(N_CITIES, 2).sum(axis=1) / np.maximum(lf.reshape(N_CITIES, 2).sum(axis=1), 1)


def recount_employment(m: CZTModel) -> None:
    """Firm headcounts from the workers' employer column (the single source of truth)."""
    W, F = m.workers, m.firms
    kernels.recount(W.alive, W.employer, W.skill, F.n_ordinary, F.n_talent)


def move_headcounts(m: CZTModel, rows: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
    """Keep headcounts in step when workers ``rows`` change employer from ``old`` to ``new`` (-1: none), without a
    recount of the whole population."""
    F, W = m.firms, m.workers
    tal = W.skill[rows] == TALENT
    for col, sel in ((F.n_ordinary, ~tal), (F.n_talent, tal)):
        o, n = old[sel], new[sel]
        np.subtract.at(col, o[o >= 0], 1)
        np.add.at(col, n[n >= 0], 1)


def target_headcount(m: CZTModel, slots: np.ndarray) -> np.ndarray:
    """Worker agents each firm wants, by skill: shape (len(slots), 2)."""
    F, L, p = m.firms, m.labour, m.p
    alpha = p["labour_elasticity"]
    sec, city = F.sector[slots], F.city[slots]
    kappa = unit_cost(m, sec, city, F.park[slots], F.wage_premium[slots])
    e_star = (alpha * m.production.A[sec, city] * F.z[slots] / kappa) ** (1 / (1 - alpha))
    # firms substitute towards the skill that became relatively cheaper since 2019 (unit elasticity)
    rel = (L.wages[city, 1] / L.wages[city, 0]) / (L.wage0[city, 1] / L.wage0[city, 0])
    ts = np.clip(F.talent_share[slots] / rel, 0.0, p["talent_share_cap"])
    # e_star is per establishment; the cohort's n_est establishments want n_est times as many
    n_star = e_star * F.n_est[slots] / (m.persons_per_agent * (1 - ts + p["talent_efficiency"] * ts))
    return np.stack([(1 - ts) * n_star, ts * n_star], axis=1)


def adjust_employment(m: CZTModel) -> None:
    """Firms post vacancies or lay off a share of the gap to their target; exogenous separations."""
    W, F, p, rng = m.workers, m.firms, m.p, m.rng
    live = F.living
    target = target_headcount(m, live)
    have = np.stack([F.n_ordinary[live], F.n_talent[live]], axis=1)
    gap = (target - have) * p["hire_adjustment"]
    vac = np.zeros((F.n, 2), dtype=np.int64)
    # vacancies: the whole shortfall is advertised (matching frictions slow the filling); layoffs: a share of the excess
    # (a shortfall within GAP_TOLERANCE is none: a firm at its calibrated optimum must not post a vacancy or move
    # its wage on the last bit of a floating-point difference, which differs between CPUs)
    vac[live] = _land_limited(m, live, np.ceil(np.maximum(target - have - GAP_TOLERANCE, 0)))
    m.labour.vacancies = vac
    # wage setting: a firm short of staff raises its offer, one with only excess staff lowers it
    # (wage_offer_step a quarter, within wage_offer_min to wage_offer_max of its city's market wage)
    short = (gap > GAP_TOLERANCE).any(axis=1)
    excess = (gap < -GAP_TOLERANCE).any(axis=1) & ~short
    if m.steps > 0:  # not during the pre-2019 burn-in, whose wages stay at 2019 levels
        step = p["wage_offer_step"]
        F.wage_premium[live] = np.clip(F.wage_premium[live] * np.where(short, 1 + step, np.where(excess, 1 - step, 1.0)),
                                       p["wage_offer_min"], p["wage_offer_max"])
    fire = np.zeros((F.n, 2))
    fire[live] = stochastic_round(rng, np.maximum(-gap, 0))
    # layoffs: each worker of (firm, skill) leaves with probability fired / headcount; plus exogenous separations
    kernels.layoffs(rng, W.alive, W.employer, W.skill, fire, F.n_ordinary, F.n_talent, p["separation_rate"])


def _land_limited(m: CZTModel, live: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Vacancies within the park land still free: where a park's firms ask for more land than is left, every firm's
    vacancies shrink in proportion (stochastically rounded), so a park fills smoothly rather than all-or-nothing."""
    F = m.firms
    park = F.park[live].astype(np.int64)
    per_agent = land_ha_per_agent(m, F.sector[live])
    asked = np.bincount(park, weights=want.sum(axis=1) * per_agent, minlength=m.land.n)
    free = free_land(m)
    factor = np.where(asked > free, np.maximum(free, 0.0) / np.maximum(asked, 1e-300), 1.0)
    # every firm draws (whether limited or not), so the stream's use never depends on a float comparison
    return stochastic_round(m.rng, want * factor[park][:, None])


def commute_cost(m: CZTModel) -> np.ndarray:
    """Annual cost (yuan) of living in city r and working in city j with skill s: shape (cities, cities, 2)."""
    p = m.p
    hourly = m.labour.wages / HOURS_PER_YEAR  # (j, s)
    minutes = m.geography.commute_minutes[:, :, None]
    trips = 2 * WORK_DAYS
    cost = trips * (minutes / 60.0 * p["value_of_time_share"] * hourly[None, :, :] + p["commute_fare_yuan"])
    cost[np.arange(N_CITIES), np.arange(N_CITIES), :] = 0.0
    return cost


def cross_city_penalty(m: CZTModel) -> np.ndarray:
    """Annual yuan lost by working outside one's benefit city, by (benefit city, job city, skill).

    Social insurance, hukou-linked services and (for talent) recognised status stop at the city line:
    a share ``cross_city_job_friction`` of the wage, reduced by hukou_portability for ordinary workers and
    by talent_recognition for talent (人才互认: "weekend engineers" keep their benefits).
    """
    p = m.p
    port = rules.benefit_portability(np.array([False, True]), p["hukou_portability"], p["talent_recognition"])
    pen = p["cross_city_job_friction"] * (1 - port)[None, None, :] * m.labour.wages[None, :, :]
    pen = np.broadcast_to(pen, (N_CITIES, N_CITIES, 2)).copy()
    pen[np.arange(N_CITIES), np.arange(N_CITIES), :] = 0.0
    return pen


def match(m: CZTModel) -> None:
    """One round of job search and matching across the cities: searchers compare sampled vacancies."""
    W, F, L, G, p, rng = m.workers, m.firms, m.labour, m.geography, m.p, m.rng
    if L.vacancies.sum() == 0:
        return
    rows = kernels.select_searchers(rng, W.alive, W.employer, W.skill, p["job_search_rate_ordinary"],
                                    p["job_search_rate_talent"])
    if len(rows) == 0:
        return
    slots, start, count = _vacancy_table(m)
    reach = rules.job_information_reach(G.commute_minutes, p["job_information_minutes"], G.commute_feasible)
    uniforms = rng.random((len(rows), p["job_offers_sampled"], 3))  # city, vacancy, taste of each offer
    firm = kernels.best_offers(uniforms, rows, W.residence, W.skill, W.employer, W.hukou, slots, start, count, reach,
                               F.city.astype(np.int64), F.wage_premium, L.wages, commute_cost(m), cross_city_penalty(m),
                               p["job_taste_sd"], p["job_switch_premium"], p["reservation_wage_share"], OUTSIDE)
    applying = firm >= 0
    if applying.any():
        kernels.hire(rng, rows[applying], firm[applying], W.skill, W.employer, L.vacancies, F.n_ordinary, F.n_talent)


def _vacancy_table(m: CZTModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One firm slot per vacancy, grouped by (skill, city of the firm): the slots, each group's start and length."""
    F, vac = m.firms, m.labour.vacancies
    city = F.city.astype(np.int64)
    parts, start, count = [], np.zeros((2, N_CITIES), dtype=np.int64), np.zeros((2, N_CITIES), dtype=np.int64)
    at = 0
    for s in (0, 1):
        for c in range(N_CITIES):
            firms = np.flatnonzero((city == c) & (vac[:, s] > 0))
            block = np.repeat(firms, vac[firms, s])
            parts.append(block)
            start[s, c], count[s, c] = at, len(block)
            at += len(block)
    return np.concatenate(parts).astype(np.int64), start, count


def update_wages(m: CZTModel) -> None:
    """Wages = 2019 wage x city productivity index x tightness; tightness moves with vacancies - unemployment."""
    W, F, L, p = m.workers, m.firms, m.labour, m.p
    k = 2 * N_CITIES
    lf, un = kernels.labour_force(W.alive, W.employer, W.residence, W.skill, N_CITIES)
    vac = np.zeros(k)
    np.add.at(vac, F.city.astype(np.int64) * 2, L.vacancies[:, 0])
    np.add.at(vac, F.city.astype(np.int64) * 2 + 1, L.vacancies[:, 1])
    vac = vac.reshape(N_CITIES, 2)
    urate = un / np.maximum(lf, 1)
    vrate = vac / np.maximum(lf, 1)
    L.unemployment_rate = un.sum(axis=1) / np.maximum(lf.sum(axis=1), 1)
    L.vacancy_rate = vrate
    # Phillips-curve adjustment around the 2019 unemployment rate (vacancies already drive hiring)
    change = -p["wage_adjustment"] * (urate - L.u_star)
    L.tightness *= np.exp(np.clip(change, -p["wage_change_cap"], p["wage_change_cap"]))
    L.wages = L.wage0 * m.production.productivity_index[:, None] * L.tightness
    # cost index for firms: wage bill at current vs 2019 wages (employment-weighted by skill)
    w_share = L.wage0 * lf / np.maximum((L.wage0 * lf).sum(axis=1, keepdims=True), 1e-9)
    L.wage_index = (w_share * L.wages / L.wage0).sum(axis=1)
