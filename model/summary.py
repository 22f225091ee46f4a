"""A run's summary: every summary measure of ``model.measures`` and the plan-target table of ``model.targets``
for the complete statistical years of a run, JSON-ready (run.json's ``summary``, the sweeps' metrics, the app)."""

from __future__ import annotations

import pandas as pd

from model.identity import CORE_CITY, PERIPHERY_CITIES
from model.measures import (VERDICT_RULE, core_share, cv, net_flows, nich, people_sources, pivot, primacy, theil,
                            theta, theta_same_year, verdict)
from model.targets import gap_goals, plan_table


def summarize(annual: pd.DataFrame, flows: pd.DataFrame, start_year: int) -> dict:
    """All summary measures of a run, JSON-ready."""
    if annual.empty:
        return {"years": [], "note": "no complete statistical year simulated yet"}
    first, last = annual.year.min(), annual.year.max()
    flows = flows[flows.year <= last]  # complete statistical years only, like the annual table
    share = pivot(annual, "gdp_share")
    out: dict = {"first_year": int(first), "last_year": int(last), "verdict_rule": VERDICT_RULE["text"]}
    out["core_share"] = {col: {"first": float(core_share(annual, col).iloc[0]), "last": float(core_share(annual, col).iloc[-1])}
                         for col in ("gdp_100m_yuan", "population_10k", "firms", "talent_10k")}
    pr = primacy(annual)
    out["primacy_gdp"] = {"p1_p2": float(pr.p1_p2.iloc[-1]), "p1_p2p3": float(pr.p1_p2p3.iloc[-1])}
    out["theil_gdp_per_capita"] = {"first": float(theil(annual).iloc[0]), "last": float(theil(annual).iloc[-1])}
    out["cv_gdp_per_capita"] = {"first": float(cv(annual).iloc[0]), "last": float(cv(annual).iloc[-1])}
    out["nich"] = nich(annual)
    out["theta"] = theta(annual)
    out["theta_same_year"] = theta_same_year(annual)
    out["cities"] = {}
    for p in PERIPHERY_CITIES:
        change = 100 * float(share[p].iloc[-1] - share[p].iloc[0])
        fl = net_flows(flows, p)
        out["cities"][p] = {"gdp_share_first": float(share[p].iloc[0]), "gdp_share_last": float(share[p].iloc[-1]),
                            "gdp_share_change_pp": change, "net_flows_from_core": fl,
                            "nich": out["nich"][p], "verdict": verdict(change, fl)}
    out["verdict"] = {p: out["cities"][p]["verdict"] for p in PERIPHERY_CITIES}
    src = people_sources(flows, int(last - first + 1))
    out["people_sources_10k_per_year"] = src
    out["core_siphon_10k_per_year"] = {
        "from_rest_of_hunan": src[CORE_CITY]["rest_of_hunan"], "from_rest_of_china": src[CORE_CITY]["rest_of_china"],
        "from_periphery": sum(src[CORE_CITY][p] for p in PERIPHERY_CITIES)}
    out["plan_targets_2025"] = plan_table(annual, 2025)  # every 2025 target of the Plan Outline, one row each
    out["gap_goals_2035"] = gap_goals(annual, 2035)
    return out
