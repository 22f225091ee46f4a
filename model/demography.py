"""People entering and leaving the cluster, so every resident is accounted for.

Per quarter and city: deaths at the national crude death rate, births at death rate + natural growth
(entering as new labour-market members of their city), unemployed workers leaving the cluster, and
in-migration from the rest of Hunan whose gross size is calibrated so that 2019 net in-migration
matches the Plan Outline figure and which responds to the cluster's real wage. Migrants choose a
city with the same residence logit as everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.worker import BORN, DIED, MOVE_IN, MOVE_OUT
from model import kernels
from model.identity import N_CITIES, OUTSIDE
from model.production import tfp_trend
from model.residence import utility
from model.sampling import stochastic_round

if TYPE_CHECKING:
    from model.czt_model import CZTModel

@dataclass(slots=True)
class Migration:
    """The start year's gross in-migration (worker agents per quarter) and mean ordinary wage (yuan per year)."""

    in_migration_0: float = 0.0
    mean_wage_0: float = 0.0


def calibrate(m: CZTModel) -> None:
    """Gross in-migration such that start-year net in-migration matches the Plan Outline figure."""
    p, M = m.p, m.migration
    n = m.city_population.sum()
    out_q = p["leave_rate_unemployed"] * p["unemployment_rate_0"] * n  # expected leavers per quarter, agents
    net_q = p["net_in_migration_10k"] * 1e4 / m.scale / 4
    M.in_migration_0 = net_q + out_q  # gross in-migration per quarter, agents
    M.mean_wage_0 = float((m.labour.wage0[:, 0] * m.city_population).sum() / n)


def step(m: CZTModel) -> None:
    """Deaths, unemployed leaving the cluster, births, in-migration from the rest of Hunan."""
    W, p, rng, rec = m.workers, m.p, m.rng, m.recorder
    t = m.steps
    # deaths, and unemployed leaving the cluster
    dead, leave = kernels.deaths_and_leavers(rng, W.alive, W.employer, p["death_rate"] / 4, p["leave_rate_unemployed"])
    W.log(t, dead, DIED, W.residence[dead], W.residence[dead])
    rec.flow_people("death", W.residence[dead], W.residence[dead], W.skill[dead])
    W.log(t, leave, MOVE_OUT, W.residence[leave], OUTSIDE)
    rec.flow_people("out_migration", W.residence[leave], np.full(len(leave), OUTSIDE), W.skill[leave])
    # births (new entrants to the labour market of their city)
    pop = m.city_population
    births = stochastic_round(rng, pop * (p["natural_growth"] + p["death_rate"]) / 4)
    city = np.repeat(np.arange(N_CITIES), births)
    skill = (rng.random(len(city)) < p["talent_share_of_entrants"]).astype(np.int8)
    rows = W.add(len(city), skill=skill, hukou=city, residence=city, step=t)
    W.log(t, rows, BORN, city, city)
    rec.flow_people("birth", city, city, skill)
    # in-migration from the rest of Hunan, responding to the cluster's wage level
    mean_wage = float((m.labour.wages[:, 0] * pop).sum() / max(pop.sum(), 1))
    growth = tfp_trend(m)
    rel = mean_wage / (m.migration.mean_wage_0 * growth)
    n_in = int(stochastic_round(rng, np.array([m.migration.in_migration_0 * rel ** p["in_migration_elasticity"]]))[0])
    if n_in > 0:
        skill = (rng.random(n_in) < p["talent_share_of_entrants"]).astype(np.int8)
        rows = W.add(n_in, skill=skill, hukou=np.full(n_in, OUTSIDE), residence=np.zeros(n_in), step=t)
        u = utility(m, rows, with_moving_cost=False) + rng.gumbel(size=(n_in, N_CITIES))
        dest = np.argmax(u, axis=1).astype(np.int8)
        W.residence[rows] = dest
        W.log(t, rows, MOVE_IN, OUTSIDE, dest)
        rec.flow_people("in_migration", np.full(n_in, OUTSIDE), dest, skill)
