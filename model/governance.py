"""City governments that decide (地方政府决策): objectives, yearly best responses, enclave agreements, the fund.

Regimes (``government_regime``):

- ``fixed``: the rules of earlier versions. Every city's incentive intensity is ``subsidy_competition``, talent
  subsidies are the levers', an enclave host pays with probability ``enclave_payment_prob``, no extra land.
- ``compete`` (各自为政): at the start of each year each government chooses, as a best response to the other two's
  choices of last year, its incentive intensity for arriving firms (the same intensity sets its resistance to its
  own firms leaving: 地方保护), its talent subsidy and its extra park land; each enclave host honours, renegotiates or
  refuses the agreement on the table; each sponsor supports its firms' moves into its enclaves as far as the shares
  it keeps are worth to it.
- ``provincial`` (省级统筹): the province chooses every city's instruments to maximise the cluster's objective and
  enforces the enclave agreements.

Objective (干部考核, the cadre evaluation): J_c = gdp_weight * dGDP_c / GDP_c + (1 - gdp_weight) * dRev_c / Rev_c,
per year over ``government_horizon_years``: credited GDP (after statistics sharing) and local revenue (after tax
sharing, the fund, and the outlays on incentives, talent subsidies and land). Prediction: a government applies the
firms' and the workers' own choice rules (the entry and inward-investment logit, the relocation nested logit, the
residence logit) to the current state, with the rivals' choices held at last year's; nothing else is forecast.
Decisions are taken on a grid (``model/data/governance.csv``), within ``outlay_budget_share`` of revenue.

The :class:`Governance` component owns the choices; ``production``, ``location``, ``fiscal``, ``residence`` and
``land`` read them. Money in 100 million yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from agents.worker import TALENT
from model import kernels
from model.identity import CORE, N_CITIES, OUTSIDE, SECTORS

if TYPE_CHECKING:
    from model.czt_model import CZTModel

INCENTIVE_STEPS = 21  # grid of incentive intensities 0 .. subsidy_cap
TALENT_STEPS = 21  # grid of talent subsidies 0 .. talent_subsidy_cap
TERMS_GRID = np.linspace(1.0, 0.0, 11)  # shares of the agreed enclave terms a host may offer, best first
TALENT_SAMPLE = 2000  # talent workers whose residence choice a government evaluates (a fixed, rng-free sample)


def _z() -> np.ndarray:
    return np.zeros(N_CITIES)


@dataclass(slots=True)
class Governance:
    """The governments' choices in force, one entry per city (parks: one per park)."""

    incentive: np.ndarray = field(default_factory=_z)  # intensity, subsidy_competition's unit (1 = 10% of VA)
    talent_subsidy: np.ndarray = field(default_factory=_z)  # yuan per talent per year, first two years
    land_release: np.ndarray = field(default_factory=_z)  # extra growth of the city's park land this year, per year
    terms: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per park: share of the agreed enclave shares
    honour: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per park: the host pays
    kept: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per park: sponsor's kept share of a mover's value
    predicted_gain: np.ndarray = field(default_factory=_z)  # objective gain the chosen decisions were predicted to bring
    fund_in: np.ndarray = field(default_factory=_z)  # contributions to the integration fund this quarter
    fund_out: np.ndarray = field(default_factory=_z)  # payouts of the fund this quarter
    land_cost: np.ndarray = field(default_factory=_z)  # land development outlays this quarter
    province_fund: float = 0.0  # the province's contribution this quarter (fund_payer = province)
    decisions: list[dict] = field(default_factory=list)  # one entry per city and year (and per enclave agreement)


# ---------------------------------------------------------------------------------------------- fixed rules
def _lever_subsidies(p) -> np.ndarray:
    return np.array([p["talent_subsidy_changsha"] if c == CORE else p["talent_subsidy_periphery"]
                     for c in range(N_CITIES)])


def apply_rules(m: CZTModel) -> None:
    """The levers' values as the choices (the fixed regime; and every regime's starting point)."""
    G, p, L = m.governance, m.p, m.land
    G.incentive = np.full(N_CITIES, float(min(p["subsidy_competition"], p["subsidy_cap"])))
    G.talent_subsidy = np.minimum(_lever_subsidies(p), p["talent_subsidy_cap"])
    G.land_release = np.zeros(N_CITIES)
    G.terms = np.where(L.sponsor >= 0, 1.0, 0.0)
    G.honour = L.sponsor >= 0
    G.kept = np.where(L.sponsor >= 0, p["enclave_tax_share"] * p["enclave_payment_prob"], 0.0)


# ---------------------------------------------------------------------------------------------- the objective
def weights(m: CZTModel) -> tuple[np.ndarray, np.ndarray]:
    """Objective weight of 100m yuan a year of credited GDP and of net revenue, by city (weight / the annual level)."""
    w = m.p["gdp_weight"]
    gdp = np.maximum(4 * m.fiscal.gdp_credited, 1e-9)
    rev = np.maximum(4 * m.fiscal.tax_after_sharing, 1e-9)
    return w / gdp, (1 - w) / rev


def population_shares(m: CZTModel) -> np.ndarray:
    """The fund's fixed key (``fund_rewards = cluster_total``): each city's share of the start year's residents."""
    pop0 = m.land.population_0.astype(float)
    return pop0 / max(pop0.sum(), 1.0)


def revenue_of(m: CZTModel, d_gdp: np.ndarray, outlays: np.ndarray) -> np.ndarray:
    """Net revenue gained per year (profiles, cities) from credited GDP gained ``d_gdp``, after the fund's rule:
    contributions take ``integration_fund_share`` of own revenue (payer ``cities``); payouts follow the cluster's
    revenue by a fixed key (``cluster_total``) or own credited GDP (``own_gdp``, first order)."""
    p, tau = m.p, m.p["local_tax_rate"]
    f = p["integration_fund_share"]
    own = tau * d_gdp
    rev = own * (1 - f) if f > 0 and p["fund_payer"] == "cities" else own
    if f > 0 and p["fund_rewards"] == "cluster_total":
        rev = rev + f * population_shares(m)[None] * own.sum(axis=1, keepdims=True)
    elif f > 0 and p["fund_rewards"] == "own_gdp":
        pool = f * 4 * m.fiscal.tax_after_sharing.sum()
        rev = rev + pool * d_gdp / max(4 * m.fiscal.gdp_credited.sum(), 1e-9)
    return rev - outlays


def objective(m: CZTModel, d_gdp: np.ndarray, d_rev: np.ndarray) -> np.ndarray:
    """Each city's objective (profiles, cities): cadre-evaluation weights on its GDP and revenue growth."""
    wg, wr = weights(m)
    return wg[None] * d_gdp + wr[None] * d_rev


def cluster_objective(m: CZTModel, d_gdp: np.ndarray, d_rev: np.ndarray) -> np.ndarray:
    """The province's objective (profiles,): the same weights on the cluster's totals (省级统筹)."""
    w = m.p["gdp_weight"]
    gdp = max(4 * m.fiscal.gdp_credited.sum(), 1e-9)
    rev = max(4 * m.fiscal.tax_after_sharing.sum(), 1e-9)
    return w * d_gdp.sum(axis=1) / gdp + (1 - w) * d_rev.sum(axis=1) / rev


# ---------------------------------------------------------------------------------------------- the firm game
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
    from model.location import MOBILE, best_parks, sector_presence
    from model.production import optimal_output, optimal_profit

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
    from model.location import NEGATIVE_LIST_STEP

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


# ---------------------------------------------------------------------------------------------- the talent game
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
    from model import demography, residence
    from model.production import effective_persons

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


# ---------------------------------------------------------------------------------------------- choosing
def _argmax(values: np.ndarray) -> int:
    """Index of the best value, the first among values equal to 1e-10 of the largest magnitude: a choice must not
    turn on the last bits, which differ between numpy's CPU code paths (tests/test_cpu_paths.py)."""
    finite = np.isfinite(values)
    if not finite.any():
        return 0
    q = 1e-10 * max(float(np.max(np.abs(values[finite]))), 1e-300)
    return int(np.argmax(np.where(finite, np.round(values / q), -np.inf)))


def _at_least(a: float, b: float) -> bool:
    """a >= b, up to 1e-10 of their magnitude (see _argmax)."""
    return a >= b - 1e-10 * max(abs(a), abs(b), 1e-300)


def best_responses(m: CZTModel, effects, current: np.ndarray, grid: np.ndarray,
                   budget: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each city's best choice on ``grid`` with the other two at ``current`` (outlays within ``budget``); ties go
    to the lower value. Returns the choices and each one's predicted objective gain over keeping ``current``."""
    out, gain = current.copy(), np.zeros(N_CITIES)
    n = len(grid)
    # every city's deviations and the current profile in one batch (one evaluation of the game, not four)
    prof = np.repeat(current[None, :], N_CITIES * n + 1, axis=0)
    for c in range(N_CITIES):
        prof[c * n:(c + 1) * n, c] = grid
    d_gdp, d_rev, outlay = effects(prof)
    J_all = objective(m, d_gdp, d_rev)
    J0 = J_all[-1]
    for c in range(N_CITIES):
        rows = slice(c * n, (c + 1) * n)
        J = np.where(outlay[rows, c] <= budget[c], J_all[rows, c], -np.inf)
        k = _argmax(J)
        out[c], gain[c] = grid[k], float(J[k] - J0[c])
    return out, gain


def cluster_choice(m: CZTModel, effects, current: np.ndarray, grid: np.ndarray, budget: np.ndarray,
                   rounds: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The province's choice for all three cities: coordinate ascent on the cluster objective."""
    x = current.copy()
    for _ in range(rounds):
        for c in range(N_CITIES):
            prof = np.repeat(x[None, :], len(grid), axis=0)
            prof[:, c] = grid
            d_gdp, d_rev, outlay = effects(prof)
            ok = (outlay <= budget[None, :]).all(axis=1)
            x[c] = grid[_argmax(np.where(ok, cluster_objective(m, d_gdp, d_rev), -np.inf))]
    J = objective(m, *effects(np.stack([current, x]))[:2])
    return x, J[1] - J[0]


def equilibrium(m: CZTModel, effects, start: np.ndarray, grid: np.ndarray, budget: np.ndarray,
                max_rounds: int = 50) -> tuple[np.ndarray, int]:
    """Iterate simultaneous best responses of the stage game to a fixed point (or ``max_rounds``): the rest point
    of the yearly adjustment if the state held still. Returns the profile and the rounds it took."""
    x = start.copy()
    for k in range(max_rounds):
        y, _ = best_responses(m, effects, x, grid, budget)
        if np.array_equal(y, x):
            return x, k
        x = y
    return x, max_rounds


# ---------------------------------------------------------------------------------------------- enclaves
def enclave_shares(m: CZTModel) -> tuple[np.ndarray, np.ndarray]:
    """Per park: the tax share and the statistics share paid to the sponsor this quarter (terms in force)."""
    p, G = m.p, m.governance
    return p["enclave_tax_share"] * G.terms, p["enclave_stat_share"] * G.terms


def _eligible_value_added(m: CZTModel) -> np.ndarray:
    """Per park: annual value added of the firms whose taxes and statistics are shared (fiscal.share_taxes's rule)."""
    F, p = m.firms, m.p
    live = F.living
    sponsor = m.land.sponsor[F.park[live]]
    ok = (sponsor >= 0) & ((F.origin_city[live] == sponsor) | (F.born_step[live] == F.arrived_step[live])) & \
        ((m.steps - F.arrived_step[live]) < 4 * p["enclave_duration_years"])
    return 4 * np.bincount(F.park[live], weights=F.value_added[live] * ok, minlength=m.land.n)


def sponsor_kept(m: CZTModel, sponsor: int, terms: float) -> float:
    """The sponsor's kept share of a leaving firm's worth to it (objective weights), over the horizon, if it moves
    into the sponsor's enclave under ``terms`` of the agreed shares and the host honours them."""
    p = m.p
    wg, wr = weights(m)
    tau = p["local_tax_rate"]
    worth = wg[sponsor] + wr[sponsor] * tau
    kept = terms * (wr[sponsor] * tau * p["enclave_tax_share"] + wg[sponsor] * p["enclave_stat_share"]) / worth
    return float(kept * min(p["enclave_duration_years"], p["government_horizon_years"]) / p["government_horizon_years"])


def decide_enclaves(m: CZTModel, g: FirmGame) -> None:
    """Each open enclave park with agreed shares: the host offers the largest share of the agreed terms at which
    keeping the sponsor's support is worth what it pays (1: honoured; less: renegotiated; 0: refused or lapsed);
    the sponsor accepts any positive share and supports its firms' moves as far as what it keeps is worth to it.
    Under provincial coordination the agreement is enforced as agreed."""
    G, L, p = m.governance, m.land, m.p
    parks = np.flatnonzero((L.sponsor >= 0) & L.open)
    if p["enclave_tax_share"] == 0 and p["enclave_stat_share"] == 0:
        G.terms[parks], G.honour[parks], G.kept[parks] = 1.0, True, 0.0
        return
    wg, wr = weights(m)
    tau, horizon = p["local_tax_rate"], p["government_horizon_years"]
    dur = min(p["enclave_duration_years"], horizon) / horizon
    va_elig = _eligible_value_added(m)
    for j in parks.tolist():
        o, h = int(L.sponsor[j]), int(L.city[j])
        if p["government_regime"] == "provincial":
            G.terms[j], G.honour[j], G.kept[j] = 1.0, True, sponsor_kept(m, o, 1.0)
            continue
        best = 0.0
        for r in TERMS_GRID[:-1].tolist():
            kept = g.kept.copy()
            kept[o, h] = sponsor_kept(m, o, r)
            unsupported = g.kept.copy()
            unsupported[o, h] = 0.0
            moves_s = firm_flows(m, g, G.incentive[None, :], kept)[1][0, :, o, h]
            moves_0 = firm_flows(m, g, G.incentive[None, :], unsupported)[1][0, :, o, h]
            extra = float(((moves_s - moves_0) * g.va[:, h]).sum())  # value added a year the support brings
            worth = extra * (wg[h] * (1 - r * p["enclave_stat_share"] * dur) +
                             wr[h] * tau * (1 - r * p["enclave_tax_share"] * dur))
            pay = r * va_elig[j] * (wg[h] * p["enclave_stat_share"] + wr[h] * tau * p["enclave_tax_share"])
            pay -= r * cooperation_reward(m, h, va_elig[j] * tau * p["enclave_tax_share"]) * wr[h]
            if _at_least(worth, pay):
                best = r
                break
        G.terms[j], G.honour[j] = best, best > 0
        G.kept[j] = sponsor_kept(m, o, best) if best > 0 else 0.0


def cooperation_reward(m: CZTModel, city: int, shared: float) -> float:
    """Payout (100m yuan a year) the fund (``fund_rewards = cooperation``) adds for ``shared`` taxes paid a year."""
    p = m.p
    f = p["integration_fund_share"]
    if f <= 0 or p["fund_rewards"] != "cooperation":
        return 0.0
    pool = f * 4 * float(m.fiscal.tax_after_sharing.sum())
    score = 4 * float((m.fiscal.tax_shared_out + m.fiscal.tax_shared_in).sum())
    return pool * shared / max(score + shared, 1e-9)


# ---------------------------------------------------------------------------------------------- land
def decide_land(m: CZTModel, g: FirmGame) -> np.ndarray:
    """Extra park land per city (share of its industrial park land a year): the shortfall of free land against the
    land next year's predicted industrial arrivals need, released when what they bring is worth its development
    cost (``land_development_cost_yuan_per_ha``), up to ``land_release_max``."""
    from model.identity import SECTOR_KIND
    from model.land import free_land, land_ha_per_agent

    L, p, F = m.land, m.p, m.firms
    industrial = np.array([SECTOR_KIND[s] == "secondary" for s in SECTORS])
    live = F.living
    staff = np.bincount(F.sector[live], weights=(F.n_ordinary + F.n_talent)[live], minlength=len(SECTORS))
    n_est = np.bincount(F.sector[live], weights=F.n_est[live], minlength=len(SECTORS))
    ha_per_est = staff / np.maximum(n_est, 1) * land_ha_per_agent(m, np.arange(len(SECTORS)))
    arrivals, moves, _ = firm_flows(m, g, m.governance.incentive[None, :])
    inflow = arrivals[0] + moves[0].sum(axis=1)  # (sectors, cities)
    need = (inflow * (ha_per_est * industrial)[:, None]).sum(axis=0)
    free = free_land(m)
    park = (~L.is_urban) & L.open
    wg, wr = weights(m)
    tau, cost_ha = p["local_tax_rate"], p["land_development_cost_yuan_per_ha"] / 1e8
    out = np.zeros(N_CITIES)
    for c in range(N_CITIES):
        mine = park & (L.city == c)
        cap = float(L.capacity_ha[mine].sum())
        short = need[c] - float(np.maximum(free[mine], 0).sum())
        if short <= 0 or cap <= 0:
            continue
        va_ha = float((inflow[:, c] * g.va[:, c] * industrial).sum()) / max(need[c], 1e-9)  # 100m yuan a year per ha
        if p["government_regime"] == "provincial":  # the province counts land free anywhere in the cluster
            short = max(need.sum() - float(np.maximum(free[park], 0).sum()), 0.0) * need[c] / max(need.sum(), 1e-9)
        worth = va_ha * (wg[c] + wr[c] * tau) * g.horizon
        if short > 0 and not _at_least(wr[c] * cost_ha, worth):
            out[c] = min(short / cap, p["land_release_max"])
    return out


# ---------------------------------------------------------------------------------------------- the yearly decision
def decide(m: CZTModel) -> None:
    """The governments' yearly choices (called at the start of each year; the fixed regime reads the levers)."""
    G, p = m.governance, m.p
    if p["government_regime"] == "fixed":
        apply_rules(m)
        _log(m)
        return
    budget = p["outlay_budget_share"] * 4 * np.maximum(m.fiscal.tax_after_sharing, 0.0)
    fg = firm_game(m)
    tg = talent_game(m)
    s_grid = np.linspace(0.0, p["subsidy_cap"], INCENTIVE_STEPS)
    t_grid = np.linspace(0.0, p["talent_subsidy_cap"], TALENT_STEPS)
    firm = lambda s: firm_effects(m, fg, s)  # noqa: E731
    talent = lambda t: talent_effects(m, tg, t)  # noqa: E731
    s_now = np.minimum(G.incentive, p["subsidy_cap"])
    t_now = np.minimum(G.talent_subsidy, p["talent_subsidy_cap"])
    # each instrument's outlays share the budget in proportion to the other's current outlay
    t_out = talent(t_now[None, :])[2][0]
    s_out = firm(s_now[None, :])[2][0]
    if p["government_regime"] == "provincial":
        s, gs = cluster_choice(m, firm, s_now, s_grid, np.maximum(budget - t_out, 0.0))
        t, gt = cluster_choice(m, talent, t_now, t_grid, np.maximum(budget - s_out, 0.0))
    else:
        s, gs = best_responses(m, firm, s_now, s_grid, np.maximum(budget - t_out, 0.0))
        t, gt = best_responses(m, talent, t_now, t_grid, np.maximum(budget - s_out, 0.0))
    # policy inertia: a government closes ``policy_adjustment`` of the gap to its best response a year (1: myopic
    # best response). Without it the talent subsidies cycle: a periphery city's payoff is convex in its subsidy
    # (its share of newcomers is small, the residence logit steep), so its best response jumps between 0 and the
    # cap as Changsha's subsidy crosses a threshold, and Changsha's follows.
    theta = p["policy_adjustment"]
    G.incentive = np.minimum(s_now + theta * (s - s_now), p["subsidy_cap"])
    G.talent_subsidy = np.minimum(t_now + theta * (t - t_now), p["talent_subsidy_cap"])
    G.predicted_gain = gs + gt
    if p["enclave_tax_share"] > 0 or p["enclave_stat_share"] > 0:  # the game again only if an agreement is at stake
        decide_enclaves(m, firm_game(m) if not np.array_equal(G.incentive, s_now) else fg)
    else:
        decide_enclaves(m, fg)  # no shares agreed: sets the parks' terms without using the game
    G.land_release = decide_land(m, fg)
    _log(m)


def _log(m: CZTModel) -> None:
    """The year's choices, for run.json, the report and the app (``decisions_frame``)."""
    G, L, p = m.governance, m.land, m.p
    year = m.year
    G.decisions = [e for e in G.decisions if e["year"] != year]  # a phase switch at a year's start re-decides that year
    for c in range(N_CITIES):
        G.decisions.append({"year": year, "kind": "city", "city": m.cities[c], "regime": p["government_regime"],
                      "incentive_intensity": float(G.incentive[c]), "talent_subsidy_yuan": float(G.talent_subsidy[c]),
                      "land_release_share": float(G.land_release[c]), "predicted_gain": float(G.predicted_gain[c])})
    if p["enclave_tax_share"] > 0 or p["enclave_stat_share"] > 0:
        for j in np.flatnonzero((L.sponsor >= 0) & L.open).tolist():
            G.decisions.append({"year": year, "kind": "enclave", "park": L.park_id[j], "sponsor": m.cities[int(L.sponsor[j])],
                          "city": m.cities[int(L.city[j])], "regime": p["government_regime"],
                          "terms": float(G.terms[j]), "honoured": bool(G.honour[j]), "kept": float(G.kept[j])})


def respect_caps(m: CZTModel) -> None:
    """A phase switch: the fixed regime reads the new levers; a deciding one keeps its choices within new caps."""
    G, p = m.governance, m.p
    if p["government_regime"] == "fixed":
        apply_rules(m)
        return
    G.incentive = np.minimum(G.incentive, p["subsidy_cap"])
    G.talent_subsidy = np.minimum(G.talent_subsidy, p["talent_subsidy_cap"])
    G.land_release = np.minimum(G.land_release, p["land_release_max"])


# ---------------------------------------------------------------------------------------------- the fund
def fund_flows(m: CZTModel) -> None:
    """This quarter's integration fund (区域一体化发展专项支持基金): ``integration_fund_share`` of the cities' revenue
    after sharing, paid by the cities in proportion to revenue, by the province out of its investment pool, or by
    Changsha alone (``fund_payer``); paid out by the start year's residents (``cluster_total``: every city's
    payout follows the cluster's revenue), by credited GDP (``own_gdp``) or by taxes shared through enclave
    agreements, paid and received (``cooperation``; by residents while no one shares)."""
    G, F, p = m.governance, m.fiscal, m.p
    f = p["integration_fund_share"]
    G.fund_in, G.fund_out, G.province_fund = np.zeros(N_CITIES), np.zeros(N_CITIES), 0.0
    if f <= 0:
        return
    rev = np.maximum(F.tax_after_sharing, 0.0)
    pool = f * float(rev.sum())
    if p["fund_payer"] == "cities":
        G.fund_in = f * rev
    elif p["fund_payer"] == "changsha":
        G.fund_in[CORE] = pool
    else:
        G.province_fund = min(pool, float(F.provincial_investment.sum()))
        pool = G.province_fund
    key = population_shares(m)
    if p["fund_rewards"] == "own_gdp":
        key = np.maximum(F.gdp_credited, 0.0) / max(float(np.maximum(F.gdp_credited, 0.0).sum()), 1e-9)
    elif p["fund_rewards"] == "cooperation":
        score = F.tax_shared_out + F.tax_shared_in
        if score.sum() > 0:
            key = score / score.sum()
    G.fund_out = pool * key
