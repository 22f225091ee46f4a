"""Sensitivity indices of a sweep with SALib, with confidence intervals; CSV table and PNG plot.

Design -> method: ``sobol`` -> Sobol first-order and total indices (S1, ST); ``morris`` -> Morris
elementary effects (mu*, sigma); ``lhs`` -> first-order indices by RBD-FAST (SALib ``rbd_fast``); ``factorial`` -> main-effect
shares of variance (between-level variance of the means over total variance; interval by bootstrap over
replications). The response of a design point is the mean of the metric over
its replications; ``noise_share`` says how much of the metric's variance is between replications at the
same point (high = the indices mostly measure noise; add replications).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.sweep.spec import advice
from experiments.sweep.store import Store
from experiments.sweep.metrics import METRICS, per_periphery
from model.errors import ConfigError

DEFAULT_METRICS = ("core_gdp_share_change_pp", *per_periphery("gdp_share_change_pp"), "czt_gdp_last_100m_yuan")
METHOD = {"sobol": "sobol", "morris": "morris", "lhs": "rbd_fast", "factorial": "main_effects"}
MIN_RESAMPLES, MAX_RESAMPLES = 10, 100_000  # bootstrap resamples: fewer give no interval worth the name


def sensitivity(method: str, problem: dict[str, Any], X: np.ndarray | None, Y: np.ndarray, conf_level: float = 0.95,
                num_resamples: int = 1000, seed: int = 0, num_levels: int = 4) -> pd.DataFrame:
    """Indices of each input of ``problem`` (SALib format) for outputs ``Y`` at samples ``X``.

    Returns one row per input: ``param`` and, by method, S1/S1_conf/ST/ST_conf (sobol), mu/mu_star/
    mu_star_conf/sigma (morris) or S1/S1_conf (rbd_fast). ``*_conf`` are half-widths of
    the ``conf_level`` bootstrap confidence intervals.
    """
    Y = np.asarray(Y, dtype=float)
    if method == "sobol":
        from SALib.analyze import sobol

        r = sobol.analyze(problem, Y, calc_second_order=False, num_resamples=num_resamples, conf_level=conf_level,
                          seed=seed)
        cols = ["S1", "S1_conf", "ST", "ST_conf"]
    elif method == "morris":
        from SALib.analyze import morris

        r = morris.analyze(problem, np.asarray(X, dtype=float), Y, num_resamples=num_resamples, conf_level=conf_level,
                           num_levels=num_levels, seed=seed)
        cols = ["mu", "mu_star", "mu_star_conf", "sigma"]
    elif method == "rbd_fast":
        from SALib.analyze import rbd_fast

        r = rbd_fast.analyze(problem, np.asarray(X, dtype=float), Y, num_resamples=num_resamples,
                             conf_level=conf_level, seed=seed)
        cols = ["S1", "S1_conf"]
    else:
        raise ValueError(f"unknown method {method!r}")
    out = pd.DataFrame({c: np.asarray(r[c], dtype=float) for c in cols})
    out.insert(0, "param", list(problem["names"]))
    return out


def main_effects(X: np.ndarray, Yr: np.ndarray, names: list[str], conf_level: float = 0.95,
                 num_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Main-effect variance shares of a full factorial: ``Yr`` is points x replications.

    S1_i = Var over levels of (mean response at the level) / Var of the point means; ``effect`` is the mean
    response at the factor's highest level minus at its lowest (in the metric's unit; averaged over the other
    factors' levels). Intervals are percentile bootstraps over replications (resampled with replacement).
    """
    Yr = np.asarray(Yr, dtype=float)

    def s1(Y: np.ndarray) -> np.ndarray:
        v = Y.var()
        out = []
        for i in range(X.shape[1]):
            means = pd.Series(Y).groupby(X[:, i]).mean()
            counts = pd.Series(Y).groupby(X[:, i]).size()
            out.append(float(((means - Y.mean()) ** 2 * counts).sum() / len(Y) / v) if v > 0 else np.nan)
        return np.array(out)

    def effect(Y: np.ndarray) -> np.ndarray:
        out = []
        for i in range(X.shape[1]):
            means = pd.Series(Y).groupby(X[:, i]).mean()  # sorted by level
            out.append(float(means.iloc[-1] - means.iloc[0]))
        return np.array(out)

    Y = Yr.mean(axis=1)
    est, eff = s1(Y), effect(Y)
    rng = np.random.default_rng(seed)
    reps = Yr.shape[1]
    if reps > 1:
        draws = [Yr[:, rng.integers(0, reps, reps)].mean(axis=1) for _ in range(num_resamples)]
        a = (1 - conf_level) / 2

        def half_width(b: np.ndarray) -> np.ndarray:
            return (np.nanquantile(b, 1 - a, axis=0) - np.nanquantile(b, a, axis=0)) / 2

        conf = half_width(np.array([s1(d) for d in draws]))
        eff_conf = half_width(np.array([effect(d) for d in draws]))
    else:
        conf = eff_conf = np.full(len(est), np.nan)
    return pd.DataFrame({"param": names, "S1": est, "S1_conf": conf, "effect": eff, "effect_conf": eff_conf})


def _inputs(spec, design: pd.DataFrame) -> tuple[dict[str, Any], np.ndarray]:
    pts = design.drop_duplicates("point").sort_values("point")
    names = [f.name for f in spec.factors]
    if spec.design == "factorial":
        cols, bounds = [], []
        for f in spec.factors:
            v = pts[f.name]
            if f.discrete and not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in f.levels):
                v = v.map({lv: i for i, lv in enumerate(f.levels)})
            v = v.astype(float).to_numpy()
            cols.append(v)
            bounds.append([float(v.min()), float(v.max()) if v.max() > v.min() else float(v.min()) + 1.0])
        return {"num_vars": len(names), "names": names, "bounds": bounds}, np.column_stack(cols)
    X = pts[["u_" + n for n in names]].to_numpy(dtype=float)
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}, X


def analyze_dir(root: str | Path, metrics: list[str] | None = None, conf_level: float = 0.95,
                resamples: int = 1000, write: bool = True, stream=None) -> dict[str, Any]:
    """Indices of every metric; ``write``: also analysis/sensitivity.csv and .png in the folder.

    Returns ``table``, ``text``, ``csv``, ``png``, ``warnings`` (lines for stderr: damaged parts left out, runs
    from more than one platform pooled) and ``notes`` (metrics skipped, a Morris grid uneven for a discrete
    factor); with ``stream``, the warnings are printed there at once (before an analysis that then fails)."""
    store, spec, metrics = _open(root, metrics, conf_level, resamples)
    design = store.design()
    created: list[Path] = []
    if write:
        from experiments.io import writable_folder

        created = writable_folder(store.root / "analysis", "DIR/analysis")
    try:
        return _analyze(store, spec, metrics, design, conf_level, resamples, write, stream)
    except BaseException:
        from experiments.io import remove_empty_folders

        remove_empty_folders(created)  # a refused analysis leaves no empty analysis/ folder behind
        raise


def _analyze(store: Store, spec, metrics: list[str], design: pd.DataFrame, conf_level: float, resamples: int,
             write: bool, stream) -> dict[str, Any]:
    root = store.root
    ok, warnings = _ok_runs(store)
    for w in warnings if stream is not None else ():
        print(w, file=stream)
    method = METHOD[spec.design]
    missing = int((~design.run_id.isin(ok.index)).sum())
    if missing and method in ("sobol", "morris"):
        raise ConfigError("DIR", str(root), f"a complete sweep ({missing} of {len(design)} design runs are missing "
                          f"or failed; run 'python -m experiments resume {root}')", kind="incomplete sweep")
    problem, X = _inputs(spec, design)
    d = design[design.run_id.isin(ok.index)]
    tables, notes = [], []
    for m in metrics:
        t, note = _metric_indices(spec, method, problem, X, d.assign(y=ok.loc[d.run_id, m].to_numpy(dtype=float)),
                                  conf_level, resamples)
        if t is None:
            notes.append(f"{m}: {note}")
            continue
        t.insert(0, "metric", m)
        tables.append(t)
    if not tables:
        raise ConfigError("metrics", metrics, "at least one metric that varies across the design ("
                          + "; ".join(notes) + ")", kind="nothing to analyse")
    table = pd.concat(tables, ignore_index=True)
    notes += advice(spec)
    csv, png = store.root / "analysis" / "sensitivity.csv", store.root / "analysis" / "sensitivity.png"
    if write:
        _write(table, csv, png, f"{spec.name}: {method} indices ({conf_level:.0%} intervals)")
    return {"table": table, "csv": csv, "png": png, "text": _text(table, notes), "warnings": warnings,
            "notes": notes}


def _open(root: str | Path, metrics: list[str] | None, conf_level: float, resamples: int):
    """The sweep folder's store and spec, and the metrics to analyse, every argument checked."""
    store = Store(root)
    if not store.exists():
        raise ConfigError("DIR", str(root), "a sweep results folder (made by 'python -m experiments sweep')",
                          kind="not a sweep folder")
    if not 0 < conf_level < 1:
        raise ConfigError("--conf", conf_level, "a number between 0 and 1, e.g. 0.95")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or not MIN_RESAMPLES <= resamples <= MAX_RESAMPLES:
        raise ConfigError("--resamples", resamples, f"an integer from {MIN_RESAMPLES} to {MAX_RESAMPLES:,} "
                          "(bootstrap resamples of the confidence intervals)")
    spec = store.spec()
    if spec.design not in METHOD:
        raise ConfigError("DIR", str(root), f"a sweep with a sensitivity design ({', '.join(METHOD)}); compare the "
                          f"scenarios of a {spec.design!r} sweep with 'python -m experiments report {root}'",
                          kind="no sensitivity design")
    metrics = list(metrics or spec.metrics or DEFAULT_METRICS)
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise ConfigError("--metric", bad[0], "one of " + ", ".join(METRICS))
    return store, spec, metrics


def _ok_runs(store: Store) -> tuple[pd.DataFrame, list[str]]:
    """The ok runs (indexed by run id) and the warning lines: damaged parts, runs of several platforms pooled."""
    from experiments.sweep.store import mixed_platform_warning

    runs, _ = store.consolidate(write="if-possible")
    warnings = ["warning: " + store.damaged_note()] if store.damaged else []
    mixed = mixed_platform_warning(store.platform_counts(runs), store.platform_id())
    if mixed:
        warnings.append(mixed)
    return runs[runs.status == "ok"].set_index("run_id"), warnings


def _metric_indices(spec, method: str, problem: dict[str, Any], X: np.ndarray, vals: pd.DataFrame,
                    conf_level: float, resamples: int) -> tuple[pd.DataFrame | None, str]:
    """One metric's indices from its ok runs ``vals`` (design rows with the metric as ``y``), or (None, why not)."""
    per_point = vals.groupby("point").y.mean()
    keep = per_point.index.to_numpy()
    Y = per_point.to_numpy()
    finite = np.isfinite(vals.y.to_numpy(dtype=float))
    # undefined (NaN) with fewer than two finite runs, without numpy's warning on stderr
    total_var = float(np.nanvar(vals.y, ddof=1)) if finite.sum() > 1 else float("nan")
    within = float(vals.groupby("point").y.var(ddof=1).mean()) if spec.replications > 1 else float("nan")
    if not np.isfinite(Y).all() or np.nanstd(Y) == 0:
        return None, "constant or undefined across the design; skipped"
    seed = spec.root_seed % (2**32)
    try:
        if method == "main_effects":
            wide = vals.pivot_table(index="point", columns="rep", values="y", aggfunc="mean").loc[keep]
            if wide.isna().any().any():
                wide = wide.dropna(axis=1)
            t = main_effects(X[keep], wide.to_numpy(), problem["names"], conf_level, resamples, seed=seed)
        else:
            t = sensitivity(method, problem, X[keep] if method != "sobol" else None, Y, conf_level=conf_level,
                            num_resamples=resamples, seed=seed, num_levels=spec.morris_levels)
    except Exception as exc:  # noqa: BLE001 - SALib refuses too few or degenerate samples
        return None, f"{method} analysis failed ({type(exc).__name__}: {exc})"
    t.insert(0, "method", method)
    t.insert(2, "values", [f.describe() for f in spec.factors])  # levels as the sweep file writes them, or range
    t["noise_share"] = within / total_var if total_var > 0 else float("nan")
    t["n_points"] = len(Y)
    t["replications"] = spec.replications
    return t, ""


def _write(table: pd.DataFrame, csv: Path, png: Path, title: str) -> None:
    """The table and its plot, both or neither (a full disk mid-way leaves the previous pair)."""
    from experiments.io import output_folder

    with output_folder(csv.parent, "DIR/analysis") as dest:
        table.to_csv(dest / csv.name, index=False)
        plot(table, dest / png.name, title)


def _text(table: pd.DataFrame, notes: list[str]) -> str:
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        text = table.drop(columns=["replications"]).to_string(index=False)
    return text + "".join("\nnote: " + n for n in notes)


def param_labels(t: pd.DataFrame) -> list[str]:
    """Axis labels of a table's factors: the name, with the levels below it for an on/off or categorical one."""
    from model.params import BY_NAME

    return [f"{p}\n({v})" if "values" in t and p in BY_NAME and BY_NAME[p].kind in (bool, str) else p
            for p, v in zip(t.param, t["values"] if "values" in t else t.param)]


def plot(table: pd.DataFrame, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(table.metric))
    n_par = table.param.nunique()
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 0.45 * n_par + 1.6), squeeze=False,
                             sharey=True)
    for ax, m in zip(axes[0], metrics):
        t = table[table.metric == m]
        y = np.arange(len(t))
        method = t.method.iloc[0]
        if method == "sobol":
            ax.barh(y - 0.2, t.S1, 0.4, xerr=t.S1_conf, label="S1 (first order)", capsize=2)
            ax.barh(y + 0.2, t.ST, 0.4, xerr=t.ST_conf, label="ST (total)", capsize=2)
            ax.set_xlabel("Sobol index")
        elif method == "morris":
            ax.barh(y - 0.2, t.mu_star, 0.4, xerr=t.mu_star_conf, label="mu* (mean |effect|)", capsize=2)
            ax.barh(y + 0.2, t.sigma, 0.4, label="sigma (interaction / nonlinearity)")
            ax.set_xlabel("effect of moving over the full range")
        else:
            ax.barh(y, t.S1, 0.5, xerr=t.S1_conf, label="S1 (first order / main effect)", capsize=2)
            ax.set_xlabel("share of variance")
        ax.set_yticks(y, param_labels(t))
        ax.axvline(0, color="k", lw=0.5)
        ns = t.noise_share.iloc[0]
        ax.set_title(f"{m}\n" + (f"(noise share {ns:.2f})" if np.isfinite(ns) else "(1 replication: noise unknown)"),
                     fontsize=9)
        ax.invert_yaxis()
    height = fig.get_size_inches()[1]
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=len(labels), frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.35 / height, 1, 1))
    from experiments.io import atomic

    try:
        atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))  # a failed write leaves no file
    finally:
        plt.close(fig)
