"""The causal siphon/spillover measure (虹吸还是溢出): what Changsha's growth does to Zhuzhou and Xiangtan.

A pair of runs with common random numbers (same scenario, same seed): one as is, one with Changsha's productivity
raised by ``core_productivity_shock`` from the start (``model.production.core_shock``). The periphery city's
response in a year is the log difference between the two runs of its GDP, jobs (employment at its firms), residents
and talent, and Changsha's own GDP response is the size of the shock as it took hold. The **elasticity**

    e_p = (ln GDP_p(shocked) - ln GDP_p(base)) / (ln GDP_core(shocked) - ln GDP_core(base))

is the verdict's number: e_p > 0, Changsha's growth lifts city p (spillover, 溢出/辐射带动); e_p < 0, it draws
activity away from p (siphon, 虹吸). Over several seeds (pairs) the verdict is called only when the 90 % interval of
the mean elasticity lies wholly beyond ``MIN_ELASTICITY`` on one side; otherwise "neutral" (no effect of that size
can be told from the model's noise). Dawid, Harting & Neugart (2014) and the spread/backwash terms of Myrdal (1957)
and Hirschman (1958) define the two effects in this counterfactual way.

**Channels.** Each channel is switched off by data (``CHANNELS``: the parameters that close it); the channel's
contribution is the response with every channel open minus the response with that channel closed (the same seeds).
With every channel closed the periphery's response is nil within noise (tests/test_spillover.py): the seven channels
are all the model has by which Changsha's growth reaches Zhuzhou and Xiangtan (the province's investment and the
governments' other choices react too, but follow the same outcomes). Two were added when the channels were run at
the 2005 fit's points, where they act: sector productivity converging towards Changsha's (in ``knowledge``) and
the cities' offers to firms scaled by their revenue (``incentive_race``); at the registry (the 2010 calibration) the
catch-up rate is 0.0002 a year and no city bids, so there they carry nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.identity import CORE_CITY, PERIPHERY_CITIES

SHOCK = 0.05  # default treatment: Changsha's productivity +5 % (about two-thirds of a year of its 2010s growth)
MIN_ELASTICITY = 0.02  # smallest elasticity called a siphon or spillover: 2 % of Changsha's own response
Z90 = 1.6449  # two-sided 90 % normal quantile (the interval of a mean over seed pairs)
OUTCOMES = {"gdp": "gdp_100m_yuan", "jobs": "employment_10k", "residents": "population_10k", "talent": "talent_10k"}
CHANNELS: dict[str, dict[str, float]] = {
    # cross-city commuting: no job is within reach of another city's residents
    "commuting": {"max_commute_minutes": 10.0},  # below every door-to-door time between the cities (40-80 min)
    # people choosing where to live: moves between the three cities (residence reviews) and newcomers' choice of city
    # (the residence logit at its least responsive: the destination pull, set at the start, keeps the split)
    "migration": {"residence_review_rate_local": 0.0, "residence_review_rate_migrant": 0.0,
                  "migration_logit_scale": 0.1},
    # establishments relocating or opening branches in another city
    "firm_moves": {"location_review_rate": 0.0},
    # new establishments' choice of city (the entry logit at its least responsive: entrants follow presence)
    "firm_entry": {"entry_logit_scale": 0.1},
    # supply chains: the demand of nearby buyers and the access to nearby suppliers
    "supply_chains": {"market_access_elasticity": 0.0, "supplier_access_elasticity": 0.0},
    # knowledge crossing the city line: the stocks diffusing, and sector productivity converging towards Changsha's
    # (catch-up follows Changsha's level, so a shock to it is passed on; negligible at the 2010 calibration's 0.0002
    # a year, 0.016 at the 2005 fit's round 5)
    "knowledge": {"knowledge_elasticity": 0.0, "productivity_catch_up": 0.0},
    # the cities' offers to new firms (招商补贴竞争), scaled by their revenue per resident: Changsha's growth raises its
    # revenue and so its offers (no city bids at the 2010 calibration; every city near the cap at the 2005 fit)
    "incentive_race": {"subsidy_cap": 0.0},
}


def response(base: pd.DataFrame, shocked: pd.DataFrame, year: int) -> dict[str, dict[str, float]]:
    """{city: {outcome: log difference shocked - base}} in ``year`` (annual city tables of one seed pair), plus
    ``elasticity`` for each periphery city (its GDP response over Changsha's)."""
    b = base[base.year == year].set_index("city")
    s = shocked[shocked.year == year].set_index("city")
    if b.empty or s.empty:
        raise ValueError(f"year {year} is not in both runs")
    out: dict[str, dict[str, float]] = {}
    for city in (CORE_CITY, *PERIPHERY_CITIES):
        out[city] = {k: float(np.log(s.at[city, col] / b.at[city, col])) if b.at[city, col] > 0 else float("nan")
                     for k, col in OUTCOMES.items()}
    core = out[CORE_CITY]["gdp"]
    for city in PERIPHERY_CITIES:
        out[city]["elasticity"] = out[city]["gdp"] / core if core > 0 else float("nan")
    return out


@dataclass(frozen=True)
class Verdict:
    """One periphery city's causal verdict over seed pairs: mean elasticity, its 90 % interval, the call."""

    city: str
    elasticity: float
    low: float
    high: float
    pairs: int
    call: str  # "spillover", "siphon" or "neutral"


def call(values: np.ndarray, min_elasticity: float = MIN_ELASTICITY) -> tuple[float, float, float, str]:
    """Mean, 90 % interval (mean +/- z * se over pairs) and the call of one city's elasticities."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return float("nan"), float("nan"), float("nan"), "neutral"
    mean = float(v.mean())
    half = Z90 * float(v.std(ddof=1)) / np.sqrt(len(v))
    lo, hi = mean - half, mean + half
    verdict = "spillover" if lo > min_elasticity else "siphon" if hi < -min_elasticity else "neutral"
    return mean, lo, hi, verdict


def verdicts(responses: list[dict[str, dict[str, float]]], min_elasticity: float = MIN_ELASTICITY) -> list[Verdict]:
    """The verdict of each periphery city over the seed pairs' responses."""
    out = []
    for city in PERIPHERY_CITIES:
        mean, lo, hi, c = call(np.array([r[city]["elasticity"] for r in responses]), min_elasticity)
        out.append(Verdict(city, mean, lo, hi, len(responses), c))
    return out


def channel_contributions(open_: list[dict], closed: dict[str, list[dict]]) -> pd.DataFrame:
    """Per channel and periphery city: the mean elasticity with every channel open minus with the channel closed
    (paired by seed), and its 90 % interval. A positive contribution: the channel carries spillover."""
    rows = []
    for channel, resp in closed.items():
        for city in PERIPHERY_CITIES:
            d = np.array([o[city]["elasticity"] - c[city]["elasticity"] for o, c in zip(open_, resp)])
            mean, lo, hi, _ = call(d, 0.0)
            rows.append({"channel": channel, "city": city, "contribution": mean, "low": lo, "high": hi,
                         "elasticity_closed": float(np.mean([c[city]["elasticity"] for c in resp]))})
    return pd.DataFrame(rows)


# --- over the posterior: the verdict when the parameters are uncertain too ------------------------------------------

POSTERIOR_RULE = ("per draw, the mean elasticity over its seed pairs; over draws, the median and 90 % interval "
                  "(5th-95th percentile) of those means. siphon if the interval lies below -MIN_ELASTICITY, "
                  "spillover if above +MIN_ELASTICITY, neutral if inside both, else undetermined (draws disagree); "
                  "p_siphon / p_spillover: share of draws whose mean lies below / above the band")


def posterior_call(per_draw: np.ndarray, min_elasticity: float = MIN_ELASTICITY) -> dict[str, float | str]:
    """Median, 90 % interval over draws, the probabilities of each side and the call of one city's per-draw mean
    elasticities. Unlike the seed rule (``call``), an interval that straddles a band edge is "undetermined", not
    "neutral": some parameter sets the record allows give an effect, others do not."""
    v = np.asarray(per_draw, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        nan = float("nan")
        return {"elasticity": nan, "low": nan, "high": nan, "p_siphon": nan, "p_spillover": nan,
                "call": "undetermined", "draws": int(len(v))}
    lo, med, hi = (float(x) for x in np.quantile(v, [0.05, 0.5, 0.95]))
    if hi < -min_elasticity:
        verdict = "siphon"
    elif lo > min_elasticity:
        verdict = "spillover"
    elif -min_elasticity <= lo and hi <= min_elasticity:
        verdict = "neutral"
    else:
        verdict = "undetermined"
    return {"elasticity": med, "low": lo, "high": hi, "p_siphon": float(np.mean(v < -min_elasticity)),
            "p_spillover": float(np.mean(v > min_elasticity)), "call": verdict, "draws": int(len(v))}


def per_draw_elasticities(by_draw: list[list[dict[str, dict[str, float]]]]) -> pd.DataFrame:
    """One row per draw and periphery city: the mean elasticity over that draw's seed pairs (``by_draw[d]`` is the
    list of draw d's pair responses, ``response``)."""
    return pd.DataFrame([{"draw": d, "city": city,
                          "elasticity": float(np.nanmean([r[city]["elasticity"] for r in pairs]))}
                         for d, pairs in enumerate(by_draw) for city in PERIPHERY_CITIES])


def posterior_verdicts(by_draw: list[list[dict[str, dict[str, float]]]],
                       min_elasticity: float = MIN_ELASTICITY) -> pd.DataFrame:
    """Each periphery city's verdict over the draws (``posterior_call`` of its per-draw mean elasticities)."""
    per = per_draw_elasticities(by_draw)
    return pd.DataFrame([{"city": city, **posterior_call(per[per.city == city].elasticity.to_numpy(), min_elasticity)}
                         for city in PERIPHERY_CITIES])


def posterior_channels(open_by_draw: list[list[dict]], closed_by_draw: list[dict[str, list[dict]]]) -> pd.DataFrame:
    """Per channel and city: each draw's mean contribution over its seed pairs (open minus closed, paired by seed, as
    in ``channel_contributions``), then over draws the median, the 90 % interval and the share of draws in which
    the channel carries siphon (contribution < 0)."""
    rows = []
    for channel in closed_by_draw[0]:
        for city in PERIPHERY_CITIES:
            per = np.array([np.nanmean([o[city]["elasticity"] - c[city]["elasticity"]
                                        for o, c in zip(open_, closed[channel])])
                            for open_, closed in zip(open_by_draw, closed_by_draw)])
            closed_e = np.array([np.nanmean([c[city]["elasticity"] for c in closed[channel]])
                                 for closed in closed_by_draw])
            lo, med, hi = (float(x) for x in np.nanquantile(per, [0.05, 0.5, 0.95]))
            rows.append({"channel": channel, "city": city, "contribution": med, "low": lo, "high": hi,
                         "p_siphon": float(np.mean(per < 0)), "draws": int(np.isfinite(per).sum()),
                         "elasticity_closed": float(np.nanmedian(closed_e))})
    return pd.DataFrame(rows)
