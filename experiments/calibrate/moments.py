"""Moments: the provider's observed table, each run's simulated moments, per-point means and the distance.

A provider is a module with ``observed() -> DataFrame[moment, year, value, sd, split]`` (split "fit" or
"holdout", sd > 0 in the moment's own unit) and ``simulated(annual) -> DataFrame[moment, year, value]``
computed from one run's annual city table.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd

from model.errors import ConfigError

SPLITS = ("fit", "holdout")
KEY = ["moment", "year"]


def observed(provider: ModuleType, where: str = "moments") -> pd.DataFrame:
    """The observed moments, validated, in a fixed order (fit first, then by moment and year)."""
    obs = pd.DataFrame(provider.observed())
    missing = [c for c in KEY + ["value", "sd", "split"] if c not in obs.columns]
    if missing:
        raise ConfigError(f"{where}: observed()", missing[0], "columns moment, year, value, sd, split",
                          kind="missing column")
    obs = obs[KEY + ["value", "sd", "split"]].copy()
    obs["year"] = obs["year"].astype(int)
    obs["moment"] = obs["moment"].astype(str)
    bad = obs[~obs.split.isin(SPLITS)]
    if len(bad):
        raise ConfigError(f"{where}: observed().split", bad.split.iloc[0], "fit or holdout")
    for col in ("value", "sd"):
        obs[col] = pd.to_numeric(obs[col], errors="coerce").astype(float)
    bad = obs[~np.isfinite(obs.value) | ~np.isfinite(obs.sd) | (obs.sd <= 0)]
    if len(bad):
        r = bad.iloc[0]
        raise ConfigError(f"{where}: observed() {r.moment} {r.year}", (r.value, r.sd), "a finite value and an sd > 0")
    dup = obs[obs.duplicated(KEY)]
    if len(dup):
        raise ConfigError(f"{where}: observed()", f"{dup.moment.iloc[0]} {dup.year.iloc[0]}", "each moment-year once",
                          kind="duplicate moment")
    if not (obs.split == "fit").any():
        raise ConfigError(f"{where}: observed().split", "no fit moment", "at least one moment with split = fit")
    obs["_fit"] = obs.split != "fit"  # sort key: fit moments first
    return obs.sort_values(["_fit"] + KEY).drop(columns="_fit").reset_index(drop=True)


def simulated(provider: ModuleType, cities: pd.DataFrame, obs: pd.DataFrame, where: str = "moments") -> pd.DataFrame:
    """Wide table: one row per run_id, one column per observed moment (in ``obs`` order)."""
    keys = list(zip(obs.moment, obs.year))
    rows = {}
    for rid, annual in cities.groupby("run_id", sort=True):
        annual = annual.drop(columns="run_id").sort_values(["year", "city"]).reset_index(drop=True)
        sim = pd.DataFrame(provider.simulated(annual))
        if not {"moment", "year", "value"} <= set(sim.columns):
            raise ConfigError(f"{where}: simulated()", list(sim.columns), "a table with columns moment, year, value")
        s = pd.Series(sim["value"].astype(float).to_numpy(),
                      index=pd.MultiIndex.from_arrays([sim.moment.astype(str), sim.year.astype(int)]))
        s = s[~s.index.duplicated()]
        vals = s.reindex(pd.MultiIndex.from_tuples(keys)).to_numpy()
        if np.isnan(vals).any():
            m, y = keys[int(np.flatnonzero(np.isnan(vals))[0])]
            raise ConfigError(f"{where}: simulated()", f"{m} {y}", "a value for every observed moment "
                              "(is 'until' late enough for every observed year?)", kind="missing simulated moment")
        rows[rid] = vals
    return pd.DataFrame.from_dict(rows, orient="index", columns=[f"{m}|{y}" for m, y in keys])


def point_means(sim: pd.DataFrame, run_point: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Average each moment over the replications of each design point; also the number of ok replications."""
    pts = run_point.reindex(sim.index)
    grouped = sim.groupby(pts.to_numpy())
    return grouped.mean(), grouped.size()


def distance(sims: np.ndarray, obs: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """sqrt(mean(((sim - obs) / sd)^2)) over the given moments, one value per row of ``sims``.

    Pass moments already averaged over replications (the calibration's definition)."""
    z = (np.atleast_2d(sims) - obs) / sd
    return np.sqrt(np.mean(z**2, axis=1))
