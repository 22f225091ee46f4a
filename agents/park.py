"""Industrial parks (产业园区), including enclave parks (飞地园区) with a host and a sponsor city."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from model.czt_model import CZTModel


class IndustrialPark(mesa.Agent):
    """A park with land capacity (hectares), a sector focus and a rent that rises as it fills.

    ``urban`` pseudo-parks hold services and agriculture outside industrial parks: no land cap.
    """

    def __init__(self, model: CZTModel, index: int, park_id: str, row) -> None:
        super().__init__(model)
        self.index = index
        self.park_id = park_id
        self.name_en: str = row.name_en
        self.name_zh: str = row.name_zh
        self.city: int = model.cities.index(row.city)
        self.level: str = row.level
        self.sector_focus: tuple[str, ...] = tuple(row.sector_focus.split(";"))
        self.base_rent: float = float(row.base_rent_yuan_m2_year)  # yuan per m2 per year
        self.green_heart_share: float = float(row.green_heart_share)
        self.lat, self.lon = float(row.lat_deg), float(row.lon_deg)
        self.capacity_ha: float = 0.0  # set by calibration; inf for urban areas
        self.used_ha: float = 0.0
        self.rent: float = self.base_rent
        self.sponsor: int | None = None  # city index of the enclave sponsor, if an enclave
        self.open: bool = not bool(row.hypothetical)

    @property
    def is_enclave(self) -> bool:
        return self.sponsor is not None

    @property
    def occupancy(self) -> float:
        return 0.0 if self.capacity_ha == float("inf") or self.capacity_ha <= 0 else self.used_ha / self.capacity_ha

    def occupancy_rent(self) -> float:
        """Rent a park at this occupancy asks, yuan per m2 per year: base * (1 + k * occ**2 / (1.05 - occ))."""
        occ = min(self.occupancy, 1.0)
        return self.base_rent * (1.0 + self.model.p["rent_congestion"] * occ**2 / (1.05 - occ))

    def update_rent(self) -> None:
        """Rents follow the occupancy rent partially (``rent_adjustment`` of the gap a quarter): leases reprice over
        time. An instant, steep rent made every firm of a park shed and rehire staff in step with it."""
        self.rent += self.model.p["rent_adjustment"] * (self.occupancy_rent() - self.rent)

    def describe(self) -> dict:
        m = self.model
        return {"park": self.park_id, "name": self.name_en, "name_zh": self.name_zh, "city": m.cities[self.city],
                "level": self.level, "sector_focus": list(self.sector_focus),
                "capacity_ha": self.capacity_ha, "used_ha": round(self.used_ha, 1), "occupancy": round(self.occupancy, 3),
                "rent_yuan_m2_year": round(self.rent, 1),
                "enclave_sponsor": None if self.sponsor is None else m.cities[self.sponsor],
                "firms": int(m.firms.n_est[(m.firms.park == self.index) & m.firms.alive].sum())}
