"""Who and what the model is about, read once from the data files: the cities, core and periphery, the sectors.

Everything else names cities and sectors through this module, never by a literal: ``CITIES`` is the order of
``model/data/cities_2019.csv`` (Changsha, Zhuzhou, Xiangtan), its ``role`` column says which is the core;
``SECTORS`` is the order of ``model/data/sectors.csv``. City and sector indices in the model's arrays follow
these orders. Beyond the cluster are two regions, the rest of Hunan and the rest of China (``REGIONS``, from
``model/data/regions.csv``): their codes follow the cities' (``OUTSIDE`` = the first, the rest of Hunan), in hukou and in
the origin and destination of flows; a code ``>= OUTSIDE`` means "outside the cluster".
Display names in English and Chinese (``CITY_EN`` / ``CITY_ZH``, ``SECTOR_EN`` / ``SECTOR_ZH``) are the files'
``name_en`` / ``name_zh`` columns: the app shows these, never a restated copy.
"""

from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


_CITY_ROWS = _rows("cities_2019.csv")
_REGION_ROWS = _rows("regions.csv")
_SECTOR_ROWS = _rows("sectors.csv")

CITIES: tuple[str, ...] = tuple(r["city"] for r in _CITY_ROWS)
CITY_EN: dict[str, str] = {r["city"]: r["name_en"] for r in _CITY_ROWS}  # display names
CITY_ZH: dict[str, str] = {r["city"]: r["name_zh"] for r in _CITY_ROWS}
N_CITIES: int = len(CITIES)
CORE: int = next(i for i, r in enumerate(_CITY_ROWS) if r["role"] == "core")  # index of the core city
PERIPHERY: tuple[int, ...] = tuple(i for i, r in enumerate(_CITY_ROWS) if r["role"] == "periphery")
CORE_CITY: str = CITIES[CORE]
PERIPHERY_CITIES: tuple[str, ...] = tuple(CITIES[i] for i in PERIPHERY)
OUTSIDE: int = N_CITIES  # first code outside the cluster (the rest of Hunan); codes >= OUTSIDE are outside
REGIONS: tuple[str, ...] = tuple(r["region"] for r in _REGION_ROWS)  # rest_of_hunan, rest_of_china
REGION_EN: dict[str, str] = {r["region"]: r["name_en"] for r in _REGION_ROWS}
REGION_ZH: dict[str, str] = {r["region"]: r["name_zh"] for r in _REGION_ROWS}
N_REGIONS: int = len(REGIONS)
REST_OF_HUNAN: int = OUTSIDE + REGIONS.index("rest_of_hunan")
PLACES: tuple[str, ...] = CITIES + REGIONS  # names of the codes 0..N_CITIES + N_REGIONS - 1

SECTORS: tuple[str, ...] = tuple(r["sector"] for r in _SECTOR_ROWS)
SECTOR_EN: dict[str, str] = {r["sector"]: r["name_en"] for r in _SECTOR_ROWS}  # display names
SECTOR_ZH: dict[str, str] = {r["sector"]: r["name_zh"] for r in _SECTOR_ROWS}
SECTOR_KIND: dict[str, str] = {r["sector"]: r["kind"] for r in _SECTOR_ROWS}  # primary, secondary or tertiary
SECONDARY: tuple[str, ...] = tuple(s for s in SECTORS if SECTOR_KIND[s] == "secondary")

SKILLS: tuple[str, ...] = ("ordinary", "talent")  # worker skill codes 0 and 1

# door-to-door commuting minutes (one way) between city pairs, by travel network: the columns of travel.csv
TRAVEL_NETWORKS: dict[str, str] = {"rail_2019": "door_to_door_minutes_2019", "pre_rail": "door_to_door_minutes_pre_rail",
                                   "half_hour_circle": "half_hour_circle_minutes"}
_TRAVEL_ROWS = _rows("travel.csv")


def travel_minutes(network: str) -> dict[tuple[str, str], float]:
    """{(origin, destination): minutes} of one travel network (a key of TRAVEL_NETWORKS)."""
    col = TRAVEL_NETWORKS[network]
    return {(r["origin"], r["destination"]): float(r[col]) for r in _TRAVEL_ROWS}


def travel_km() -> dict[tuple[str, str], float]:
    """{(origin, destination): straight-line km between city centres} (travel.csv), for goods' gravity."""
    return {(r["origin"], r["destination"]): float(r["distance_km"]) for r in _TRAVEL_ROWS}


def place(code: int) -> str:
    """Name of a city or region code."""
    return PLACES[code]


assert len(PERIPHERY) == N_CITIES - 1, "cities_2019.csv: exactly one city has role 'core', the others 'periphery'"
