"""python -m experiments spillover: the causal siphon/spillover verdict of a scenario, with its channels.

For each seed, two runs of the scenario with common random numbers: as is, and with Changsha's productivity raised
by --shock from the start (model/spillover.py). The periphery cities' responses (log differences of GDP, jobs,
residents and talent in --until) over Changsha's own GDP response give each city's elasticity; over the seeds, its
mean and 90 % interval decide spillover (> +0.02), siphon (< -0.02) or neutral. With --channels, the same pairs with
each channel closed (commuting, migration, firm moves, firm entry, supply chains, knowledge, the incentive race)
give each channel's contribution. With --posterior N, all of this at N parameter sets drawn from the calibration's
ABC sample: the verdict is then read over the draws (median and 90 % interval of the per-draw mean elasticity,
P(siphon), P(spillover); "undetermined" when the draws disagree), and each drawn parameter's rank correlation with
the elasticity says what the answer turns on. Writes responses.csv, verdict.csv, channels.csv (with --channels),
elasticity_by_draw.csv and drivers.csv (with --posterior), spillover.json and spillover.png.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.executor import open_executor, run_all
from experiments.io import write_csv, write_json
from model import spillover as sp
from model.errors import ConfigError
from model.identity import CORE_CITY, PERIPHERY_CITIES

MAX_SEEDS = 200


def _pair(task: tuple[str, int, int, dict[str, Any], float]) -> dict[str, dict[str, float]]:
    """One seed's base and shocked runs (same seed: common random numbers) and their response in ``until``."""
    from model.czt_model import CZTModel

    scenario, seed, until, overrides, shock = task
    tables = []
    for s in (0.0, shock):
        m = CZTModel(scenario, seed=seed, overrides={**overrides, "core_productivity_shock": s})
        m.run_until(until)
        tables.append(m.annual_frame())
    return sp.response(tables[0], tables[1], until)


def measure(scenario: str, seeds: list[int], until: int, overrides: dict[str, Any], shock: float = sp.SHOCK,
            channels: bool = False, workers: int = 2,
            draws: list[dict[str, Any]] | None = None) -> list[dict[str, list[dict]]]:
    """Responses of every seed pair with all channels open (``open``) and, with ``channels``, with each closed; one
    such dict per parameter draw (``draws``: the values each draw sets; without them one entry, the scenario's
    point). All runs go to the executor at once, so both workers stay busy across draws."""
    configs = {"open": {}} | ({f"no_{c}": v for c, v in sp.CHANNELS.items()} if channels else {})
    points = draws if draws is not None else [{}]
    tasks = [(scenario, s, until, {**overrides, **point, **closed}, shock)
             for point in points for closed in configs.values() for s in seeds]
    ex = open_executor(0 if workers <= 1 else min(workers, len(tasks)))
    try:
        flat = run_all(ex, _pair, tasks)
    finally:
        ex.close()
    n, k = len(seeds), len(configs)
    return [{name: flat[(d * k + i) * n:(d * k + i + 1) * n] for i, name in enumerate(configs)}
            for d in range(len(points))]


def tables(resp: dict[str, list[dict]], seeds: list[int]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    rows = [{"config": cfg, "seed": seed, "city": city, **vals}
            for cfg, pairs in resp.items() for seed, r in zip(seeds, pairs) for city, vals in r.items()]
    long = pd.DataFrame(rows)
    verdict = pd.DataFrame([v.__dict__ for v in sp.verdicts(resp["open"])])
    closed = {cfg.removeprefix("no_"): pairs for cfg, pairs in resp.items() if cfg != "open"}
    chans = sp.channel_contributions(resp["open"], closed) if closed else None
    return long, verdict, chans


def posterior_tables(by_draw: list[dict[str, list[dict]]], seeds: list[int], drawn: pd.DataFrame
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """Over the draws: every pair's responses (with its draw), the per-draw elasticities with the draw's parameter
    values, the verdict over draws, the channels over draws (or None) and each drawn parameter's rank correlation
    with each city's elasticity over the draws (which parameters the answer turns on)."""
    long = pd.concat([tables(resp, seeds)[0].assign(draw=d) for d, resp in enumerate(by_draw)], ignore_index=True)
    opens = [resp["open"] for resp in by_draw]
    per = sp.per_draw_elasticities(opens).merge(drawn, on="draw")
    verdict = sp.posterior_verdicts(opens)
    chans = None
    if len(by_draw[0]) > 1:
        closed = [{cfg.removeprefix("no_"): pairs for cfg, pairs in resp.items() if cfg != "open"} for resp in by_draw]
        chans = sp.posterior_channels(opens, closed)
    names = [c for c in drawn.columns if c not in ("draw", "point") and drawn[c].nunique() > 1]
    drivers = pd.DataFrame([{"city": city, "param": n,
                             "spearman": float(per[per.city == city][[n, "elasticity"]].rank().corr().iloc[0, 1])}
                            for city in per.city.unique() for n in names])
    if not drivers.empty:
        drivers = drivers.sort_values(["city", "spearman"], key=lambda c: c.abs() if c.name == "spearman" else c,
                                      ascending=[True, False]).reset_index(drop=True)
    return long, per, verdict, chans, drivers


def plot(verdict: pd.DataFrame, chans: pd.DataFrame | None, path: Path, title: str,
         per_draw: pd.DataFrame | None = None) -> None:
    """The verdict (and the channels): intervals over seed pairs, or over draws with each draw's mean as a dot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = 2 if chans is not None else 1
    fig, axes = plt.subplots(1, k, figsize=(5.5 * k, 3.6), squeeze=False)
    ax = axes[0, 0]
    y = np.arange(len(verdict))
    colour = verdict.call.map({"spillover": "#2e86c1", "siphon": "#c0392b", "neutral": "#7f8c8d"})
    ax.errorbar(verdict.elasticity, y, xerr=[verdict.elasticity - verdict.low, verdict.high - verdict.elasticity],
                fmt="none", ecolor="k", capsize=4)
    ax.scatter(verdict.elasticity, y, c=colour, zorder=3, s=50)
    if per_draw is not None:  # each draw's mean over its seed pairs, jittered off the line
        for i, city in enumerate(verdict.city):
            e = per_draw[per_draw.city == city].elasticity.to_numpy()
            ax.scatter(e, i + 0.12 + 0.1 * np.linspace(-1, 1, len(e)), s=8, c="grey", alpha=0.7, zorder=2)
    for band in (-sp.MIN_ELASTICITY, sp.MIN_ELASTICITY):
        ax.axvline(band, color="grey", ls=":", lw=1)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, [f"{c} ({v})" for c, v in zip(verdict.city, verdict.call)])
    over = "seed pairs" if per_draw is None else "draws"
    ax.set_xlabel(f"elasticity of GDP to Changsha's (90 % over {over}"
                  + ("; dots: each draw)" if per_draw is not None else ")"), fontsize=8)
    ax.set_title("response to Changsha's growth", fontsize=9)
    if chans is not None:
        ax = axes[0, 1]
        names = list(dict.fromkeys(chans.channel))
        w = 0.38
        for i, city in enumerate(PERIPHERY_CITIES):
            c = chans[chans.city == city].set_index("channel").loc[names]
            pos = np.arange(len(names)) + (i - 0.5) * w
            ax.barh(pos, c.contribution, height=w, xerr=[c.contribution - c.low, c.high - c.contribution],
                    label=city, alpha=0.85)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(np.arange(len(names)), names)
        ax.set_xlabel(f"contribution to the elasticity (open - closed; 90 % over {over})", fontsize=8)
        ax.set_title("channels (> 0 carries spillover, < 0 siphon)", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    from experiments.report.style import save

    save(fig, path.with_suffix(""))  # PNG and PDF, each written atomically; the figure closed


def cmd_spillover(a: argparse.Namespace) -> int:
    from experiments.io import output_folder
    from experiments.options import parse_sets, scale_once
    from experiments.sweep.cli import max_workers
    from model.scenarios import load

    least = 1 if a.posterior is not None else 2  # over the posterior the interval is over draws
    if not least <= a.seeds <= MAX_SEEDS:
        raise ConfigError("--seeds", a.seeds, f"an integer from {least} to {MAX_SEEDS} (the interval needs two "
                          "pairs; with --posterior, two draws)")
    if not 0 < a.shock <= 1:
        raise ConfigError("--shock", a.shock, "a share above 0 and at most 1 (0.05 = Changsha's productivity +5 %)")
    if not 0 <= a.workers <= max_workers():
        raise ConfigError("--workers", a.workers, f"0 or 1 (in this process) or a number of processes up to "
                          f"{max_workers()}")
    overrides = scale_once(parse_sets(a.set), a.scale)
    if "core_productivity_shock" in overrides:
        raise ConfigError("--set", "core_productivity_shock", "any other parameter (the shock is --shock)")
    cfg = load(a.scenario).resolved(overrides)  # names and ranges checked before any run
    if not cfg["start_year"] < a.until <= 2100:
        raise ConfigError("--until", a.until, f"a year after the scenario's start {cfg['start_year']}, up to 2100")
    seeds = list(range(1, a.seeds + 1))
    cal = check_posterior(a, overrides)
    t0 = time.time()
    info = {"scenario": a.scenario, "until": a.until, "shock": a.shock, "seeds": seeds, "scale": cfg["scale"],
            "overrides": overrides, "min_elasticity": sp.MIN_ELASTICITY}
    if cal is None:
        resp = measure(a.scenario, seeds, a.until, overrides, a.shock, a.channels, a.workers)[0]
        long, verdict, chans = tables(resp, seeds)
        core = float(np.mean([r[CORE_CITY]["gdp"] for r in resp["open"]]))
        info |= {"core_gdp_response_log": core,
                 "rule": "spillover if the 90 % interval of the mean elasticity lies above +0.02, siphon if below "
                         "-0.02, else neutral"}
        extra: dict[str, pd.DataFrame] = {}
    else:
        from experiments.posterior import DEFAULT_CALIBRATION, HINDCAST_ONLY, draws

        drawn = draws(cal, a.posterior, field="--posterior-from")
        names = [c for c in drawn.columns if c not in ("draw", "point")]
        points = [{n: float(getattr(r, n)) for n in names} for r in drawn.itertuples(index=False)]
        by_draw = measure(a.scenario, seeds, a.until, overrides, a.shock, a.channels, a.workers, points)
        long, per, verdict, chans, drivers = posterior_tables(by_draw, seeds, drawn)
        core = float(np.mean([r[CORE_CITY]["gdp"] for resp in by_draw for r in resp["open"]]))
        info |= {"core_gdp_response_log": core, "rule": sp.POSTERIOR_RULE,
                 "posterior": {"calibration": a.posterior_from or DEFAULT_CALIBRATION, "draws": a.posterior,
                               "drawn": names, "hindcast_only_kept": sorted(HINDCAST_ONLY),
                               "points": [int(x) for x in drawn.point],
                               "drivers": drivers.to_dict("records")}}
        extra = {"elasticity_by_draw.csv": per, "drivers.csv": drivers}
    info |= {"seconds": round(time.time() - t0, 1), "verdict": verdict.to_dict("records"),
             "channels": chans.to_dict("records") if chans is not None else None}
    over = f"{a.posterior} draws x {len(seeds)} seed pairs" if cal is not None else f"{len(seeds)} seed pairs"
    with output_folder(a.out, last=("spillover.json",)) as dest:
        write_csv(long, dest / "responses.csv", float_format="%.6g")
        write_csv(verdict, dest / "verdict.csv", float_format="%.6g")
        if chans is not None:
            write_csv(chans, dest / "channels.csv", float_format="%.6g")
        for name, frame in extra.items():
            write_csv(frame, dest / name, float_format="%.6g")
        plot(verdict, chans, dest / "spillover.png",
             f"{a.scenario}: Changsha productivity +{a.shock:.0%}, {a.until}, {over}"
             + (" (intervals over the posterior)" if cal is not None else ""), extra.get("elasticity_by_draw.csv"))
        write_json(info, dest / "spillover.json")
    print(f"spillover {a.scenario}: {over}, Changsha productivity +{a.shock:.0%} -> its GDP "
          f"{100 * core:+.2f} % in {a.until} ({info['seconds']:.0f} s) -> {a.out}")
    for v in verdict.itertuples():
        odds = f"; P(siphon) {v.p_siphon:.2f}, P(spillover) {v.p_spillover:.2f}" if cal is not None else ""
        print(f"  {v.city:9s} {v.call:12s} elasticity {v.elasticity:+.3f} [90 %: {v.low:+.3f}, {v.high:+.3f}]{odds}")
    if chans is not None:
        for r in chans.itertuples():
            odds = f" P(siphon) {r.p_siphon:.2f}" if cal is not None else ""
            print(f"  channel {r.channel:14s} {r.city:9s} contribution {r.contribution:+.3f} "
                  f"[{r.low:+.3f}, {r.high:+.3f}]{odds}")
    if cal is not None:
        for city, g in drivers.groupby("city", sort=False):
            top = ", ".join(f"{r.param} {r.spearman:+.2f}" for r in g.head(3).itertuples())
            print(f"  {city:9s} elasticity over the draws turns most on: {top} (Spearman)")
    return 0


def check_posterior(a: argparse.Namespace, overrides: dict[str, Any]) -> Path | None:
    """The calibration folder of ``--posterior N`` (None without it), checked in one line before any run."""
    from experiments.posterior import DEFAULT_CALIBRATION, calibration_folder, check_sizes, draws, refuse_drawn

    if a.posterior is None:
        if a.posterior_from is not None:
            raise ConfigError("--posterior-from", a.posterior_from, "only with --posterior N (the folder of the "
                              "posterior draws)", kind="option without --posterior")
        return None
    check_sizes("--posterior", a.posterior, a.seeds, n_scenarios=1 + len(sp.CHANNELS) if a.channels else 1,
                min_draws=2)
    cal = calibration_folder(a.posterior_from or DEFAULT_CALIBRATION)
    draws(cal, 1, field="--posterior-from")  # a folder without the ABC sample: one line, before any run
    refuse_drawn(cal, overrides)
    return cal


def register(sub) -> None:
    s = sub.add_parser("spillover", help="causal siphon/spillover verdict: paired runs with a shock to Changsha, "
                       "by channel", description=__doc__.split("\n\n")[1].replace("\n", " "))
    s.add_argument("--scenario", default="baseline", help="a shipped scenario or a TOML path (default %(default)s)")
    s.add_argument("--seeds", type=int, default=6, help="seed pairs, seeds 1..N (default %(default)s)")
    s.add_argument("--shock", type=float, default=sp.SHOCK, help="Changsha's productivity rise, a share "
                   "(default %(default)s)")
    s.add_argument("--until", type=int, default=2035, help="the year the responses are read (default %(default)s)")
    s.add_argument("--scale", type=int, default=None, help="residents per worker agent (default: the scenario's)")
    s.add_argument("--channels", action="store_true", help="also close each channel in turn (7x the runs)")
    s.add_argument("--posterior", type=int, default=None, metavar="N",
                   help="run the pairs at N parameter sets drawn from the calibration's ABC sample and give the "
                   "verdict over them (median, 90 %% interval, P(siphon), P(spillover)) and the parameters it turns on")
    s.add_argument("--posterior-from", default=None, metavar="DIR",
                   help="calibration folder of the draws, with accepted.parquet and posterior.csv (default "
                   "docs/record-fit)")
    s.add_argument("--workers", type=int, default=2, help="processes (default %(default)s)")
    s.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    s.add_argument("--out", default="results/spillover", help="output folder (default %(default)s)")
    s.set_defaults(func=cmd_spillover)
