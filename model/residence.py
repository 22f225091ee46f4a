"""Where workers live: a logit choice over the three cities, and hukou transfers (户籍迁移).

Utility of city r for worker i (annual yuan, consumption C):
    C = income_i(r) + talent subsidy + public_service_value * q_r * access_i(r) - housing_r
    U = beta * (ln C - moving_cost * [r != current] - talent_benefit_loss * (1 - recognition) * [talent, r != current])
        + amenity_{r,skill} + Gumbel
income: the worker's wage net of commuting from r to its job city (r must be within commuting reach),
or for the unemployed the expected local wage. access = 1 with local hukou, else hukou_portability
(talent: at least talent_recognition). Amenities are calibrated so that 2019 is a near steady state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.worker import HUKOU, MOVE_RESIDENCE, TALENT
from model.labour import commute_cost, cross_city_penalty
from model.params import OUTSIDE

if TYPE_CHECKING:
    from model.czt_model import CZTModel

SUBSIDY_QUARTERS = 8  # talent subsidies are paid for the first two years in a city


def _talent_subsidy(m: CZTModel) -> np.ndarray:
    p = m.p
    return np.array([p["talent_subsidy_changsha"], p["talent_subsidy_periphery"], p["talent_subsidy_periphery"]])


def eligibility(m: CZTModel, hukou: np.ndarray) -> np.ndarray:
    """Share of city r's talent subsidy a talent worker with this hukou gets: (n, 3)."""
    rec = m.p["talent_recognition"]
    r = np.arange(3)[None, :]
    h = hukou[:, None]
    return np.where((h == r) | (h == OUTSIDE), 1.0, rec)


def access(m: CZTModel, hukou: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """Share of city r's public services available to each worker: (n, 3)."""
    p = m.p
    port = np.where(skill == TALENT, max(p["hukou_portability"], p["talent_recognition"]), p["hukou_portability"])
    return np.where(hukou[:, None] == np.arange(3)[None, :], 1.0, port[:, None])


def consumption(m: CZTModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Annual consumption (yuan) of each worker in each city, and whether that city is open to it: (n, 3)."""
    W, p = m.workers, m.p
    skill = W.skill[rows].astype(np.int64)
    hukou = W.hukou[rows].astype(np.int64)
    jc = m.job_city()[rows].astype(np.int64)
    employed = jc >= 0
    cc = commute_cost(m)
    pen = cross_city_penalty(m)
    r = np.arange(3)[None, :]
    jcs = np.maximum(jc, 0)[:, None]
    emp_f = W.employer[rows]
    prem = np.where(emp_f >= 0, m.firms.wage_premium[np.maximum(emp_f, 0)], 1.0)
    wage_job = (m.wages[jcs[:, 0], skill] * prem)[:, None]
    # benefit city if the worker lived in r: its hukou city, or r itself for migrants from outside
    bc = np.where(hukou[:, None] < 3, hukou[:, None], r)
    income_emp = wage_job - cc[r, jcs, skill[:, None]] - pen[bc, jcs, skill[:, None]]
    u = m.unemployment_rate[None, :]
    w_local = m.wages[:, :].T[skill]  # (n, 3) wage in each city for the worker's skill
    income_unemp = w_local * (1 - u + 0.4 * u)
    income = np.where(employed[:, None], income_emp, income_unemp)
    feasible = np.where(employed[:, None], m.commute_feasible[r, jcs], True)
    subsidy = np.where(skill[:, None] == TALENT, _talent_subsidy(m)[None, :] * eligibility(m, hukou), 0.0)
    cur = W.residence[rows].astype(np.int64)
    left = np.clip(SUBSIDY_QUARTERS - (m.steps - W.arrived_step[rows]), 0, SUBSIDY_QUARTERS) / 20.0
    subsidy = subsidy * np.where(r == cur[:, None], left[:, None], SUBSIDY_QUARTERS / 20.0)
    q = np.array([g.public_service_index for g in m.governments])
    services = p["public_service_value"] * q[None, :] * access(m, hukou, skill)
    housing = np.array([g.housing_cost for g in m.governments])[None, :]
    c = income + subsidy + services - housing
    return np.maximum(c, 0.1 * w_local), feasible


def utility(m: CZTModel, rows: np.ndarray, with_moving_cost: bool = True) -> np.ndarray:
    W, p = m.workers, m.p
    c, feasible = consumption(m, rows)
    skill = W.skill[rows].astype(np.int64)
    u = np.log(c) + m.amenity[:, skill].T / p["migration_logit_scale"]
    if with_moving_cost:
        move = np.arange(3)[None, :] != W.residence[rows][:, None]
        extra = np.where(skill == TALENT, p["talent_benefit_loss"] * (1 - p["talent_recognition"]), 0.0)
        u = u - move * (p["moving_cost"] + extra[:, None])
    return np.where(feasible, p["migration_logit_scale"] * u, -np.inf)


def calibrate(m: CZTModel, iterations: int = 60) -> None:
    """Amenities per (city, skill) that make 2019 a steady state: expected moves between cities balance.

    Fixed-point iteration on a sample of workers: a city with net expected inflow gets a lower amenity.
    """
    W = m.workers
    m.amenity = np.zeros((3, 2))
    m.talent_subsidy_cost = np.zeros(3)
    alive = np.flatnonzero(W.alive)
    sample = alive[np.linspace(0, len(alive) - 1, min(len(alive), 30000)).astype(np.int64)]  # no rng use
    skill = W.skill[sample].astype(np.int64)
    res = W.residence[sample].astype(np.int64)
    pop = np.array([[np.sum((res == r) & (skill == s)) for s in (0, 1)] for r in range(3)], dtype=float)
    for _ in range(iterations):
        u = utility(m, sample)
        prob = np.exp(u - u.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        for s in (0, 1):
            sel = skill == s
            inflow = prob[sel].sum(axis=0)  # expected choosers of each city (stayers included)
            net = (inflow - pop[:, s]) / np.maximum(pop[:, s], 1)
            m.amenity[:, s] -= 2.0 * net
            m.amenity[:, s] -= m.amenity[0, s]


def choose(m: CZTModel) -> None:
    """Some workers reconsider where to live; those whose job moved out of reach must."""
    W, p, rng = m.workers, m.p, m.rng
    rows = np.flatnonzero(W.alive)
    jc = m.job_city()[rows]
    forced = (jc >= 0) & ~m.commute_feasible[W.residence[rows], np.maximum(jc, 0)]
    review = forced | (rng.random(len(rows)) < p["residence_review_rate"])
    rows = rows[review]
    if len(rows):
        u = utility(m, rows) + rng.gumbel(size=(len(rows), 3))
        new = np.argmax(u, axis=1).astype(np.int8)
        old = W.residence[rows].copy()
        moved = new != old
        mv = rows[moved]
        W.residence[mv] = new[moved]
        W.arrived_step[mv] = m.steps
        W.log(m.steps, mv, MOVE_RESIDENCE, old[moved], new[moved])
        m.recorder.flow_people("move", old[moved], new[moved], W.skill[mv])
    _hukou_transfers(m)
    _talent_subsidy_cost(m)


def _hukou_transfers(m: CZTModel) -> None:
    W, p, rng = m.workers, m.p, m.rng
    rate = np.where(W.skill == TALENT, min(1.0, 5 * p["hukou_transfer_rate"]), p["hukou_transfer_rate"])
    cand = W.alive & (W.hukou != W.residence) & (m.steps - W.arrived_step >= SUBSIDY_QUARTERS)
    go = np.flatnonzero(cand & (rng.random(W.n) < rate))
    W.log(m.steps, go, HUKOU, W.hukou[go], W.residence[go])
    W.hukou[go] = W.residence[go]


def _talent_subsidy_cost(m: CZTModel) -> None:
    """Subsidies owed this quarter (100m yuan) to talent in their first two years in a city."""
    W = m.workers
    new = W.alive & (W.skill == TALENT) & (m.steps - W.arrived_step < SUBSIDY_QUARTERS)
    rows = np.flatnonzero(new)
    res = W.residence[rows].astype(np.int64)
    elig = eligibility(m, W.hukou[rows].astype(np.int64))[np.arange(len(rows)), res]
    yuan = _talent_subsidy(m)[res] / 4 * elig * m.persons_per_agent
    m.talent_subsidy_cost = np.bincount(res, weights=yuan, minlength=3) / 1e8
