"""The governments' decisions: the fixed regime's rules, the yearly choices of the deciding regimes, the enclave
agreements, extra park land, the decision log, and the caps at a phase switch.

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

Decisions are taken on a grid, within ``outlay_budget_share`` of revenue. Money in 100 million yuan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.choices import Regime
from model.governance.objective import cooperation_reward, weights
from model.governance.prediction import FirmGame, firm_effects, firm_flows, firm_game, talent_effects, talent_game
from model.governance.solvers import at_least, best_responses, cluster_choice
from model.identity import CORE, N_CITIES, SECTOR_KIND, SECTORS
from model.land import free_land, land_ha_per_agent

if TYPE_CHECKING:
    from model.czt_model import CZTModel

INCENTIVE_STEPS = 21  # grid of incentive intensities 0 .. subsidy_cap
TALENT_STEPS = 21  # grid of talent subsidies 0 .. talent_subsidy_cap
TERMS_GRID = np.linspace(1.0, 0.0, 11)  # shares of the agreed enclave terms a host may offer, best first


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
        if p["government_regime"] == Regime.PROVINCIAL:
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
            if at_least(worth, pay):
                best = r
                break
        G.terms[j], G.honour[j] = best, best > 0
        G.kept[j] = sponsor_kept(m, o, best) if best > 0 else 0.0


def decide_land(m: CZTModel, g: FirmGame) -> np.ndarray:
    """Extra park land per city (share of its industrial park land a year): the shortfall of free land against the
    land next year's predicted industrial arrivals need, released when what they bring is worth its development
    cost (``land_development_cost_yuan_per_ha``), up to ``land_release_max``."""
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
        if p["government_regime"] == Regime.PROVINCIAL:  # the province counts land free anywhere in the cluster
            short = max(need.sum() - float(np.maximum(free[park], 0).sum()), 0.0) * need[c] / max(need.sum(), 1e-9)
        worth = va_ha * (wg[c] + wr[c] * tau) * g.horizon
        if short > 0 and not at_least(wr[c] * cost_ha, worth):
            out[c] = min(short / cap, p["land_release_max"])
    return out


def decide(m: CZTModel) -> None:
    """The governments' yearly choices (called at the start of each year; the fixed regime reads the levers)."""
    G, p = m.governance, m.p
    if p["government_regime"] == Regime.FIXED:
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
    if p["government_regime"] == Regime.PROVINCIAL:
        s, gs = cluster_choice(m, firm, s_now, s_grid, np.maximum(budget - t_out, 0.0))
        t, gt = cluster_choice(m, talent, t_now, t_grid, np.maximum(budget - s_out, 0.0))
    else:  # Regime.COMPETE
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
        G.decisions.append({"year": year, "kind": "city", "city": m.cities[c], "regime": p["government_regime"].value,
                      "incentive_intensity": float(G.incentive[c]), "talent_subsidy_yuan": float(G.talent_subsidy[c]),
                      "land_release_share": float(G.land_release[c]), "predicted_gain": float(G.predicted_gain[c])})
    if p["enclave_tax_share"] > 0 or p["enclave_stat_share"] > 0:
        for j in np.flatnonzero((L.sponsor >= 0) & L.open).tolist():
            G.decisions.append({"year": year, "kind": "enclave", "park": L.park_id[j], "sponsor": m.cities[int(L.sponsor[j])],
                          "city": m.cities[int(L.city[j])], "regime": p["government_regime"].value,
                          "terms": float(G.terms[j]), "honoured": bool(G.honour[j]), "kept": float(G.kept[j])})


def respect_caps(m: CZTModel) -> None:
    """A phase switch: the fixed regime reads the new levers; a deciding one keeps its choices within new caps."""
    G, p = m.governance, m.p
    if p["government_regime"] == Regime.FIXED:
        apply_rules(m)
        return
    G.incentive = np.minimum(G.incentive, p["subsidy_cap"])
    G.talent_subsidy = np.minimum(G.talent_subsidy, p["talent_subsidy_cap"])
    G.land_release = np.minimum(G.land_release, p["land_release_max"])
