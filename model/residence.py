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
from model import kernels, kernels_reference, rules
from model.identity import CORE, N_CITIES, OUTSIDE
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


def consumption(m: CZTModel, rows: np.ndarray, with_subsidy: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Annual consumption (yuan) of each worker in each city, and whether that city is open to it: (n, cities).
    ``with_subsidy=False``: without the talent subsidy (the governments' prediction adds its own). The numpy twin of
    the residence kernels computes it (``kernels_reference.residence_consumption``), from the same rules."""
    return kernels_reference.residence_consumption(rows, *utility_inputs(m, with_subsidy))


def budget(m: CZTModel, rows: np.ndarray) -> kernels_reference.ResidenceBudget:
    """The parts of each worker's consumption in each city, the talent subsidy left open: its ``consumption(subsidy)``
    prices any profile of the cities' subsidies by the agents' own rule (the governments' talent game)."""
    return kernels_reference.residence_budget(rows, *utility_inputs(m))


def utility(m: CZTModel, rows: np.ndarray, with_moving_cost: bool = True) -> np.ndarray:
    """Residence utility (``rules.residence_utility``) of each worker of ``rows`` in each city: (n, cities), for
    many (often hypothetical) workers at once, by the kernels' numpy twin (numpy's log)."""
    return kernels_reference.residence_utilities(rows, with_moving_cost, *utility_inputs(m))


def calibrate(m: CZTModel, iterations: int = 60) -> None:
    """Amenities per (city, skill) that make 2019 a steady state: expected moves between cities balance.

    Fixed-point iteration on a sample of workers: a city with net expected inflow gets a lower amenity. Only the
    amenity changes between iterations, so the rest of the utility (log consumption, the moving penalty, whether
    the job is in reach) is computed once; each iteration applies the residence rule (``rules.residence_utility``,
    the kernel's own) to it, so the utilities are the kernel's to the last bit.
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
        prob = rules.softmax(rules.residence_utility(log_c, R.amenity.T[skill], beta, penalty, feasible))
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
    penalty = rules.moving_penalty(move, (skill == TALENT)[:, None], p["moving_cost"], p["talent_benefit_loss"],
                                   p["talent_recognition"])
    return np.where(feasible, log_c, 0.0), penalty, feasible


def utility_inputs(m: CZTModel, with_subsidy: bool = True) -> tuple:
    """The arrays and scalars of the residence utility, as model.kernels takes them (after the rows and the moving-cost
    flag). ``with_subsidy=False``: every city's talent subsidy set to nothing."""
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
            m.geography.commute_feasible, _talent_subsidy(m) if with_subsidy else np.zeros(N_CITIES),
            m.fiscal.public_service_index, m.land.housing_cost,
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
