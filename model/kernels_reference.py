"""Plain-numpy twins of the compiled kernels (``model.kernels``): what each kernel computes, written for reading.

Each function takes the same arguments as the kernel of the same name, returns the same results and, where the
kernel changes arrays in place (employers, headcounts, the alive flag), changes them the same way. A kernel that
draws from the model's generator inside its loop (``rng.random()``, one uniform at a time) has a twin that draws the
same uniforms in the same order with ``rng.random(k)``: PCG64 gives the same doubles either way, so both consume the
same stream and leave the generator in the same state. The parallel kernels take their uniforms pre-drawn.

Floating-point results agree to the last bits, not always to the last bit: the kernels take logarithms and
exponentials from the C library (``math.log``/``math.exp``), these twins from numpy. Integer results (counts, rows,
choices) agree exactly. tests/test_kernels.py checks both on random inputs.

The twins of the residence utility also serve the model itself: ``model.residence.utility`` and ``consumption`` score
many (often hypothetical) workers at once with them -- the in-migrants, the probes of the calibration and the
governments' talent game -- so the numpy and the numba residence rules are the same rules, checked against each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import rules
from model.kernels import (R_BENEFIT_LOSS, R_BETA, R_MOVING_COST, R_PORTABILITY, R_RECOGNITION, R_SERVICE_VALUE,
                           R_STEP, R_SUB_HORIZON, R_SUB_Q, R_UNEMP_INCOME, UNEMPLOYED)


def gumbel(u: np.ndarray) -> np.ndarray:
    """Standard Gumbel variates from uniforms by inversion (u = 0 is read as the smallest positive double)."""
    return -np.log(-np.log(np.where(u > 0.0, u, 5e-324)))


def _rank_within(key: np.ndarray) -> np.ndarray:
    """Each element's occurrence number among the equal keys before it (0 for the first)."""
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(key)) - start
    return rank


# ---------------------------------------------------------------------------------------------- labour market
def recount(alive, employer, skill, n_ordinary, n_talent) -> None:
    """Firm headcounts from the workers' employer column (in place)."""
    staff = alive & (employer >= 0)
    n_ordinary[:] = np.bincount(employer[staff & (skill != 1)], minlength=len(n_ordinary))
    n_talent[:] = np.bincount(employer[staff & (skill == 1)], minlength=len(n_talent))


def layoffs(rng, alive, employer, skill, fire, n_ordinary, n_talent, separation_rate) -> int:
    """Each living employee draws one uniform (in row order) and leaves with :func:`rules.layoff_probability` of its
    (firm, skill), headcounts as they were before anyone left; headcounts are then recounted. Returns the leavers."""
    staff = np.flatnonzero(alive & (employer >= 0))
    f, s = employer[staff], skill[staff]
    head = np.where(s == 1, n_talent[f], n_ordinary[f])
    leave = rng.random(len(staff)) < rules.layoff_probability(fire[f, s], head, separation_rate)
    employer[staff[leave]] = UNEMPLOYED
    recount(alive, employer, skill, n_ordinary, n_talent)
    return int(leave.sum())


def select_searchers(rng, alive, employer, skill, rate_ordinary, rate_talent) -> np.ndarray:
    """Rows of the searchers: every living unemployed worker, and each living employee that draws below its
    skill's search rate (only employees draw, in row order)."""
    live = np.flatnonzero(alive)
    employed = employer[live] >= 0
    u = rng.random(int(employed.sum()))
    search = ~employed
    search[employed] = u < np.where(skill[live[employed]] == 1, rate_talent, rate_ordinary)
    return live[search].astype(np.int64)


def best_offers(uniforms, rows, residence, skill, employer, hukou, vac_slots, vac_start, vac_count, reach, firm_city,
                premium, wages, commute, penalty, taste_sd, switch_premium, reservation_share, outside) -> np.ndarray:
    """The firm each searcher applies to (-1: none). Offer o of searcher t: a city with probability proportional to
    :func:`rules.search_weight` (``uniforms[t, o, 0]`` against the cumulative weights), a vacancy of it uniformly
    (``uniforms[t, o, 1]``), worth :func:`rules.offer_value` with a Gumbel taste shock (``uniforms[t, o, 2]``). The
    best offer is taken if it beats :func:`rules.reservation_value` and is not the current employer."""
    n, n_city = len(rows), reach.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(vac_slots) == 0:
        return out
    r = residence[rows].astype(np.int64)
    s = skill[rows].astype(np.int64)
    bc = rules.benefit_city(hukou[rows].astype(np.int64), r, outside)
    cum = np.cumsum(rules.search_weight(vac_count[s], reach[r]), axis=1)  # (searchers, cities)
    total = cum[:, -1]
    # the city: the first whose cumulative weight exceeds u x total (the last one if none does)
    u = uniforms[:, :, 0] * total[:, None]
    city = np.minimum((u[:, :, None] >= cum[:, None, :-1]).sum(axis=2), n_city - 1)  # (searchers, offers)
    S = np.broadcast_to(s[:, None], city.shape)
    count = vac_count[S, city]
    k = np.minimum((uniforms[:, :, 1] * count).astype(np.int64), count - 1)
    firm = vac_slots[vac_start[S, city] + k]  # (searchers without any weight get some firm here: masked below)
    R, B = r[:, None], bc[:, None]
    income = rules.job_income(wages[city, S], premium[firm], commute[R, city, S], penalty[B, city, S])
    value = rules.offer_value(income, np.exp(taste_sd * gumbel(uniforms[:, :, 2])))
    pick = np.argmax(value, axis=1)  # the first of equal bests, as the kernel's strict comparison
    best_firm = firm[np.arange(n), pick]
    best_val = value[np.arange(n), pick]
    cur = employer[rows].astype(np.int64)
    employed = cur >= 0
    cc = firm_city[np.maximum(cur, 0)]
    income_now = np.where(employed, rules.job_income(wages[cc, s], premium[np.maximum(cur, 0)], commute[r, cc, s],
                                                     penalty[bc, cc, s]), 0.0)
    reservation = rules.reservation_value(employed, income_now, wages[r, s], switch_premium, reservation_share)
    take = (total > 0.0) & (best_val > reservation) & (best_firm != cur)
    out[take] = best_firm[take]
    return out


def hire(rng, rows, firm, skill, employer, vacancies, n_ordinary, n_talent) -> int:
    """Applicants in a random order (Fisher-Yates, the last position first, one uniform per step); each applicant
    takes a vacancy of its (firm, skill) while any is left. Updates employers and headcounts; returns the hires."""
    n = len(rows)
    order = np.arange(n)
    for a, x in zip(range(n - 1, 0, -1), rng.random(max(n - 1, 0))):
        b = min(int(x * (a + 1)), a)
        order[a], order[b] = order[b], order[a]
    applicants = order[firm[order] >= 0]  # in the order they are served
    i, f = rows[applicants], firm[applicants].astype(np.int64)
    s = skill[i].astype(np.int64)
    hired = _rank_within(f * 2 + s) < vacancies[f, s]  # the first applicants of each (firm, skill) get its vacancies
    i, f, s = i[hired], f[hired], s[hired]
    old = employer[i].astype(np.int64)
    for col, mine in ((n_ordinary, s != 1), (n_talent, s == 1)):
        np.subtract.at(col, old[mine & (old >= 0)], 1)
        np.add.at(col, f[mine], 1)
    employer[i] = f
    return int(hired.sum())


def labour_force(alive, employer, residence, skill, n_city) -> tuple[np.ndarray, np.ndarray]:
    """Labour force and unemployed by (city of residence, skill), int64 (cities, 2)."""
    key = residence[alive].astype(np.int64) * 2 + skill[alive]
    lf = np.bincount(key, minlength=2 * n_city).reshape(n_city, 2)
    un = np.bincount(key[employer[alive] < 0], minlength=2 * n_city).reshape(n_city, 2)
    return lf.astype(np.int64), un.astype(np.int64)


# ---------------------------------------------------------------------------------------------- residence
@dataclass(frozen=True)
class ResidenceBudget:
    """The parts of each worker's consumption in each city (yuan per year; (rows, cities) unless noted), apart from
    the cities' talent subsidies, so that a caller can price any subsidy (the governments' talent game)."""

    income: np.ndarray  # the job's income net of commuting (rules.job_income), or the unemployed's expected income
    eligibility: np.ndarray  # share of the city's talent subsidy the worker would get (rules.subsidy_eligibility)
    horizon_share: np.ndarray  # subsidy quarters to come over the horizon (rules.subsidy_horizon_share)
    talent: np.ndarray  # (rows, 1) bool: only talent is paid the subsidy
    services: np.ndarray  # public services it gets (rules.service_value)
    housing: np.ndarray  # (1, cities) housing cost
    local_wage: np.ndarray  # the city's wage for the worker's skill (the base of the consumption floor)
    feasible: np.ndarray  # bool: within commuting reach of its job (always, for the unemployed)

    @staticmethod
    def stack(*budgets: ResidenceBudget) -> ResidenceBudget:
        """One budget of the rows of several (e.g. a sample of residents and hypothetical newcomers)."""
        per_row = ("income", "eligibility", "horizon_share", "talent", "services", "local_wage", "feasible")
        return ResidenceBudget(**{k: np.concatenate([getattr(b, k) for b in budgets]) for k in per_row},
                               housing=budgets[0].housing)

    def consumption(self, subsidy: np.ndarray) -> np.ndarray:
        """:func:`rules.consumption` with the cities' talent subsidies ``subsidy`` (yuan per talent per year; last axis
        the cities, any leading axes before the rows, e.g. (profiles, 1, cities) -> (profiles, rows, cities))."""
        received = rules.talent_subsidy_received(self.talent, subsidy, self.eligibility, self.horizon_share)
        return rules.consumption(self.income, received, self.services, self.housing, self.local_wage)

    def city_consumption(self, city: int, subsidy: np.ndarray) -> np.ndarray:
        """:meth:`consumption` in one city for each of the values ``subsidy`` (V,) of its talent subsidy: (V, rows).
        The same rule on the same numbers, so each entry is the one :meth:`consumption` gives."""
        received = rules.talent_subsidy_received(self.talent[:, 0], subsidy[:, None], self.eligibility[:, city],
                                                 self.horizon_share[:, city])
        return rules.consumption(self.income[:, city], received, self.services[:, city], self.housing[0, city],
                                 self.local_wage[:, city])


def residence_budget(rows, residence, skill, hukou, employer, arrived, firm_city, premium, wages, unemployment_rate,
                     commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity, par,
                     outside) -> ResidenceBudget:
    """The :class:`ResidenceBudget` of each worker of ``rows`` in each city. Arguments as the residence kernels take
    them (``subsidy`` and ``amenity`` are not used: the budget leaves the subsidy open, the amenity is utility)."""
    n_city = wages.shape[0]
    r = np.arange(n_city)[None, :]
    s = skill[rows].astype(np.int64)[:, None]
    h = hukou[rows].astype(np.int64)[:, None]
    cur = residence[rows].astype(np.int64)[:, None]
    f = employer[rows].astype(np.int64)[:, None]
    employed = f >= 0
    jc = np.where(employed, firm_city[np.maximum(f, 0)], 0)  # job city (0 for the unemployed: masked below)
    talent = s == 1
    w_local = wages.T[s[:, 0]]  # (rows, cities): the wage for the worker's skill in each city
    bc = rules.benefit_city(h, r, outside)
    income = np.where(employed,
                      rules.job_income(wages[jc, s], np.where(employed, premium[np.maximum(f, 0)], 1.0),
                                       commute[r, jc, s], penalty[bc, jc, s]),
                      rules.unemployed_income(w_local, unemployment_rate[None, :], par[R_UNEMP_INCOME]))
    quarters_here = par[R_STEP] - arrived[rows][:, None]
    share = rules.subsidy_horizon_share(r == cur, quarters_here, par[R_SUB_Q], par[R_SUB_HORIZON])
    kept_outside = rules.benefit_portability(talent, par[R_PORTABILITY], par[R_RECOGNITION])
    access = rules.service_access(h, r, kept_outside)
    services = rules.service_value(par[R_SERVICE_VALUE], service_index[None, :], access)
    return ResidenceBudget(income=income, eligibility=rules.subsidy_eligibility(h, r, outside, par[R_RECOGNITION]),
                           horizon_share=share, talent=talent, services=services, housing=housing[None, :],
                           local_wage=w_local, feasible=np.where(employed, feasible_pairs[r, jc], True))


def residence_consumption(rows, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
                          unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity,
                          par, outside) -> tuple[np.ndarray, np.ndarray]:
    """Annual consumption (yuan, :func:`rules.consumption`) of each worker of ``rows`` in each city with the cities'
    talent subsidies ``subsidy``, and whether the city is within commuting reach of its job: (rows, cities) each."""
    budget = residence_budget(rows, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
                              unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing,
                              amenity, par, outside)
    return budget.consumption(subsidy[None, :]), budget.feasible


def residence_utilities(rows, with_moving_cost, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
                        unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity,
                        par, outside) -> np.ndarray:
    """Residence utility (:func:`rules.residence_utility`) of each worker of ``rows`` in each city: (rows, cities)."""
    c, feasible = residence_consumption(rows, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
                                        unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index,
                                        housing, amenity, par, outside)
    s = skill[rows].astype(np.int64)[:, None]
    moving = (np.arange(wages.shape[0])[None, :] != residence[rows][:, None]) & bool(with_moving_cost)
    penalty_ = rules.moving_penalty(moving, s == 1, par[R_MOVING_COST], par[R_BENEFIT_LOSS], par[R_RECOGNITION])
    return rules.residence_utility(np.log(c), amenity.T[s[:, 0]], par[R_BETA], penalty_, feasible)


def select_reviewers(rng, alive, residence, hukou, employer, firm_city, feasible_pairs, rate_local,
                     rate_migrant) -> np.ndarray:
    """Rows that reconsider where to live: every living worker draws one uniform (row order) against its rate (local
    hukou or not); a worker whose job is out of commuting reach reconsiders whatever it draws."""
    live = np.flatnonzero(alive)
    u = rng.random(len(live))
    cur, f = residence[live].astype(np.int64), employer[live].astype(np.int64)
    forced = (f >= 0) & ~feasible_pairs[cur, firm_city[np.maximum(f, 0)]]
    return live[forced | (u < np.where(hukou[live] == cur, rate_local, rate_migrant))].astype(np.int64)


def residence_choices(uniforms, rows, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
                      unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity,
                      par, outside) -> np.ndarray:
    """The city each reviewer picks: the highest residence utility (moving costs included) plus a Gumbel draw from
    ``uniforms`` (rows, cities); the first of equal bests."""
    u = residence_utilities(rows, True, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
                            unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing,
                            amenity, par, outside)
    return np.argmax(u + gumbel(uniforms), axis=1).astype(np.int64) if len(rows) else np.zeros(0, dtype=np.int64)


# ---------------------------------------------------------------------------------------------- people
def residents(alive, residence, n_city) -> np.ndarray:
    """Living worker agents resident in each city."""
    return np.bincount(residence[alive].astype(np.int64), minlength=n_city).astype(np.int64)


def city_stats(alive, residence, skill, employer, firm_city, premium, wages, n_city):
    """(residents, talent residents, unemployed residents) by city of residence; jobs by (job city, skill); wages
    paid (yuan per year) by (job city, skill), summed in row order; commuters by (residence, job city, skill)."""
    r, s, f = residence[alive].astype(np.int64), skill[alive].astype(np.int64), employer[alive].astype(np.int64)
    res = np.stack([np.bincount(r, minlength=n_city), np.bincount(r[s == 1], minlength=n_city),
                    np.bincount(r[f < 0], minlength=n_city)], axis=1).astype(np.int64)
    r, s, f = r[f >= 0], s[f >= 0], f[f >= 0]
    j = firm_city[f].astype(np.int64)
    jobs = np.bincount(j * 2 + s, minlength=2 * n_city).reshape(n_city, 2).astype(np.int64)
    paid = np.bincount(j * 2 + s, weights=wages[j, s] * premium[f], minlength=2 * n_city).astype(float)
    paid = paid.reshape(n_city, 2)
    away = j != r
    commute = np.bincount((r[away] * n_city + j[away]) * 2 + s[away], minlength=n_city * n_city * 2)
    return res, jobs, paid, commute.reshape(n_city, n_city, 2).astype(np.int64)


def deaths_and_leavers(rng, alive, employer, death_q, leave_rate) -> tuple[np.ndarray, np.ndarray]:
    """Every living worker draws against ``death_q`` (row order); then every surviving unemployed worker draws
    against ``leave_rate``. Both leave the living (in place); returns the rows of the dead and of the leavers."""
    live = np.flatnonzero(alive)
    dead = live[rng.random(len(live)) < death_q]
    alive[dead] = False
    idle = np.flatnonzero(alive & (employer < 0))
    left = idle[rng.random(len(idle)) < leave_rate]
    alive[left] = False
    return dead.astype(np.int64), left.astype(np.int64)


def hukou_candidates(rng, alive, skill, hukou, residence, arrived, step, min_quarters, rate_ordinary,
                     rate_talent) -> np.ndarray:
    """Rows that transfer their hukou to where they live: every living worker draws (row order); those living at
    least ``min_quarters`` outside their hukou city transfer with their skill's rate."""
    live = np.flatnonzero(alive)
    u = rng.random(len(live))
    due = (hukou[live] != residence[live]) & (step - arrived[live] >= min_quarters)
    return live[due & (u < np.where(skill[live] == 1, rate_talent, rate_ordinary))].astype(np.int64)


def talent_subsidy_owed(alive, skill, hukou, residence, arrived, step, quarters, subsidy, recognition, outside,
                        n_city) -> np.ndarray:
    """Talent in their first ``quarters`` in a city, by city, each weighted by the subsidy it is owed (the city's
    subsidy x :func:`rules.subsidy_eligibility`), summed in row order."""
    due = np.flatnonzero(alive & (skill == 1) & (step - arrived < quarters))
    r = residence[due].astype(np.int64)
    owed = subsidy[r] * rules.subsidy_eligibility(hukou[due].astype(np.int64), r, outside, recognition)
    return np.bincount(r, weights=owed, minlength=n_city).astype(float)


def fire_share(rng, alive, employer, frac, n_ordinary, n_talent, skill) -> np.ndarray:
    """Each living employee draws (row order) and loses its job with its employer's ``frac``; headcounts follow.
    Returns the rows laid off."""
    staff = np.flatnonzero(alive & (employer >= 0))
    f = employer[staff].astype(np.int64)
    out = staff[rng.random(len(staff)) < frac[f]]
    f = employer[out].astype(np.int64)
    tal = skill[out] == 1
    np.subtract.at(n_talent, f[tal], 1)
    np.subtract.at(n_ordinary, f[~tal], 1)
    employer[out] = UNEMPLOYED
    return out.astype(np.int64)


def staff_of(alive, employer, is_source) -> np.ndarray:
    """Rows of the living workers employed by a firm slot flagged in ``is_source``."""
    f = employer.astype(np.int64)
    return np.flatnonzero(alive & (f >= 0) & is_source[np.maximum(f, 0)]).astype(np.int64)
