"""The long record 2005-2019 (and the 2010 and 2020 censuses) as moments per city and year, and the same moments
from a simulated run: for the report of signed errors (``python -m experiments validate``; docs/record.md).

Moments (one row per moment, city and year):

- ``gdp_share``: the city's share of the three cities' GDP (current prices; a ratio within one year's figures, so
  within one vintage). 2018: Changsha's share of the CZT total of the provincial bulletin (Zhuzhou's and Xiangtan's
  2018 figures were not found, only their sum). 2017 Zhuzhou and Xiangtan are derived, not published.
- ``real_growth``: the city's GDP growth over the year before, log points, deflated by the national GDP deflator;
  only between two years of the same vintage (the economic census whose benchmark a level rests on): across the
  revisions after the 2008, 2013 and 2018 censuses a level change is partly a revision, and those years are left
  out (flag ``vintage_break`` rows are not written).
- ``secondary_share``: the secondary sector's share of the city's GDP (fraction).
- ``wage_ratio``: Zhuzhou's or Xiangtan's average wage over Changsha's (urban non-private units).
- ``residents``: residents in 10k persons at the 2010 and 2020 censuses (reference date 1 November), the simulated
  value being the year's; ``pop_share``: Changsha's share of the three cities' residents at the same censuses.

Each row carries ``flag``: ``published``, ``derived_approx`` (arithmetic on published figures, not itself
published), ``suspect_break`` (a growth rate across a level break inside one vintage, ``SUSPECT_GROWTH``) or
``census``. The model's money is at its start year's prices, so its GDP growth is already real.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from model import calibration as cal
from model.identity import CITIES, CORE_CITY, PERIPHERY_CITIES, SECONDARY

DATA = Path(__file__).resolve().parent / "data"
FIRST_YEAR, LAST_YEAR = 2005, 2019  # the yearly record
CENSUS_YEARS = (2010, 2020)  # census moments (2020: the only figure after 2019 that enters)
KEY = ["moment", "city", "year"]
# growth rows whose two levels share a vintage on paper but not in fact (docs/record.md): flagged, kept
SUSPECT_GROWTH = {
    ("changsha", 2008): "nominal +37.0 % 2007-2008 (2190.25 -> 3000.98) while Zhuzhou grew +21.1 %: a level break "
                        "inside the yearbook series (the 2005-2007 figures sit 15 % below another published series)",
    ("changsha", 2018): "the 2018 bulletin's base for 2017 was revised down before publication (nominal +4.4 % "
                        "against +8.5 % real; model/data/gdp_revisions.csv)",
}
UNIT = {"gdp_share": "fraction of CZT GDP", "real_growth": "log points per year",
        "secondary_share": "fraction of city GDP", "wage_ratio": "ratio to Changsha's average wage",
        "residents": "10k persons", "pop_share": "fraction of CZT residents"}


@lru_cache(maxsize=None)
def gdp_revisions() -> pd.DataFrame:
    """GDP figures on other vintages and revision facts (model/data/gdp_revisions.csv)."""
    return pd.read_csv(DATA / "gdp_revisions.csv")


def _czt_total(year: int) -> float | None:
    r = gdp_revisions()
    row = r[(r.place == "czt") & (r.year == year) & (r.variable == "gdp")]
    return float(row.value.iloc[0]) if len(row) else None


def observed() -> pd.DataFrame:
    """The recorded moments: moment, city, year, value, unit, vintage, flag."""
    h = cal.city_history()
    h = h[(h.year >= FIRST_YEAR) & (h.year <= LAST_YEAR)]
    defl = cal.gdp_deflator()
    rows = []
    for year, g in h.groupby("year"):
        g = g.set_index("city")
        gdp = g.gdp_100m_yuan
        flag = {c: g.at[c, "flag"] for c in CITIES}
        if gdp.notna().all():
            for c in CITIES:
                f = "derived_approx" if "derived_approx" in flag.values() else "published"
                rows.append(("gdp_share", c, year, gdp[c] / gdp.sum(), g.at[c, "vintage"], f))
        elif year == 2018 and pd.notna(gdp[CORE_CITY]) and _czt_total(year):  # only the CZT total and Changsha
            rows.append(("gdp_share", CORE_CITY, year, gdp[CORE_CITY] / _czt_total(year), g.at[CORE_CITY, "vintage"],
                         "published"))
        for c in CITIES:
            sec = g.at[c, "secondary_share_pct"]
            if pd.notna(sec):
                rows.append(("secondary_share", c, year, sec / 100, g.at[c, "vintage"], flag[c]))
        wage = g.avg_wage_yuan
        for c in PERIPHERY_CITIES:
            if pd.notna(wage[c]) and pd.notna(wage[CORE_CITY]):
                rows.append(("wage_ratio", c, year, wage[c] / wage[CORE_CITY], g.at[c, "vintage"], flag[c]))
    # real growth within a vintage
    for c in CITIES:
        s = h[h.city == c].set_index("year").sort_index()
        for year in s.index:
            if year - 1 not in s.index or year - 1 < FIRST_YEAR:
                continue
            a, b = s.loc[year - 1], s.loc[year]
            if pd.isna(a.gdp_100m_yuan) or pd.isna(b.gdp_100m_yuan) or a.vintage != b.vintage:
                continue
            value = np.log(b.gdp_100m_yuan / a.gdp_100m_yuan) - np.log(defl[year] / defl[year - 1])
            f = "derived_approx" if "derived_approx" in (a.flag, b.flag) else "published"
            f = "suspect_break" if (c, year) in SUSPECT_GROWTH else f
            rows.append(("real_growth", c, year, float(value), b.vintage, f))
    census = cal.census_table()
    for y in CENSUS_YEARS:
        total = sum(census.loc[(c, y)] for c in CITIES)
        for c in CITIES:
            rows.append(("residents", c, y, census.loc[(c, y)] / 1e4, f"census{y}", "census"))
        rows.append(("pop_share", CORE_CITY, y, census.loc[(CORE_CITY, y)] / total, f"census{y}", "census"))
    out = pd.DataFrame(rows, columns=KEY + ["value", "vintage", "flag"])
    out["unit"] = out.moment.map(UNIT)
    return out.sort_values(KEY).reset_index(drop=True)


def simulated(annual: pd.DataFrame) -> pd.DataFrame:
    """The same moments from one run's annual city table (every simulated year from the start; growth from the
    second year on): moment, city, year, value."""
    gdp = annual.pivot(index="year", columns="city", values="gdp_100m_yuan")
    share = gdp.div(gdp.sum(axis=1), axis=0)
    growth = np.log(gdp).diff()  # model money is at start-year prices: already real
    sec = sum(annual.pivot(index="year", columns="city", values=f"gdp_{s}_100m_yuan") for s in SECONDARY) / gdp
    wage = annual.pivot(index="year", columns="city", values="avg_wage_yuan")
    pop = annual.pivot(index="year", columns="city", values="population_10k")
    rows = []
    for year in gdp.index:
        for c in CITIES:
            rows.append(("gdp_share", c, year, share.at[year, c]))
            rows.append(("secondary_share", c, year, sec.at[year, c]))
            rows.append(("residents", c, year, pop.at[year, c]))
            if np.isfinite(growth.at[year, c]):
                rows.append(("real_growth", c, year, growth.at[year, c]))
        for c in PERIPHERY_CITIES:
            rows.append(("wage_ratio", c, year, wage.at[year, c] / wage.at[year, CORE_CITY]))
        rows.append(("pop_share", CORE_CITY, year, pop.at[year, CORE_CITY] / pop.loc[year].sum()))
    return pd.DataFrame(rows, columns=KEY + ["value"]).astype({"value": float})


def fit_table(obs: pd.DataFrame, sims: list[pd.DataFrame], start_year: int) -> pd.DataFrame:
    """Per recorded moment, city and year from ``start_year`` on (growth from the year after: growth into the start
    year is not simulated): the record, the simulated mean, sd and 5-95 % band over runs, and the signed error
    (simulated mean minus record, in the moment's unit; positive = the model is above the record)."""
    obs = obs[(obs.year >= start_year) & ~((obs.moment == "real_growth") & (obs.year == start_year))]
    sim = pd.concat(sims, keys=range(len(sims)), names=["run"]).groupby(KEY).value
    stats = pd.DataFrame({"simulated": sim.mean(), "simulated_sd": sim.std(ddof=1),
                          "simulated_p05": sim.quantile(0.05), "simulated_p95": sim.quantile(0.95),
                          "runs": sim.count()}).reset_index()
    t = obs.rename(columns={"value": "recorded"}).merge(stats, on=KEY, how="left")
    t["signed_error"] = t.simulated - t.recorded
    return t[KEY + ["unit", "vintage", "flag", "recorded", "simulated", "simulated_sd", "simulated_p05",
                    "simulated_p95", "runs", "signed_error"]]


def bias_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per moment and city: years compared, mean signed error, the largest error of either sign and the number of
    years above and below the record (published and derived figures; census moments as they are)."""
    g = table.groupby(["moment", "city"]).signed_error
    return pd.DataFrame({"years": g.count(), "mean_signed_error": g.mean(), "min_error": g.min(),
                         "max_error": g.max(), "years_above": g.apply(lambda e: int((e > 0).sum())),
                         "years_below": g.apply(lambda e: int((e < 0).sum()))}).reset_index()
