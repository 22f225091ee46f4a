"""Firm location: relocation, production branches, entry and exit (企业迁移、设立分支、进入与退出).

A reviewing establishment compares its cohort's annual profit where it is with the best park in each other city,
for moving whole (``relocation_cost``) or moving a ``branch_share`` of production to a branch while headquarters
stay (``branch_cost``), in a nested logit over {stay, relocate(d), branch(d)}. Profit at a location is the optimum
given local productivity, wages and rents, incentives (division guidance, subsidy competition) and a site cost that
absorbs the 2019 productivity gaps (so 2019 is a spatial equilibrium) and rises with the city's crowding
(``production.optimal_profit``). Local protectionism raises the cost of leaving; when the destination is an enclave
park the origin city sponsors, the origin keeps a share of the taxes and stops resisting (it even helps).
This module owns no state: it moves establishments between the firms' cohorts and park land.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.firm import Firm
from agents.worker import UNEMPLOYED
from model import calibration as cal
from model import kernels, rules
from model.identity import N_CITIES, SECTOR_KIND, SECTORS
from model.labour import move_headcounts
from model.land import firm_land_ha, free_land
from model.production import optimal_profit, unit_cost
from model.sampling import categorical_counts

if TYPE_CHECKING:
    from model.czt_model import CZTModel

SECONDARY = np.array([SECTOR_KIND[s] == "secondary" for s in SECTORS])  # industry goes to parks, the rest to urban areas
MOBILE = cal.sector_table().mobile.to_numpy(dtype=bool)  # sectors whose firms may choose their city
TALENT_SHARE = cal.sector_table().talent_share.to_numpy()  # entrants' target talent share, by sector


def best_parks_by_city(m: CZTModel, slots: np.ndarray, origin: np.ndarray, need_ha: np.ndarray | float
                       ) -> np.ndarray:
    """Best open park in each city for each firm of ``slots``: (firms, cities), -1 where none has room. A park fits
    the firm's kind (industry in industrial parks, the rest in urban areas) and has ``need_ha`` hectares free; the
    best has the lowest unit cost, less the sector-focus bonus and, for a firm leaving its ``origin``, the bonus of
    a park that city sponsors (-1: no origin). Ties go to the park listed first."""
    F, L, p = m.firms, m.land, m.p
    out = np.full((len(slots), N_CITIES), -1, dtype=np.int64)
    cand = np.flatnonzero(L.open)
    if not len(slots) or not len(cand):
        return out
    sec = F.sector[slots]
    urban = L.is_urban[cand].astype(bool)
    fits = np.where(SECONDARY[sec][:, None], ~urban[None, :], urban[None, :])
    free = L.capacity_ha[cand].astype(float) - L.used_ha[cand].astype(float)
    room = free[None, :] >= np.broadcast_to(np.asarray(need_ha, dtype=float), (len(slots),))[:, None]
    city = L.city[cand].astype(np.int64)
    score = -unit_cost(m, sec[:, None], city[None, :], cand[None, :]) \
        * (1 - p["park_focus_bonus"] * L.focus[cand[None, :], sec[:, None]]
           - p["park_sponsor_bonus"] * (L.sponsor[cand][None, :] == np.asarray(origin)[:, None]))
    ok = fits & room
    for d in range(N_CITIES):
        mine = ok & (city == d)[None, :]
        first_best = np.argmax(np.where(mine, score, -np.inf), axis=1)
        out[:, d] = np.where(mine.any(axis=1), cand[first_best], -1)
    return out


def best_parks(m: CZTModel, slots: np.ndarray, dest: int, origin: np.ndarray, need_ha: np.ndarray) -> np.ndarray:
    """Best open park in city ``dest`` for each firm (-1 if none has room): :func:`best_parks_by_city`'s column."""
    return best_parks_by_city(m, slots, origin, need_ha)[:, dest]


def leave_cost_multiplier(m: CZTModel, origin: np.ndarray, park: np.ndarray) -> np.ndarray:
    """The cost-of-leaving factor (``rules.leave_cost_multiplier``) of firms leaving ``origin`` for ``park``: the
    origin's incentive intensity, and the share it keeps if the park is an enclave it sponsors (``governance.kept``:
    the fixed regime's tax share times the payment probability, or the share the deciding sponsor keeps)."""
    G = m.governance
    kept = np.where(m.land.sponsor[np.maximum(park, 0)] == origin, G.kept[np.maximum(park, 0)], 0.0)
    return rules.leave_cost_multiplier(G.incentive[origin], kept, m.p["sponsor_relief"])


def relocate_and_branch(m: CZTModel) -> None:
    """Each establishment of a mobile cohort reviews its location with probability ``location_review_rate``;
    the reviewers of a cohort split over stay / relocate(d) / branch(d) by a multinomial draw on the nested-logit
    probabilities; land is allocated to the mover groups first-come in random order."""
    F, p, rng = m.firms, m.p, m.rng
    live = F.living
    eligible = live[MOBILE[F.sector[live]] & (m.steps - F.arrived_step[live] >= p["min_stay_quarters"])]
    n_rev = rng.binomial(F.n_est[eligible], p["location_review_rate"])
    slots, n_rev = eligible[n_rev > 0], n_rev[n_rev > 0]
    if len(slots) == 0:
        return
    here = F.city[slots].astype(np.int64)
    pi_opt_here = optimal_profit(m, slots, here, F.park[slots], new=False)
    pi_here = np.where(m.land.full[F.park[slots]], np.minimum(4 * F.profit[slots], pi_opt_here), pi_opt_here)
    b = p["branch_share"]
    can_branch = ~F.is_branch[slots] & ((F.n_ordinary[slots] + F.n_talent[slots]) > 0)
    need = firm_land_ha(m, slots) / F.n_est[slots]  # hectares per establishment
    v_rel, v_br = [], []
    parks = [np.full(len(slots), -1)]
    branch_park, move_park = best_parks_by_city(m, slots, here, need * b), best_parks_by_city(m, slots, here, need)
    for d in range(N_CITIES):
        park, park_full_move = branch_park[:, d], move_park[:, d]
        ok = (here != d)
        pi_d = optimal_profit(m, slots, np.full(len(slots), d), np.maximum(park, 0), new=True)
        rel, br = rules.relocation_values(pi_here, pi_d, leave_cost_multiplier(m, here, park), p,
                                          can_relocate=ok & (park_full_move >= 0),
                                          can_branch=ok & (park >= 0) & can_branch)
        v_rel.append(rel)
        v_br.append(br)
        parks += [park_full_move, park]
    V = rules.location_options(np.stack(v_rel, axis=1), np.stack(v_br, axis=1))
    probs = rules.location_choice_probabilities(V, p["entry_logit_scale"], p["location_logit_scale"])
    counts = categorical_counts(rng, n_rev, probs)
    counts[:, 0] = 0
    rows, cols = np.nonzero(counts)
    if len(rows) == 0:
        return
    # land is allocated first-come in random order; a group gets as many establishments as there is room for
    order = rng.permutation(len(rows))
    rows, cols = rows[order], cols[order]
    P = np.stack(parks, axis=1)
    pk = P[rows, cols]
    land = need[rows] * np.where(cols % 2 == 1, 1.0, b)
    k = counts[rows, cols]
    free = free_land(m)
    for j in range(len(rows)):
        if land[j] > 0 and np.isfinite(free[pk[j]]):  # urban areas have no land cap
            k[j] = min(k[j], int(max(free[pk[j]], 0.0) / land[j]))
            free[pk[j]] -= k[j] * land[j]
    go = k > 0
    _move_establishments(m, slots[rows[go]], (cols[go] - 1) // 2, pk[go], k[go], cols[go] % 2 == 0)


def _move_establishments(m: CZTModel, src: np.ndarray, dest: np.ndarray, park: np.ndarray, k: np.ndarray,
                         branch: np.ndarray) -> None:
    """Apply the mover groups: ``k[j]`` establishments of cohort ``src[j]`` relocate to (dest, park), or open a
    production branch there. Movers of one quarter with the same sector, route, park and headquarters form one
    new cohort (z aggregated so that the cohort's optimal output is the sum of its establishments')."""
    n0 = m.firms.n_est[src].astype(float)
    origin = m.firms.city[src].astype(np.int64)
    new, group = _mover_cohorts(m, src, dest, park, k, branch, n0, origin)
    _move_staff(m, src, k, branch, n0, np.where(branch, UNEMPLOYED, new[group]))
    _shrink_sources(m, src, k, branch, n0)
    _remove_empty_cohorts(m)
    for j in range(len(src)):
        m.recorder.flow_firms("branch_opening" if branch[j] else "firm_relocation", int(origin[j]), int(dest[j]), int(k[j]))


def _mover_cohorts(m: CZTModel, src, dest, park, k, branch, n0, origin) -> tuple[np.ndarray, np.ndarray]:
    """The new cohorts of this quarter's movers (one per sector, destination, park, origin, headquarters and branch
    status); returns their slots and each mover group's index among them."""
    F, p = m.firms, m.p
    alpha, b = p["labour_elasticity"], p["branch_share"]
    was_branch = F.is_branch[src]
    hq = np.where(branch | was_branch, F.hq_city[src], dest)
    # per establishment optimal output is proportional to z ** (1 / (1 - alpha)); a branch takes the share b
    zq = F.z[src] ** (1 / (1 - alpha)) * np.where(branch, b, 1.0)
    key = np.stack([F.sector[src].astype(np.int64), dest, park, origin, hq, branch | was_branch], axis=1)
    uniq, group = np.unique(key, axis=0, return_inverse=True)
    group = group.ravel()
    n_new = np.bincount(group, weights=k, minlength=len(uniq))
    zq_new = np.bincount(group, weights=k * zq, minlength=len(uniq)) / n_new
    share_new = lambda col: np.bincount(group, weights=k * col, minlength=len(uniq)) / n_new  # noqa: E731
    tax_moved = 4 * F.tax[src] * k / n0 * np.where(branch, b, 1.0)
    born = np.full(len(uniq), m.steps, dtype=np.int64)
    np.minimum.at(born, group[~branch], F.born_step[src][~branch])  # a relocated establishment keeps its age
    new = F.add(len(uniq), sector=uniq[:, 0], city=uniq[:, 1], park=uniq[:, 2], origin_city=uniq[:, 3],
                hq_city=uniq[:, 4], is_branch=uniq[:, 5].astype(bool), n_est=n_new.astype(np.int64),
                z=zq_new ** (1 - alpha), wage_premium=share_new(F.wage_premium[src]),
                talent_share=share_new(F.talent_share[src]), arrived_step=m.steps, born_step=born,
                pre_move_tax=np.bincount(group, weights=tax_moved, minlength=len(uniq)))
    for s in new:
        m.firm_agents.append(Firm(m, int(s)))
    return new, group


def _move_staff(m: CZTModel, src, k, branch, n0, target) -> None:
    """A relocating establishment takes its staff along; a parent that opens a branch sheds its share b. Each worker
    of a source cohort draws u ~ U(0, 1) and falls in one band per mover group (width = share) or in none (stays);
    ``target`` is each group's new employer (UNEMPLOYED for a branch's parent)."""
    W, rng, b = m.workers, m.rng, m.p["branch_share"]
    width = np.where(branch, b * k / n0, k / n0)
    order = np.argsort(src, kind="stable")
    s_src = src[order]
    rank = np.searchsorted(np.unique(s_src), s_src)
    cum = np.zeros(len(order))
    for j in range(len(order)):  # cumulative band edges within each source cohort
        cum[j] = width[order[j]] + (cum[j - 1] if j and s_src[j - 1] == s_src[j] else 0.0)
    edge = 2.0 * rank + cum
    is_source = np.zeros(m.firms.n, dtype=bool)
    is_source[src] = True
    staff = kernels.staff_of(W.alive, W.employer, is_source)
    emp = W.employer[staff]
    wkey = 2.0 * np.searchsorted(np.unique(s_src), emp) + rng.random(len(staff))
    j = np.searchsorted(edge, wkey, side="right")
    hit = (j < len(order)) & (s_src[np.minimum(j, len(order) - 1)] == emp)
    grp = order[np.minimum(j, len(order) - 1)]
    moved, to = staff[hit], target[grp][hit]
    move_headcounts(m, moved, W.employer[moved], to)  # headcounts follow the staff, before anything else reads them
    W.employer[moved] = to


def _shrink_sources(m: CZTModel, src, k, branch, n0) -> None:
    """The origin cohorts: relocated establishments leave; parents keep (1 - b) of a branched establishment's output."""
    F = m.firms
    alpha, b = m.p["labour_elasticity"], m.p["branch_share"]
    rel, br = src[~branch], src[branch]
    left = np.bincount(rel, weights=k[~branch], minlength=F.n)
    u_rel = np.unique(rel)
    F.pre_move_tax[u_rel] *= 1.0 - left[u_rel] / F.n_est[u_rel]
    F.n_est[u_rel] -= left[u_rel].astype(np.int64)
    shed = np.bincount(br, weights=b * k[branch] / n0[branch], minlength=F.n)
    u_br = np.unique(br)
    F.z[u_br] *= (1.0 - shed[u_br]) ** (1 - alpha)


def _remove_empty_cohorts(m: CZTModel) -> None:
    """Cohorts left with no establishment are dead; their agents leave the model."""
    F = m.firms
    gone = np.flatnonzero(F.alive & (F.n_est <= 0))
    if len(gone) == 0:
        return
    F.alive[gone] = False
    for f in gone.tolist():
        agent = m.firm_agents[f]
        if agent is not None:
            agent.remove()
            m.firm_agents[f] = None


def sector_presence(m: CZTModel) -> np.ndarray:
    """Establishments by (sector, city) among the living, as a share of the sector: (sectors, cities)."""
    F = m.firms
    live = F.living
    n = np.bincount(F.sector[live].astype(np.int64) * N_CITIES + F.city[live], weights=F.n_est[live],
                    minlength=len(SECTORS) * N_CITIES).reshape(-1, N_CITIES)
    return n / np.maximum(n.sum(axis=1, keepdims=True), 1)


def exit_and_enter(m: CZTModel) -> None:
    """Each establishment exits at a base hazard (doubled in loss-making cohorts); cohorts without staff a year
    after arriving where they are exit whole. Exits are replaced by as many entrants of the same sector, who choose their city by a
    logit on expected profit (agriculture stays put); the entrants of a quarter in one (sector, city, park) form one
    cohort."""
    F, W, p, rng = m.firms, m.workers, m.p, m.rng
    live = F.living
    n = F.n_est[live]
    size = F.n_ordinary[live] + F.n_talent[live]
    hazard = p["firm_exit_rate"] * np.where(F.profit[live] < 0, p["loss_exit_multiple"], 1.0)
    k_exit = rng.binomial(n, hazard)
    empty = (size == 0) & (m.steps - F.arrived_step[live] >= 4)  # a year where it is without staff
    k_exit[empty] = n[empty]
    hit = k_exit > 0
    if not hit.any():
        return
    presence = sector_presence(m)
    out, k_out = live[hit], k_exit[hit]
    frac = np.zeros(F.n)
    frac[out] = k_out / F.n_est[out]
    kernels.fire_share(rng, W.alive, W.employer, frac, F.n_ordinary, F.n_talent, W.skill)
    out_city, out_park, out_sec = F.city[out].astype(np.int64), F.park[out].astype(np.int64), F.sector[out].astype(np.int64)
    F.pre_move_tax[out] *= 1 - frac[out]
    F.n_est[out] -= k_out
    _remove_empty_cohorts(m)
    m.recorder.flow_firms_many("firm_exit", out_city, out_city, k_out)
    # entrants: as many establishments as exited, by sector
    n_sec = len(SECTORS)
    exits_sec = np.bincount(out_sec, weights=k_out, minlength=n_sec).astype(np.int64)
    groups: list[tuple[int, int, int, int]] = []  # (sector, city, park, establishments)
    values, parks = entry_values(m, np.flatnonzero((exits_sec > 0) & MOBILE))
    for s in np.flatnonzero(exits_sec).tolist():
        mine = out_sec == s
        if MOBILE[s]:
            counts, cities, park_of = _entry_split(m, values[s], parks[s], int(exits_sec[s]), presence[s])
            groups += [(s, int(c), int(park_of[c]), int(counts[c])) for c in cities]
            if counts.sum() == exits_sec[s]:
                continue
        # immobile sectors (and mobile ones with no room anywhere) re-enter where they exited
        cp = np.unique(out_city[mine] * 10_000 + out_park[mine], return_inverse=True)
        cnt = np.bincount(cp[1].ravel(), weights=k_out[mine]).astype(np.int64)
        groups += [(s, int(v // 10_000), int(v % 10_000), int(c)) for v, c in zip(cp[0], cnt)]
    add_entrants(m, groups)


def entry_values(m: CZTModel, sectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What an entrant of each of ``sectors`` would earn in each city: a probe establishment of the sector (its
    first living cohort) at the best park with room there. Returns (sectors of the model, cities) arrays: annual
    profit (-inf where no park has room, or for a sector without a living cohort) and the park (-1)."""
    F = m.firms
    values = np.full((len(SECTORS), N_CITIES), -np.inf)
    parks = np.full((len(SECTORS), N_CITIES), -1, dtype=np.int64)
    live = F.living
    have = [s for s in np.asarray(sectors).tolist() if (F.sector[live] == s).any()]
    if not have:
        return values, parks
    probes = np.array([live[F.sector[live] == s][0] for s in have])
    parks[have] = best_parks_by_city(m, probes, np.full(len(probes), -1), 0.0)
    i, d = np.nonzero(parks[have] >= 0)
    values[np.array(have)[i], d] = optimal_profit(m, probes[i], d, parks[have][i, d], new=True)
    return values, parks


def _entry_split(m: CZTModel, V: np.ndarray, park_of: np.ndarray, total: int, presence: np.ndarray
                 ) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Entrants of a mobile sector by city: a multinomial draw on the entry logit (``rules.entry_probabilities``:
    log presence of the sector in the city plus relative profit ``V`` at the best park with room; park -1 if none)."""
    if not np.isfinite(V).any():
        return np.zeros(N_CITIES, dtype=np.int64), [], park_of
    prob = rules.entry_probabilities(presence, V, m.p["entry_logit_scale"])
    counts = categorical_counts(m.rng, np.array([total]), prob[None, :])[0]
    return counts, np.flatnonzero(counts).tolist(), park_of


def add_entrants(m: CZTModel, groups: list[tuple[int, int, int, int]], origin: int = -1,
                  kind: str = "firm_entry") -> None:
    """New cohorts; each establishment's productivity is bootstrapped from a living establishment of its sector
    (times a small shock), and the cohort's z aggregates them like movers' (see _move_establishments)."""
    if not groups:
        return
    F, p, rng = m.firms, m.p, m.rng
    alpha = p["labour_elasticity"]
    live = F.living
    g = np.array(groups, dtype=np.int64)
    zq = np.ones(len(g))
    for s in np.unique(g[:, 0]).tolist():  # a handful of sectors: draw every entrant of sector s at once
        idx = np.flatnonzero(g[:, 0] == s)
        pool = live[F.sector[live] == s]
        sizes = g[idx, 3]
        if len(pool) == 0:
            continue
        w = F.n_est[pool].astype(float)
        draws = pool[rng.choice(len(pool), size=int(sizes.sum()), p=w / w.sum())]
        z = F.z[draws] * np.exp(p["entrant_productivity_sd"] * rng.standard_normal(len(draws)))
        grp = np.repeat(np.arange(len(idx)), sizes)
        zq[idx] = np.bincount(grp, weights=z ** (1 / (1 - alpha)), minlength=len(idx)) / sizes
    slots = F.add(len(g), sector=g[:, 0], city=g[:, 1], park=g[:, 2], n_est=g[:, 3], z=zq ** (1 - alpha),
                  hq_city=g[:, 1], is_branch=False, origin_city=origin, arrived_step=m.steps, born_step=m.steps,
                  pre_move_tax=0.0, talent_share=TALENT_SHARE[g[:, 0]])
    for s in slots:
        m.firm_agents.append(Firm(m, int(s)))
    m.recorder.flow_firms_many(kind, g[:, 1] if origin < 0 else np.full(len(g), origin), g[:, 1], g[:, 3])
