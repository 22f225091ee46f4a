"""Recorded 2010-2019 series and the same measures from a simulated hindcast (moments for calibration and validation).

Moments are price-free or deflated, because levels were revised at the 2008 and 2018 economic censuses
(model/data/city_history.csv): GDP shares of Zhuzhou and Xiangtan in CZT GDP, their average wage relative to
Changsha's, each city's secondary-sector share of GDP, and CZT real GDP growth since 2010 (national GDP
deflator, model/data/national_gdp.csv). Years 2011-2015 are fitted; 2019, after the railway opened and the
2018 census revision, is held out. The 2020 census adds one fitted moment, Changsha's share of the three cities'
residents (the run goes on to 2020 for it; no other city figure after 2019 enters). Each moment has a scale ``sd`` (the error thought acceptable: revisions and
sampling noise of the yearbook series); errors are reported in these units.

Interface used by ``experiments/calibrate``: :func:`observed` and :func:`simulated`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model import calibration as cal
from model.identity import CITIES, CORE_CITY, PERIPHERY_CITIES, SECONDARY

BASE_YEAR = 2010
FIT_YEARS = (2011, 2012, 2013, 2014, 2015)
HOLDOUT_YEARS = (2019,)
CENSUS_YEARS = (2020,)  # census moments (fitted): Changsha's share of residents
LAST_YEAR = max(HOLDOUT_YEARS + CENSUS_YEARS)  # the hindcast runs through this year
SD = {  # acceptable error per moment kind (same units as the moment)
    "pop_share": 0.01,        # 1 pp of the three cities' residents: half the issue's 2 pp goal for 2020
    "gdp_share": 0.01,        # 1 pp of CZT GDP: order of the census revisions of a city's GDP share
    "wage_ratio": 0.03,       # 3% of Changsha's wage: year-to-year noise of the yearbook wage ratios
    "secondary_share": 0.03,  # 3 pp of GDP: revisions of the sector split at economic censuses
    "gdp_growth": 0.03,       # 3 log-points of cumulative real growth: deflator proxy (national, not Hunan)
}


def _moments(gdp_share: pd.DataFrame, wage: pd.DataFrame, secondary: pd.DataFrame, czt_real: pd.Series) -> pd.DataFrame:
    """Long table (moment, year, value) from city-by-year frames (index year, columns cities)."""
    rows = []
    for year in gdp_share.index:
        for c in PERIPHERY_CITIES:
            rows.append((f"gdp_share_{c}", year, gdp_share.at[year, c]))
            rows.append((f"wage_ratio_{c}", year, wage.at[year, c] / wage.at[year, CORE_CITY]))
        for c in CITIES:
            rows.append((f"secondary_share_{c}", year, secondary.at[year, c]))
        rows.append(("gdp_growth_czt", year, float(np.log(czt_real[year] / czt_real[BASE_YEAR]))))
    return pd.DataFrame(rows, columns=["moment", "year", "value"])


def _kind(moment: str) -> str:
    return next(k for k in SD if moment.startswith(k))


def _census_moments(years: tuple[int, ...] = CENSUS_YEARS) -> pd.DataFrame:
    c = cal.census_table()
    rows = [(f"pop_share_{CORE_CITY}", y, c.loc[(CORE_CITY, y)] / sum(c.loc[(city, y)] for city in CITIES))
            for y in years]
    return pd.DataFrame(rows, columns=["moment", "year", "value"])


def observed(include_base: bool = False) -> pd.DataFrame:
    """Recorded moments for the fit and holdout years: moment, year, value, sd, split ("fit" or "holdout").

    ``include_base`` adds the 2010 values (split "base"; for plots)."""
    h = cal.city_history()
    years = (BASE_YEAR,) + FIT_YEARS + HOLDOUT_YEARS
    h = h[h.year.isin(years)]
    gdp = h.pivot(index="year", columns="city", values="gdp_100m_yuan")
    share = gdp.div(gdp.sum(axis=1), axis=0)
    wage = h.pivot(index="year", columns="city", values="avg_wage_yuan")
    secondary = h.pivot(index="year", columns="city", values="secondary_share_pct") / 100
    real = gdp.sum(axis=1) / cal.gdp_deflator().reindex(gdp.index)
    census = _census_moments(((BASE_YEAR,) if include_base else ()) + CENSUS_YEARS)
    out = pd.concat([_moments(share, wage, secondary, real), census], ignore_index=True)
    if not include_base:
        out = out[out.year != BASE_YEAR].reset_index(drop=True)
    out["sd"] = [SD[_kind(m)] for m in out.moment]
    holdout = out.year.isin(HOLDOUT_YEARS) & ~out.moment.str.startswith("pop_share")
    out["split"] = np.where(holdout, "holdout", np.where(out.year == BASE_YEAR, "base", "fit"))
    return out


def simulated(annual: pd.DataFrame, every_year: bool = False) -> pd.DataFrame:
    """The same moments from one run's annual city table (columns year, city, gdp_100m_yuan, avg_wage_yuan, gdp_*).

    ``every_year``: all simulated years after 2010 (for plots), not only the fit and holdout years."""
    pop = annual.pivot(index="year", columns="city", values="population_10k")
    census = [(f"pop_share_{CORE_CITY}", y, float(pop.at[y, CORE_CITY] / pop.loc[y].sum()))
              for y in (pop.index if every_year else CENSUS_YEARS) if y in pop.index and y != BASE_YEAR]
    a = annual if every_year else annual[annual.year.isin((BASE_YEAR,) + FIT_YEARS + HOLDOUT_YEARS)]
    a = a[a.year <= max(HOLDOUT_YEARS)]
    gdp = a.pivot(index="year", columns="city", values="gdp_100m_yuan")
    share = gdp.div(gdp.sum(axis=1), axis=0)
    wage = a.pivot(index="year", columns="city", values="avg_wage_yuan")
    sec = sum(a.pivot(index="year", columns="city", values=f"gdp_{s}_100m_yuan") for s in SECONDARY)
    secondary = sec / gdp
    out = _moments(share, wage, secondary, gdp.sum(axis=1))  # model money is at 2010 prices: already real
    out = pd.concat([out, pd.DataFrame(census, columns=["moment", "year", "value"])], ignore_index=True)
    return out[out.year != BASE_YEAR].reset_index(drop=True)


def fit_table(obs: pd.DataFrame, sims: list[pd.DataFrame]) -> pd.DataFrame:
    """Observed vs simulated (mean, sd over runs) per moment and year, with the error in ``sd`` units."""
    sim = pd.concat(sims, keys=range(len(sims)), names=["run"]).groupby(["moment", "year"]).value
    t = obs.merge(sim.mean().rename("simulated").reset_index(), on=["moment", "year"], how="left")
    t = t.merge(sim.std(ddof=1).rename("simulated_sd").reset_index(), on=["moment", "year"], how="left")
    t["error_sd_units"] = (t.simulated - t.value) / t.sd
    return t.rename(columns={"value": "observed"})


def rmse_by_split(table: pd.DataFrame) -> dict[str, float]:
    """Root mean squared error in sd units, fit and holdout separately."""
    return {split: float(np.sqrt(np.mean(g.error_sd_units**2))) for split, g in table.groupby("split")}
