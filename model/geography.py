"""Where the cities are and how long it takes to get between them: door-to-door commuting minutes (one way).

Distances enter only through commuting between city pairs (intra-city commuting is not modelled); coordinates are
for the map. The :class:`Geography` component is rebuilt whenever a phase changes the commuting levers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from model import calibration as cal
from model.identity import CITIES, N_CITIES
from model.params import COMMUTE_PARAMS


@dataclass(slots=True, frozen=True)
class Geography:
    commute_minutes: np.ndarray  # (cities, cities) door to door, one way; 0 within a city
    commute_feasible: np.ndarray  # bool (cities, cities): within max_commute_minutes
    lat: np.ndarray  # degrees, city centres
    lon: np.ndarray

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Geography:
        m = np.zeros((N_CITIES, N_CITIES))
        for (a, b), name in COMMUTE_PARAMS.items():
            i, j = CITIES.index(a), CITIES.index(b)
            m[i, j] = m[j, i] = p[name]
        ct = cal.city_table()
        return cls(commute_minutes=m, commute_feasible=m <= p["max_commute_minutes"],
                   lat=ct.loc[list(CITIES), "lat_deg"].to_numpy(), lon=ct.loc[list(CITIES), "lon_deg"].to_numpy())
