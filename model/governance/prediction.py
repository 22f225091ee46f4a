"""What a government predicts its choices bring: the firms' and the workers' own choice rules applied to the current
state, with the rivals' choices held at last year's; nothing else is forecast.

- The firm game (:class:`FirmGame`): the entry and inward-investment logit and the relocation nested logit of
  ``model.location``, evaluated for probe establishments, as functions of the three cities' incentive intensities.
- The talent game (:class:`TalentGame`): the residence logit of ``model.residence`` for a fixed sample of talent
  workers and newcomers, as a function of the three cities' talent subsidies.

Each ``*_effects`` function returns, per profile of choices, the credited GDP and net revenue gained per year and
the outlays per year (100 million yuan), for the objective (``model.governance.objective``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.worker import TALENT
from model import demography, kernels, residence, rules
from model.governance.objective import revenue_of
from model.identity import N_CITIES, OUTSIDE, SECTORS
from model.kernels_reference import ResidenceBudget
from model.location import MOBILE, best_parks_by_city, sector_presence
from model.production import effective_persons, optimal_output, optimal_profit

if TYPE_CHECKING:
    from model.czt_model import CZTModel

TALENT_SAMPLE = 2000  # talent workers whose residence choice a government evaluates (a fixed, rng-free sample)


@dataclass(slots=True)
class FirmGame:
    """The firms' choice rules at this year's state, as functions of the three incentive intensities."""

    s0: np.ndarray  # intensities the profits below were evaluated at
    arrive: np.ndarray  # (sectors,) establishments choosing a city per year (entrants and inward arrivals)
    ln_presence: np.ndarray  # (sectors, cities)
    V0: np.ndarray  # (sectors, cities) annual profit of an arrival, -inf where no park has room
    dV: np.ndarray  # (sectors, cities) d V / d intensity of the city
    movers: np.ndarray  # (sectors, origins) establishments reviewing their location per year
    pi_here: np.ndarray  # (sectors, origins) annual profit where they are
    pi_dest: np.ndarray  # (sectors, origins, destinations) profit at the destination's best park, -inf if none
    dpi: np.ndarray  # (sectors, origins, destinations) d pi_dest / d destination's intensity
    kept: np.ndarray  # (origins, destinations) the origin's kept share for moves into an enclave it sponsors there
    va: np.ndarray  # (sectors, cities) annual value added per establishment
    young: np.ndarray  # (cities,) value added (100m yuan) of firms still in their incentive period, over it
    bid: np.ndarray  # (cities,) the incentive per unit intensity (share of value added)
    horizon: float  # years
    new_years: float  # years an arrival is paid incentives within the horizon


def firm_game(m: CZTModel) -> FirmGame:
    """Build the firm game from the current state (probes: one establishment per sector, and per sector and city)."""
    F, p = m.firms, m.p
    live = F.living
    K, C = len(SECTORS), N_CITIES
    sec_live = F.sector[live].astype(np.int64)
    n_sec = np.bincount(sec_live, weights=F.n_est[live], minlength=K)
    arrive = n_sec * (4 * p["firm_exit_rate"] + p["inward_investment_rate"]) * MOBILE
    bid = p["competition_incentive_scale"] * m.fiscal.fiscal_strength
    V0 = np.full((K, C), -np.inf)
    dV = np.zeros((K, C))
    # arrivals: one probe establishment per sector, its best park and profit in each city (as model.investment)
    sectors = np.flatnonzero(MOBILE & (n_sec > 0))
    if len(sectors):
        probes = np.array([live[sec_live == k][0] for k in sectors])
        _profits_at_best_parks(m, probes, np.full(len(probes), -1), bid, V0, dV, sectors, None)
    # relocation: the largest cohort of each (sector, city) stands for the city's reviewers of that sector
    movers = np.zeros((K, C))
    pi_here = np.ones((K, C))
    pi_dest = np.full((K, C, C), -np.inf)
    dpi = np.zeros((K, C, C))
    eligible = MOBILE[F.sector] & F.alive & (m.steps - F.arrived_step >= p["min_stay_quarters"])
    probes, ks, os_ = [], [], []
    for k in np.flatnonzero(MOBILE).tolist():
        for o in range(C):
            rows = np.flatnonzero(eligible & (F.sector == k) & (F.city == o))
            if not len(rows):
                continue
            probe = rows[np.argmax(F.n_est[rows])][None]
            movers[k, o] = 4 * p["location_review_rate"] * F.n_est[rows].sum()
            here = np.full(1, o)
            pi_opt = float(optimal_profit(m, probe, here, F.park[probe], new=False)[0])
            pi_here[k, o] = min(4 * float(F.profit[probe[0]]), pi_opt) if m.land.full[F.park[probe[0]]] else pi_opt
            probes.append(int(probe[0]))
            ks.append(k)
            os_.append(o)
    if probes:
        _profits_at_best_parks(m, np.array(probes), np.array(os_), bid, pi_dest, dpi, np.array(ks), np.array(os_))
    key = sec_live * C + F.city[live]
    n_est_sc = np.bincount(key, weights=F.n_est[live], minlength=K * C).reshape(K, C)
    va_sc = np.bincount(key, weights=F.value_added[live], minlength=K * C).reshape(K, C)
    left = np.clip(p["new_arrival_quarters"] - (m.steps - F.arrived_step[live]), 0, None)
    horizon = float(p["government_horizon_years"])
    young = np.bincount(F.city[live], weights=F.value_added[live] * np.minimum(left, 4 * horizon), minlength=C)
    return FirmGame(m.governance.incentive.copy(), arrive, rules.log_presence(sector_presence(m)), V0, dV,
                    movers, pi_here, pi_dest, dpi, enclave_kept_matrix(m), 4 * va_sc / np.maximum(n_est_sc, 1),
                    young, bid, horizon, min(p["new_arrival_quarters"] / 4, horizon))


def _profits_at_best_parks(m: CZTModel, probes: np.ndarray, origin: np.ndarray, bid: np.ndarray, value: np.ndarray,
                           slope: np.ndarray, k: np.ndarray, o: np.ndarray | None) -> None:
    """For each probe establishment, its annual profit as a newcomer at its best park in every other city than
    ``origin`` (``value``) and how that profit moves with the city's incentive intensity (``slope``: 4 x optimal
    output x the city's bid), written at [k, d] (arrivals) or [k, o, d] (movers from o); no park with room: left."""
    parks = best_parks_by_city(m, probes, origin, 0.0)
    i, d = np.nonzero((parks >= 0) & (np.arange(N_CITIES)[None, :] != origin[:, None]))
    if not len(i):
        return
    at = (k[i], d) if o is None else (k[i], o[i], d)
    value[at] = optimal_profit(m, probes[i], d, parks[i, d], new=True)
    slope[at] = 4 * optimal_output(m, probes[i], d, parks[i, d]) * bid[d]


def enclave_kept_matrix(m: CZTModel, kept: np.ndarray | None = None) -> np.ndarray:
    """(origins, destinations): the kept share of the origin for moves into an open enclave park it sponsors there."""
    L = m.land
    kept = m.governance.kept if kept is None else kept
    out = np.zeros((N_CITIES, N_CITIES))
    for j in np.flatnonzero((L.sponsor >= 0) & L.open).tolist():
        o, d = int(L.sponsor[j]), int(L.city[j])
        out[o, d] = max(out[o, d], float(kept[j]))
    return out


def firm_flows(m: CZTModel, g: FirmGame, s: np.ndarray, kept: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted arrivals (profiles, sectors, cities), moves (profiles, sectors, origins, destinations) and net
    establishments gained (profiles, sectors, cities) per year under intensity profiles ``s`` (profiles, cities):
    the entry logit of ``model.location`` and the nested logit of its relocation review, for the probes."""
    p = m.p
    ds = s - g.s0[None, :]
    V = g.V0[None] + g.dV[None] * ds[:, None, :]
    # the entrants' and inward investors' city logit, as model.location and model.investment apply it
    arrivals = g.arrive[None, :, None] * rules.softmax(rules.entry_utilities(g.ln_presence[None], V,
                                                                              p["entry_logit_scale"]))
    b = p["branch_share"]
    pi_d = g.pi_dest[None] + g.dpi[None] * ds[:, None, None, :]
    kk = (g.kept if kept is None else kept)[None, None]
    mult = rules.leave_cost_multiplier(s[:, None, :, None], kk, p["sponsor_relief"])
    finite = np.isfinite(g.pi_dest)[None]
    # the reviewers' nested logit over stay / relocate(d) / branch(d), as model.location.relocate_and_branch
    v_rel, v_br = rules.relocation_values(g.pi_here[None, :, :, None], pi_d, mult, p, finite, finite)
    probs = rules.location_choice_probabilities(rules.location_options(v_rel, v_br), p["entry_logit_scale"],
                                                p["location_logit_scale"])  # (P, K, O, 1 + 2D)
    moves = g.movers[None, :, :, None] * (probs[..., 1::2] + b * probs[..., 2::2])  # a branch moves b of one
    net = arrivals + moves.sum(axis=2) - moves.sum(axis=3)
    return arrivals, moves, net


def firm_effects(m: CZTModel, g: FirmGame, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Credited GDP and net revenue gained per year, and incentive outlays per year, (profiles, cities)."""
    arrivals, _, net = firm_flows(m, g, s)
    d_gdp = (net * g.va[None]).sum(axis=1)
    outlay = s * g.bid[None] * ((arrivals * g.va[None]).sum(axis=1) * g.new_years + g.young[None] / 4) / g.horizon
    return d_gdp, revenue_of(m, d_gdp, outlay), outlay


@dataclass(slots=True)
class TalentGame:
    """The residence logit of ``model.residence`` for a fixed sample of talent workers, subsidies apart."""

    weight: np.ndarray  # (n,) persons each sampled worker stands for among the year's reviewers
    budget: ResidenceBudget  # the n workers' consumption parts: their consumption under any subsidy profile
    penalty: np.ndarray  # (n, cities) moving penalty (rules.moving_penalty), log-points
    pull: np.ndarray  # (n, cities) destination pull of the newcomers (0 for residents), utility units
    current: np.ndarray  # (n,) residence, -1 for newcomers from outside the cluster
    eligible_persons: np.ndarray  # (cities,) persons now receiving the subsidy (eligibility-weighted)
    value: np.ndarray  # (cities,) value added a talent resident adds a year (marginal product), 100m yuan
    amenity: np.ndarray  # (cities,) talent amenity, utility units
    beta: float


def talent_game(m: CZTModel) -> TalentGame:
    """Build the talent game from the current state: a fixed sample of talent residents (``TALENT_SAMPLE``) and
    newcomers from outside the cluster, with their consumption parts (the subsidy left open) and moving penalties,
    so that any subsidy profile is priced by the workers' own rules (``model.rules``)."""
    W, p = m.workers, m.p
    talent = np.flatnonzero(W.alive & (W.skill == TALENT))
    rows = talent[np.linspace(0, len(talent) - 1, TALENT_SAMPLE).astype(np.int64)] if len(talent) > TALENT_SAMPLE \
        else talent
    hukou, cur = W.hukou[rows].astype(np.int64), W.residence[rows].astype(np.int64)
    rate = np.where(hukou == cur, p["residence_review_rate_local"], p["residence_review_rate_migrant"])
    weight = 4 * rate * len(talent) / max(len(rows), 1) * m.scale
    r = np.arange(N_CITIES)[None, :]
    penalty = rules.moving_penalty(r != cur[:, None], True, p["moving_cost"], p["talent_benefit_loss"],
                                   p["talent_recognition"])
    # newcomers from outside the cluster: eligible everywhere, choosing with the destination pull (model.demography)
    n_new = 200
    budget = ResidenceBudget.stack(residence.budget(m, rows), demography.newcomer_budget(m, n_new))
    penalty = np.vstack([penalty, np.zeros((n_new, N_CITIES))])
    pull = np.vstack([np.zeros((len(rows), N_CITIES)), np.repeat(m.migration.pull[None, :], n_new, 0)])
    weight = np.concatenate([np.broadcast_to(weight, (len(rows),)),
                             np.full(n_new, demography.talent_inflow_per_year(m) / n_new)])
    cur = np.concatenate([cur, np.full(n_new, -1)])
    elig = kernels.talent_subsidy_owed(W.alive, W.skill, W.hukou, W.residence, W.arrived_step, m.steps,
                                       p["talent_subsidy_quarters"], np.ones(N_CITIES), p["talent_recognition"],
                                       OUTSIDE, N_CITIES) * m.scale
    F = m.firms
    live = F.living
    eff = np.bincount(F.city[live], weights=effective_persons(m, live), minlength=N_CITIES)
    # the marginal product of an effective person (labour_elasticity x the average), times a talent's efficiency
    value = 4 * p["labour_elasticity"] * m.production.gdp_produced / np.maximum(eff, 1.0) * p["talent_efficiency"]
    return TalentGame(weight, budget, penalty, pull, cur, elig, value, m.residence.amenity[:, TALENT].copy(),
                      float(p["migration_logit_scale"]))


def talent_utilities(g: TalentGame, t: np.ndarray) -> np.ndarray:
    """Each sampled worker's residence utility in each city under each subsidy profile ``t`` (profiles, cities):
    (profiles, workers, cities), by the workers' rules (``rules.consumption``, ``rules.residence_utility``). A city's
    utility depends only on its own subsidy, and a best response varies one city at a time, so each distinct
    subsidy of each city is priced once and the profiles take their columns from those."""
    u = np.empty((t.shape[0], len(g.current), N_CITIES))
    for c in range(N_CITIES):
        values, which = np.unique(t[:, c], return_inverse=True)
        cons = g.budget.city_consumption(c, values)  # (values, workers)
        u[:, :, c] = (rules.residence_utility(np.log(cons), g.amenity[c], g.beta, g.penalty[:, c],
                                              g.budget.feasible[:, c]) + g.pull[:, c])[which.ravel()]
    return u


def talent_effects(m: CZTModel, g: TalentGame, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Credited GDP and net revenue gained per year, and subsidy outlays per year (100m yuan), under talent-subsidy
    profiles ``t`` (profiles, cities; yuan per talent per year): the residence logit of the workers
    (``rules.consumption``, ``rules.residence_utility``, ``rules.softmax``) for each profile."""
    if not len(g.current):  # pragma: no cover - a cluster always has newcomers
        z = np.zeros_like(t)
        return z, z, z
    prob = rules.softmax(talent_utilities(g, t))  # (P, n, C)
    chosen = np.einsum("pic,i->pc", prob, g.weight)  # persons choosing each city per year
    stayers = np.stack([prob[:, g.current == c, c] @ g.weight[g.current == c] for c in range(N_CITIES)], axis=1)
    d_res = chosen - np.bincount(g.current[g.current >= 0], weights=g.weight[g.current >= 0], minlength=N_CITIES)
    arrivals = chosen - stayers  # newcomers (current -1) stay nowhere: all of them arrive
    years = m.p["talent_subsidy_quarters"] / 4
    outlay = t * (arrivals * years + g.eligible_persons[None]) / 1e8 / m.p["government_horizon_years"]
    d_gdp = d_res * g.value[None]
    return d_gdp, revenue_of(m, d_gdp, outlay), outlay
