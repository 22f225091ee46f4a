"""The indicators Chinese regional economists read of a city cluster, per city and for the cluster, in one year.

From the annual city frame (``CZTModel.annual_frame``: money in 100 million yuan = 亿元 at the run's start-year
prices, people in 10k persons = 万人) and, for the registered population, the workers' hukou at the current quarter:

- GDP (地区生产总值, 亿元) and its share of the cluster (%), with the change since the first year (百分点);
- primacy (首位度): Changsha's GDP over the larger periphery city's (two-city index) and over both (Jefferson 1939;
  model.measures.primacy);
- resident population (常住人口, 万人), registered population (户籍人口, 万人: residents of the cluster and
  emigrants alike by the city of their hukou) and residents per registered person (常住/户籍);
- GDP per resident (人均GDP, 元);
- the three-sector structure (三次产业结构, % of GDP: primary, secondary, tertiary by model/data/sectors.csv kinds);
- local tax revenue after sharing (地方税收, 亿元), tax shared out and in through enclave agreements (亿元);
- commuters out and in (跨市通勤, 万人);
- the Theil index and the coefficient of variation of GDP per resident between the cities (泰尔指数 / 变异系数,
  population-weighted; model.measures).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.identity import CITIES, N_CITIES, SECTOR_KIND
from model.measures import cv, primacy, theil

CLUSTER = "cluster"
KINDS = ("primary", "secondary", "tertiary")
# every indicator, in the order of the table (the app's texts are ind_<key> and unit_<unit>)
KEYS = ("gdp", "gdp_share", "gdp_share_change", "primacy_two_city", "primacy_three_city", "resident_population",
        "registered_population", "residents_per_registered", "gdp_per_capita", "sector_primary", "sector_secondary",
        "sector_tertiary", "tax_after_sharing", "tax_shared_out", "tax_shared_in", "commuters_out", "commuters_in",
        "theil", "cv")
UNITS = ("100m_yuan", "10k", "yuan", "pct", "pp", "ratio", "index")


@dataclass(frozen=True)
class Indicator:
    key: str
    unit: str  # the unit's key in the app's texts: 100m_yuan, 10k, yuan, pct, pp, ratio, index
    values: dict[str, float]  # city (and "cluster") -> value; a cluster-only indicator has only "cluster"


def registered_population_10k(hukou: np.ndarray, alive: np.ndarray, scale: float) -> dict[str, float]:
    """户籍人口 of each city, 10k persons: living agents holding its hukou, wherever they live, times the residents
    each agent stands for (``scale``)."""
    h = hukou[alive.astype(bool)]
    counts = np.bincount(h[h < N_CITIES].astype(np.int64), minlength=N_CITIES)
    return {c: float(counts[i]) * scale / 1e4 for i, c in enumerate(CITIES)}


def regional_indicators(annual: pd.DataFrame, year: int | None = None,
                        registered_10k: dict[str, float] | None = None) -> list[Indicator]:
    """The indicators of ``year`` (default: the last year of ``annual``); the share change is against the first
    year of ``annual``. ``registered_10k``: from :func:`registered_population_10k` (left out when None)."""
    if annual.empty:
        return []
    year = int(annual.year.max()) if year is None else year
    first = int(annual.year.min())
    rows = annual[annual.year == year].set_index("city")
    start = annual[annual.year == first].set_index("city")
    cities = [c for c in CITIES if c in rows.index]

    def per_city(col: str) -> dict[str, float]:
        """The column's value in each city and, summed, in the cluster."""
        d = {c: float(rows.at[c, col]) for c in cities}
        return d | {CLUSTER: float(sum(d.values()))}

    gdp, pop = per_city("gdp_100m_yuan"), per_city("population_10k")
    share = {c: 100 * gdp[c] / gdp[CLUSTER] for c in cities}
    share0 = {c: 100 * float(start.at[c, "gdp_100m_yuan"]) / float(start.gdp_100m_yuan.sum()) for c in cities}
    out = [Indicator("gdp", "100m_yuan", gdp),
           Indicator("gdp_share", "pct", share),
           Indicator("gdp_share_change", "pp", {c: share[c] - share0[c] for c in cities})]
    prim = primacy(annual).loc[year]
    out += [Indicator("primacy_two_city", "ratio", {CLUSTER: float(prim.p1_p2)}),
            Indicator("primacy_three_city", "ratio", {CLUSTER: float(prim.p1_p2p3)})]
    out.append(Indicator("resident_population", "10k", pop))
    if registered_10k is not None:
        reg = {c: registered_10k[c] for c in cities} | {CLUSTER: float(sum(registered_10k[c] for c in cities))}
        out += [Indicator("registered_population", "10k", reg),
                Indicator("residents_per_registered", "ratio", {c: pop[c] / reg[c] for c in reg if reg[c] > 0})]
    out.append(Indicator("gdp_per_capita", "yuan", {c: gdp[c] * 1e8 / (pop[c] * 1e4) for c in gdp}))
    by_kind = {k: {c: 0.0 for c in gdp} for k in KINDS}
    for sector, kind in SECTOR_KIND.items():
        col = f"gdp_{sector}_100m_yuan"
        for c in cities:
            v = float(rows.at[c, col])
            by_kind[kind][c] += v
            by_kind[kind][CLUSTER] += v
    out += [Indicator(f"sector_{k}", "pct", {c: 100 * by_kind[k][c] / gdp[c] for c in gdp}) for k in KINDS]
    out += [Indicator("tax_after_sharing", "100m_yuan", per_city("tax_after_sharing_100m_yuan")),
            Indicator("tax_shared_out", "100m_yuan", per_city("tax_shared_out_100m_yuan")),
            Indicator("tax_shared_in", "100m_yuan", per_city("tax_shared_in_100m_yuan")),
            Indicator("commuters_out", "10k", per_city("commuters_out_10k")),
            Indicator("commuters_in", "10k", per_city("commuters_in_10k")),
            Indicator("theil", "index", {CLUSTER: float(theil(annual).loc[year])}),
            Indicator("cv", "index", {CLUSTER: float(cv(annual).loc[year])})]
    return out


__all__ = ["CLUSTER", "Indicator", "KEYS", "KINDS", "UNITS", "regional_indicators", "registered_population_10k"]
