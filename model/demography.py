"""People entering and leaving the cluster: births, deaths, and migration with the rest of Hunan and the rest of China.

Per quarter and city: deaths at the national crude death rate, births at death rate + the city's recorded natural
growth of the year (``model/data/natural_growth.csv``; the 2019 rate after 2019), entering as new labour-market
members of their city, and unemployed workers leaving the cluster (to the region of their hukou;
natives split like the outside-hukou residents). Two regions lie outside (``model/data/regions.csv``), each with its
census population, its own wage and a flow of migrants into the cluster:

    in-migrants from region R per quarter = M_R * (N_R(t) / N_R(0)) * (wbar(t) / (wbar(0) * g(t))) ** epsilon

where M_R is the start year's gross flow (its share of the outside-hukou residents times the start year's gross
in-migration, which is the cluster's net in-migration plus the expected leavers), N_R the region's census-anchored
population, wbar the cluster's mean ordinary wage, g(t) the national productivity trend that the regions' wages
follow (their wages are the start year's levels times g: an assumption), epsilon ``in_migration_elasticity``.
A migrant chooses a city by the residence logit everyone uses (wage, housing, services, talent subsidy, amenity)
plus a destination pull ``Migration.pull[d]``. The pull is calibrated at the start so that the destinations of the
gross in-flow match the censuses: the net migration of each city over the last census decade completed at the start
(``pull_decade``: 2000-2010 for the hindcasts, whose 2020 census is then an out-of-sample test of the mechanism;
2010-2020 for the 2019 baseline), census change minus natural growth, plus its expected leavers. After the start the split moves with wages, unemployment, housing costs, services and
subsidies: Changsha's pull on the province is that logit, not a fixed share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from agents.worker import BORN, DIED, MOVE_IN, MOVE_OUT
from model import calibration as cal
from model import kernels, kernels_reference, rules
from model.identity import CITIES, N_CITIES, N_REGIONS, OUTSIDE, REGIONS
from model.production import tfp_trend
from model.residence import budget, utility
from model.sampling import stochastic_round

if TYPE_CHECKING:
    from model.czt_model import CZTModel

PROBE = 400  # hypothetical in-migrants whose utilities calibrate the destination pull (no rng use)


@dataclass(slots=True)
class Migration:
    """Migration with the outside regions: the start year's gross in-flow by region (worker agents per quarter),
    the cluster's mean ordinary wage (yuan per year), the regions' census-anchored residents (persons) and the
    destination pull (utility units of the residence logit, by city; calibrated)."""

    in_migration_0: np.ndarray = field(default_factory=lambda: np.zeros(N_REGIONS))
    mean_wage_0: float = 0.0
    region_population_0: np.ndarray = field(default_factory=lambda: np.zeros(N_REGIONS))
    pull: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    target_share: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))


def outside_split() -> np.ndarray:
    """Share of outside-hukou residents (and of the in-flow) from each region (regions.csv, an assumption)."""
    return _outside_split().copy()


@lru_cache(maxsize=None)
def _outside_split() -> np.ndarray:
    s = cal.region_table().loc[list(REGIONS), "outside_hukou_share"].to_numpy(dtype=float)
    return s / s.sum()


def pull_decade(start_year: int) -> tuple[int, int]:
    """The census decade the destination pull is set on: the last one completed at the start. The hindcasts (2005,
    2010) take 2000-2010, so the 2020 census they are scored on never sets the pull; the 2019 baseline takes
    2010-2020 (the latest census)."""
    return (2000, 2010) if start_year <= 2010 else (2010, 2020)


def natural_growth_by_city(year: float) -> np.ndarray:
    """Natural growth per year (fraction) of each city in ``year`` (``cal.natural_growth``, model/data/natural_growth.csv)."""
    return np.array([cal.natural_growth(city, year) for city in CITIES])


def census_destination_shares(m: CZTModel) -> np.ndarray:
    """Each city's share of the gross in-flow implied by the censuses: the net migration per year of the decade
    ``pull_decade`` (census change minus the city's recorded natural growth over the decade on the mean population)
    plus the expected leavers per year; at least a tenth of the leavers (some in-migration always reaches every
    city)."""
    p = m.p
    first, last = pull_decade(m.start_year)
    out = np.zeros(N_CITIES)
    for c, city in enumerate(CITIES):
        p0, p1 = cal.census_table().loc[(city, first)], cal.census_table().loc[(city, last)]
        natural = np.mean([cal.natural_growth(city, y) for y in range(first, last)])
        net = (p1 - p0) / 10 - natural * np.sqrt(p0 * p1)  # persons per year
        leavers = 4 * p["leave_rate_unemployed"] * p["unemployment_rate_0"] * cal.census_residents(city, m.start_year)
        out[c] = max(net + leavers, 0.1 * leavers)
    return out / out.sum()


def _probe_utilities(m: CZTModel) -> np.ndarray:
    """Residence utilities of hypothetical unemployed newcomers (the talent share of entrants, hukou outside):
    rows appended and rolled back, so the table and its ids are as before."""
    W = m.workers
    n_tal = int(round(PROBE * m.p["talent_share_of_entrants"]))
    skill = (np.arange(PROBE) < n_tal).astype(np.int8)
    n0, wid0 = W.n, W.next_wid
    rows = W.add(PROBE, skill=skill, hukou=np.full(PROBE, OUTSIDE), residence=np.zeros(PROBE), step=m.steps)
    try:
        return utility(m, rows, with_moving_cost=False)
    finally:
        W.alive[rows] = False
        W.n, W.next_wid = n0, wid0


def newcomer_budget(m: CZTModel, n: int = PROBE) -> kernels_reference.ResidenceBudget:
    """The residence budget (``residence.budget``) of ``n`` hypothetical talent newcomers from outside, unemployed on
    arrival, by city: rows appended and rolled back as in the probes above."""
    W = m.workers
    n0, wid0 = W.n, W.next_wid
    rows = W.add(n, skill=np.ones(n, dtype=np.int8), hukou=np.full(n, OUTSIDE), residence=np.zeros(n), step=m.steps)
    try:
        return budget(m, rows)
    finally:
        W.alive[rows] = False
        W.n, W.next_wid = n0, wid0


def talent_inflow_per_year(m: CZTModel) -> float:
    """Talent arriving from outside the cluster per year at the start year's rate (persons)."""
    return float(4 * m.migration.in_migration_0.sum() * m.p["talent_share_of_entrants"] * m.scale)


def calibrate(m: CZTModel, iterations: int = 50) -> None:
    """Start-year gross in-migration by region (net in-migration + expected leavers) and the destination pull."""
    p, M = m.p, m.migration
    n = m.city_population.sum()
    out_q = p["leave_rate_unemployed"] * p["unemployment_rate_0"] * n  # expected leavers per quarter, agents
    net_q = p["net_in_migration_10k"] * 1e4 / m.scale / 4
    M.in_migration_0 = (net_q + out_q) * outside_split()
    M.mean_wage_0 = float((m.labour.wage0[:, 0] * m.city_population).sum() / n)
    M.region_population_0 = np.array([cal.census_residents(r, m.start_year) for r in REGIONS])
    M.target_share = census_destination_shares(m)
    u = _probe_utilities(m)
    pull = np.zeros(N_CITIES)
    for _ in range(iterations):  # fixed point: log target share minus log expected share
        share = rules.softmax(u + pull[None, :]).mean(axis=0)
        pull += np.log(M.target_share / np.maximum(share, 1e-300))
        pull -= pull[0]
    M.pull = pull


def region_population(m: CZTModel) -> np.ndarray:
    """Residents of the outside regions this quarter (persons), on their census path."""
    year = m.start_year + (m.steps - 1) / 4
    return np.array([cal.census_residents(r, year) for r in REGIONS])


def step(m: CZTModel) -> None:
    """Deaths, unemployed leaving the cluster, births, in-migration from the rest of Hunan and the rest of China."""
    W, p, rng, rec = m.workers, m.p, m.rng, m.recorder
    t = m.steps
    # deaths, and unemployed leaving the cluster: to their hukou region, natives split like outside-hukou residents
    dead, leave = kernels.deaths_and_leavers(rng, W.alive, W.employer, p["death_rate"] / 4, p["leave_rate_unemployed"])
    W.log(t, dead, DIED, W.residence[dead], W.residence[dead])
    rec.flow_people("death", W.residence[dead], W.residence[dead], W.skill[dead])
    split = outside_split()
    native_to = OUTSIDE + np.searchsorted(np.cumsum(split)[:-1], rng.random(len(leave)), side="right")
    to = np.where(W.hukou[leave] >= OUTSIDE, W.hukou[leave], native_to).astype(np.int64)
    W.log(t, leave, MOVE_OUT, W.residence[leave], to)
    rec.flow_people("out_migration", W.residence[leave], to, W.skill[leave])
    # births (new entrants to the labour market of their city)
    pop = m.city_population
    natural = natural_growth_by_city(m.start_year + (m.steps - 1) / 4)
    births = stochastic_round(rng, pop * (natural + p["death_rate"]) / 4)
    city = np.repeat(np.arange(N_CITIES), births)
    skill = (rng.random(len(city)) < p["talent_share_of_entrants"]).astype(np.int8)
    rows = W.add(len(city), skill=skill, hukou=city, residence=city, step=t)
    W.log(t, rows, BORN, city, city)
    rec.flow_people("birth", city, city, skill)
    # in-migration from each outside region, responding to the cluster's wage relative to the regions' trend
    M = m.migration
    mean_wage = float((m.labour.wages[:, 0] * pop).sum() / max(pop.sum(), 1))
    rel = mean_wage / (M.mean_wage_0 * tfp_trend(m))
    expected = M.in_migration_0 * (region_population(m) / M.region_population_0) * rel ** p["in_migration_elasticity"]
    n_by_region = stochastic_round(rng, expected)
    n_in = int(n_by_region.sum())
    if n_in > 0:
        origin = np.repeat(OUTSIDE + np.arange(N_REGIONS), n_by_region)
        skill = (rng.random(n_in) < p["talent_share_of_entrants"]).astype(np.int8)
        rows = W.add(n_in, skill=skill, hukou=origin, residence=np.zeros(n_in), step=t)
        u = utility(m, rows, with_moving_cost=False) + M.pull[None, :] + rng.gumbel(size=(n_in, N_CITIES))
        dest = np.argmax(u, axis=1).astype(np.int8)
        W.residence[rows] = dest
        W.log(t, rows, MOVE_IN, origin, dest)
        rec.flow_people("in_migration", origin, dest, skill)
