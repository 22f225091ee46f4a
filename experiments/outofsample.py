"""python -m experiments outofsample: the as-happened run 2010-2024 beside the city figures recorded after 2019.

Runs ``scenarios/as-happened.toml`` (the hindcast continued with the recorded policy timeline and national growth)
and its counterpart ``hindcast-2010`` (2019 institutions and conditions kept) for several seeds to 2024, and puts
both beside the held-out figures of experiments/holdout/city_2020_2024.csv: GDP shares where all three cities'
GDP is recorded, each city's real GDP growth, Changsha's share of the three cities' residents and the cities'
resident growth. The model is never fitted to these figures: this is the out-of-sample check. Writes into --out:
oos.csv and oos.tex (recorded, as-happened mean and 5-95% range over seeds, counterfactual mean, error), oos.json
(configuration, seeds, the mean absolute errors) and annual.parquet (every run's city-by-year table).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.io import write_csv, write_json, write_parquet, write_text
from model.errors import ConfigError
from model.identity import CITIES, CORE_CITY

HOLDOUT = Path(__file__).resolve().parent / "holdout" / "city_2020_2024.csv"
UNTIL = 2024
SCENARIOS = {"as_happened": "as-happened", "counterfactual": "hindcast-2010"}


def recorded() -> pd.DataFrame:
    """Measures computable from the held-out file: measure, year, value (fractions), tag (worst of the inputs)."""
    d = pd.read_csv(HOLDOUT)
    rank = {"official": 0, "indicative": 1}
    rows = []
    gdp = d[d.variable == "gdp"].pivot(index="year", columns="city", values="value")
    tags = d[d.variable == "gdp"].pivot(index="year", columns="city", values="tag")
    for y in gdp.index:
        if gdp.loc[y, list(CITIES)].notna().all():
            tag = max((tags.at[y, c] for c in CITIES), key=rank.get)
            for c in CITIES:
                rows.append((f"gdp_share_{c}", y, gdp.at[y, c] / gdp.loc[y, list(CITIES)].sum(), tag))
    for r in d[d.variable == "gdp_real_growth"].itertuples():
        rows.append((f"real_growth_{r.city}", r.year, r.value / 100, r.tag))
    pop = d[d.variable == "resident_population_yearend"].pivot(index="year", columns="city", values="value")
    ptag = d[d.variable == "resident_population_yearend"].pivot(index="year", columns="city", values="tag")
    for y in pop.index:
        if pop.loc[y].reindex(list(CITIES)).notna().all():
            tag = max((ptag.at[y, c] for c in CITIES), key=rank.get)
            rows.append((f"pop_share_{CORE_CITY}", y, pop.at[y, CORE_CITY] / pop.loc[y, list(CITIES)].sum(), tag))
    for c in pop.columns:
        s = pop[c].dropna()
        for y in s.index:
            if y - 1 in s.index:
                tag = max(ptag.at[y, c], ptag.at[y - 1, c], key=rank.get)
                rows.append((f"pop_growth_{c}", y, s[y] / s[y - 1] - 1, tag))
    return pd.DataFrame(rows, columns=["measure", "year", "recorded", "tag"])


def simulated(annual: pd.DataFrame) -> pd.DataFrame:
    """The same measures from one run (model money is at constant prices, so GDP growth is real growth). Residents
    are the year's mean, the record's are year-end: growth compares year-on-year changes, which that shifts by
    half a year."""
    gdp = annual.pivot(index="year", columns="city", values="gdp_100m_yuan")
    pop = annual.pivot(index="year", columns="city", values="population_10k")
    rows = []
    for y in gdp.index:
        for c in CITIES:
            rows.append((f"gdp_share_{c}", y, gdp.at[y, c] / gdp.loc[y].sum()))
            if y - 1 in gdp.index:
                rows.append((f"real_growth_{c}", y, gdp.at[y, c] / gdp.at[y - 1, c] - 1))
                rows.append((f"pop_growth_{c}", y, pop.at[y, c] / pop.at[y - 1, c] - 1))
        rows.append((f"pop_share_{CORE_CITY}", y, pop.at[y, CORE_CITY] / pop.loc[y].sum()))
    return pd.DataFrame(rows, columns=["measure", "year", "value"])


def table(rec: pd.DataFrame, runs: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    """Recorded vs simulated (mean, 5% and 95% over seeds) for each scenario, with the as-happened error."""
    out = rec.copy()
    for key, annuals in runs.items():
        sims = pd.concat([simulated(a) for a in annuals], keys=range(len(annuals)), names=["run"])
        g = sims.groupby(["measure", "year"]).value
        stats = pd.DataFrame({f"{key}_mean": g.mean(), f"{key}_p05": g.quantile(0.05), f"{key}_p95": g.quantile(0.95)})
        out = out.merge(stats.reset_index(), on=["measure", "year"], how="left")
    out["error"] = out.as_happened_mean - out.recorded
    out["inside_range"] = (out.recorded >= out.as_happened_p05) & (out.recorded <= out.as_happened_p95)
    return out.sort_values(["measure", "year"]).reset_index(drop=True)


def to_latex(t: pd.DataFrame) -> str:
    lines = [r"\begin{tabular}{lrrrrrl}", r"\toprule",
             r"Measure & Year & Recorded & As happened & 5--95\% & 2019 kept & Source \\", r"\midrule"]
    for r in t.itertuples():
        lines.append(f"{r.measure.replace('_', r'\_')} & {r.year} & {r.recorded:.3f} & {r.as_happened_mean:.3f} & "
                     f"{r.as_happened_p05:.3f}--{r.as_happened_p95:.3f} & {r.counterfactual_mean:.3f} & {r.tag} \\\\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def outofsample(out: Path, seeds: int = 6, scale: int = 200, workers: int = 2,
                overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    from experiments.runner import git_commit, versions
    from experiments.validate import hindcast_executor, run_hindcast

    overrides = {"scale": scale, **(overrides or {})}
    t0 = time.perf_counter()
    ex = hindcast_executor(workers, seeds)  # one set of warm workers for both scenarios
    try:
        runs = {k: run_hindcast(list(range(1, seeds + 1)), overrides, workers, scen, until=UNTIL, executor=ex)
                for k, scen in SCENARIOS.items()}
    finally:
        ex.close()
    seconds = time.perf_counter() - t0
    t = table(recorded(), runs)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(t, out / "oos.csv")
    write_text(to_latex(t), out / "oos.tex")
    write_parquet(pd.concat([pd.concat(a, ignore_index=True).assign(scenario=SCENARIOS[k]) for k, a in runs.items()],
                            ignore_index=True), out / "annual.parquet")
    mae = {kind: float(np.mean(np.abs(g.error))) for kind, g in t.groupby(t.measure.str.rsplit("_", n=1).str[0])}
    info = {"scenarios": SCENARIOS, "until": UNTIL, "seeds": list(range(1, seeds + 1)), "overrides": overrides,
            "holdout_file": str(HOLDOUT.relative_to(HOLDOUT.parents[2])), "mean_abs_error": mae,
            "share_inside_5_95": float(t.inside_range.mean()), "seconds": seconds, "git_commit": git_commit(),
            "versions": versions(), "files": ["oos.csv", "oos.tex", "annual.parquet"]}
    write_json(info, out / "oos.json")
    return {"table": t, "info": info}


def cmd_outofsample(a: argparse.Namespace) -> int:
    from experiments.options import parse_sets, scale_once
    from experiments.io import output_folder
    from experiments.sweep.cli import max_workers
    from model.scenarios import load

    if not 2 <= a.seeds <= 1000:
        raise ConfigError("--seeds", a.seeds, "an integer from 2 to 1000 (the table reports a range over seeds)")
    if not 0 <= a.workers <= max_workers():
        raise ConfigError("--workers", a.workers, f"0 or 1 (in this process) or up to {max_workers()} processes")
    overrides = scale_once(parse_sets(a.set), a.scale)
    scale = overrides.pop("scale", 200)
    for scen in SCENARIOS.values():
        load(scen).resolved({"scale": scale, **overrides})  # names and ranges checked before any run
    with output_folder(a.out, last=("oos.json",)) as dest:  # every file or none
        r = outofsample(dest, a.seeds, scale, a.workers, overrides)
    t = r["table"]
    print(f"out of sample 2020-{UNTIL}: {a.seeds} seeds at scale {scale} in {r['info']['seconds']:.1f} s -> {a.out}")
    print(f"{'measure':24s}{'year':>6s}{'recorded':>10s}{'as-happened':>13s}{'5-95%':>17s}{'2019 kept':>11s}  source")
    for x in t.itertuples():
        print(f"{x.measure:24s}{x.year:>6d}{x.recorded:>10.3f}{x.as_happened_mean:>13.3f}"
              f"{x.as_happened_p05:>8.3f}-{x.as_happened_p95:<8.3f}{x.counterfactual_mean:>11.3f}  {x.tag}")
    print("mean absolute error: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(r["info"]["mean_abs_error"].items()))
          + f"; recorded value inside the 5-95% range in {r['info']['share_inside_5_95']:.0%} of rows")
    return 0


def register(sub) -> None:
    v = sub.add_parser("outofsample", help="the as-happened run 2010-2024 against the held-out city figures 2020-2024",
                       description=__doc__.split("\n\n")[1].replace("\n", " "))
    v.add_argument("--out", default="results/outofsample", help="folder for oos.csv, oos.tex (default %(default)s)")
    v.add_argument("--seeds", type=int, default=6, help="replications, seeds 1..N (default %(default)s)")
    v.add_argument("--scale", type=int, default=None, help="residents per worker agent (default 200)")
    v.add_argument("--workers", type=int, default=2, help="processes (default %(default)s)")
    v.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    v.set_defaults(func=cmd_outofsample)
