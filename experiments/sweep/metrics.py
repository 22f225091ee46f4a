"""The run-level scalar metrics a sweep keeps per run (the runs table; what ``analyze`` and ``report`` read),
taken from a run's summary and annual table."""

from __future__ import annotations

import math
from typing import Any

from model.identity import PERIPHERY_CITIES
from model.summary import RunSummary


def per_periphery(*suffixes: str) -> tuple[str, ...]:
    """``<city>_<suffix>`` for each suffix, each periphery city (model.identity order) within a suffix."""
    return tuple(f"{city}_{s}" for s in suffixes for city in PERIPHERY_CITIES)


# Run-level scalar metrics kept in the runs table (and available to ``analyze``).
METRICS = (
    "core_gdp_share_first", "core_gdp_share_last", "core_gdp_share_change_pp",
    *per_periphery("gdp_share_change_pp", "net_talent_from_core", "net_firms_from_core"),
    "czt_gdp_last_100m_yuan", "czt_population_last_10k", "periphery_population_last_10k", "theil_gdp_per_capita_last",
    "theta", "theta_se", "theta_same_year", "theta_same_year_se",
)
VERDICTS = per_periphery("verdict")


def metrics(summary: RunSummary, annual) -> dict[str, Any]:
    """The METRICS and VERDICTS of one run (its summary and its annual table, complete years)."""
    def num(x: Any) -> float:
        try:
            return float(x)
        except (TypeError, ValueError):
            return math.nan

    core = summary.core_share.gdp_100m_yuan
    out: dict[str, Any] = {"core_gdp_share_first": num(core.first), "core_gdp_share_last": num(core.last)}
    out["core_gdp_share_change_pp"] = (out["core_gdp_share_last"] - out["core_gdp_share_first"]) * 100
    for city in PERIPHERY_CITIES:
        c = summary.cities[city]
        f = c.net_flows_from_core
        out[f"{city}_gdp_share_change_pp"] = num(c.gdp_share_change_pp)
        out[f"{city}_net_talent_from_core"] = num(f.talent_persons)
        out[f"{city}_net_firms_from_core"] = num(f.firms_and_branches)
        out[f"{city}_verdict"] = str(c.verdict)
    last = annual[annual.year == annual.year.max()]
    out["czt_gdp_last_100m_yuan"] = num(last.gdp_100m_yuan.sum())
    out["czt_population_last_10k"] = num(last.population_10k.sum())
    out["periphery_population_last_10k"] = num(last[last.city.isin(PERIPHERY_CITIES)].population_10k.sum())
    out["theil_gdp_per_capita_last"] = num(summary.theil_gdp_per_capita.last)
    out["theta"], out["theta_se"] = num(summary.theta.theta), num(summary.theta.se)  # lagged default (model.measures)
    old = summary.theta_same_year
    out["theta_same_year"], out["theta_same_year_se"] = num(old.theta), num(old.se)
    return out
