"""python -m experiments validate: a hindcast (from 2010, or from 2005) against the recorded series.

Runs the hindcast-2010 scenario (or ``--scenario hindcast-2005``) for several seeds, compares the moments of
model/history.py with the yearbook (2011-2015 fitted, 2019 held out), prints the fit table and writes into --out:
fit.csv and fit.tex (observed, simulated mean and sd over seeds, error in sd units), validate.json (RMSE by split,
configuration, seeds, timings, versions), annual.parquet (every run's city-by-year table) and the figures
hindcast.pdf/.png and hindcast_zh.pdf/.png. Errors are in units of each moment's sd (model/history.py SD: 0.01 for
GDP shares, 0.03 for wage ratios, 0.03 for secondary-sector shares, 0.03 log points for growth). Also the long
record (model/record.py) from the start year to 2019 and the 2010 and 2020 censuses, per city and year, with
signed errors (simulated mean minus record, in the moment's unit): record_fit.csv and record_fit.tex, the bias
per moment and city in record_bias.csv, and the figure record.pdf/.png.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.executor import Executor, open_executor, run_all
from experiments.io import write_csv, write_json, write_parquet, write_text
from experiments.report.labels import CITY
from model import history, record
from model.errors import ConfigError
from model.identity import CORE_CITY

LABELS = {"gdp_share": "Share of CZT GDP", "wage_ratio": f"Average wage / {CITY['en'][CORE_CITY]}'s",
          "secondary_share": "Secondary sector share of GDP",
          "pop_share": f"{CITY['en'][CORE_CITY]}'s share of residents", "gdp_growth": "CZT real GDP, log change since 2010"}
LABELS_ZH = {"gdp_share": "占长株潭GDP比重", "wage_ratio": f"平均工资/{CITY['zh'][CORE_CITY]}",
             "secondary_share": "第二产业占GDP比重",
             "pop_share": f"{CITY['zh'][CORE_CITY]}常住人口占比", "gdp_growth": "长株潭实际GDP（对数，较2010年）"}
CITY_NAMES = {"en": {**CITY["en"], "czt": "CZT"}, "zh": {**CITY["zh"], "czt": "长株潭"}}


def _one(task: tuple[str, int, dict[str, Any], int]) -> pd.DataFrame:
    from model.czt_model import CZTModel

    scenario, seed, overrides, until = task
    m = CZTModel(scenario, seed=seed, overrides=overrides)
    m.run_until(until)
    return m.annual_frame().assign(seed=seed)


def hindcast_executor(workers: int, runs: int) -> Executor:
    """Where the hindcast runs go: this process (``workers`` 0 or 1) or up to ``workers`` warm local processes."""
    return open_executor(0 if workers <= 1 else min(workers, runs))


def run_hindcast(seeds: list[int], overrides: dict[str, Any], workers: int = 2,
                 scenario: str = "hindcast-2010", until: int = history.LAST_YEAR,
                 executor: Executor | None = None) -> list[pd.DataFrame]:
    """One annual city table per seed (in seed order, whatever the number of processes). ``executor``: the
    caller's (kept open, its workers warm for the next call); else one is opened for these runs and closed."""
    tasks = [(scenario, s, overrides, until) for s in seeds]
    ex = executor or hindcast_executor(workers, len(tasks))
    try:
        return run_all(ex, _one, tasks)
    finally:
        if executor is None:
            ex.close()


def to_latex(table: pd.DataFrame) -> str:
    """booktabs table: moment, year, split, observed, simulated mean (sd), error in sd units."""
    lines = [r"\begin{tabular}{llrrrr}", r"\toprule",
             r"Moment & Split & Year & Observed & Simulated (sd) & Error (sd units) \\", r"\midrule"]
    for r in table.itertuples():
        lines.append(f"{r.moment.replace('_', r'\_')} & {r.split} & {r.year} & {r.observed:.3f} & "
                     f"{r.simulated:.3f} ({r.simulated_sd:.3f}) & {r.error_sd_units:+.2f} \\\\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def plot(obs: pd.DataFrame, sims: list[pd.DataFrame], stem: Path, lang: str = "en") -> list[Path]:
    """Four panels: observed (markers) vs simulated mean and 90% range over seeds, fit and holdout years shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from experiments.report import style

    st = style.setup(want_chinese=lang == "zh")
    zh = lang == "zh" and bool(st.cjk_font)
    labels = LABELS_ZH if zh else LABELS
    names = CITY_NAMES["zh" if zh else "en"]
    sim = pd.concat(sims, keys=range(len(sims)), names=["run"]).reset_index(level=0)
    fig, axes = plt.subplots(2, 3, figsize=(style.DOUBLE_COLUMN_IN * 1.3, style.DOUBLE_COLUMN_IN * 0.62))
    kinds = ("gdp_share", "wage_ratio", "pop_share", "secondary_share", "gdp_growth")
    axes.flat[-1].axis("off")
    for ax, kind in zip(axes.flat, kinds):
        moments = sorted(m for m in obs.moment.unique() if m.startswith(kind))
        for m in moments:
            city = m.rsplit("_", 1)[1]
            colour = style.CITY_COLOURS.get(city, "black")
            s = sim[sim.moment == m].groupby("year").value
            ax.fill_between(s.mean().index, s.quantile(0.05), s.quantile(0.95), color=colour, alpha=0.18, lw=0)
            ax.plot(s.mean().index, s.mean(), color=colour, label=names[city])
            o = obs[obs.moment == m]
            ax.plot(o.year, o.value, "o", color=colour, ms=3, mfc="white")
        ax.axvspan(min(history.FIT_YEARS) - 0.5, max(history.FIT_YEARS) + 0.5, color="0.92", zorder=0, lw=0)
        ax.axvline(2018, color="0.4", ls=":", lw=0.8)
        ax.set_title(labels[kind], loc="left")
        ax.set_xlim(2009.5, 2020.5)
    axes[0, 0].legend(loc="best")
    axes[1, 0].legend(loc="lower left", ncol=3)
    axes[1, 2].text(0.0, 0.9, "pop. share: residents (2010 and 2020 censuses)" if not zh else "人口占比：常住人口（2010、2020年普查）",
                    fontsize=7, transform=axes[1, 2].transAxes)
    for ax in list(axes.flat)[:-1]:
        ax.text(2018.1, ax.get_ylim()[0], " rail" if not zh else " 城际铁路", fontsize=6, va="bottom")
    fig.suptitle("Hindcast 2010-2020: lines simulated (band 5-95% over seeds), circles recorded (no data 2016-18);\n"
                 "shaded = fitted years, 2019 held out" if not zh else
                 "2010-2020年回溯：线为模拟（带为各种子5-95%），圆点为统计值（2016-18年无数据）；\n阴影为拟合年份，2019年为留出检验")
    fig.tight_layout()
    return style.save(fig, stem)


def validate(out: Path, seeds: int = 6, scale: int = 200, workers: int = 2, overrides: dict[str, Any] | None = None,
             scenario: str = "hindcast-2010", stream=None) -> dict[str, Any]:
    from experiments.runner import git_commit, versions

    overrides = {"scale": scale, **(overrides or {})}
    t0 = time.perf_counter()
    annual = run_hindcast(list(range(1, seeds + 1)), overrides, workers, scenario)
    seconds = time.perf_counter() - t0
    obs = history.observed()
    table = history.fit_table(obs, [history.simulated(a) for a in annual])
    rmse = history.rmse_by_split(table)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(table, out / "fit.csv")
    write_text(to_latex(table), out / "fit.tex")
    write_parquet(pd.concat(annual, ignore_index=True), out / "annual.parquet")
    start_year = int(annual[0].year.min())
    long = record.fit_table(record.observed(), [record.simulated(a) for a in annual], start_year)
    bias = record.bias_summary(long)
    write_csv(long, out / "record_fit.csv")
    write_csv(bias, out / "record_bias.csv")
    write_text(record_latex(long), out / "record_fit.tex")
    figs = plot_record(long, [record.simulated(a) for a in annual], out / "record", scenario)
    for lang in ("en", "zh"):
        figs += plot(history.observed(include_base=True), [history.simulated(a, every_year=True) for a in annual],
                     out / ("hindcast" if lang == "en" else "hindcast_zh"), lang)
    info = {"scenario": scenario, "start_year": start_year, "seeds": list(range(1, seeds + 1)), "overrides": overrides,
            "rmse_sd_units": rmse, "fit_years": list(history.FIT_YEARS), "holdout_years": list(history.HOLDOUT_YEARS),
            "moment_sd": history.SD, "seconds": seconds, "git_commit": git_commit(), "versions": versions(),
            "files": ["fit.csv", "fit.tex", "annual.parquet", "record_fit.csv", "record_fit.tex", "record_bias.csv"] +
            [p.name for p in figs]}
    write_json(info, out / "validate.json")
    return {"table": table, "rmse": rmse, "info": info, "record": long, "bias": bias}


def format_table(table: pd.DataFrame) -> str:
    wide = table.pivot(index="moment", columns="year", values=["observed", "simulated"])
    lines = [f"{'moment':26s}" + "".join(f"{y:>15d}" for y in sorted(table.year.unique()))]
    for m in wide.index:
        cells = "".join(f"{wide.at[m, ('observed', y)]:>7.3f}/{wide.at[m, ('simulated', y)]:<7.3f}"
                        for y in sorted(table.year.unique()))
        lines.append(f"{m:26s}{cells}")
    return "\n".join(lines)


MAX_SEEDS = 1000
HINDCAST_STARTS = (2010, 2005)  # start years the fit tables are defined for (model/history.py, model/record.py)


def record_latex(table: pd.DataFrame) -> str:
    """booktabs table of the long record: moment, city, year, flag, recorded, simulated mean [5-95 %], signed error."""
    lines = [r"\begin{tabular}{lllrrrr}", r"\toprule",
             r"Moment & City & Flag & Year & Recorded & Simulated [5--95\,\%] & Signed error \\", r"\midrule"]
    for r in table.itertuples():
        lines.append(f"{r.moment.replace('_', r'\_')} & {r.city} & {r.flag.replace('_', r'\_')} & {r.year} & "
                     f"{r.recorded:.3f} & {r.simulated:.3f} [{r.simulated_p05:.3f}, {r.simulated_p95:.3f}] & "
                     f"{r.signed_error:+.3f} \\\\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


RECORD_PANELS = (("gdp_share", "Share of CZT GDP"), ("real_growth", "Real GDP growth (log, within a vintage)"),
                 ("secondary_share", "Secondary sector share of GDP"),
                 ("wage_ratio", f"Average wage / {CITY['en'][CORE_CITY]}'s"), ("residents", "Residents (10k)"),
                 ("pop_share", f"{CITY['en'][CORE_CITY]}'s share of residents"))


def plot_record(table: pd.DataFrame, sims: list[pd.DataFrame], stem: Path, scenario: str) -> list[Path]:
    """One panel per moment, three cities: simulated mean and 5-95 % band over seeds against the record (filled:
    published or census; open: derived or across a suspected break); dotted lines at the economic-census revisions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from experiments.report import style

    style.setup(want_chinese=False)
    sim = pd.concat(sims, ignore_index=True)
    start = int(table.year.min()) if len(table) else 2005
    first = int(sim.year.min())
    fig, axes = plt.subplots(2, 3, figsize=(style.DOUBLE_COLUMN_IN * 1.3, style.DOUBLE_COLUMN_IN * 0.66))
    for ax, (moment, title) in zip(axes.flat, RECORD_PANELS):
        for city in CITY_NAMES["en"]:
            s = sim[(sim.moment == moment) & (sim.city == city)].groupby("year").value
            if not len(s.size()):
                continue
            colour = style.CITY_COLOURS.get(city, "black")
            ax.fill_between(s.mean().index, s.quantile(0.05), s.quantile(0.95), color=colour, alpha=0.18, lw=0)
            ax.plot(s.mean().index, s.mean(), color=colour, label=CITY_NAMES["en"][city])
            o = table[(table.moment == moment) & (table.city == city)]
            solid = o.flag.isin(["published", "census"])
            ax.plot(o.year[solid], o.recorded[solid], "o", color=colour, ms=3.5)
            ax.plot(o.year[~solid], o.recorded[~solid], "o", color=colour, ms=3.5, mfc="white")
        for b in (2008.5, 2013.5, 2018.5):
            ax.axvline(b, color="0.5", ls=":", lw=0.7)
        ax.set_title(title, loc="left")
        ax.set_xlim(min(start, first) - 0.5, 2020.5)
    axes.flat[0].legend(loc="best")
    fig.suptitle(f"{scenario}: lines simulated (band 5-95 % over seeds), dots recorded (open: derived or across a "
                 "suspected break);\ndotted: GDP revisions after the 2008, 2013 and 2018 economic censuses")
    fig.tight_layout()
    return style.save(fig, stem)


def cmd_validate(a: argparse.Namespace) -> int:
    from experiments.options import parse_sets, scale_once
    from experiments.io import output_folder

    if not 2 <= a.seeds <= MAX_SEEDS:
        raise ConfigError("--seeds", a.seeds, f"an integer from 2 to {MAX_SEEDS} (the fit table reports the sd "
                          "over seeds)")
    from experiments.sweep.cli import max_workers

    if not 0 <= a.workers <= max_workers():
        raise ConfigError("--workers", a.workers, f"0 or 1 (in this process) or a number of processes up to "
                          f"{max_workers()} (4 per core of this machine)")
    overrides = scale_once(parse_sets(a.set), a.scale)
    overrides.setdefault("scale", 200)
    scale = overrides.pop("scale")
    from model.scenarios import load

    cfg = load(a.scenario).resolved({"scale": scale, **overrides})  # names and ranges checked before any run
    if cfg["start_year"] not in HINDCAST_STARTS:
        raise ConfigError("--scenario", a.scenario, "a hindcast scenario starting in 2010 or 2005 (hindcast-2010, "
                          f"hindcast-2005); this one starts in {cfg['start_year']}")
    a.scale = cfg["scale"]
    with output_folder(a.out):
        r = validate(Path(a.out), a.seeds, a.scale, a.workers, overrides, a.scenario)
    print(f"hindcast {a.scenario}: {a.seeds} seeds at scale {a.scale} in {r['info']['seconds']:.1f} s -> {a.out}")
    print("observed/simulated (mean over seeds); fitted years " + ", ".join(map(str, history.FIT_YEARS)) +
          "; held out " + ", ".join(map(str, history.HOLDOUT_YEARS)))
    print(format_table(r["table"]))
    print("RMSE in sd units: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["rmse"].items())) +
          "  (sd: 0.01 for GDP shares, 0.03 for wage ratios, secondary shares and log growth)")
    print(f"long record {cfg['start_year']}-2019 and the censuses: signed errors (simulated mean - record), "
          "GDP shares in pp, by year")
    print(format_signed(r["record"]))
    print("wrote " + ", ".join(r["info"]["files"]) + ", validate.json")
    return 0


def format_signed(table: pd.DataFrame) -> str:
    """GDP shares and real growth: signed errors in pp per city and year; residents in 10k persons."""
    lines = []
    for moment, scale, unit in (("gdp_share", 100, "pp"), ("real_growth", 100, "pp"), ("secondary_share", 100, "pp"),
                                ("wage_ratio", 100, "pp"), ("residents", 1, "10k"), ("pop_share", 100, "pp")):
        t = table[table.moment == moment]
        for city, g in t.groupby("city", sort=False):
            cells = " ".join(f"{y}:{e * scale:+.1f}" for y, e in zip(g.year, g.signed_error))
            lines.append(f"{moment:15s} {city:9s} [{unit}] {cells}")
    return "\n".join(lines)


def register(sub) -> None:
    v = sub.add_parser("validate", help="hindcast from 2010 (or 2005) against the recorded series: fit tables, figures",
                       description=__doc__.split("\n\n")[1].replace("\n", " "))
    v.add_argument("--out", default="results/validate", help="folder for fit.csv, fit.tex, figures (default %(default)s)")
    v.add_argument("--seeds", type=int, default=6, help="replications, seeds 1..N (default %(default)s)")
    v.add_argument("--scale", type=int, default=None, help="residents per worker agent (default 200, the model default)")
    v.add_argument("--workers", type=int, default=2, help="processes (default %(default)s)")
    v.add_argument("--scenario", default="hindcast-2010",
                   help="a hindcast scenario starting in 2010 or 2005 (default %(default)s; hindcast-2005 for the long record)")
    v.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    v.set_defaults(func=cmd_validate)
