"""The initial population of worker agents and firm cohorts, from the start year's data (``model/data``).

Residents per city (census-anchored: the 2010 count, or the 2019 point of the 2010-2020 census path) at ``scale`` residents per worker agent; employment by
sector and city in proportion to value added over relative labour productivity; firm sizes lognormal; industry in
the open industrial parks of its city (weight x sector focus), the rest in the urban area; talent by the sectors'
talent shares; a tenth of residents with hukou outside the cluster (the rest of Hunan or the rest of China).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.firm import Firm, FirmTable
from agents.worker import TALENT, WorkerPopulation
from model import calibration as cal
from model.errors import ConfigError
from model.demography import outside_split
from model.identity import CITIES, N_CITIES, OUTSIDE, SECTOR_KIND, SECTORS

if TYPE_CHECKING:
    from model.czt_model import CZTModel

LONG_AGO = -1000  # arrival step of the start-year population and firms: settled long before the start
MIN_AGENTS_PER_CITY = 50


def build_people_and_firms(m: CZTModel) -> None:
    p, rng = m.p, m.rng
    st = cal.sector_table()
    pop = cal.city_table(m.start_year).loc[list(CITIES), "population"].to_numpy()
    n_city = np.rint(pop / m.scale).astype(np.int64)
    if n_city.min() < MIN_AGENTS_PER_CITY:
        raise ConfigError("scale", m.scale, f"at most {int(pop.min() / MIN_AGENTS_PER_CITY)} "
                                             f"(each city needs {MIN_AGENTS_PER_CITY} worker agents)")
    employed = np.rint(n_city * (1 - p["unemployment_rate_0"])).astype(np.int64)
    emp = cal.employment_split(CITIES, employed, m.start_year)  # (sectors, cities) employed agents
    tal_share = st.talent_share.to_numpy()
    m.workers = W = WorkerPopulation(int(n_city.sum() * 1.3))
    m.firms = F = FirmTable(int(n_city.sum() / max(p["firm_size_mean"] / m.lf_share, 1) * 2))
    size_mean = p["firm_size_mean"] / m.lf_share  # worker agents per establishment
    for c in range(N_CITIES):
        # unemployed first, with the city's average talent share
        n_unemp = n_city[c] - employed[c]
        city_tal = float((emp[:, c] * tal_share).sum() / emp[:, c].sum())
        W.add(int(n_unemp), skill=(rng.random(n_unemp) < city_tal).astype(np.int8), hukou=np.full(n_unemp, c),
              residence=np.full(n_unemp, c), step=LONG_AGO)
        for k in range(len(SECTORS)):
            total = int(emp[k, c])
            sizes = cal.firm_sizes(rng, total, size_mean, p["firm_size_sigma"])
            if total == 0 or len(sizes) == 0:
                continue
            parks = initial_parks(m, k, c, len(sizes))
            slots = F.add(len(sizes), sector=k, city=c, park=parks, hq_city=c, z=1.0, arrived_step=LONG_AGO,
                          born_step=LONG_AGO, n_est=m.scale)
            # firms of an enclave park came from (and are headquartered in) its sponsor city
            sponsor = m.land.sponsor[parks]
            enclave = sponsor >= 0
            F.origin_city[slots[enclave]] = sponsor[enclave]
            F.hq_city[slots[enclave]] = sponsor[enclave]
            n_tal = int(round(total * tal_share[k]))
            skill = np.zeros(total, dtype=np.int8)
            skill[rng.permutation(total)[:n_tal]] = TALENT
            rows = W.add(total, skill=skill, hukou=np.full(total, c), residence=np.full(total, c), step=LONG_AGO)
            W.employer[rows] = np.repeat(slots, sizes)
            owner = np.repeat(np.arange(len(sizes)), sizes)
            F.talent_share[slots] = np.bincount(owner, weights=skill == TALENT, minlength=len(sizes)) / sizes
    m.firm_agents = [Firm(m, slot) for slot in range(F.n)]
    # residents with hukou outside the cluster (migrants from the rest of Hunan or of China): services through
    # portability only
    outsider = np.flatnonzero(rng.random(W.n) < p["outside_hukou_share"])
    split = np.cumsum(outside_split())[:-1]
    W.hukou[outsider] = OUTSIDE + np.searchsorted(split, rng.random(len(outsider)), side="right")


def initial_parks(m: CZTModel, k: int, c: int, n: int) -> np.ndarray:
    """Manufacturing firms go to the open industrial parks of their city (weight x focus); the rest to the urban area."""
    L = m.land
    pt = cal.park_table()
    in_city = L.city == c
    if SECTOR_KIND[SECTORS[k]] != "secondary":
        return np.full(n, np.flatnonzero(in_city & L.is_urban)[0], dtype=np.int16)
    cand = np.flatnonzero(in_city & ~L.is_urban & (L.initial_occupancy > 0))
    w = pt.weight.to_numpy()[cand] * (1 + L.focus[cand, k])
    return cand[m.rng.choice(len(cand), size=n, p=w / w.sum())].astype(np.int16)
