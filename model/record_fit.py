"""Moments of the long record (2006-2019, the 2010 and 2020 censuses) for fitting the hindcast from 2005.

The calibration's moment provider (``experiments/calibrate``: ``observed()`` and ``simulated(annual)``) built on
``model.record``: every city and year, not smoothed aggregates.

- ``gdp_share_<city>``, ``real_growth_<city>`` (within a vintage; the two flagged level breaks left out),
  ``secondary_share_<city>``, ``wage_ratio_<city>`` per year 2006-2019: 2006-2018 fitted, 2019 held out.
- ``residents_<city>`` and ``pop_share_changsha`` at the 2010 and 2020 censuses (fitted: the 2020 census is the one
  figure after 2019 the rule admits; the migrants' destination pull is set on 2000-2010, ``model/demography.py``, so
  the 2020 counts test the pull's response to wages, housing and services rather than restate it).
- ``log_commuters`` (2018): the natural log of cross-city commuters (10k persons) after the intercity railway
  opened in full. Recorded: the railway carried about 8,000 boardings a day in 2017 (red-net 2018-01-02, source
  Hunan Intercity Railway Co.), at most 4,000 daily round trips; Zhuzhou-Xiangtan bus route 104 alone carried
  3,000+ a day in 2007 (Changsha Evening News 2007-02-26). No count of cross-city commuters was found (docs/record.md),
  so the moment is the order: 10,000 persons, sd a factor of 3.
- ``log_firm_move_rate`` (the mean over 2010-2018, dated 2018): the natural log of establishments moving whole or
  opening a branch in another of the three cities per year, per establishment. Recorded: about 0.1 % of enterprises
  a year move across regions in China (Qichacha, May 2023, on 2018-2022 registrations; Tang, Li, Ni & Yuan 2020 find
  3.2 % at a finer unit; model/data/firm_dynamics.csv); sd a factor of 3.

Each moment has a scale ``sd`` in its unit, the error thought acceptable (``SD``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model import record

START_YEAR = 2005
HOLDOUT_YEARS = (2019,)
FIT_LAST = 2018
COMMUTER_YEAR = 2018
COMMUTERS_10K = 1.0  # order of cross-city commuters after the railway, 10k persons (module docstring)
MOVE_RATE = 0.001  # establishments moving across regions per establishment and year (module docstring)
MOVE_YEARS = range(2010, 2019)
FACTOR_3 = float(np.log(3.0))
SD = {"gdp_share": 0.01, "real_growth": 0.03, "secondary_share": 0.03, "wage_ratio": 0.03, "pop_share": 0.01,
      "residents": 0.03,  # a share of the census count (3 %)
      "log_commuters": FACTOR_3, "log_firm_move_rate": FACTOR_3}
COMMUTER_FLOOR_10K = 0.01  # 100 persons: a run without commuters scores log(0.01), not -inf


def _named(t: pd.DataFrame) -> pd.Series:
    return np.where(t.city.isna(), t.moment, t.moment + "_" + t.city.astype(str))


def observed() -> pd.DataFrame:
    """moment, year, value, sd, split (``fit`` or ``holdout``)."""
    o = record.observed()
    o = o[(o.year > START_YEAR) & (o.flag != "suspect_break")].copy()
    o["sd"] = [SD[m] * (v if m == "residents" else 1.0) for m, v in zip(o.moment, o.value)]
    o["moment"] = _named(o)
    extra = pd.DataFrame([("log_commuters", COMMUTER_YEAR, float(np.log(COMMUTERS_10K)), SD["log_commuters"]),
                          ("log_firm_move_rate", max(MOVE_YEARS), float(np.log(MOVE_RATE)), SD["log_firm_move_rate"])],
                         columns=["moment", "year", "value", "sd"])
    out = pd.concat([o[["moment", "year", "value", "sd"]], extra], ignore_index=True)
    census = out.moment.str.startswith(("residents", "pop_share"))
    out["split"] = np.where((out.year > FIT_LAST) & ~census, "holdout", "fit")
    return out.reset_index(drop=True)


def simulated(annual: pd.DataFrame) -> pd.DataFrame:
    """The same moments from one run's annual city table (the run starts in 2005)."""
    s = record.simulated(annual)
    s = s.assign(moment=_named(s))[["moment", "year", "value"]]
    by_year = annual.groupby("year")
    commuters = by_year.commuters_out_10k.sum()
    rows = [("log_commuters", int(y), float(np.log(max(v, COMMUTER_FLOOR_10K)))) for y, v in commuters.items()]
    moves = by_year.firm_moves_out_establishments.sum() / by_year.firms.sum()
    window = moves[moves.index.isin(MOVE_YEARS)]
    if len(window):
        rate = max(float(window.mean()), MOVE_RATE / 1000)  # a run without moves scores 1/1000 of the record
        rows.append(("log_firm_move_rate", max(MOVE_YEARS), float(np.log(rate))))
    return pd.concat([s, pd.DataFrame(rows, columns=["moment", "year", "value"])], ignore_index=True)
