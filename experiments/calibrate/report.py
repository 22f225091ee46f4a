"""Result files of a calibration, each written atomically: posterior.csv, accepted.parquet, fit.csv,
calibration.json, posterior.png (and a copy of the calibration file); plus the fit table printed at the end."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibrate.abc import OUTSIDE_QUANTILE
from experiments.io import atomic, write_csv, write_json, write_parquet

METHOD = {
    "prior": "independent uniform on [min, max] of each parameter",
    "design": "SALib Latin hypercube on the prior box; common random numbers (replicate r has the same seed "
              "at every point); run through the sweep runner",
    "distance": "sqrt(mean(((sim - obs) / sd)^2)) over the fit moments, sim averaged over replications first",
    "abc": "rejection: the closest 'accept' fraction; Epanechnikov weights 1 - (d / delta)^2 with delta the "
           "distance of the first rejected point; local-linear regression adjustment (Beaumont, Zhang & "
           "Balding 2002, Genetics 162:2025) on logit((theta - min) / (max - min)); regressors: standardized "
           "moment deviations (raw) or, with more moments than parameters, their linear projection on "
           "logit(theta) fitted over the whole design by ridge regression with a GCV penalty (Fearnhead & "
           "Prangle 2012, JRSS-B 74:419); no adjustment (plain rejection) with fewer than 2 accepted points per "
           "regression coefficient, or when the observed summaries lie outside the accepted draws' (squared "
           "Mahalanobis distance from their weighted mean beyond the chi-squared 0.999 quantile: the "
           "adjustment would extrapolate); weighted mean, sd, median, 5% and 95% quantiles of the adjusted draws",
    "smm": "quadratic response surface of each fit moment (least squares, ridge penalty by GCV) over the max(accepted, "
           "2 x coefficients) closest points; the weighted criterion minimised with scipy L-BFGS-B inside "
           "the bounding box of those points",
    "validation": "validation_replications fresh seeds (a SeedSequence child of root_seed) at the prior default "
                  "and at the SMM estimate, through the sweep runner; RMSE in sd units per split and in natural "
                  "units per moment name",
}


SHORT = 12  # fit tables up to this many rows are printed row by row


def posterior_table(res: dict[str, Any]) -> pd.DataFrame:
    cs, post = res["spec"], res["abc"]
    rows = []
    for j, p in enumerate(cs["priors"]):
        a, r = post.posterior[j], post.rejection[j]
        rows.append({"param": p["name"], "prior_lo": p["lo"], "prior_hi": p["hi"], "default": cs["defaults"][p["name"]],
                     "smm": res["smm_values"][p["name"]], **{f"abc_{k}": v for k, v in a.items()},
                     "rejection_mean": r["mean"], "rejection_sd": r["sd"]})
    return pd.DataFrame(rows)


def accepted_table(res: dict[str, Any]) -> pd.DataFrame:
    post, names = res["abc"], [p["name"] for p in res["spec"]["priors"]]
    acc = post.accepted
    df = pd.DataFrame({"rank": np.arange(len(acc)), "point": res["points"][acc], "distance": post.distances[acc],
                       "weight": post.weights, "ok_replications": res["n_ok"][acc]})
    for j, n in enumerate(names):
        df[n] = post.theta_rejection[:, j]
        df[n + "_adjusted"] = post.theta_adjusted[:, j]
    return df


def fit_table(res: dict[str, Any]) -> pd.DataFrame:
    obs, val = res["observed"], res["validation"]
    df = obs.rename(columns={"value": "observed"})[["moment", "year", "split", "observed", "sd"]].copy()
    for label in ("default", "smm"):
        df[f"sim_{label}"] = val[label]["simulated"]
        df[f"sim_{label}_sd"] = val[label]["simulated_sd"]
        df[f"err_{label}_sd"] = (df[f"sim_{label}"] - df.observed) / df.sd
    return df


def figure(res: dict[str, Any], path: Path) -> None:
    """Marginal histograms of the accepted draws (as sampled, and adjusted) with prior range, default and SMM."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    post, priors = res["abc"], res["spec"]["priors"]
    k = len(priors)
    cols = min(k, 3)
    rows = -(-k // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), dpi=120, squeeze=False)
    for j, p in enumerate(priors):
        ax = axes[j // cols][j % cols]
        bins = np.linspace(p["lo"], p["hi"], 21)
        ax.hist(post.theta_rejection[:, j], bins=bins, weights=post.weights, alpha=0.45, color="tab:gray",
                label="accepted (rejection)")
        ax.hist(post.theta_adjusted[:, j], bins=bins, weights=post.weights, alpha=0.6, color="tab:blue",
                label="regression-adjusted")
        ax.axvline(res["smm_values"][p["name"]], color="tab:red", lw=2, label="SMM estimate")
        ax.axvline(res["spec"]["defaults"][p["name"]], color="black", ls=":", lw=1.5, label="prior default")
        ax.set_xlim(p["lo"], p["hi"])  # the axis is the prior range
        ax.set_title(p["name"], fontsize=9)
        ax.set_yticks([])
    for j in range(k, rows * cols):
        axes[j // cols][j % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{res['name']}: ABC posterior ({len(post.accepted)} of {len(post.distances)} points accepted); "
                 "x axis = prior range", fontsize=9)
    fig.tight_layout()
    try:
        atomic(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()]
    if isinstance(x, (float, np.floating)):
        return None if not np.isfinite(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def summary(res: dict[str, Any]) -> dict[str, Any]:
    post, sm = res["abc"], res["smm"]
    return _jsonable({
        "name": res["name"], "description": res["description"], "method": METHOD, "config": res["spec"],
        "created": datetime.now(UTC).isoformat(timespec="seconds"), "code_version": res["code_version"],
        "design": res["design"], "validation_root_seed": res["validation_root_seed"],
        "abc": {"accepted": len(post.accepted), "delta": post.delta, "regressors": post.mode,
                "observed_outlyingness": post.outlyingness, "outside_threshold": post.outside_threshold,
                "min_distance": float(post.distances.min()),
                "posterior": {p["name"]: post.posterior[j] for j, p in enumerate(res["spec"]["priors"])},
                "rejection": {p["name"]: post.rejection[j] for j, p in enumerate(res["spec"]["priors"])}},
        "smm": {"values": res["smm_values"], "surface": sm.kind, "points_fitted": sm.n_fit, "ridge_penalty": sm.ridge,
                "surface_r2": dict(zip(res["observed"].moment[res["obs_fit_mask"]] + " "
                                       + res["observed"].year[res["obs_fit_mask"]].astype(str), sm.r2)),
                "predicted_distance": sm.predicted_distance, "best_draw_distance": sm.best_draw_distance},
        "validation": {k: {kk: v[kk] for kk in ("folder", "digest", "values", "n_ok", "failed", "rmse")}
                       for k, v in res["validation"].items()},
        "failed_runs": res["failed_runs"], "timings_seconds": res["timings"],
    })


def write_all(res: dict[str, Any], out: Path, source: Path | None) -> None:
    """The result files, every one or none (a full disk mid-way leaves the folder's earlier files as they were);
    calibration.json, whose presence marks a complete calibration, last."""
    from experiments.io import output_folder

    with output_folder(out, last=("calibration.json",)) as dest:
        if source is not None:
            atomic(dest / "calibration.toml", lambda tmp: shutil.copyfile(source, tmp))
        write_csv(posterior_table(res), dest / "posterior.csv", float_format="%.9g")
        write_parquet(accepted_table(res), dest / "accepted.parquet", {"czt_sim.calibration": res["name"]})
        write_csv(fit_table(res), dest / "fit.csv", float_format="%.9g")
        figure(res, dest / "posterior.png")
        write_json(summary(res), dest / "calibration.json")


def text(res: dict[str, Any]) -> str:
    """The short report printed at the end: estimates, the fit table, RMSE at default and at SMM."""
    lines = [f"{'parameter':28s} {'default':>9s} {'smm':>9s} {'abc mean':>9s} {'abc 90% interval':>22s}"]
    for _, r in posterior_table(res).iterrows():
        lines.append(f"{r.param:28s} {r.default:9.4g} {r.smm:9.4g} {r.abc_mean:9.4g} "
                     f"{'[' + format(r.abc_q05, '.4g') + ', ' + format(r.abc_q95, '.4g') + ']':>22s}")
    if res["abc"].mode == "none":
        lines.append("note: too few accepted points for the regression adjustment; the ABC columns are plain "
                     "rejection (raise samples or accept)")
    elif res["abc"].mode == "outside":
        a = res["abc"]
        lines.append(f"note: the record lies outside what the accepted draws reach (squared Mahalanobis distance of "
                     f"its summaries {a.outlyingness:.3g} > {a.outside_threshold:.3g}, the chi-squared "
                     f"{OUTSIDE_QUANTILE:g} quantile): a regression adjustment would extrapolate, so the ABC columns "
                     f"are plain rejection; read it as a sign of misspecification")
    lines.append("")
    fit = fit_table(res)
    if len(fit) <= SHORT:
        lines.append(f"{'moment':34s} {'year':>4s} {'split':7s} {'observed':>10s} {'default':>10s} {'smm':>10s} "
                     f"{'err/sd def':>10s} {'err/sd smm':>10s}")
        for _, r in fit.iterrows():
            lines.append(f"{r.moment[:34]:34s} {r.year:4d} {r.split:7s} {r.observed:10.4g} {r.sim_default:10.4g} "
                         f"{r.sim_smm:10.4g} {r.err_default_sd:+10.2f} {r.err_smm_sd:+10.2f}")
    else:  # one line per moment and split (every year: fit.csv)
        lines.append(f"{'moment':34s} {'split':7s} {'years':>9s} {'RMSE/sd default':>15s} {'RMSE/sd smm':>11s}")
        for (m, split), g in fit.groupby(["moment", "split"], sort=False):
            rd, rs = (float(np.sqrt(np.mean(g[c] ** 2))) for c in ("err_default_sd", "err_smm_sd"))
            years = f"{g.year.min()}-{g.year.max()}" if len(g) > 1 else str(g.year.iloc[0])
            lines.append(f"{m[:34]:34s} {split:7s} {years:>9s} {rd:15.2f} {rs:11.2f}")
    lines.append("")
    for split in ("fit", "holdout"):
        d = res["validation"]["default"]["rmse"].get(split)
        s = res["validation"]["smm"]["rmse"].get(split)
        if d and s:
            lines.append(f"RMSE {split:7s} ({d['n_moments']} moments, sd units): default {d['rmse_sd']:.3f} -> "
                         f"smm {s['rmse_sd']:.3f}")
    return "\n".join(lines)
