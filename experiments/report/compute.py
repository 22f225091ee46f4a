"""The numbers behind the report's figures and tables, computed from the ok runs of a sweep (see load.py), or taken
from the tables of a posterior study or a spillover verdict."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as _st

from experiments.report import labels as L
from experiments.report.labels import CITY, CORE_EN
from experiments.report.load import PosteriorData, SpilloverData, SweepData
from experiments.report.stats import log_growth, t_interval
from model.identity import CORE_CITY as CORE, PERIPHERY_CITIES as PERIPHERY
from model.measures import theta_lagged_pooled
from model.targets import TARGETS_2025, plan_table

CONF = 0.95


def _each_periphery(key: str, col: str, mult: float, label: str, nd: int) -> tuple[tuple, ...]:
    """One COMPARISON entry per periphery city: ``{city}``/``{core}`` are keys, ``{City}``/``{Core}`` names."""
    return tuple((key.format(city=c, core=CORE), col.format(city=c), mult,
                  label.format(City=CITY["en"][c], Core=CORE_EN), nd) for c in PERIPHERY)


# Scenario comparison: (key with unit, runs-table column, multiplier into the unit, label with unit, decimals)
COMPARISON = (
    *_each_periphery("{city}_share_change_pp", "{city}_gdp_share_change_pp", 1.0, "{City} GDP share change (pp)", 2),
    *_each_periphery("{city}_net_talent_from_{core}_10k", "{city}_net_talent_from_core", 1e-4,
                     "Net talent {Core} to {City} (10k persons)", 2),
    *_each_periphery("{city}_net_firms_from_{core}", "{city}_net_firms_from_core", 1.0,
                     "Net firms and branches {Core} to {City} (firms)", 0),
    (f"{CORE}_share_last_pct", "core_gdp_share_last", 100.0, f"{CORE_EN} GDP share, last year (%)", 2),
    ("theta", "theta_aggregate", 1.0, "theta, periphery aggregate (lagged)", 3),
    ("theta_city_fe", "theta", 1.0, "theta, city fixed effects (model, lagged)", 3),
    ("theta_same_year", "theta_same_year", 1.0, "theta, same year, city fixed effects (former)", 3),
)


def shares(data: SweepData) -> pd.DataFrame:
    """GDP share (%) by run, year and city: the recorded ``gdp_share`` or, if not kept, from GDP."""
    c = data.cities
    if "gdp_share" in c:
        s = c[["run_id", "group", "year", "city", "gdp_share"]].assign(share_pct=c.gdp_share * 100)
    elif "gdp_100m_yuan" in c:
        tot = c.groupby(["run_id", "year"]).gdp_100m_yuan.transform("sum")
        s = c[["run_id", "group", "year", "city"]].assign(share_pct=c.gdp_100m_yuan / tot * 100)
    else:
        return pd.DataFrame(columns=["run_id", "group", "year", "city", "share_pct"])
    return s.drop(columns=[k for k in ("gdp_share",) if k in s])


def share_paths(data: SweepData, change: bool = False) -> pd.DataFrame:
    """Mean and 95% t-interval over replications of each city's GDP share (or its change since the first year)."""
    s = shares(data)
    if s.empty:
        return pd.DataFrame(columns=["group", "city", "year", "mean", "lo", "hi", "n"])
    if change:
        first = s[s.year == s.year.min()][["run_id", "city", "share_pct"]].rename(columns={"share_pct": "first"})
        s = s.merge(first, on=["run_id", "city"])
        s["share_pct"] = s.share_pct - s["first"]
    rows = []
    for (g, city, year), v in s.groupby(["group", "city", "year"], sort=False).share_pct:
        m, lo, hi, n = t_interval(v.to_numpy(), CONF)
        rows.append({"group": g, "city": city, "year": int(year), "mean": m, "lo": lo, "hi": hi, "n": n})
    return pd.DataFrame(rows)


def _growth(c: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Annual log growth of the core's GDP and of the periphery's summed GDP for one run."""
    y = c.pivot_table(index="year", columns="city", values="gdp_100m_yuan", aggfunc="sum").sort_index()
    return log_growth(y[CORE].to_numpy()), log_growth(y[list(PERIPHERY)].sum(axis=1).to_numpy())


def theta_regressions(data: SweepData) -> pd.DataFrame:
    """theta per ok run and pooled over each group's runs (specification in stats.py)."""
    cols = ["group", "kind", "rep", "run_id", "coef", "se", "se_hc1", "t", "n", "r2", "intercept"]
    if "gdp_100m_yuan" not in data.cities:
        return pd.DataFrame(columns=cols)
    rep = data.runs.set_index("run_id").rep
    rows, pooled = [], {}
    for rid, c in data.cities.groupby("run_id", sort=False):
        x, y = _growth(c)
        g = c.group.iloc[0]
        rows.append({"group": g, "kind": "run", "rep": int(rep.get(rid, -1)), "run_id": rid, **_lagged([(x, y)])})
        pooled.setdefault(g, []).append((x, y))
    for g in data.groups:
        if g in pooled:
            rows.append({"group": g, "kind": "pooled", "rep": len(pooled[g]), "run_id": "", **_lagged(pooled[g])})
    out = pd.DataFrame(rows, columns=cols)
    out["order"] = out.group.map({g: i for i, g in enumerate(data.groups)})
    return out.sort_values(["order", "kind", "rep"], ascending=[True, False, True]).drop(columns="order") \
        .reset_index(drop=True)


def _lagged(pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """The lagged theta (stats.py) of one or more runs' (core growth, periphery-aggregate growth), as OLS fields."""
    est = theta_lagged_pooled([(x, {"periphery": y}) for x, y in pairs if len(x) >= 8])
    se = est["se"]
    return {"coef": est["theta"], "se": se, "se_hc1": est["se_hc1"], "t": est["theta"] / se if se > 0 else math.nan,
            "n": est["n"], "r2": est["r2"], "intercept": math.nan}


def pooled_ci(row: pd.Series, conf: float = CONF) -> tuple[float, float]:
    """Interval of a pooled theta: coef +/- t_{n-2} * HC1 standard error."""
    if not (row.n > 2 and math.isfinite(row.se_hc1)):
        return math.nan, math.nan
    h = float(_st.t.ppf(0.5 + conf / 2, row.n - 2)) * row.se_hc1
    return row.coef - h, row.coef + h


def runs_with_theta(data: SweepData, theta: pd.DataFrame) -> pd.DataFrame:
    per_run = theta[theta.kind == "run"].set_index("run_id").coef
    return data.runs.assign(theta_aggregate=data.runs.run_id.map(per_run))


def comparison(data: SweepData, theta: pd.DataFrame) -> pd.DataFrame:
    """One row per group: mean, 95% t-interval and n of each comparison metric, in the units of COMPARISON."""
    runs = runs_with_theta(data, theta)
    rows = []
    for g in data.groups:
        r = runs[runs.group == g]
        row: dict = {"group": g, "runs": len(r)}
        for key, col, mult, _, _ in COMPARISON:
            v = r[col].to_numpy(dtype=float) * mult if col in r else np.array([])
            m, lo, hi, n = t_interval(v, CONF)
            row.update({f"{key}_mean": m, f"{key}_ci95_low": lo, f"{key}_ci95_high": hi, f"{key}_n": n})
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_counts(data: SweepData) -> pd.DataFrame:
    """Runs per group, periphery city and verdict (siphon, neutral, spillover)."""
    rows = []
    for g in data.groups:
        r = data.runs[data.runs.group == g]
        for city in PERIPHERY:
            col = f"{city}_verdict"
            vc = r[col].value_counts() if col in r else pd.Series(dtype=int)
            rows.append({"group": g, "city": city, **{v: int(vc.get(v, 0))
                                                        for v in ("siphon", "neutral", "spillover")}})
    return pd.DataFrame(rows)


GOVERNMENT_CHOICES = ("incentive_intensity", "talent_subsidy_yuan", "land_release_share")


def government_choices(data: SweepData) -> pd.DataFrame:
    """The city governments' choices (model/governance/) by group, city and year: mean and 95% t-interval over
    replications of the incentive intensity, the talent subsidy (yuan per talent per year) and the extra park land
    (share a year) in force at each year's end, for the first year, every fifth year and the last; and the yearly
    subsidies paid (100m yuan) if the sweep kept them. Empty if the sweep kept none of the choices."""
    c = data.cities
    cols = [k for k in GOVERNMENT_CHOICES + ("subsidies_100m_yuan",) if k in c]
    if not any(k in c for k in GOVERNMENT_CHOICES):
        return pd.DataFrame()
    y0, y1 = int(c.year.min()), int(c.year.max())
    years = sorted({y0, y1, *range(y0 - y0 % 5 + 5, y1, 5)})
    rows = []
    for (g, city, year), v in c[c.year.isin(years)].groupby(["group", "city", "year"], sort=False):
        row = {"group": g, "city": city, "year": int(year)}
        for k in cols:
            m, lo, hi, n = t_interval(v[k].to_numpy(dtype=float), CONF)
            row.update({f"{k}_mean": m, f"{k}_ci95_low": lo, f"{k}_ci95_high": hi})
        row["runs"] = n
        rows.append(row)
    return pd.DataFrame(rows)


PLAN_COLUMNS = ("group", "key", "label_en", "label_zh", "unit", "target", "direction", "status", "year", "runs",
                "runs_with_value", "value_mean", "value_ci95_low", "value_ci95_high", "ratio_mean", "met_share",
                "source", "note")


def plan_targets(data: SweepData, year: int = 2025) -> pd.DataFrame:
    """The Plan Outline's 2025 targets (model/targets.py) by group, in the declared order: each ok run's
    ``plan_table`` on its city-by-year rows; mean and 95% t-interval of the value over the runs that have one, the
    mean ratio to the target (mean value / target) and the share of those runs meeting it. A target without a value
    in any run (``cannot``, a year the sweep did not reach, a column it did not keep) has NaN and says why."""
    tables: dict[str, list[list[dict]]] = {}
    for _, c in data.cities.groupby("run_id", sort=False):
        tables.setdefault(c.group.iloc[0], []).append(plan_table(c, year))
    rows = []
    for g in data.groups:
        runs = tables.get(g, [])
        for i, t in enumerate(TARGETS_2025):
            m, lo, hi, n = t_interval([math.nan if r[i]["value"] is None else r[i]["value"] for r in runs], CONF)
            met = [r[i]["met"] for r in runs if r[i]["met"] is not None]
            note = t.note if n or not runs else runs[0][i]["note"]  # without a value: why (from the first run)
            rows.append({"group": g, "key": t.key, "label_en": t.label_en, "label_zh": t.label_zh, "unit": t.unit,
                         "target": t.target, "direction": t.direction, "status": t.status, "year": year,
                         "runs": len(runs), "runs_with_value": n, "value_mean": m, "value_ci95_low": lo,
                         "value_ci95_high": hi, "ratio_mean": m / t.target if n else math.nan,
                         "met_share": float(np.mean(met)) if met else math.nan, "source": t.source, "note": note})
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


def twin_contrasts(data: SweepData, theta: pd.DataFrame) -> pd.DataFrame:
    """Each scenario of the sweep file's ``twins`` table minus its twin, paired by replicate (as ``contrasts``)."""
    parts = [contrasts(data, theta, reference=ref).query("group == @g") for g, ref in data.spec.twins.items()
             if g in data.groups and ref in data.groups]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def contrasts(data: SweepData, theta: pd.DataFrame, reference: str | None = None) -> pd.DataFrame:
    """Each group minus the reference group (default: the first), paired by replicate.

    With common random numbers (seeds = "common") replicate r has the same seed in every group, so the paired
    difference removes the shared noise; the interval is a Student t interval of the mean paired difference."""
    runs = runs_with_theta(data, theta)
    ref = reference or data.groups[0]
    base = runs[runs.group == ref].set_index("rep")
    rows = []
    for g in data.groups:
        if g == ref:
            continue
        r = runs[runs.group == g].set_index("rep")
        reps = r.index.intersection(base.index)
        row: dict = {"group": g, "reference": ref, "pairs": len(reps)}
        for key, col, mult, _, _ in COMPARISON:
            d = (r.loc[reps, col].to_numpy(float) - base.loc[reps, col].to_numpy(float)) * mult if col in r else []
            m, lo, hi, n = t_interval(np.asarray(d, dtype=float), CONF)
            row.update({f"{key}_diff": m, f"{key}_ci95_low": lo, f"{key}_ci95_high": hi})
        rows.append(row)
    return pd.DataFrame(rows)


# ---- answers over the posterior (a posterior study, a spillover verdict: load.read_posterior, read_spillover) -------

def _posterior_outcomes(keys) -> list[str]:
    """The outcomes in display order: each periphery city's GDP share, GDP and residents, then the core's share."""
    order = [f"{c}_{m}" for c in PERIPHERY for m in L.MEASURE["en"]] + ["core_gdp_share_pp"]
    keys = list(dict.fromkeys(keys))
    return [k for k in order if k in keys] + [k for k in keys if k not in order]


def posterior_summary(data: PosteriorData) -> pd.DataFrame:
    """Per scenario and outcome, as summary.csv says: median, 90 % interval (q05, q95) over draws x seeds and the
    widths of the parameter band and the seed band; with each band's ends from runs.csv (experiments.posterior
    ``bands``; NaN without runs.csv), the scenario's title and the outcome in words with its unit."""
    from experiments.posterior import bands, grid_of

    s = data.summary
    rows = []
    for sc in data.scenarios:
        for key in _posterior_outcomes(s.outcome[s.scenario == sc]):
            r = s[(s.scenario == sc) & (s.outcome == key)].iloc[0]
            ends = dict.fromkeys(("param_lo", "param_hi", "seed_lo", "seed_hi"), math.nan)
            runs = data.runs
            if runs is not None and key in runs and (runs.scenario == sc).any():
                b = bands(grid_of(runs[runs.scenario == sc], key))
                ends = {k: float(b[k]) for k in ends}
            rows.append({"scenario": sc, "scenario_title": data.title(sc, "en"), "outcome": key,
                         "outcome_label": L.outcome(key, "en", unit=False), "unit": L.unit_of(key, "en"),
                         **{k: float(r[k]) for k in ("median", "q05", "q95", "parameter_band", "seed_band")},
                         **ends})
    return pd.DataFrame(rows)


def posterior_contrasts(data: PosteriorData) -> pd.DataFrame:
    """Per lever and outcome (each periphery city's GDP share, GDP and residents, then the core's share), as
    contrasts.csv says: the lever minus the baseline at the same draw and seed, median and 90 % interval, P(raises)
    (share of draws whose mean contrast over seeds is > 0), the parameter band's width and the draws."""
    c = data.contrasts
    rows = []
    for sc in data.levers:
        for key in _posterior_outcomes(c.outcome[c.scenario == sc]):
            r = c[(c.scenario == sc) & (c.outcome == key)].iloc[0]
            rows.append({"lever": sc, "lever_title": data.title(sc, "en"), "outcome": key,
                         "outcome_label": L.outcome(key, "en", unit=False), "unit": L.unit_of(key, "en"),
                         **{k: float(r[k]) for k in ("median", "q05", "q95", "p_raises", "parameter_band")},
                         "draws": int(r.draws)})
    return pd.DataFrame(rows)


def posterior_per_draw(data: PosteriorData, outcome: str) -> pd.DataFrame:
    """Each lever's contrast with the baseline at each draw (mean over seeds): columns lever, draw, contrast. Empty
    without runs.csv."""
    runs = data.runs
    if runs is None or outcome not in runs:
        return pd.DataFrame(columns=["lever", "draw", "contrast"])
    base = runs[runs.scenario == "baseline"].set_index(["draw", "seed"])[outcome]
    parts = []
    for sc in data.levers:
        lev = runs[runs.scenario == sc].set_index(["draw", "seed"])[outcome]
        per = (lev - base).dropna().groupby(level="draw").mean()
        parts.append(pd.DataFrame({"lever": sc, "draw": per.index, "contrast": per.to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["lever", "draw", "contrast"])


def top_drivers(data: SpilloverData, n: int = 3) -> dict[str, list[tuple[str, float]]]:
    """Per periphery city, the ``n`` drawn parameters with the largest |Spearman| rank correlation with its elasticity
    over the draws (drivers.csv, already in that order); {} over seed pairs only."""
    d = data.drivers
    if d is None or d.empty:
        return {}
    d = d.assign(order=d.spearman.abs()).sort_values(["city", "order"], ascending=[True, False], kind="stable")
    return {city: [(r.param, float(r.spearman)) for r in g.head(n).itertuples()] for city, g in d.groupby("city")}


def spillover_verdict(data: SpilloverData) -> pd.DataFrame:
    """Per periphery city, as verdict.csv says: elasticity (mean over seed pairs, or median over draws), its 90 %
    interval and the call; over the posterior P(siphon), P(spillover), the draws and the top drivers (codes)."""
    v = data.verdict
    order = {c: i for i, c in enumerate(PERIPHERY)}
    v = v.assign(o=v.city.map(order).fillna(len(order))).sort_values("o", kind="stable").drop(columns="o")
    cols = ["city", "elasticity", "low", "high", "call"] + (
        ["p_siphon", "p_spillover", "draws"] if data.posterior else ["pairs"])
    out = v[[c for c in cols if c in v]].reset_index(drop=True)
    if data.posterior:
        top = top_drivers(data)
        out["drivers"] = [top.get(c, []) for c in out.city]
    return out


def spillover_channels(data: SpilloverData) -> pd.DataFrame | None:
    """Per channel and periphery city, as channels.csv says: the contribution to the elasticity (open minus closed),
    its 90 % interval, the elasticity with the channel closed; over the posterior P(siphon) and the draws."""
    c = data.channels
    if c is None:
        return None
    cols = ["channel", "city", "contribution", "low", "high"] + (["p_siphon", "draws"] if data.posterior else []) \
        + ["elasticity_closed"]
    return c[[k for k in cols if k in c]].reset_index(drop=True)
