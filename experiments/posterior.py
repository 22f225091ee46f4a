"""python -m experiments posterior: forecasts and lever contrasts over the calibration's posterior, not one point.

Draws parameter sets from a calibration's ABC sample (accepted.parquet: the accepted points, drawn with their
Epanechnikov weights, a fixed stream), runs every scenario at every draw for --seeds seeds (common random numbers:
the same seeds at every draw and scenario), and reports for each scenario and outcome in --until: the median and
90 % interval over draws x seeds, the **parameter band** (5-95 % of the per-draw means over seeds) apart from the
**seed band** (the mean over draws of the 5-95 % range over seeds), and for each lever scenario its contrast with
the baseline at the same draw and seed: median, 90 % interval and the probability over draws that the lever raises
the outcome (the per-draw mean contrast > 0). Hindcast-only parameters (``HINDCAST_ONLY``: the 2010s productivity
trend) stay at the scenario's value. Writes runs.csv, summary.csv, contrasts.csv, posterior_study.json and
posterior_study.png.
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
from model.errors import ConfigError
from model.identity import CORE_CITY, PERIPHERY_CITIES

HINDCAST_ONLY = {"tfp_growth"}  # fitted as a nuisance of the hindcast: the 2019+ scenarios keep their own
DRAW_SEED = 20261207
MAX_RUNS = 20_000
MAX_DRAWS, MAX_SEEDS = 1000, 100
DEFAULT_CALIBRATION = "docs/record-fit"  # relative to the repository root (calibration_folder)
QUANTILES = (0.05, 0.95)  # the 90 % interval and both bands
BANDS_TEXT = ("median and 90 % interval (q05, q95) over draws x seeds; parameter_band: 5-95 % range of the per-draw "
              "means over seeds; seed_band: mean over draws of the 5-95 % range over seeds")
UNITS = {"_gdp_share_pp": "percentage points of the cluster's GDP", "_gdp_100m_yuan": "100 million yuan (start-year "
         "prices)", "_residents_10k": "10k persons"}


def unit_of(outcome: str) -> str:
    """The unit of an outcome of ``outcomes`` (its name ends with it)."""
    return next(u for end, u in UNITS.items() if outcome.endswith(end))


def calibration_folder(path: str | Path) -> Path:
    """A calibration folder as given, or relative to the repository root when it is not there (the default)."""
    p = Path(path)
    root = Path(__file__).resolve().parent.parent
    return p if p.exists() or p.is_absolute() else root / p


def check_sizes(draws_field: str, n_draws: int, seeds: int, n_scenarios: int = 1, min_draws: int = 1,
                seeds_field: str = "--seeds") -> None:
    """One line naming the flag when draws, seeds or draws x seeds x scenarios are out of range (before any run)."""
    if isinstance(n_draws, bool) or not min_draws <= n_draws <= MAX_DRAWS:
        raise ConfigError(draws_field, n_draws, f"an integer from {min_draws} to {MAX_DRAWS} (parameter sets from "
                          "the ABC sample)")
    if isinstance(seeds, bool) or not 1 <= seeds <= MAX_SEEDS:
        raise ConfigError(seeds_field, seeds, f"an integer from 1 to {MAX_SEEDS}")
    if n_draws * seeds * n_scenarios > MAX_RUNS:
        what = "draws x seeds" + (" x scenarios" if n_scenarios > 1 else "")
        raise ConfigError(draws_field, n_draws, f"{what} up to {MAX_RUNS:,} runs ({n_draws} x {seeds}"
                          + (f" x {n_scenarios}" if n_scenarios > 1 else "") + f" = {n_draws * seeds * n_scenarios:,})",
                          kind="too many runs")


def bands(grid: np.ndarray) -> dict[str, np.ndarray]:
    """The rules of every answer over the posterior, for a draws x seeds (x ...) array (NaN-aware): ``median``,
    ``q05``, ``q95`` over draws x seeds; the parameter band ``param_lo``, ``param_hi`` (5-95 % over draws of the
    per-draw means over seeds) and the seed band ``seed_lo``, ``seed_hi`` (the mean over draws of each draw's 5 and
    95 % quantiles over seeds: its width is the mean over draws of the 5-95 % range over seeds)."""
    import warnings

    g = np.asarray(grid, dtype=float)
    flat = g.reshape((-1,) + g.shape[2:])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        per_draw = np.nanmean(g, axis=1)
        q_lo, q_hi = np.nanquantile(g, QUANTILES, axis=1)
        out = {"median": np.nanmedian(flat, axis=0)}
        out["q05"], out["q95"] = np.nanquantile(flat, QUANTILES, axis=0)
        out["param_lo"], out["param_hi"] = np.nanquantile(per_draw, QUANTILES, axis=0)
        out["seed_lo"], out["seed_hi"] = np.nanmean(q_lo, axis=0), np.nanmean(q_hi, axis=0)
    return out


def band_row(grid: np.ndarray) -> dict[str, float]:
    """One outcome's draws x seeds as the numbers a summary reports: median, q05, q95, parameter_band, seed_band
    (the bands' widths)."""
    b = bands(grid)
    return {"median": float(b["median"]), "q05": float(b["q05"]), "q95": float(b["q95"]),
            "parameter_band": float(b["param_hi"] - b["param_lo"]), "seed_band": float(b["seed_hi"] - b["seed_lo"])}


def grid_of(runs: pd.DataFrame, col: str) -> np.ndarray:
    """Draws x seeds of one outcome from a table of runs (columns draw, seed, col)."""
    return runs.pivot(index="draw", columns="seed", values=col).to_numpy(dtype=float)


def outcomes(annual: pd.DataFrame, year: int) -> dict[str, float]:
    """The headline outcomes of a run in ``year``: Changsha's GDP share (pp) and each periphery city's GDP share
    (pp), GDP (100m yuan) and residents (10k persons)."""
    a = annual[annual.year == year].set_index("city")
    total = a.gdp_100m_yuan.sum()
    out = {"core_gdp_share_pp": 100 * a.gdp_100m_yuan[CORE_CITY] / total}
    for c in PERIPHERY_CITIES:
        out[f"{c}_gdp_share_pp"] = 100 * a.gdp_100m_yuan[c] / total
        out[f"{c}_gdp_100m_yuan"] = float(a.gdp_100m_yuan[c])
        out[f"{c}_residents_10k"] = float(a.population_10k[c])
    return out


def _one(task: tuple[str, int, int, dict[str, Any]]) -> dict[str, float]:
    from model.czt_model import CZTModel

    scenario, seed, until, overrides = task
    m = CZTModel(scenario, seed=seed, overrides=overrides)
    m.run_until(until)
    return outcomes(m.annual_frame(), until)


PINNED_FILE = "pinned.toml"


def pinned(calibration: Path, field: str = "--calibration") -> dict[str, Any]:
    """The values a calibration held fixed in its scenario and that every draw carries with it (``pinned.toml`` in
    the calibration folder, e.g. the in-migration elasticity the 2005 fit pinned at 1.5): without them a draw put on
    another scenario would mix the fit's parameters with that scenario's value of the pinned one. {} if the folder
    has no such file."""
    from model.params import BY_NAME
    from model.scenarios import read_toml

    path = Path(calibration) / PINNED_FILE
    if not path.exists():
        return {}
    raw = read_toml(path, what="pinned values")
    out = {}
    for k, v in raw.items():
        if k not in BY_NAME:
            raise ConfigError(f"{field}: {PINNED_FILE}: {k}", v, "a known parameter (python -m experiments params)",
                              kind="unknown parameter")
        out[k] = BY_NAME[k].coerce(v)
    return out


def draws(calibration: Path, n: int, field: str = "--calibration") -> pd.DataFrame:
    """``n`` parameter sets from the accepted ABC points (weighted, with replacement; a fixed stream): the first
    ``k`` of ``n`` draws are the ``k`` draws of a smaller ``n``. Each draw carries the calibration's ``pinned``
    values too. ``field`` names the flag or control in errors."""
    calibration = Path(calibration)
    acc_path, post_path = calibration / "accepted.parquet", calibration / "posterior.csv"
    if not acc_path.exists() or not post_path.exists():
        raise ConfigError(field, str(calibration), "a calibration folder with accepted.parquet and "
                          "posterior.csv (python -m experiments calibrate ...)", kind="not a calibration folder")
    acc = pd.read_parquet(acc_path)
    names = [n for n in pd.read_csv(post_path).param if n not in HINDCAST_ONLY]
    w = acc.weight.to_numpy(dtype=float)
    w = w / w.sum() if w.sum() > 0 else np.full(len(acc), 1 / len(acc))
    pick = np.random.default_rng(DRAW_SEED).choice(len(acc), size=n, replace=True, p=w)
    out = acc.iloc[pick][names].reset_index(drop=True)
    for k, v in pinned(calibration, field).items():
        if k not in out.columns:
            out[k] = v
    out.insert(0, "draw", np.arange(n))
    out.insert(1, "point", acc.point.to_numpy()[pick])
    return out


def study(calibration: Path, scenarios: list[str], n_draws: int, seeds: list[int], until: int, scale: int,
          workers: int, fixed: dict[str, Any] | None = None) -> pd.DataFrame:
    d = draws(calibration, n_draws)
    names = [c for c in d.columns if c not in ("draw", "point")]
    keys, tasks = [], []
    for r in d.itertuples(index=False):
        params = {n: float(getattr(r, n)) for n in names}
        for sc in scenarios:
            for s in seeds:
                keys.append((r.draw, sc, s))
                tasks.append((sc, s, until, {"scale": scale, **(fixed or {}), **params}))
    ex = open_executor(0 if workers <= 1 else min(workers, len(tasks)))
    try:
        res = run_all(ex, _one, tasks)
    finally:
        ex.close()
    runs = pd.DataFrame([{"draw": k[0], "scenario": k[1], "seed": k[2], **v} for k, v in zip(keys, res)])
    return runs.merge(d, on="draw")


def summarize(runs: pd.DataFrame, outcome_cols: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for (sc, col) in [(sc, c) for sc in runs.scenario.unique() for c in outcome_cols]:
        rows.append({"scenario": sc, "outcome": col, **band_row(grid_of(runs[runs.scenario == sc], col))})
    summary = pd.DataFrame(rows)
    base = runs[runs.scenario == "baseline"].set_index(["draw", "seed"])
    crow = []
    for sc in [s for s in runs.scenario.unique() if s != "baseline"]:
        lev = runs[runs.scenario == sc].set_index(["draw", "seed"])
        for col in outcome_cols:
            diff = (lev[col] - base[col]).dropna()
            per_draw = diff.groupby(level="draw").mean()
            crow.append({"scenario": sc, "outcome": col, "median": diff.median(), "q05": diff.quantile(0.05),
                         "q95": diff.quantile(0.95), "p_raises": float((per_draw > 0).mean()),
                         "parameter_band": per_draw.quantile(0.95) - per_draw.quantile(0.05),
                         "draws": int(per_draw.size)})
    return summary, pd.DataFrame(crow)


def drawn_names(calibration: Path) -> list[str]:
    """The parameters a draw sets (the calibration's fitted ones but the hindcast-only, and its pinned ones)."""
    fitted = [n for n in pd.read_csv(Path(calibration) / "posterior.csv").param if n not in HINDCAST_ONLY]
    return fitted + [k for k in pinned(calibration) if k not in fitted]


def refuse_drawn(calibration: Path, overrides: dict[str, Any], field: str = "--set") -> None:
    """One line when a value set by hand is one every posterior draw sets (the draw would silently win)."""
    clash = sorted(set(overrides) & set(drawn_names(calibration)))
    if clash:
        raise ConfigError(f"{field} {clash[0]}", overrides[clash[0]], "a parameter the posterior does not draw (each "
                          f"draw sets {clash[0]}; leave out {field} or the posterior)", kind="parameter set twice")


def forecast_block(scenario: str, calibration: Path, n_draws: int, seeds: list[int], until: int, scale: int,
                   workers: int, fixed: dict[str, Any] | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """A run's forecast over the posterior (run.json ``posterior``): ``n_draws`` draws x ``seeds`` of ``scenario``
    with ``fixed`` (the run's --set values), each headline outcome in ``until`` with its unit, median, 90 %
    interval, parameter band and seed band; and the table of runs."""
    t0 = time.time()
    runs = study(calibration, [scenario], n_draws, seeds, until, scale, workers, fixed)
    cols = [c for c in runs.columns if c.endswith(tuple(UNITS))]
    block = {"calibration": str(calibration), "draws": n_draws, "seeds": list(seeds), "runs": len(runs),
             "year": until, "scale": scale, "fixed": dict(fixed or {}),
             "drawn": drawn_names(calibration), "hindcast_only_kept": sorted(HINDCAST_ONLY),
             "points": [int(x) for x in runs.drop_duplicates("draw").sort_values("draw").point],
             "bands": BANDS_TEXT,
             "outcomes": {c: {"unit": unit_of(c), **band_row(grid_of(runs, c))} for c in cols},
             "seconds": round(time.time() - t0, 1)}
    return block, runs


def plot(contrasts: pd.DataFrame, runs: pd.DataFrame, path: Path, until: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [f"{c}_gdp_share_pp" for c in PERIPHERY_CITIES] + [f"{c}_residents_10k" for c in PERIPHERY_CITIES]
    levers = [s for s in runs.scenario.unique() if s != "baseline"]
    fig, axes = plt.subplots(1, len(cols), figsize=(3.2 * len(cols), 0.5 * len(levers) + 1.8), squeeze=False)
    base = runs[runs.scenario == "baseline"].set_index(["draw", "seed"])
    for ax, col in zip(axes[0], cols):
        for i, sc in enumerate(levers):
            lev = runs[runs.scenario == sc].set_index(["draw", "seed"])
            per_draw = (lev[col] - base[col]).groupby(level="draw").mean()
            ax.scatter(per_draw, np.full(len(per_draw), i) + np.linspace(-0.2, 0.2, len(per_draw)), s=8, alpha=0.6)
            c = contrasts[(contrasts.scenario == sc) & (contrasts.outcome == col)].iloc[0]
            ax.text(per_draw.max(), i + 0.3, f"P(>0)={c.p_raises:.2f}", fontsize=6)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(range(len(levers)), levers if ax is axes[0, 0] else [""] * len(levers), fontsize=7)
        ax.set_title(col, fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(f"Lever minus baseline in {until} at each posterior draw (mean over seeds)", fontsize=9)
    fig.tight_layout()
    from experiments.report.style import save

    save(fig, path.with_suffix(""))  # PNG and PDF, each written atomically; the figure closed


def cmd_posterior(a: argparse.Namespace) -> int:
    from experiments.io import output_folder
    from experiments.sweep.cli import max_workers
    from model.scenarios import load

    scenarios = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    if "baseline" not in scenarios:
        scenarios = ["baseline"] + scenarios
    for s in scenarios:
        load(s)  # a one-line error naming an unknown scenario
    check_sizes("--draws", a.draws, a.seeds, len(scenarios), min_draws=2)
    if not 2020 <= a.until <= 2100:
        raise ConfigError("--until", a.until, "a year from 2020 to 2100")
    if not 0 <= a.workers <= max_workers():
        raise ConfigError("--workers", a.workers, f"0 to {max_workers()}")
    from experiments.options import parse_sets
    from model.params import resolve

    fixed = parse_sets(a.set)
    fixed = {k: resolve({k: v})[k] for k, v in fixed.items()}  # each name and value checked (one line)
    draws(calibration_folder(a.calibration), 1)  # a folder without the ABC sample: one line, before any run
    refuse_drawn(calibration_folder(a.calibration), fixed)
    t0 = time.time()
    seeds = list(range(1, a.seeds + 1))
    runs = study(calibration_folder(a.calibration), scenarios, a.draws, seeds, a.until, a.scale, a.workers, fixed)
    cols = [c for c in runs.columns if c.endswith(("_pp", "_100m_yuan", "_10k"))]
    summary, contrasts = summarize(runs, cols)
    info = {"calibration": str(a.calibration), "scenarios": scenarios, "draws": a.draws, "seeds": seeds,
            "until": a.until, "scale": a.scale, "hindcast_only_kept": sorted(HINDCAST_ONLY), "fixed": fixed,
            "seconds": round(time.time() - t0, 1), "runs": len(runs),
            "bands": BANDS_TEXT + "; p_raises: share of draws whose mean contrast over seeds is > 0"}
    with output_folder(a.out, last=("posterior_study.json",)) as dest:
        write_csv(runs, dest / "runs.csv", float_format="%.6g")
        write_csv(summary, dest / "summary.csv", float_format="%.6g")
        write_csv(contrasts, dest / "contrasts.csv", float_format="%.6g")
        plot(contrasts, runs, dest / "posterior_study.png", a.until)
        write_json(info, dest / "posterior_study.json")
    print(f"posterior study: {a.draws} draws x {len(seeds)} seeds x {len(scenarios)} scenarios in "
          f"{info['seconds']:.0f} s -> {a.out}")
    s = summary[summary.outcome == "core_gdp_share_pp"]
    for r in s.itertuples():
        print(f"  {r.scenario:24s} Changsha share {a.until}: {r.median:.1f} % [90 %: {r.q05:.1f}, {r.q95:.1f}]; "
              f"parameter band {r.parameter_band:.2f} pp, seed band {r.seed_band:.2f} pp")
    for r in contrasts[contrasts.outcome.str.endswith("_gdp_share_pp")].itertuples():
        print(f"  {r.scenario:24s} {r.outcome:24s} {r.median:+.2f} pp [90 %: {r.q05:+.2f}, {r.q95:+.2f}] "
              f"P(raises) {r.p_raises:.2f}")
    return 0


def register(sub) -> None:
    s = sub.add_parser("posterior", help="forecasts and lever contrasts over the calibration's posterior draws x seeds",
                       description=__doc__.split("\n\n")[1].replace("\n", " "))
    s.add_argument("--calibration", default=DEFAULT_CALIBRATION, help="calibration folder with accepted.parquet "
                   "(default %(default)s)")
    s.add_argument("--scenarios", default="baseline,integration", help="comma-separated (baseline always included)")
    s.add_argument("--draws", type=int, default=20, help="posterior draws (default %(default)s)")
    s.add_argument("--seeds", type=int, default=2, help="seeds per draw (default %(default)s)")
    s.add_argument("--until", type=int, default=2035, help="year of the outcomes (default %(default)s)")
    s.add_argument("--scale", type=int, default=200, help="residents per worker agent (default %(default)s)")
    s.add_argument("--workers", type=int, default=2, help="processes (default %(default)s)")
    s.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="hold a parameter at a value in every run (e.g. a pinned one the calibration did not draw)")
    s.add_argument("--out", default="results/posterior", help="output folder (default %(default)s)")
    s.set_defaults(func=cmd_posterior)
