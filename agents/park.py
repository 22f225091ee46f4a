"""Industrial parks (产业园区), including enclave parks (飞地园区) with a host and a sponsor city.

A park's state lives in the ``model.land.Land`` component (one row per park); :class:`IndustrialPark` is the
``mesa.Agent`` handle that a user, the app or Mesa's AgentSet tools use to look at one park.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from model.czt_model import CZTModel


class IndustrialPark(mesa.Agent):
    """A park with land capacity (hectares), a sector focus and a rent that rises as it fills.

    ``urban`` pseudo-parks hold services and agriculture outside industrial parks: no land cap.
    """

    def __init__(self, model: CZTModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _land(self):
        return self.model.land

    park_id = property(lambda self: self._land.park_id[self.index])
    name_en = property(lambda self: self._land.name_en[self.index])
    name_zh = property(lambda self: self._land.name_zh[self.index])
    city = property(lambda self: int(self._land.city[self.index]))
    level = property(lambda self: self._land.level[self.index])
    lat = property(lambda self: float(self._land.lat[self.index]))
    lon = property(lambda self: float(self._land.lon[self.index]))
    open = property(lambda self: bool(self._land.open[self.index]))
    green_heart_share = property(lambda self: float(self._land.green_heart_share[self.index]))
    capacity_ha = property(lambda self: float(self._land.capacity_ha[self.index]))
    used_ha = property(lambda self: float(self._land.used_ha[self.index]))
    rent = property(lambda self: float(self._land.rent[self.index]))
    land_2019_ha = property(lambda self: float(self._land.land_2019_ha[self.index]))
    used_2019_ha = property(lambda self: float(self._land.used_2019_ha[self.index]))

    @property
    def sector_focus(self) -> tuple[str, ...]:
        from model.identity import SECTORS

        return tuple(s for s, f in zip(SECTORS, self._land.focus[self.index]) if f)

    @property
    def sponsor(self) -> int | None:
        s = int(self._land.sponsor[self.index])
        return None if s < 0 else s

    @property
    def is_enclave(self) -> bool:
        return self.sponsor is not None

    @property
    def occupancy(self) -> float:
        return self._land.occupancy(self.index)

    def describe(self) -> dict:
        m = self.model
        return {"park": self.park_id, "name": self.name_en, "name_zh": self.name_zh, "city": m.cities[self.city],
                "level": self.level, "sector_focus": list(self.sector_focus),
                "capacity_ha": self.capacity_ha, "used_ha": round(self.used_ha, 1), "occupancy": round(self.occupancy, 3),
                "rent_yuan_m2_year": round(self.rent, 1),
                "enclave_sponsor": None if self.sponsor is None else m.cities[self.sponsor],
                "firms": int(m.firms.n_est[(m.firms.park == self.index) & m.firms.alive].sum())}
