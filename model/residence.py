"""Where workers live: a logit choice over the three cities, and hukou transfers (户籍迁移).

Utility of city r for worker i (annual yuan, consumption C):
    C = income_i(r) + talent subsidy + public_service_value * q_r * access_i(r) - housing_r
    U = beta * (ln C - moving_cost * [r != current] - talent_benefit_loss * (1 - recognition) * [talent, r != current])
        + amenity_{r,skill} + Gumbel
income: the worker's wage net of commuting from r to its job city (r must be within commuting reach),
or for the unemployed the expected local wage. access = 1 with local hukou, else hukou_portability
(talent: at least talent_recognition). Amenities are calibrated so that 2019 is a near steady state; the
:class:`Residence` component owns them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from agents.worker import HUKOU, MOVE_RESIDENCE, TALENT
from model.identity import CORE, N_CITIES, OUTSIDE
from model import kernels
from model.labour import commute_cost, cross_city_penalty

if TYPE_CHECKING:
    from model.czt_model import CZTModel

@dataclass(slots=True)
class Residence:
    """Residential amenity by (city, skill), in log-points times migration_logit_scale (calibrated)."""

    amenity: np.ndarray = field(default_factory=lambda: np.zeros((N_CITIES, 2)))


def _talent_subsidy(m: CZTModel) -> np.ndarray:
    """Each city's talent subsidy in force, yuan per year (the levers', or the government's choice)."""
    return m.governance.talent_subsidy


def eligibility(m: CZTModel, hukou: np.ndarray) -> np.ndarray:
    """Share of city r's talent subsidy a talent worker with this hukou gets: (n, cities)."""
    rec = m.p["talent_recognition"]
    r = np.arange(N_CITIES)[None, :]
    h = hukou[:, None]
    return np.where((h == r) | (h >= OUTSIDE), 1.0, rec)


def access(m: CZTModel, hukou: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """Share of city r's public services available to each worker: (n, cities)."""
    p = m.p
    port = np.where(skill == TALENT, max(p["hukou_portability"], p["talent_recognition"]), p["hukou_portability"])
    return np.where(hukou[:, None] == np.arange(N_CITIES)[None, :], 1.0, port[:, None])


def consumption(m: CZTModel, rows: np.ndarray, with_subsidy: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Annual consumption (yuan) of each worker in each city, and whether that city is open to it: (n, cities).
    ``with_subsidy=False``: without the talent subsidy (the governments' prediction adds its own)."""
    W, L, p = m.workers, m.labour, m.p
    skill = W.skill[rows].astype(np.int64)
    hukou = W.hukou[rows].astype(np.int64)
    emp_rows = W.employer[rows]
    jc = np.where(emp_rows >= 0, m.firms.city[np.maximum(emp_rows, 0)], -1).astype(np.int64)
    employed = jc >= 0
    cc = commute_cost(m)
    pen = cross_city_penalty(m)
    r = np.arange(N_CITIES)[None, :]
    jcs = np.maximum(jc, 0)[:, None]
    emp_f = W.employer[rows]
    prem = np.where(emp_f >= 0, m.firms.wage_premium[np.maximum(emp_f, 0)], 1.0)
    wage_job = (L.wages[jcs[:, 0], skill] * prem)[:, None]
    # benefit city if the worker lived in r: its hukou city, or r itself for migrants from outside
    bc = np.where(hukou[:, None] < OUTSIDE, hukou[:, None], r)
    income_emp = wage_job - cc[r, jcs, skill[:, None]] - pen[bc, jcs, skill[:, None]]
    u = L.unemployment_rate[None, :]
    w_local = L.wages[:, :].T[skill]  # (n, cities) wage in each city for the worker's skill
    income_unemp = w_local * (1 - u + p["unemployed_income_share"] * u)
    income = np.where(employed[:, None], income_emp, income_unemp)
    feasible = np.where(employed[:, None], m.geography.commute_feasible[r, jcs], True)
    subsidy = np.where(skill[:, None] == TALENT, _talent_subsidy(m)[None, :] * eligibility(m, hukou), 0.0)
    cur = W.residence[rows].astype(np.int64)
    q, horizon = p["talent_subsidy_quarters"], p["subsidy_horizon_quarters"]
    left = np.clip(q - (m.steps - W.arrived_step[rows]), 0, q) / horizon
    subsidy = subsidy * np.where(r == cur[:, None], left[:, None], q / horizon) * with_subsidy
    q = m.fiscal.public_service_index
    services = p["public_service_value"] * q[None, :] * access(m, hukou, skill)
    housing = m.land.housing_cost[None, :]
    c = income + subsidy + services - housing
    return np.maximum(c, 0.1 * w_local), feasible


def utility(m: CZTModel, rows: np.ndarray, with_moving_cost: bool = True) -> np.ndarray:
    W, p = m.workers, m.p
    c, feasible = consumption(m, rows)
    skill = W.skill[rows].astype(np.int64)
    u = np.log(c) + m.residence.amenity[:, skill].T / p["migration_logit_scale"]
    if with_moving_cost:
        move = np.arange(N_CITIES)[None, :] != W.residence[rows][:, None]
        extra = np.where(skill == TALENT, p["talent_benefit_loss"] * (1 - p["talent_recognition"]), 0.0)
        u = u - move * (p["moving_cost"] + extra[:, None])
    return np.where(feasible, p["migration_logit_scale"] * u, -np.inf)


def calibrate(m: CZTModel, iterations: int = 60) -> None:
    """Amenities per (city, skill) that make 2019 a steady state: expected moves between cities balance.

    Fixed-point iteration on a sample of workers: a city with net expected inflow gets a lower amenity. Only the
    amenity changes between iterations, so the rest of the utility (log consumption, the moving penalty, whether
    the job is in reach) is computed once; each iteration then adds the amenity with the operations, in the order,
    of the residence kernel, so the utilities are the kernel's to the last bit.
    """
    W, R, p = m.workers, m.residence, m.p
    R.amenity = np.zeros((N_CITIES, 2))
    m.fiscal.talent_subsidy_cost = np.zeros(N_CITIES)
    alive = np.flatnonzero(W.alive)
    sample = alive[np.linspace(0, len(alive) - 1, min(len(alive), 30000)).astype(np.int64)]  # no rng use
    skill = W.skill[sample].astype(np.int64)
    res = W.residence[sample].astype(np.int64)
    pop = np.array([[np.sum((res == r) & (skill == s)) for s in (0, 1)] for r in range(N_CITIES)], dtype=float)
    log_c, penalty, feasible = _utility_parts(m, sample, skill)
    beta = p["migration_logit_scale"]
    rows_of = [np.flatnonzero(skill == s) for s in (0, 1)]
    for _ in range(iterations):
        util = log_c + (R.amenity / beta).T[skill] - penalty
        u = np.where(feasible, beta * util, -np.inf)
        prob = np.exp(u - kernels.row_max(u)[:, None])
        prob /= kernels.row_sums(prob)[:, None]
        for s in (0, 1):
            inflow = kernels.column_sums(prob, rows_of[s])  # expected choosers of each city (stayers included)
            net = (inflow - pop[:, s]) / np.maximum(pop[:, s], 1)
            R.amenity[:, s] -= 2.0 * net
            R.amenity[:, s] -= R.amenity[CORE, s]


def _utility_parts(m: CZTModel, rows: np.ndarray, skill: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parts of the residence utility that do not depend on the amenity, for ``rows``: the log of consumption
    in each city (from the residence kernel itself, so the same library log), the moving penalty and whether the
    city is within reach of the worker's job. (rows, cities) each."""
    p = m.p
    inputs = list(utility_inputs(m))
    par = inputs[-2].copy()
    par[kernels.R_BETA] = 1.0  # beta * (log c + 0 / beta) with beta = 1 and no amenity is log c exactly
    inputs[-2], inputs[-3] = par, np.zeros_like(inputs[-3])
    log_c = kernels.residence_utilities(rows, False, *inputs)
    feasible = np.isfinite(log_c)
    move = np.arange(N_CITIES)[None, :] != m.workers.residence[rows][:, None]
    # the kernel's penalty: moving cost, plus the talent benefits not recognised across cities (0.0 for ordinary)
    extra = np.where(skill == TALENT, p["talent_benefit_loss"] * (1.0 - p["talent_recognition"]), 0.0)
    penalty = np.where(move, p["moving_cost"] + extra[:, None], 0.0)
    return np.where(feasible, log_c, 0.0), penalty, feasible


def utility_inputs(m: CZTModel) -> tuple:
    """The arrays and scalars of the residence utility, as model.kernels takes them (after the worker columns)."""
    W, L, p = m.workers, m.labour, m.p
    par = np.zeros(10)
    par[kernels.R_UNEMP_INCOME] = p["unemployed_income_share"]
    par[kernels.R_RECOGNITION] = p["talent_recognition"]
    par[kernels.R_SUB_Q] = p["talent_subsidy_quarters"]
    par[kernels.R_SUB_HORIZON] = p["subsidy_horizon_quarters"]
    par[kernels.R_SERVICE_VALUE] = p["public_service_value"]
    par[kernels.R_PORTABILITY] = p["hukou_portability"]
    par[kernels.R_BETA] = p["migration_logit_scale"]
    par[kernels.R_MOVING_COST] = p["moving_cost"]
    par[kernels.R_BENEFIT_LOSS] = p["talent_benefit_loss"]
    par[kernels.R_STEP] = m.steps
    return (W.residence, W.skill, W.hukou, W.employer, W.arrived_step, m.firms.city.astype(np.int64),
            m.firms.wage_premium, L.wages, L.unemployment_rate, commute_cost(m), cross_city_penalty(m),
            m.geography.commute_feasible, _talent_subsidy(m), m.fiscal.public_service_index, m.land.housing_cost,
            m.residence.amenity, par, OUTSIDE)


def choose(m: CZTModel) -> None:
    """Some workers reconsider where to live (logit over the cities); those whose job moved out of reach must."""
    W, p, rng = m.workers, m.p, m.rng
    inputs = utility_inputs(m)
    rows = kernels.select_reviewers(rng, W.alive, W.residence, W.hukou, W.employer, inputs[5], inputs[11],
                                    p["residence_review_rate_local"], p["residence_review_rate_migrant"])
    choice = kernels.residence_choices(rng.random((len(rows), N_CITIES)), rows, *inputs)
    old = W.residence[rows].astype(np.int64)
    moving = choice != old
    mv, old, new = rows[moving], old[moving], choice[moving]
    if len(mv):
        W.residence[mv] = new
        W.arrived_step[mv] = m.steps
        W.log(m.steps, mv, MOVE_RESIDENCE, old, new)
        m.recorder.flow_people("move", old, new, W.skill[mv])


def hukou_transfers(m: CZTModel) -> None:
    """Residents of at least two years outside their hukou city transfer it there (talent faster)."""
    W, p, rng = m.workers, m.p, m.rng
    rate_talent = min(1.0, p["talent_hukou_transfer_multiple"] * p["hukou_transfer_rate"])
    go = kernels.hukou_candidates(rng, W.alive, W.skill, W.hukou, W.residence, W.arrived_step, m.steps,
                                  p["talent_subsidy_quarters"], p["hukou_transfer_rate"], rate_talent)
    W.log(m.steps, go, HUKOU, W.hukou[go], W.residence[go])
    W.hukou[go] = W.residence[go]


def talent_subsidy_bill(m: CZTModel) -> None:
    """Subsidies owed this quarter (100m yuan) to talent in their first two years in a city."""
    W, p = m.workers, m.p
    owed = kernels.talent_subsidy_owed(W.alive, W.skill, W.hukou, W.residence, W.arrived_step, m.steps,
                                       p["talent_subsidy_quarters"], _talent_subsidy(m), p["talent_recognition"], OUTSIDE,
                                       N_CITIES)
    m.fiscal.talent_subsidy_cost = owed / 4 * m.persons_per_agent / 1e8
