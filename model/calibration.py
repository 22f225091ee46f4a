"""Build the initial state (2019, or 2010 or 2005 for the hindcasts) from the data files in ``model/data``.

Units and sources are in the files. Base years: 2019 (yearbook and provincial bulletin), 2010 and 2005 (yearbook
GDP, sector shares and wages). Residents from the censuses: the 2010 count; for 2019 the log-linear path between
the 2010 and 2020 counts, for 2005 the one between the 2000 and 2010 counts (``census_residents``).

Calibration is by construction where the data allow it: GDP by city and sector, residents and
average wages are reproduced at t0; productivity levels A(sector, city) and the firms' cost per
worker are the residuals that make the 2019 firms optimal at their observed size.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from agents.worker import ORDINARY, TALENT

DATA = Path(__file__).resolve().parent / "data"

# Relative labour productivity of the three kinds of sector (value-added share / employment share),
# NBS Statistical Communiqué 2019: GDP shares 7.1 / 39.0 / 53.9 %, employment shares 25.1 / 27.5 / 47.4 %.
RELATIVE_PRODUCTIVITY = {"primary": 7.1 / 25.1, "secondary": 39.0 / 27.5, "tertiary": 53.9 / 47.4}


BASE_YEARS = (2005, 2010, 2019)
"""Years with a complete initial state: 2019 (the default), 2010 (census year) and 2005 (the long hindcast: yearbook
GDP, sectors and wages, residents between the 2000 and 2010 censuses)."""


def city_table(year: int = 2019) -> pd.DataFrame:
    """City facts of a base year: GDP (100 million yuan, that year's prices), shares, wages, residents (persons).

    Residents are anchored on the censuses (:func:`census_residents`), not on the yearbooks' estimates, which the
    2020 census showed to be far too low for Changsha (8.39 million at end-2019 against 10.05 million counted).
    A fresh copy each call (callers may change it); the table itself is built once per process."""
    if year not in BASE_YEARS:
        from model.errors import ConfigError

        raise ConfigError("start_year", year, ", ".join(map(str, BASE_YEARS[:-1])) + " or " + str(BASE_YEARS[-1]) +
                          " (years with census-anchored data)")
    return _city_table(year).copy()


@lru_cache(maxsize=None)
def _city_table(year: int) -> pd.DataFrame:
    df = pd.read_csv(DATA / "cities_2019.csv").set_index("city")
    if year != 2019:
        hist = city_history()
        h = hist[hist.year == year].set_index("city")
        cols = ["gdp_100m_yuan", "gdp_per_capita_yuan", "primary_share_pct", "secondary_share_pct",
                "tertiary_share_pct", "avg_wage_yuan", "urban_unit_employees_10k"]
        df.loc[h.index, cols] = h[cols].to_numpy()
    df["population"] = [census_residents(c, year) for c in df.index]
    df["gdp_per_capita_yuan"] = df.gdp_100m_yuan * 1e8 / df.population  # on the census-anchored residents
    return df


CENSUS_DATE = {2000: 2000 + 10 / 12, 2010: 2010 + 10 / 12, 2020: 2020 + 10 / 12}  # 1 November, in years


def census_decade(year: int | float) -> tuple[int, int]:
    """The two censuses whose path gives the residents of ``year``: 2000 and 2010 for the years before 2010 (the
    2005 start), 2010 and 2020 from 2010 on (and beyond 2020 along that trend)."""
    return (2000, 2010) if year < 2010 else (2010, 2020)


def census_residents(place: str, year: int | float) -> float:
    """Residents of a city or region (persons) in the middle of ``year``, log-linear between the two censuses of its
    decade (``census_decade``); the 2010 start uses the 2010 count itself. Switching decade at 1 January 2010 leaves
    a small step (the two decades' growth rates times the 4 months from mid-2010 to the census date: Changsha
    -0.7 %), which only a run from 2005 crosses."""
    if year == 2010:
        return float(_census_pair(place, 2010)[0])
    first, last = census_decade(year)
    p0, p1 = _census_pair(place, first)
    t = (year + 0.5 - CENSUS_DATE[first]) / (CENSUS_DATE[last] - CENSUS_DATE[first])
    return float(p0 * (p1 / p0) ** t)


@lru_cache(maxsize=None)
def _census_pair(place: str, first: int = 2010) -> tuple:
    """The counts of a place at the census ``first`` and ten years later (numpy floats, as census_table holds them)."""
    c = census_table()
    return c.loc[(place, first)], c.loc[(place, first + 10)]


@lru_cache(maxsize=None)
def census_table() -> pd.Series:
    """Census residents (persons) by (place, census year): the three cities, the rest of Hunan, the rest of China."""
    return pd.read_csv(DATA / "census.csv").set_index(["place", "census_year"]).resident_population.astype(float)


@lru_cache(maxsize=None)
def natural_growth_table() -> pd.DataFrame:
    """Recorded natural growth (births less deaths per resident, per mille) by place and year
    (``model/data/natural_growth.csv``, sources in the file)."""
    return pd.read_csv(DATA / "natural_growth.csv").sort_values(["place", "year"])


def natural_growth(place: str, year: int | float) -> float:
    """Natural growth of a city (per year, a fraction) in ``year``: linear between its recorded years, held before
    the first and after the last. A city with fewer than two recorded years follows Hunan's path, shifted to meet its
    record where it has one. Hukou-basis rates stand for residents (Changsha's bulletins give no resident-basis rate;
    an assumption)."""
    t = natural_growth_table()
    hunan = t[t.place == "hunan"]

    def path(rows: pd.DataFrame, y) -> np.ndarray:
        return np.interp(y, rows.year.to_numpy(dtype=float), rows.natural_growth_per_mille.to_numpy())

    rows = t[t.place == place]
    if len(rows) >= 2:
        return float(path(rows, year)) / 1000
    shift = float((rows.natural_growth_per_mille.to_numpy() - path(hunan, rows.year.to_numpy(dtype=float))).mean()) \
        if len(rows) else 0.0
    return float(path(hunan, year) + shift) / 1000


@lru_cache(maxsize=None)
def region_table() -> pd.DataFrame:
    """The rest of Hunan and the rest of China: average wages 2010 and 2019 (yuan per year), outside-hukou shares."""
    return pd.read_csv(DATA / "regions.csv").set_index("region")


@lru_cache(maxsize=None)
def city_history() -> pd.DataFrame:
    """The recorded city panel 2005-2019: yearbook 2005-2015 and 2019, bulletins and derived figures 2016-2018 (units
    in the column names; ``vintage``: the economic census whose benchmark a level rests on; ``flag``: published,
    derived_approx or missing; docs/record.md)."""
    return pd.read_csv(DATA / "city_history.csv").drop(columns="source")


@lru_cache(maxsize=None)
def gdp_deflator() -> pd.Series:
    """National GDP deflator by year, 2010 = 1 (NBS yearbook: nominal GDP over the chained real index); years before
    2010 chained backwards from 2010."""
    df = pd.read_csv(DATA / "national_gdp.csv").set_index("year")
    late = df[df.index >= 2010]
    real = (1 + late.real_growth_pct.where(late.index > 2010, 0) / 100).cumprod()
    out = (late.gdp_100m_yuan / late.gdp_100m_yuan.iloc[0]) / real
    early = df[df.index < 2010]
    # real index of year y on 2010 = 1 / product of (1 + growth) over y+1 .. 2010
    growth = 1 + df.real_growth_pct[df.index <= 2010] / 100
    back = growth[::-1].cumprod()[::-1].shift(-1).reindex(early.index)
    return pd.concat([(early.gdp_100m_yuan / late.gdp_100m_yuan.iloc[0]) * back, out])


@lru_cache(maxsize=None)
def sector_table() -> pd.DataFrame:
    return pd.read_csv(DATA / "sectors.csv").set_index("sector")


@lru_cache(maxsize=None)
def park_table() -> pd.DataFrame:
    return pd.read_csv(DATA / "parks.csv").set_index("park")


@lru_cache(maxsize=None)
def travel_table() -> pd.DataFrame:
    return pd.read_csv(DATA / "travel.csv")


@lru_cache(maxsize=None)
def division_catalogue() -> pd.DataFrame:
    return pd.read_csv(DATA / "division_catalogue.csv")


def sector_gdp(cities: tuple[str, ...], year: int = 2019) -> np.ndarray:
    """Base-year value added by sector and city, 100 million yuan per year: shape (sectors, cities).

    Within each kind (primary/secondary/tertiary) the sector split is the 2019 one (sectors.csv) in every base year."""
    ct, st = city_table(year), sector_table()
    out = np.zeros((len(st), len(cities)))
    for j, c in enumerate(cities):
        for i, (sector, row) in enumerate(st.iterrows()):
            kind_share = ct.at[c, f"{row.kind}_share_pct"] / 100.0
            out[i, j] = ct.at[c, "gdp_100m_yuan"] * kind_share * row[f"share_of_kind_{c}"]
    # the three kind shares of the yearbook add to 100 +- 0.01: rescale so sectors add to city GDP exactly
    return out * (ct.loc[list(cities), "gdp_100m_yuan"].to_numpy() / out.sum(axis=0))


def employment_split(cities: tuple[str, ...], employed_agents: np.ndarray, year: int = 2019) -> np.ndarray:
    """Employed worker agents by sector and city, proportional to value added / relative productivity."""
    st = sector_table()
    gdp = sector_gdp(cities, year)
    weight = gdp / np.array([RELATIVE_PRODUCTIVITY[k] for k in st.kind])[:, None]
    share = weight / weight.sum(axis=0)
    raw = share * employed_agents[None, :]
    out = np.floor(raw).astype(np.int64)
    for j in range(len(cities)):  # largest remainders so columns add up exactly
        short = int(employed_agents[j] - out[:, j].sum())
        order = np.argsort(-(raw[:, j] - out[:, j]), kind="stable")
        out[order[:short], j] += 1
    return out


def firm_sizes(rng: np.random.Generator, total: int, mean: float, sigma: float) -> np.ndarray:
    """Lognormal firm sizes (worker agents, >= 1) adding up to ``total``."""
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    mu = np.log(max(mean, 1.0)) - sigma**2 / 2
    sizes = np.zeros(0, dtype=np.int64)
    while sizes.sum() < total:  # draw in batches until the sizes cover the total
        n_more = max(int((total - sizes.sum()) / max(mean, 1.0) * 1.5) + 2, 2)
        sizes = np.concatenate([sizes, np.maximum(1, np.rint(rng.lognormal(mu, sigma, n_more))).astype(np.int64)])
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, total))
    sizes = sizes[: k + 1].copy()
    sizes[-1] -= int(cum[k] - total)
    return sizes[sizes > 0]


def talent_share_by_city(cities: tuple[str, ...], emp: np.ndarray) -> np.ndarray:
    tal = sector_table().talent_share.to_numpy()
    return (emp * tal[:, None]).sum(axis=0) / emp.sum(axis=0)


def wage_levels(cities: tuple[str, ...], talent_share: np.ndarray, premium: float, year: int = 2019) -> np.ndarray:
    """Base-year annual wages (yuan) by city and skill such that the employment-weighted mean is the yearbook wage."""
    avg = city_table(year).loc[list(cities), "avg_wage_yuan"].to_numpy()
    ordinary = avg / (1 - talent_share + talent_share * premium)
    return np.stack([ordinary, ordinary * premium], axis=1)  # (cities, skills)


SKILLS = (ORDINARY, TALENT)
