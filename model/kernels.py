"""Compiled kernels (numba) for the passes over every worker agent, each one loop instead of many numpy passes.

Every kernel is a pure function of its arrays and of the model's random generator, which numba reads in place
(``rng.random()`` inside a kernel draws from the same PCG64 stream as numpy, in the same order): all randomness still
flows from ``model.rng``, and the same inputs, seed and platform fingerprint give the same bytes. Only uniform
draws are used inside kernels (Gumbel and Bernoulli variates by inversion), so the stream's use does not depend on
floating-point values. Kernels are compiled on first use and cached next to this file (``cache=True``).
Mathematical functions are ``math.log``/``math.exp`` (the C library's), never SIMD-dispatched numpy ones.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

UNEMPLOYED = -1
_JIT = dict(cache=True, nogil=True)


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
        prob = fire[f, s] / max(head, 1) + separation_rate
        if rng.random() < prob:
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


@njit(parallel=True, cache=True, nogil=True)
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
        h = hukou[i]
        bc = h if h < outside else r  # benefit city: hukou city in the cluster, else where it lives
        total = 0.0
        for c in range(n_city):
            total += vac_count[s, c] * reach[r, c]
        if total <= 0.0:
            continue
        best_val = -np.inf
        best_firm = -1
        for o in range(n_offers):
            u = uniforms[t, o, 0] * total
            c = 0
            acc = vac_count[s, 0] * reach[r, 0]
            while u >= acc and c < n_city - 1:
                c += 1
                acc += vac_count[s, c] * reach[r, c]
            j = vac_start[s, c] + min(int(uniforms[t, o, 1] * vac_count[s, c]), vac_count[s, c] - 1)
            f = vac_slots[j]
            value = wages[c, s] * premium[f] - commute[r, c, s] - penalty[bc, c, s]
            value = value * math.exp(taste_sd * _gumbel(uniforms[t, o, 2]))
            if value > best_val:
                best_val, best_firm = value, f
        cur = employer[i]
        if cur >= 0:
            cc = firm_city[cur]
            reservation = (1.0 + switch_premium) * (wages[cc, s] * premium[cur] - commute[r, cc, s] - penalty[bc, cc, s])
        else:
            reservation = reservation_share * wages[r, s]
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
# scalars of the residence utility, packed in this order (model.residence.utility_scalars builds the array)
R_UNEMP_INCOME, R_RECOGNITION, R_SUB_Q, R_SUB_HORIZON, R_SERVICE_VALUE, R_PORTABILITY, R_BETA, R_MOVING_COST, \
    R_BENEFIT_LOSS, R_STEP = range(10)


@njit(**_JIT)
def _utilities(i, out, with_moving_cost, residence, skill, hukou, employer, arrived, firm_city, premium, wages,
               unemployment_rate, commute, penalty, feasible_pairs, subsidy, service_index, housing, amenity, par,
               outside):
    """Residence utility of worker ``i`` in every city (-inf where its job is out of commuting reach), as
    ``model.residence.utility`` computes it for many workers at once."""
    n_city = out.shape[0]
    s, h, cur = skill[i], hukou[i], residence[i]
    f = employer[i]
    jc = firm_city[f] if f >= 0 else -1
    beta = par[R_BETA]
    port = max(par[R_PORTABILITY], par[R_RECOGNITION]) if s == 1 else par[R_PORTABILITY]
    q, horizon = par[R_SUB_Q], par[R_SUB_HORIZON]
    left = min(max(q - (par[R_STEP] - arrived[i]), 0.0), q) / horizon
    for r in range(n_city):
        w_local = wages[r, s]
        if jc >= 0:
            bc = h if h < outside else r
            income = wages[jc, s] * premium[f] - commute[r, jc, s] - penalty[bc, jc, s]
        else:
            u = unemployment_rate[r]
            income = w_local * (1.0 - u + par[R_UNEMP_INCOME] * u)
        sub = 0.0
        if s == 1:
            elig = 1.0 if (h == r or h >= outside) else par[R_RECOGNITION]
            sub = subsidy[r] * elig * (left if r == cur else q / horizon)
        access = 1.0 if h == r else port
        c = income + sub + par[R_SERVICE_VALUE] * service_index[r] * access - housing[r]
        c = max(c, 0.1 * w_local)
        util = math.log(c) + amenity[r, s] / beta
        if with_moving_cost and r != cur:
            util -= par[R_MOVING_COST] + (par[R_BENEFIT_LOSS] * (1.0 - par[R_RECOGNITION]) if s == 1 else 0.0)
        out[r] = beta * util if (jc < 0 or feasible_pairs[r, jc]) else -np.inf


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


@njit(parallel=True, cache=True, nogil=True)
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
            r, h = residence[i], hukou[i]
            elig = 1.0 if (h == r or h >= outside) else recognition
            out[r] += subsidy[r] * elig
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
