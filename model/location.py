"""Firm location: park land and rents, relocation, production branches, entry and exit.

A reviewing firm compares its annual profit where it is with the best park in each other city,
for moving whole (``relocation_cost``) or moving a ``branch_share`` of production to a branch while
headquarters stay (``branch_cost``), in a logit over {stay, relocate(d), branch(d)}.
Profit at a location is the optimum given local productivity, wages and rents, incentives
(division guidance, subsidy competition) and a site cost that absorbs the 2019 productivity gaps
(so 2019 is a spatial equilibrium) and rises with the city's crowding.
Local protectionism raises the cost of leaving; when the destination is an enclave park the origin
city sponsors, the origin keeps a share of the taxes and stops resisting (it even helps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.firm import Firm
from agents.worker import UNEMPLOYED
from model import calibration as cal
from model.production import incentive_rate, unit_cost

if TYPE_CHECKING:
    from model.czt_model import CZTModel

OFFICE_RENT_MULTIPLE = 15.0  # office rent per m2 relative to industrial land rent (assumption)


def _land_m2(m: CZTModel) -> np.ndarray:
    return cal.sector_table().land_m2_per_worker.to_numpy(dtype=float)


def firm_land_ha(m: CZTModel, slots: np.ndarray) -> np.ndarray:
    F = m.firms
    return (F.n_ordinary[slots] + F.n_talent[slots]) * m.persons_per_agent * _land_m2(m)[F.sector[slots]] / 1e4


def calibrate_land(m: CZTModel) -> None:
    pt = cal.park_table()
    st = cal.sector_table()
    p = m.p
    update_land(m, set_capacity=True)
    for pk, row in zip(m.parks, pt.itertuples()):
        # land at 2019: what is used plus the expansion land (part of it inside the green heart)
        pk.land_2019_ha = max(pk.used_ha / row.initial_occupancy, pk.used_ha + 20.0) if row.initial_occupancy > 0 else 0.0
        pk.used_2019_ha = pk.used_ha
    apply_land_policy(m)
    for pk in m.parks:
        pk.update_rent()
    # reference rent per city: the land-weighted 2019 rent of its industrial parks
    m.rent0_city = np.array([sum(pk.rent * pk.used_ha for pk in m.parks if pk.city == c and pk.level != "urban")
                             / max(sum(pk.used_ha for pk in m.parks if pk.city == c and pk.level != "urban"), 1e-9)
                             for c in range(3)])
    wage_avg = cal.city_table(m.start_year).loc[list(m.cities), "avg_wage_yuan"].to_numpy()
    mult = np.where(st.kind.to_numpy() == "tertiary", OFFICE_RENT_MULTIPLE, 1.0)
    m.land_cost_share = (_land_m2(m) * mult)[:, None] * m.rent0_city[None, :] / wage_avg[None, :]
    m.division_guided = np.zeros((len(m.sectors), 3), dtype=bool)
    for row in cal.division_catalogue().itertuples():
        m.division_guided[m.sectors.index(row.sector), m.cities.index(row.city)] = True
    m.fiscal_strength = np.ones(3)
    m.sector_secondary = (st.kind.to_numpy() == "secondary")
    m.sector_mobile = st.mobile.to_numpy(dtype=bool)
    # site cost share: absorbs the 2019 productivity gaps and the 2019 incentives, so that a new firm's
    # profit at z=1 is the same in every city under 2019 institutions (2019 is a spatial equilibrium)
    alpha, tau = p["labour_elasticity"], p["local_tax_rate"]
    k_idx, c_idx = np.meshgrid(np.arange(len(m.sectors)), np.arange(3), indexing="ij")
    inc0 = incentive_rate(m, k_idx.ravel(), c_idx.ravel(), np.full(k_idx.size, m.steps)).reshape(k_idx.shape)
    margin = 1 - alpha - tau + inc0
    target = (m.A0 * margin).min(axis=1, keepdims=True)
    m.site_share0 = np.maximum(margin - target / m.A0, 0.0)
    _rent_index(m)


def apply_land_policy(m: CZTModel) -> None:
    """Park capacity under the current policy: green-heart land closed by the ban; hypothetical enclaves opened."""
    p = m.p
    for pk in m.parks:
        if pk.level == "urban":
            pk.capacity_ha = float("inf")
        elif not pk.open:
            pk.capacity_ha = 0.0
        elif pk.land_2019_ha > 0:
            closed = p["green_heart_ban"] * pk.green_heart_share * (pk.land_2019_ha - pk.used_2019_ha)
            pk.capacity_ha = pk.land_2019_ha - closed
        else:
            pk.capacity_ha = p["enclave_capacity_ha"]


def change_land_policy(m: CZTModel, old: dict) -> None:
    """Mid-run change of the green-heart ban: close or reopen that land, keeping the growth parks have had."""
    d = m.p["green_heart_ban"] - old["green_heart_ban"]
    if d == 0:
        return
    for pk in m.parks:
        if pk.level != "urban" and pk.open and pk.land_2019_ha > 0:
            pk.capacity_ha -= d * pk.green_heart_share * (pk.land_2019_ha - pk.used_2019_ha)


def update_land(m: CZTModel, set_capacity: bool = False) -> None:
    F = m.firms
    live = F.living
    used = np.bincount(F.park[live], weights=firm_land_ha(m, live), minlength=len(m.parks))
    for pk in m.parks:
        pk.used_ha = float(used[pk.index])
    if not set_capacity:
        p = m.p
        for pk in m.parks:
            if pk.level != "urban" and pk.open:
                g = p["park_land_growth"] + (p["changsha_land_bonus"] if pk.city == 0 else 0.0)
                pk.capacity_ha *= (1 + g) ** 0.25
        m.park_full = np.array([pk.level != "urban" and pk.used_ha >= pk.capacity_ha for pk in m.parks])
        _rent_index(m)
        # fiscal strength: local revenue per resident relative to the cluster (richer cities outbid poorer ones)
        rev = np.array([g.tax_after_sharing for g in m.governments])
        per = rev / np.maximum(m.city_population, 1)
        m.fiscal_strength = np.clip(per / max(per.mean(), 1e-12), 0.5, 1.5)
    else:
        m.park_full = np.zeros(len(m.parks), dtype=bool)


def _rent_index(m: CZTModel) -> None:
    """Rent index per park relative to its city's 2019 rent; urban areas follow the city's housing cost."""
    h = np.array([g.housing_cost / g.housing_cost_0 if g.housing_cost_0 else 1.0 for g in m.governments])
    m.housing_index = h
    m.rent_index = np.array([h[pk.city] if pk.level == "urban" else pk.rent / m.rent0_city[pk.city] for pk in m.parks])


def site_share(m: CZTModel, sec: np.ndarray, city: np.ndarray) -> np.ndarray:
    """Share of value added paid for the site: the 2019 level plus property costs rising with the city's crowding."""
    extra = m.p["congestion_cost_share"] * (m.housing_index[city] - 1.0)
    return np.clip(m.site_share0[sec, city] + extra, 0.0, 0.9)


def optimal_profit(m: CZTModel, slots: np.ndarray, city: np.ndarray, park: np.ndarray, new: bool) -> np.ndarray:
    """Annual profit (100m yuan) of firm ``slots`` if it were at (city, park) at its optimal size."""
    F, p = m.firms, m.p
    alpha, tau = p["labour_elasticity"], p["local_tax_rate"]
    sec = F.sector[slots]
    kappa = unit_cost(m, sec, city, park)
    y = m.scale * (m.A[sec, city] * F.z[slots]) ** (1 / (1 - alpha)) * (alpha / kappa) ** (alpha / (1 - alpha))
    arrived = np.full(len(slots), m.steps) if new else F.arrived_step[slots]
    margin = 1 - alpha - tau + incentive_rate(m, sec, city, arrived) - site_share(m, sec, city)
    return 4 * y * margin


def _best_parks(m: CZTModel, slots: np.ndarray, dest: int, origin: np.ndarray, need_ha: np.ndarray) -> np.ndarray:
    """Best open park in city ``dest`` for each firm (-1 if none has room): lowest cost, focus and sponsor bonuses."""
    F = m.firms
    sec = F.sector[slots]
    cand = [pk.index for pk in m.parks if pk.city == dest and pk.open]
    best = np.full(len(slots), -1, dtype=np.int64)
    best_score = np.full(len(slots), -np.inf)
    for j in cand:
        pk = m.parks[j]
        fits = np.where(m.sector_secondary[sec], pk.level != "urban", pk.level == "urban")
        room = pk.capacity_ha - pk.used_ha >= need_ha
        score = -unit_cost(m, sec, np.full(len(slots), dest), np.full(len(slots), j)) \
            * (1 - 0.03 * m.park_focus[j, sec] - 0.05 * (m.park_sponsor[j] == origin))
        ok = fits & room & (score > best_score)
        best[ok], best_score[ok] = j, score[ok]
    return best


def _leave_cost_multiplier(m: CZTModel, origin: np.ndarray, park: np.ndarray) -> np.ndarray:
    """Protectionism raises the cost of leaving; a sponsor that keeps a tax share relents and helps."""
    p = m.p
    kept = np.where(m.park_sponsor[np.maximum(park, 0)] == origin,
                    p["enclave_tax_share"] * p["enclave_payment_prob"], 0.0)
    return (1 + p["subsidy_competition"] * (1 - kept)) * (1 - 0.5 * kept)


def decide(m: CZTModel) -> None:
    _relocate_and_branch(m)
    _exit_and_enter(m)


def _relocate_and_branch(m: CZTModel) -> None:
    F, p, rng = m.firms, m.p, m.rng
    live = F.living
    mobile = m.sector_mobile[F.sector[live]] & (m.steps - F.arrived_step[live] >= 8)
    slots = live[mobile & (rng.random(len(live)) < p["location_review_rate"])]
    if len(slots) == 0:
        return
    here = F.city[slots].astype(np.int64)
    pi_opt_here = optimal_profit(m, slots, here, F.park[slots], new=False)
    pi_here = np.where(m.park_full[F.park[slots]], np.minimum(4 * F.profit[slots], pi_opt_here), pi_opt_here)
    base = np.maximum(np.abs(pi_here), 1e-12)
    H, b = p["profit_horizon_years"], p["branch_share"]
    big_enough = ((F.n_ordinary[slots] + F.n_talent[slots]) >= 4) & (F.parent[slots] < 0)
    need = firm_land_ha(m, slots)
    values = [np.zeros(len(slots))]
    choices = [(-1, -1, np.full(len(slots), -1))]
    for d in range(3):
        park = _best_parks(m, slots, d, here, need * b)
        park_full_move = _best_parks(m, slots, d, here, need)
        ok = (here != d)
        pi_d = optimal_profit(m, slots, np.full(len(slots), d), np.maximum(park, 0), new=True)
        mult = _leave_cost_multiplier(m, here, park)
        gain = (pi_d - pi_here) / base
        v_rel = np.where(ok & (park_full_move >= 0), gain - p["relocation_cost"] * mult / H, -np.inf)
        v_br = np.where(ok & (park >= 0) & big_enough, b * (gain - p["branch_cost"] * mult / H), -np.inf)
        values += [v_rel, v_br]
        choices += [(0, d, park_full_move), (1, d, park)]
    # nested choice: a destination city first (idiosyncratic knowledge of places: the softer entry logit scale),
    # then whether to go there, and how (the sharper relocation logit scale)
    V = np.stack(values, axis=1)  # columns: stay, then (relocate, branch) for each destination city
    per_dest = np.stack([np.maximum(V[:, 1 + 2 * d], V[:, 2 + 2 * d]) for d in range(3)], axis=1)
    dest_u = np.where(np.isfinite(per_dest), p["entry_logit_scale"] * per_dest, -np.inf) + rng.gumbel(size=per_dest.shape)
    dest = np.argmax(dest_u, axis=1)
    cols = np.stack([np.zeros(len(slots), dtype=np.int64), 1 + 2 * dest, 2 + 2 * dest], axis=1)
    sub = np.take_along_axis(V, cols, axis=1)
    sub_u = p["location_logit_scale"] * sub + rng.gumbel(size=sub.shape)
    pick = np.take_along_axis(cols, np.argmax(sub_u, axis=1)[:, None], axis=1)[:, 0]
    order = rng.permutation(len(slots))  # land is allocated first-come in random order
    free = np.array([pk.capacity_ha - pk.used_ha for pk in m.parks])
    parents: list[int] = []
    for i in order[pick[order] != 0]:
        c = pick[i]
        if c == 0:
            continue
        mode, d, parks = choices[c]
        pk = int(parks[i])
        f = int(slots[i])
        land = need[i] * (1.0 if mode == 0 else b)
        if pk < 0 or free[pk] < land:
            continue
        free[pk] -= land
        origin = int(here[i])
        if mode == 0:
            _relocate(m, f, d, pk)
            m.recorder.flow_firms("firm_relocation", origin, d)
        else:
            _branch(m, f, d, pk, b)
            parents.append(f)
            m.recorder.flow_firms("branch_opening", origin, d)
    if parents:  # the parents shed the branch's share of their staff (one pass over the workers)
        W = m.workers
        staff = np.flatnonzero(W.alive & np.isin(W.employer, np.array(parents)))
        W.employer[staff[rng.random(len(staff)) < b]] = UNEMPLOYED


def _relocate(m: CZTModel, f: int, d: int, park: int) -> None:
    F = m.firms
    F.pre_move_tax[f] = 4 * F.tax[f]
    F.origin_city[f] = F.city[f]
    F.city[f] = d
    F.park[f] = park
    F.arrived_step[f] = m.steps
    if F.parent[f] < 0:
        F.hq_city[f] = d


def _branch(m: CZTModel, f: int, d: int, park: int, b: float) -> None:
    F = m.firms
    alpha = m.p["labour_elasticity"]
    slot = F.add(1, sector=F.sector[f], city=d, park=park, z=F.z[f] * b ** (1 - alpha), hq_city=F.hq_city[f],
                 parent=f, origin_city=F.city[f], arrived_step=m.steps, born_step=m.steps,
                 pre_move_tax=4 * F.tax[f] * b, talent_share=F.talent_share[f])
    F.z[f] *= (1 - b) ** (1 - alpha)
    m.firm_agents.append(Firm(m, int(slot[0])))


def _sector_presence(m: CZTModel) -> np.ndarray:
    """Firms by (sector, city) among the living, as a share of the sector: (sectors, 3)."""
    F = m.firms
    live = F.living
    n = np.bincount(F.sector[live].astype(np.int64) * 3 + F.city[live], minlength=len(m.sectors) * 3).reshape(-1, 3)
    return n / np.maximum(n.sum(axis=1, keepdims=True), 1)


def _exit_and_enter(m: CZTModel) -> None:
    """Exit at a base hazard (doubled for loss-makers) and for empty firms; each exit is replaced by an entrant
    of the same sector that chooses its city by a logit on expected profit (agriculture stays put)."""
    F, W, p, rng = m.firms, m.workers, m.p, m.rng
    live = F.living
    size = F.n_ordinary[live] + F.n_talent[live]
    hazard = p["firm_exit_rate"] * np.where(F.profit[live] < 0, 2.0, 1.0)
    empty = (size == 0) & (m.steps - F.born_step[live] >= 4)
    out = live[(rng.random(len(live)) < hazard) | empty]
    if len(out) == 0:
        return
    m.sector_presence = _sector_presence(m)
    F.alive[out] = False
    fired = np.isin(W.employer, out)
    W.employer[fired] = UNEMPLOYED
    orphan = np.isin(F.parent, out)
    F.parent[orphan] = -1
    for f in out:
        agent = m.firm_agents[int(f)]
        if agent is not None:
            agent.remove()
            m.firm_agents[int(f)] = None
    m.recorder.flow_firms_many("firm_exit", F.city[out], F.city[out])
    # entrants: bootstrap z from living firms of the same sector
    sec = F.sector[out]
    live_after = F.living
    n = len(out)
    z = np.ones(n)
    live_sec = F.sector[live_after]
    for k in np.unique(sec):  # a handful of sectors: draw every entrant of sector k at once
        pool = live_after[live_sec == k]
        idx = np.flatnonzero(sec == k)
        if len(pool):
            z[idx] = F.z[pool[rng.integers(len(pool), size=len(idx))]]
    z *= np.exp(0.1 * rng.standard_normal(n))
    slots = F.add(n, sector=sec, city=F.city[out], park=F.park[out], z=z, hq_city=F.city[out], parent=-1,
                  origin_city=-1, arrived_step=m.steps, born_step=m.steps, pre_move_tax=0.0,
                  talent_share=m.talent_share_sector[sec])
    mobile = m.sector_mobile[sec]
    if mobile.any():
        ms = slots[mobile]
        values, parks = [], []
        for d in range(3):
            pk = _best_parks(m, ms, d, np.full(len(ms), -1), np.zeros(len(ms)))
            pi = optimal_profit(m, ms, np.full(len(ms), d), np.maximum(pk, 0), new=True)
            values.append(np.where(pk >= 0, pi, -np.inf))
            parks.append(pk)
        V = np.stack(values, axis=1)
        # conditional logit: log presence of the sector in the city (suppliers, networks) + relative profit
        presence = np.log(np.maximum(m.sector_presence[F.sector[ms]], 1e-3))
        best = np.nanmax(np.where(np.isfinite(V), V, np.nan), axis=1, keepdims=True)
        V = presence + p["entry_logit_scale"] * (V / np.maximum(np.abs(best), 1e-12) - 1) + rng.gumbel(size=V.shape)
        d = np.argmax(V, axis=1)
        P = np.stack(parks, axis=1)[np.arange(len(ms)), d]
        has = P >= 0
        F.city[ms[has]] = d[has]
        F.park[ms[has]] = P[has]
        F.hq_city[ms[has]] = d[has]
    for s in slots:
        m.firm_agents.append(Firm(m, int(s)))
    m.recorder.flow_firms_many("firm_entry", F.city[slots], F.city[slots])
