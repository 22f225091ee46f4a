"""Compiled kernels (numba) for the passes over every worker agent, each one loop instead of many numpy passes.

Every kernel is a pure function of its arrays and of the model's random generator, which numba reads in place
(``rng.random()`` inside a kernel draws from the same PCG64 stream as numpy, in the same order): all randomness still
flows from ``model.rng``, and the same inputs, seed and platform fingerprint give the same bytes. Only uniform
draws are used inside kernels (Gumbel and Bernoulli variates by inversion), so the stream's use does not depend on
floating-point values. Kernels are compiled on first use and cached next to this file (``cache=True``).
Mathematical functions are ``math.log``/``math.exp`` (the C library's), never SIMD-dispatched numpy ones.

The behavioural rules inside the kernels (a job's net income, the residence utility and its parts, the layoff
probability, ...) are not written here: they are the functions of ``model.rules``, compiled for scalars, the same
source the numpy callers and the governments' predictions run. ``model.kernels_reference`` holds a plain-numpy twin
of every kernel (its specification; tests/test_kernels.py checks that they agree).
"""

from __future__ import annotations

import hashlib
import inspect
import math
import warnings

import numpy as np
from numba import njit, prange

from model import rules

UNEMPLOYED = -1

# numba's cache is keyed on this file's time stamp only: were a rule of model/rules.py compiled into the kernels
# changed, the cached kernels would go on running the old rule. The digest of those rules' source is written here:
# while it matches, the kernels are cached; when it does not, they are compiled afresh in every process (correct but
# slow) with a warning, and tests/test_kernels.py fails until the digest below is updated -- which edits this file
# and so refreshes the cache.
KERNEL_RULES = (rules.select, rules.select_overload, rules.layoff_probability, rules.benefit_city, rules.job_income,
                rules.unemployed_income, rules.subsidy_eligibility, rules.subsidy_horizon_share,
                rules.talent_subsidy_received, rules.benefit_portability, rules.service_access, rules.service_value,
                rules.consumption, rules.moving_penalty, rules.residence_utility, rules.search_weight,
                rules.offer_value, rules.reservation_value)
KERNEL_RULES_DIGEST = "0cfe28e2f175e1de"


def kernel_rules_digest() -> str | None:
    """sha256 (first 16 hex digits) of the source of the rules compiled into the kernels, and of their constants;
    None without source files (numba cannot cache then either)."""
    try:
        text = "".join(inspect.getsource(f) for f in KERNEL_RULES) + repr(rules.CONSUMPTION_FLOOR_SHARE)
    except OSError:
        return None
    return hashlib.sha256(text.encode()).hexdigest()[:16]


CACHED = kernel_rules_digest() == KERNEL_RULES_DIGEST
if not CACHED and kernel_rules_digest() is not None:
    warnings.warn(f"model/rules.py's kernel rules changed: the kernels are compiled without cache until "
                  f"KERNEL_RULES_DIGEST in model/kernels.py is set to {kernel_rules_digest()!r}", stacklevel=1)
_JIT = dict(cache=CACHED, nogil=True)
_PARALLEL = dict(parallel=True, cache=CACHED, nogil=True)

_layoff_probability = njit(rules.layoff_probability, **_JIT)
_benefit_city = njit(rules.benefit_city, **_JIT)
_job_income = njit(rules.job_income, **_JIT)
_unemployed_income = njit(rules.unemployed_income, **_JIT)
_subsidy_eligibility = njit(rules.subsidy_eligibility, **_JIT)
_subsidy_horizon_share = njit(rules.subsidy_horizon_share, **_JIT)
_talent_subsidy_received = njit(rules.talent_subsidy_received, **_JIT)
_benefit_portability = njit(rules.benefit_portability, **_JIT)
_service_access = njit(rules.service_access, **_JIT)
_service_value = njit(rules.service_value, **_JIT)
_consumption = njit(rules.consumption, **_JIT)
_moving_penalty = njit(rules.moving_penalty, **_JIT)
_residence_utility = njit(rules.residence_utility, **_JIT)
_search_weight = njit(rules.search_weight, **_JIT)
_offer_value = njit(rules.offer_value, **_JIT)
_reservation_value = njit(rules.reservation_value, **_JIT)


@njit(**_JIT)
def _gumbel(u: float) -> float:
    return -math.log(-math.log(u)) if u > 0.0 else -math.log(-math.log(5e-324))


# ---------------------------------------------------------------------------------------------- labour market
@njit(**_JIT)
def layoffs(rng, alive, employer, skill, fire, n_ordinary, n_talent, separation_rate):
    """Each employed worker of (firm, skill) leaves with probability fired / headcount + separation_rate.

    ``fire`` is (firm slots, 2); headcounts are updated in place. Returns the number who left."""
    left = 0
    for i in range(employer.shape[0]):
        f = employer[i]
        if f < 0 or not alive[i]:
            continue
        s = skill[i]
        head = n_talent[f] if s == 1 else n_ordinary[f]
        if rng.random() < _layoff_probability(fire[f, s], head, separation_rate):
            employer[i] = UNEMPLOYED
            left += 1
    # headcounts follow (one pass over the firms' counts is cheaper than bookkeeping per worker above)
    recount(alive, employer, skill, n_ordinary, n_talent)
    return left


@njit(**_JIT)
def recount(alive, employer, skill, n_ordinary, n_talent):
    """Firm headcounts from the workers' employer column."""
    n_ordinary[:] = 0
    n_talent[:] = 0
    for i in range(employer.shape[0]):
        f = employer[i]
        if f >= 0 and alive[i]:
            if skill[i] == 1:
                n_talent[f] += 1
            else:
                n_ordinary[f] += 1


@njit(**_JIT)
def select_searchers(rng, alive, employer, skill, rate_ordinary, rate_talent):
    """The unemployed search every quarter; an employed worker searches with its skill's hazard. Row indices."""
    out = np.empty(employer.shape[0], dtype=np.int64)
    k = 0
    for i in range(employer.shape[0]):
        if not alive[i]:
            continue
        if employer[i] < 0:
            out[k] = i
            k += 1
        else:
            rate = rate_talent if skill[i] == 1 else rate_ordinary
            if rng.random() < rate:
                out[k] = i
                k += 1
    return out[:k]


@njit(**_PARALLEL)
def best_offers(uniforms, rows, residence, skill, employer, hukou, vac_slots, vac_start, vac_count, reach, firm_city,
                premium, wages, commute, penalty, taste_sd, switch_premium, reservation_share, outside):
    """For each searcher: vacancies drawn in proportion to vacancies x reach from its city (a city first, then a
    vacancy of it uniformly), valued at wage x premium net of commuting and cross-city losses times a taste shock;
    returns the firm applied to (-1 if no offer beats the reservation value or the current job).

    ``uniforms`` (searchers, offers, 3) are drawn beforehand from the model's stream, so the searchers can be handled
    in parallel and the result does not depend on the number of threads. ``vac_slots`` lists one firm slot per
    vacancy, grouped by (skill, city); ``vac_start``/``vac_count`` are (2, cities)."""
    n_city = reach.shape[0]
    n_offers = uniforms.shape[1]
    out = np.full(rows.shape[0], -1, dtype=np.int64)
    for t in prange(rows.shape[0]):
        i = rows[t]
        r, s = residence[i], skill[i]
        bc = _benefit_city(hukou[i], r, outside)
        total = 0.0
        for c in range(n_city):
            total += _search_weight(vac_count[s, c], reach[r, c])
        if total <= 0.0:
            continue
        best_val = -np.inf
        best_firm = -1
        for o in range(n_offers):
            u = uniforms[t, o, 0] * total
            c = 0
            acc = _search_weight(vac_count[s, 0], reach[r, 0])
            while u >= acc and c < n_city - 1:
                c += 1
                acc += _search_weight(vac_count[s, c], reach[r, c])
            j = vac_start[s, c] + min(int(uniforms[t, o, 1] * vac_count[s, c]), vac_count[s, c] - 1)
            f = vac_slots[j]
            income = _job_income(wages[c, s], premium[f], commute[r, c, s], penalty[bc, c, s])
            value = _offer_value(income, math.exp(taste_sd * _gumbel(uniforms[t, o, 2])))
            if value > best_val:
                best_val, best_firm = value, f
        cur = employer[i]
        income_now = 0.0
        if cur >= 0:
            cc = firm_city[cur]
            income_now = _job_income(wages[cc, s], premium[cur], commute[r, cc, s], penalty[bc, cc, s])
        reservation = _reservation_value(cur >= 0, income_now, wages[r, s], switch_premium, reservation_share)
        if best_val > reservation and best_firm != cur:
            out[t] = best_firm
    return out


@njit(**_JIT)
def hire(rng, rows, firm, skill, employer, vacancies, n_ordinary, n_talent):
    """Applicants in random order (Fisher-Yates on the model's stream); each takes a vacancy of its (firm, skill)
    while any is left. Updates employers and headcounts; returns the number hired."""
    n = rows.shape[0]
    order = np.arange(n)
    for a in range(n - 1, 0, -1):
        b = int(rng.random() * (a + 1))
        if b > a:
            b = a
        order[a], order[b] = order[b], order[a]
    left = vacancies.copy()
    hired = 0
    for t in range(n):
        k = order[t]
        f = firm[k]
        if f < 0:
            continue
        i = rows[k]
        s = skill[i]
        if left[f, s] <= 0:
            continue
        left[f, s] -= 1
        old = employer[i]
        if old >= 0:
            if s == 1:
                n_talent[old] -= 1
            else:
                n_ordinary[old] -= 1
        employer[i] = f
        if s == 1:
            n_talent[f] += 1
        else:
            n_ordinary[f] += 1
        hired += 1
    return hired


@njit(**_JIT)
def labour_force(alive, employer, residence, skill, n_city):
    """Labour force and unemployed by (city of residence, skill)."""
    lf = np.zeros((n_city, 2), dtype=np.int64)
    un = np.zeros((n_city, 2), dtype=np.int64)
    for i in range(employer.shape[0]):
        if alive[i]:
            r, s = residence[i], skill[i]
            lf[r, s] += 1
            if employer[i] < 0:
                un[r, s] += 1
    return lf, un


# ---------------------------------------------------------------------------------------------- residence
# scalars of the residence utility, packed in this order (model.residence.utility_inputs builds the array)
R_UNEMP_INCOME, R_RECOGNITION, R_SUB_Q, R_SUB_HORIZON, R_SERVICE_VALUE, R_PORTABILITY, R_BETA, R_MOVING_COST, \
    R_BENEFIT_LOSS, R_STEP = range(10)


@njit(**_JIT)
def _utilities(i, out, with_moving_cost, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
               unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity, par,
               outside):
    """Residence utility of worker ``i`` in every city (``rules.residence_utility``; -inf where its job is out of
    commuting reach), composed of the rules as ``kernels_reference.residence_utilities`` composes them in numpy."""
    n_city = out.shape[0]
    s, h, cur = skill[i], hukou[i], residence[i]
    talent = s == 1
    kept_outside = _benefit_portability(talent, par[R_PORTABILITY], par[R_RECOGNITION])
    f = employer[i]
    jc = firm_city[f] if f >= 0 else -1
    quarters_here = par[R_STEP] - arrived[i]
    for r in range(n_city):
        w_local = wages[r, s]
        if jc >= 0:
            bc = _benefit_city(h, r, outside)
            income = _job_income(wages[jc, s], premium[f], commute[r, jc, s], penalty[bc, jc, s])
        else:
            income = _unemployed_income(w_local, unemployment_rate[r], par[R_UNEMP_INCOME])
        share = _subsidy_horizon_share(r == cur, quarters_here, par[R_SUB_Q], par[R_SUB_HORIZON])
        sub = _talent_subsidy_received(talent, subsidy[r], _subsidy_eligibility(h, r, outside, par[R_RECOGNITION]),
                                       share)
        services = _service_value(par[R_SERVICE_VALUE], service_index[r], _service_access(h, r, kept_outside))
        c = _consumption(income, sub, services, housing[r], w_local)
        moving = _moving_penalty(with_moving_cost and r != cur, talent, par[R_MOVING_COST], par[R_BENEFIT_LOSS],
                                 par[R_RECOGNITION])
        out[r] = _residence_utility(math.log(c), amenity[r, s], par[R_BETA], moving, jc < 0 or feasible_pairs[r, jc])


@njit(**_JIT)
def residence_utilities(rows, with_moving_cost, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
                        unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity,
                        par, outside):
    n_city = wages.shape[0]
    out = np.empty((rows.shape[0], n_city))
    buf = np.empty(n_city)
    for t in range(rows.shape[0]):
        _utilities(rows[t], buf, with_moving_cost, residence, skill, hukou, employer, arrived, firm_city, premium,
                   wages, unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity,
                   par, outside)
        out[t, :] = buf
    return out


@njit(**_JIT)
def select_reviewers(rng, alive, residence, hukou, employer, firm_city, feasible_pairs, rate_local, rate_migrant):
    """Rows that reconsider where to live this quarter: every living worker draws against its hazard (local hukou or
    not); a worker whose job is out of commuting reach must reconsider."""
    out = np.empty(alive.shape[0], dtype=np.int64)
    k = 0
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        cur = residence[i]
        f = employer[i]
        u = rng.random()
        forced = f >= 0 and not feasible_pairs[cur, firm_city[f]]
        if forced or u < (rate_local if hukou[i] == cur else rate_migrant):
            out[k] = i
            k += 1
    return out[:k]


@njit(**_PARALLEL)
def residence_choices(uniforms, rows, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
                      unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity,
                      par, outside):
    """The city each reconsidering worker picks: highest utility + Gumbel (``uniforms`` (rows, cities) drawn
    beforehand, so rows are handled in parallel and the result does not depend on the number of threads)."""
    n_city = wages.shape[0]
    out = np.empty(rows.shape[0], dtype=np.int64)
    for t in prange(rows.shape[0]):
        buf = np.empty(n_city)
        _utilities(rows[t], buf, True, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
                   unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity, par,
                   outside)
        best, best_u = 0, -np.inf
        for r in range(n_city):
            u = buf[r] + _gumbel(uniforms[t, r])
            if u > best_u:
                best, best_u = r, u
        out[t] = best
    return out


# ---------------------------------------------------------------------------------------------- people
@njit(**_JIT)
def residents(alive, residence, n_city):
    """Worker agents resident in each city."""
    out = np.zeros(n_city, dtype=np.int64)
    for i in range(residence.shape[0]):
        if alive[i]:
            out[residence[i]] += 1
    return out


@njit(**_JIT)
def city_stats(alive, residence, skill, employer, firm_city, premium, wages, n_city):
    """What the recorder reports of the workers, in one pass: by city of residence (residents, talent, unemployed),
    by job city (jobs, talent jobs, wage paid sum and count by skill) and the commuters (residence, job city, skill)."""
    res = np.zeros((n_city, 3), dtype=np.int64)  # residents, talent residents, unemployed residents
    jobs = np.zeros((n_city, 2), dtype=np.int64)  # jobs by skill
    paid = np.zeros((n_city, 2))  # wage paid (yuan/year) summed by job city and skill
    commute = np.zeros((n_city, n_city, 2), dtype=np.int64)
    for i in range(residence.shape[0]):
        if not alive[i]:
            continue
        r, s, f = residence[i], skill[i], employer[i]
        res[r, 0] += 1
        if s == 1:
            res[r, 1] += 1
        if f < 0:
            res[r, 2] += 1
            continue
        j = firm_city[f]
        jobs[j, s] += 1
        paid[j, s] += wages[j, s] * premium[f]
        if j != r:
            commute[r, j, s] += 1
    return res, jobs, paid, commute


@njit(**_JIT)
def deaths_and_leavers(rng, alive, employer, death_q, leave_rate):
    """Each worker dies with probability ``death_q``; each surviving unemployed worker leaves the cluster with
    ``leave_rate``. Returns the rows of the dead and of the leavers (both no longer alive)."""
    n = alive.shape[0]
    dead = np.empty(n, dtype=np.int64)
    nd = 0
    for i in range(n):
        if alive[i] and rng.random() < death_q:
            alive[i] = False
            dead[nd] = i
            nd += 1
    left = np.empty(n, dtype=np.int64)
    nl = 0
    for i in range(n):
        if alive[i] and employer[i] < 0 and rng.random() < leave_rate:
            alive[i] = False
            left[nl] = i
            nl += 1
    return dead[:nd], left[:nl]


@njit(**_JIT)
def hukou_candidates(rng, alive, skill, hukou, residence, arrived, step, min_quarters, rate_ordinary, rate_talent):
    """Residents of at least ``min_quarters`` outside their hukou city who transfer it this quarter (rows)."""
    out = np.empty(alive.shape[0], dtype=np.int64)
    k = 0
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        u = rng.random()  # every living worker draws, so the stream's use does not depend on the candidates
        if hukou[i] != residence[i] and step - arrived[i] >= min_quarters:
            if u < (rate_talent if skill[i] == 1 else rate_ordinary):
                out[k] = i
                k += 1
    return out[:k]


@njit(**_JIT)
def talent_subsidy_owed(alive, skill, hukou, residence, arrived, step, quarters, subsidy, recognition, outside,
                        n_city):
    """Talent in their first ``quarters`` in a city, by city, weighted by their eligibility (agent-quarters x yuan/yr)."""
    out = np.zeros(n_city)
    for i in range(alive.shape[0]):
        if alive[i] and skill[i] == 1 and step - arrived[i] < quarters:
            r = residence[i]
            out[r] += subsidy[r] * _subsidy_eligibility(hukou[i], r, outside, recognition)
    return out


@njit(**_JIT)
def fire_share(rng, alive, employer, frac, n_ordinary, n_talent, skill):
    """Each employed worker loses its job with the probability ``frac`` of its employer (exits); headcounts follow.
    Returns the rows laid off."""
    out = np.empty(alive.shape[0], dtype=np.int64)
    k = 0
    for i in range(alive.shape[0]):
        f = employer[i]
        if f < 0 or not alive[i]:
            continue
        if rng.random() < frac[f]:
            employer[i] = UNEMPLOYED
            if skill[i] == 1:
                n_talent[f] -= 1
            else:
                n_ordinary[f] -= 1
            out[k] = i
            k += 1
    return out[:k]


@njit(**_JIT)
def staff_of(alive, employer, is_source):
    """Rows of the living workers employed by a firm slot flagged in ``is_source``."""
    out = np.empty(alive.shape[0], dtype=np.int64)
    k = 0
    for i in range(alive.shape[0]):
        f = employer[i]
        if f >= 0 and alive[i] and is_source[f]:
            out[k] = i
            k += 1
    return out[:k]


# ---------------------------------------------------------------------------------------------- reductions
# numpy's own reductions over a short row (the three cities) pay a per-row overhead that dominates the residence
# calibration's fixed point; these loops add in numpy's order (left to right along a row; row after row down a
# column, starting from the first), so their results are numpy's to the last bit (tests/test_kernels.py).
@njit(**_JIT)
def row_max(u):
    """u.max(axis=1) of a 2-D array (-inf entries allowed)."""
    out = np.empty(u.shape[0])
    for i in range(u.shape[0]):
        best = u[i, 0]
        for j in range(1, u.shape[1]):
            if u[i, j] > best:
                best = u[i, j]
        out[i] = best
    return out


@njit(**_JIT)
def row_sums(p):
    """p.sum(axis=1) of a 2-D array with a few columns, added left to right."""
    out = np.empty(p.shape[0])
    for i in range(p.shape[0]):
        acc = p[i, 0]
        for j in range(1, p.shape[1]):
            acc += p[i, j]
        out[i] = acc
    return out


@njit(**_JIT)
def column_sums(p, rows):
    """p[rows].sum(axis=0): the selected rows added one after another."""
    out = np.zeros(p.shape[1])
    if rows.shape[0] == 0:
        return out
    for j in range(p.shape[1]):
        out[j] = p[rows[0], j]
    for t in range(1, rows.shape[0]):
        i = rows[t]
        for j in range(p.shape[1]):
            out[j] += p[i, j]
    return out
