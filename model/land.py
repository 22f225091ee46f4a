"""Land and housing: industrial park land and rents (产业园区用地), the green-heart ban, housing cost by city.

The :class:`Land` component owns every park's state as columns (one row per park of ``model/data/parks.csv``,
urban pseudo-parks included) and each city's housing cost; :class:`agents.park.IndustrialPark` is the handle a
user inspects. Stages: ``update_housing`` and ``update_rents`` at the start of the quarter, ``update_land`` at its
end (land used by the firms, capacity growth, full parks, rent index).
Park arithmetic stays in scalar loops over the 18 parks: cheap, and the results do not depend on SIMD kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model import calibration as cal
from model.identity import CITIES, CORE, N_CITIES, SECTORS

if TYPE_CHECKING:
    from model.czt_model import CZTModel

RENT_POLE = 1.05  # occupancy at which the rent curve would be infinite: rents rise steeply as a park fills


@dataclass(slots=True)
class Land:
    """Parks (one row each) and housing (one per city). Money in yuan; land in hectares."""

    park_id: tuple[str, ...]
    name_en: tuple[str, ...]
    name_zh: tuple[str, ...]
    city: np.ndarray  # int8, city index
    level: tuple[str, ...]  # national, provincial, enclave, urban
    is_urban: np.ndarray  # bool: urban pseudo-park (services, agriculture), no land cap
    focus: np.ndarray  # bool (parks, sectors): sector focus
    base_rent: np.ndarray  # yuan per m2 per year
    green_heart_share: np.ndarray  # share of the park's expansion land inside the green heart
    lat: np.ndarray
    lon: np.ndarray
    initial_occupancy: np.ndarray  # 2019 used / available land (data)
    open: np.ndarray  # bool: hypothetical parks open only when a scenario activates them
    sponsor: np.ndarray  # int8, enclave sponsor city, -1 if none
    capacity_ha: np.ndarray
    used_ha: np.ndarray
    rent: np.ndarray  # yuan per m2 per year
    land_2019_ha: np.ndarray
    used_2019_ha: np.ndarray
    full: np.ndarray  # bool: used >= capacity
    rent0_city: np.ndarray  # (cities,) land-weighted 2019 rent of each city's industrial parks
    rent_index: np.ndarray  # per park: rent / its city's 2019 rent (urban: the city's housing index)
    housing_cost_0: np.ndarray  # (cities,) yuan per resident worker per year, 2019
    housing_cost: np.ndarray
    housing_index: np.ndarray  # housing_cost / housing_cost_0
    population_0: np.ndarray  # (cities,) resident worker agents at calibration
    # the housing-cost path since the last change of its rules (regulation, elasticity): population and cost then
    housing_anchor_pop: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    housing_anchor_cost: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))

    @classmethod
    def from_data(cls, p, enclaves) -> Land:
        pt = cal.park_table()
        n = len(pt)
        focus = np.zeros((n, len(SECTORS)), dtype=bool)
        for i, f in enumerate(pt.sector_focus):
            for s in f.split(";"):
                focus[i, SECTORS.index(s)] = True
        sponsor = np.full(n, -1, dtype=np.int8)
        is_open = ~pt.hypothetical.to_numpy(dtype=bool)
        ids = tuple(pt.index)
        for e in enclaves:
            sponsor[ids.index(e.park)] = CITIES.index(e.sponsor)
            is_open[ids.index(e.park)] = True
        h0 = np.array([p["housing_cost_changsha"] if c == CORE else p["housing_cost_periphery"] for c in range(N_CITIES)])
        return cls(park_id=ids, name_en=tuple(pt.name_en), name_zh=tuple(pt.name_zh),
                   city=np.array([CITIES.index(c) for c in pt.city], dtype=np.int8), level=tuple(pt.level),
                   is_urban=(pt.level == "urban").to_numpy(), focus=focus,
                   base_rent=pt.base_rent_yuan_m2_year.to_numpy(dtype=float),
                   green_heart_share=pt.green_heart_share.to_numpy(dtype=float),
                   lat=pt.lat_deg.to_numpy(dtype=float), lon=pt.lon_deg.to_numpy(dtype=float),
                   initial_occupancy=pt.initial_occupancy.to_numpy(dtype=float), open=is_open, sponsor=sponsor,
                   capacity_ha=np.zeros(n), used_ha=np.zeros(n), rent=pt.base_rent_yuan_m2_year.to_numpy(dtype=float),
                   land_2019_ha=np.zeros(n), used_2019_ha=np.zeros(n), full=np.zeros(n, dtype=bool),
                   rent0_city=np.ones(N_CITIES), rent_index=np.ones(n), housing_cost_0=h0, housing_cost=h0.copy(),
                   housing_index=np.ones(N_CITIES), population_0=np.zeros(N_CITIES, dtype=np.int64))

    @property
    def n(self) -> int:
        return len(self.park_id)

    def occupancy(self, i: int) -> float:
        cap = self.capacity_ha[i]
        return 0.0 if cap == float("inf") or cap <= 0 else float(self.used_ha[i] / cap)

    def occupancy_rent(self, i: int, rent_congestion: float) -> float:
        """Rent a park at its occupancy asks, yuan per m2 per year: base * (1 + k * occ**2 / (1.05 - occ))."""
        occ = min(self.occupancy(i), 1.0)
        return float(self.base_rent[i]) * (1.0 + rent_congestion * occ**2 / (RENT_POLE - occ))


# ---------------------------------------------------------------------------------------------- land per firm
def land_m2_per_worker() -> np.ndarray:
    return cal.sector_table().land_m2_per_worker.to_numpy(dtype=float)


def land_ha_per_agent(m: CZTModel, sector: np.ndarray) -> np.ndarray:
    """Park land (hectares) one employed worker agent occupies, by sector."""
    return m.persons_per_agent * land_m2_per_worker()[sector] / 1e4


def firm_land_ha(m: CZTModel, slots: np.ndarray) -> np.ndarray:
    F = m.firms
    return (F.n_ordinary[slots] + F.n_talent[slots]) * land_ha_per_agent(m, F.sector[slots])


# ---------------------------------------------------------------------------------------------- calibration
def calibrate_land(m: CZTModel) -> None:
    """2019 park land (used plus expansion land), rents at their occupancy, each city's reference rent."""
    L = m.land
    _measure_use(m)
    L.full[:] = False
    for i in range(L.n):
        # land at 2019: what is used plus the expansion land (part of it inside the green heart)
        occ0, used = float(L.initial_occupancy[i]), float(L.used_ha[i])
        L.land_2019_ha[i] = max(used / occ0, used + m.p["park_expansion_min_ha"]) if occ0 > 0 else 0.0
        L.used_2019_ha[i] = used
    apply_land_policy(m)
    for i in range(L.n):
        L.rent[i] = L.occupancy_rent(i, m.p["rent_congestion"])
    # reference rent per city: the land-weighted 2019 rent of its industrial parks
    ind = [i for i in range(L.n) if not L.is_urban[i]]
    L.rent0_city = np.array([sum(float(L.rent[i]) * float(L.used_ha[i]) for i in ind if L.city[i] == c)
                             / max(sum(float(L.used_ha[i]) for i in ind if L.city[i] == c), 1e-9)
                             for c in range(N_CITIES)])
    rent_index(m)


def land_cost_share(m: CZTModel) -> np.ndarray:
    """Land cost per worker over the average wage, by (sector, city): industrial rent, or office rent for services.

    Rents are 2019 figures (parks.csv). A start before 2010 divides them by the 2019 wage, i.e. restates them at the
    start year's wage level: over the 2005 wage they would exceed labour cost (shares above 2 for services), and
    firms' unit cost turns negative once wages outgrow rents. The 2010 start keeps the start year's wage as shipped
    (shares up to 1.19 for one sector; docs/record.md), so that its runs are unchanged."""
    st = cal.sector_table()
    wage_year = m.start_year if m.start_year >= 2010 else 2019
    wage_avg = cal.city_table(wage_year).loc[list(CITIES), "avg_wage_yuan"].to_numpy()
    mult = np.where(st.kind.to_numpy() == "tertiary", m.p["office_rent_multiple"], 1.0)
    return (land_m2_per_worker() * mult)[:, None] * m.land.rent0_city[None, :] / wage_avg[None, :]


def apply_land_policy(m: CZTModel) -> None:
    """Park capacity under the current policy: green-heart land closed by the ban; hypothetical enclaves opened."""
    L, p = m.land, m.p
    for i in range(L.n):
        if L.is_urban[i]:
            L.capacity_ha[i] = float("inf")
        elif not L.open[i]:
            L.capacity_ha[i] = 0.0
        elif L.land_2019_ha[i] > 0:
            closed = p["green_heart_ban"] * float(L.green_heart_share[i]) * float(L.land_2019_ha[i] - L.used_2019_ha[i])
            L.capacity_ha[i] = float(L.land_2019_ha[i]) - closed
        else:
            L.capacity_ha[i] = p["enclave_capacity_ha"]


def change_land_policy(m: CZTModel, old_ban: float) -> None:
    """Mid-run change of the green-heart ban: close or reopen that land, keeping the growth parks have had."""
    L = m.land
    d = m.p["green_heart_ban"] - old_ban
    if d == 0:
        return
    for i in range(L.n):
        if not L.is_urban[i] and L.open[i] and L.land_2019_ha[i] > 0:
            L.capacity_ha[i] -= d * float(L.green_heart_share[i]) * float(L.land_2019_ha[i] - L.used_2019_ha[i])


# ---------------------------------------------------------------------------------------------- stages
def housing_exponent(m: CZTModel) -> np.ndarray:
    """Elasticity of each city's housing cost to its residents: ``housing_elasticity``, in Changsha times
    (1 - ``changsha_housing_regulation``), the share of the crowding-driven rise its purchase limits and price caps
    hold back (限购限价, since March 2017)."""
    e = np.full(N_CITIES, float(m.p["housing_elasticity"]))
    e[CORE] *= 1.0 - m.p["changsha_housing_regulation"]
    return e


def anchor_housing(m: CZTModel) -> None:
    """Start the housing-cost path afresh from today's residents and cost (at calibration, and when a phase
    changes its rules), so that a new regulation bends the path instead of making the cost jump."""
    L = m.land
    L.housing_anchor_pop = np.maximum(m.city_population.astype(float), 1.0)
    L.housing_anchor_cost = np.array(L.housing_cost, dtype=float)


def update_housing(m: CZTModel) -> None:
    """Housing cost rises with crowding: cost_a * (residents / residents_a) ** exponent, from the last anchor
    (the start year, or the last change of the housing rules); the exponent is ``housing_exponent``."""
    L = m.land
    pop = m.city_population
    e = housing_exponent(m)
    for c in range(N_CITIES):
        ratio = max(pop[c], 1) / float(L.housing_anchor_pop[c])
        L.housing_cost[c] = float(L.housing_anchor_cost[c]) * ratio ** e[c]


def update_rents(m: CZTModel) -> None:
    """Rents follow the occupancy rent partially (``rent_adjustment`` of the gap a quarter): leases reprice over
    time. An instant, steep rent made every firm of a park shed and rehire staff in step with it."""
    L, p = m.land, m.p
    for i in range(L.n):
        L.rent[i] = float(L.rent[i]) + p["rent_adjustment"] * (L.occupancy_rent(i, p["rent_congestion"]) - float(L.rent[i]))


def update_land(m: CZTModel) -> None:
    """Land the firms use, park land growth (annual quotas, a Changsha bonus, the governments' extra releases and
    their development cost), full parks, the rent index."""
    L, p = m.land, m.p
    _measure_use(m)
    release = m.governance.land_release
    cost = np.zeros(N_CITIES)
    for i in range(L.n):
        if not L.is_urban[i] and L.open[i]:
            c = int(L.city[i])
            g = p["park_land_growth"] + (p["changsha_land_bonus"] if c == CORE else 0.0)
            extra = float(L.capacity_ha[i]) * ((1 + g + float(release[c])) ** 0.25 - (1 + g) ** 0.25)
            L.capacity_ha[i] = float(L.capacity_ha[i]) * (1 + g) ** 0.25 + extra
            cost[c] += extra * p["land_development_cost_yuan_per_ha"] / 1e8
    m.governance.land_cost = cost
    L.full = np.array([not L.is_urban[i] and float(L.used_ha[i]) >= float(L.capacity_ha[i]) for i in range(L.n)])
    rent_index(m)


def _measure_use(m: CZTModel) -> None:
    F, L = m.firms, m.land
    live = F.living
    L.used_ha = np.bincount(F.park[live], weights=firm_land_ha(m, live), minlength=L.n).astype(float)


def rent_index(m: CZTModel) -> None:
    """Rent index per park relative to its city's 2019 rent; urban areas follow the city's housing cost."""
    L = m.land
    h = np.array([float(L.housing_cost[c]) / float(L.housing_cost_0[c]) if L.housing_cost_0[c] else 1.0
                  for c in range(N_CITIES)])
    L.housing_index = h
    L.rent_index = np.array([h[L.city[i]] if L.is_urban[i] else float(L.rent[i]) / L.rent0_city[L.city[i]]
                             for i in range(L.n)])


def free_land(m: CZTModel) -> np.ndarray:
    """Hectares still free in each park (inf in urban areas)."""
    L = m.land
    return np.array([float(L.capacity_ha[i]) - float(L.used_ha[i]) for i in range(L.n)])
