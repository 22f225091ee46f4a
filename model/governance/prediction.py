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
from model import demography, kernels, residence
from model.governance.objective import revenue_of
from model.identity import N_CITIES, OUTSIDE, SECTORS
from model.location import MOBILE, NEGATIVE_LIST_STEP, best_parks, sector_presence
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
    for k in np.flatnonzero(MOBILE & (n_sec > 0)).tolist():
        probe = live[sec_live == k][:1]
        for d in range(C):
            pk = int(best_parks(m, probe, d, np.full(1, -1), np.zeros(1))[0])
            if pk >= 0:
                V0[k, d] = float(optimal_profit(m, probe, np.full(1, d), np.full(1, pk), new=True)[0])
                dV[k, d] = 4 * float(optimal_output(m, probe, np.full(1, d), np.full(1, pk))[0]) * bid[d]
    # relocation: the largest cohort of each (sector, city) stands for the city's reviewers of that sector
    movers = np.zeros((K, C))
    pi_here = np.ones((K, C))
    pi_dest = np.full((K, C, C), -np.inf)
    dpi = np.zeros((K, C, C))
    eligible = MOBILE[F.sector] & F.alive & (m.steps - F.arrived_step >= p["min_stay_quarters"])
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
            for d in range(C):
                if d == o:
                    continue
                pk = int(best_parks(m, probe, d, here, np.zeros(1))[0])
                if pk >= 0:
                    pi_dest[k, o, d] = float(optimal_profit(m, probe, np.full(1, d), np.full(1, pk), new=True)[0])
                    dpi[k, o, d] = 4 * float(optimal_output(m, probe, np.full(1, d), np.full(1, pk))[0]) * bid[d]
    key = sec_live * C + F.city[live]
    n_est_sc = np.bincount(key, weights=F.n_est[live], minlength=K * C).reshape(K, C)
    va_sc = np.bincount(key, weights=F.value_added[live], minlength=K * C).reshape(K, C)
    left = np.clip(p["new_arrival_quarters"] - (m.steps - F.arrived_step[live]), 0, None)
    horizon = float(p["government_horizon_years"])
    young = np.bincount(F.city[live], weights=F.value_added[live] * np.minimum(left, 4 * horizon), minlength=C)
    return FirmGame(m.governance.incentive.copy(), arrive, np.log(np.maximum(sector_presence(m), 1e-3)), V0, dV,
                    movers, pi_here, pi_dest, dpi, enclave_kept_matrix(m), 4 * va_sc / np.maximum(n_est_sc, 1),
                    young, bid, horizon, min(p["new_arrival_quarters"] / 4, horizon))


def enclave_kept_matrix(m: CZTModel, kept: np.ndarray | None = None) -> np.ndarray:
    """(origins, destinations): the kept share of the origin for moves into an open enclave park it sponsors there."""
    L = m.land
    kept = m.governance.kept if kept is None else kept
    out = np.zeros((N_CITIES, N_CITIES))
    for j in np.flatnonzero((L.sponsor >= 0) & L.open).tolist():
        o, d = int(L.sponsor[j]), int(L.city[j])
        out[o, d] = max(out[o, d], float(kept[j]))
    return out


def _softmax_last(u: np.ndarray) -> np.ndarray:
    top = np.max(u, axis=-1, keepdims=True)
    e = np.where(np.isfinite(u), np.exp(u - np.where(np.isfinite(top), top, 0.0)), 0.0)
    tot = e.sum(axis=-1, keepdims=True)
    return np.where(tot > 0, e / np.where(tot > 0, tot, 1.0), 0.0)


def firm_flows(m: CZTModel, g: FirmGame, s: np.ndarray, kept: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted arrivals (profiles, sectors, cities), moves (profiles, sectors, origins, destinations) and net
    establishments gained (profiles, sectors, cities) per year under intensity profiles ``s`` (profiles, cities):
    the entry logit of ``model.location`` and the nested logit of its relocation review, for the probes."""
    p = m.p
    ds = s - g.s0[None, :]
    V = g.V0[None] + g.dV[None] * ds[:, None, :]
    ok = np.isfinite(g.V0)[None]
    best = np.max(np.where(ok, V, -np.inf), axis=2, keepdims=True)
    best = np.where(np.isfinite(best), np.abs(best), 1.0)
    u = np.where(ok, g.ln_presence[None] + p["entry_logit_scale"] * (V / np.maximum(best, 1e-12) - 1), -np.inf)
    arrivals = g.arrive[None, :, None] * _softmax_last(u)
    H, b = p["profit_horizon_years"], p["branch_share"]
    rel_cut = 1.0 - p["negative_list_cost_cut"] * NEGATIVE_LIST_STEP[p["market_access_list"]]
    br_cut = 1.0 - p["licence_cost_cut"] if p["licence_recognition"] else 1.0
    base = np.maximum(np.abs(g.pi_here), 1e-12)
    pi_d = g.pi_dest[None] + g.dpi[None] * ds[:, None, None, :]
    gain = (pi_d - g.pi_here[None, :, :, None]) / base[None, :, :, None]
    kk = (g.kept if kept is None else kept)[None, None]
    mult = (1 + s[:, None, :, None] * (1 - kk)) * (1 - p["sponsor_relief"] * kk)
    finite = np.isfinite(g.pi_dest)[None]
    v_rel = np.where(finite, gain - p["relocation_cost"] * rel_cut * mult / H, -np.inf)
    v_br = np.where(finite, b * (gain - p["branch_cost"] * br_cut * mult / H), -np.inf)
    p_dest = _softmax_last(p["entry_logit_scale"] * np.maximum(v_rel, v_br))  # (P, K, O, D)
    lam = p["location_logit_scale"]
    top = np.maximum(np.where(finite, np.maximum(v_rel, v_br), 0.0), 0.0)
    e_stay = np.exp(-lam * top)
    e_rel = np.where(finite, np.exp(lam * (np.where(finite, v_rel, 0.0) - top)), 0.0)
    e_br = np.where(finite, np.exp(lam * (np.where(finite, v_br, 0.0) - top)), 0.0)
    moves = np.where(finite, g.movers[None, :, :, None] * p_dest * (e_rel + b * e_br) / (e_stay + e_rel + e_br), 0.0)
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
    base_u: np.ndarray  # (n, cities) amenity and moving costs, log-points
    consumption: np.ndarray  # (n, cities) yuan per year without the subsidy
    subsidy_factor: np.ndarray  # (n, cities) yuan of consumption per yuan/yr of the city's subsidy
    current: np.ndarray  # (n,) residence, -1 for newcomers from outside the cluster
    feasible: np.ndarray  # (n, cities)
    eligible_persons: np.ndarray  # (cities,) persons now receiving the subsidy (eligibility-weighted)
    value: np.ndarray  # (cities,) value added a talent resident adds a year (marginal product), 100m yuan
    beta: float


def talent_game(m: CZTModel) -> TalentGame:
    """Build the talent game from the current state: a fixed sample of talent residents (``TALENT_SAMPLE``) and
    newcomers from outside the cluster, with their consumption and amenities net of the subsidies."""
    W, p = m.workers, m.p
    talent = np.flatnonzero(W.alive & (W.skill == TALENT))
    rows = talent[np.linspace(0, len(talent) - 1, TALENT_SAMPLE).astype(np.int64)] if len(talent) > TALENT_SAMPLE \
        else talent
    c, feasible = residence.consumption(m, rows, with_subsidy=False)
    hukou, cur = W.hukou[rows].astype(np.int64), W.residence[rows].astype(np.int64)
    rate = np.where(hukou == cur, p["residence_review_rate_local"], p["residence_review_rate_migrant"])
    weight = 4 * rate * len(talent) / max(len(rows), 1) * m.scale
    q, horizon = p["talent_subsidy_quarters"], p["subsidy_horizon_quarters"]
    r = np.arange(N_CITIES)[None, :]
    left = np.clip(q - (m.steps - W.arrived_step[rows]), 0, q) / horizon
    factor = residence.eligibility(m, hukou) * np.where(r == cur[:, None], left[:, None], q / horizon)
    move = r != cur[:, None]
    beta = p["migration_logit_scale"]
    base = m.residence.amenity[:, TALENT][None, :] / beta - \
        move * (p["moving_cost"] + p["talent_benefit_loss"] * (1 - p["talent_recognition"]))
    # newcomers from outside the cluster: eligible everywhere, choosing with the destination pull (model.demography)
    n_new = 200
    c_new, f_new = demography.newcomer_consumption(m, n_new)
    c = np.vstack([c, c_new])
    feasible = np.vstack([feasible, f_new])
    factor = np.vstack([factor, np.full((n_new, N_CITIES), q / horizon)])
    base = np.vstack([base, np.repeat((m.residence.amenity[:, TALENT] + m.migration.pull)[None, :] / beta, n_new, 0)])
    weight = np.concatenate([np.broadcast_to(weight, (len(rows),)), np.full(n_new, demography.talent_inflow_per_year(m) / n_new)])
    cur = np.concatenate([cur, np.full(n_new, -1)])
    elig = kernels.talent_subsidy_owed(W.alive, W.skill, W.hukou, W.residence, W.arrived_step, m.steps,
                                       p["talent_subsidy_quarters"], np.ones(N_CITIES), p["talent_recognition"],
                                       OUTSIDE, N_CITIES) * m.scale
    F = m.firms
    live = F.living
    eff = np.bincount(F.city[live], weights=effective_persons(m, live), minlength=N_CITIES)
    # the marginal product of an effective person (labour_elasticity x the average), times a talent's efficiency
    value = 4 * p["labour_elasticity"] * m.production.gdp_produced / np.maximum(eff, 1.0) * p["talent_efficiency"]
    return TalentGame(weight, base, c, factor, cur, feasible, elig, value, float(beta))


def talent_effects(m: CZTModel, g: TalentGame, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Credited GDP and net revenue gained per year, and subsidy outlays per year (100m yuan), under talent-subsidy
    profiles ``t`` (profiles, cities; yuan per talent per year)."""
    if not len(g.current):  # pragma: no cover - a cluster always has newcomers
        z = np.zeros_like(t)
        return z, z, z
    c = g.consumption[None] + t[:, None, :] * g.subsidy_factor[None]
    u = np.where(g.feasible[None], g.beta * (np.log(np.maximum(c, 1.0)) + g.base_u[None]), -np.inf)
    prob = _softmax_last(u)  # (P, n, C)
    stay = np.vstack([np.eye(N_CITIES), np.zeros((1, N_CITIES))])[g.current]  # newcomers (-1) stay nowhere
    d_res = ((prob - stay[None]) * g.weight[None, :, None]).sum(axis=1)  # persons gained per year
    arrivals = (prob * (1 - stay[None]) * g.weight[None, :, None]).sum(axis=1)
    years = m.p["talent_subsidy_quarters"] / 4
    outlay = t * (arrivals * years + g.eligible_persons[None]) / 1e8 / m.p["government_horizon_years"]
    d_gdp = d_res * g.value[None]
    return d_gdp, revenue_of(m, d_gdp, outlay), outlay
