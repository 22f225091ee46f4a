"""Tables and figures of ``python -m experiments infer``: the posterior table and correlations, the diagnostics'
figures, the misspecification summary and the posterior predictive check's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

EDGE = 0.05  # a prior range's outer 5 % at each end
PILED = 0.25  # posterior mass in one edge that counts as piled up at that bound (5x the flat prior's 5 %)


def posterior_table(samples: pd.DataFrame, lo: np.ndarray, hi: np.ndarray, calibration: pd.DataFrame | None
                    ) -> pd.DataFrame:
    """Per parameter: prior bounds, the calibration's SMM point and ABC rejection mean (posterior.csv), the NPE
    median and 90 % interval, the posterior mass in each edge (outer 5 % of the prior range) and whether it piles up
    at a bound (more than PILED of the mass in that edge)."""
    cal = calibration.set_index("param") if calibration is not None else None
    rows = []
    for j, n in enumerate(samples.columns):
        v = samples[n].to_numpy(float)
        u = (v - lo[j]) / (hi[j] - lo[j])
        low, high = float(np.mean(u < EDGE)), float(np.mean(u > 1 - EDGE))
        at = "lower" if low > PILED else "upper" if high > PILED else ""
        q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95])
        rows.append({"param": n, "prior_lo": lo[j], "prior_hi": hi[j],
                     "smm": float(cal.smm[n]) if cal is not None and n in cal.index else np.nan,
                     "abc_rejection_mean": float(cal.rejection_mean[n]) if cal is not None and n in cal.index else np.nan,
                     "npe_median": q50, "npe_q05": q05, "npe_q95": q95,
                     "npe_width_share_of_prior": (q95 - q05) / (hi[j] - lo[j]),
                     "mass_lower_edge": low, "mass_upper_edge": high, "piles_at_bound": at})
    return pd.DataFrame(rows)


def correlation(samples: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlations of the posterior draws (natural units), with a param column."""
    c = samples.corr()
    return c.reset_index(names="param")


def strongest_pairs(corr: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    c = corr.set_index("param")
    names = list(c.columns)
    pairs = [(names[i], names[j], float(c.iloc[i, j])) for i in range(len(names)) for j in range(i + 1, len(names))]
    pairs.sort(key=lambda p: -abs(p[2]))
    return pd.DataFrame(pairs[:n], columns=["param_a", "param_b", "correlation"])


def misspecification(meta: dict[str, Any], x: np.ndarray, x_obs: np.ndarray, test: np.ndarray, z: np.ndarray,
                     npe: dict[str, Any]) -> dict[str, Any]:
    """The record against the simulations, in the NPE's summaries and outside them.

    * ``mahalanobis``: the record's squared distance in the whitened components (the training runs' covariance is
      the identity there), against the held-out runs' distances and chi-squared;
    * ``residual``: the record's squared distance from the components' subspace against every run's;
    * ``nearest_run_rms_sd``: the smallest RMS of z over the runs (the ABC's distance, per run);
    * ``mmd``: sbi's MMD test in the same summaries (from npe.json)."""
    from scipy.stats import chi2

    k = x.shape[1]
    d_obs = float(np.sum(x_obs**2))
    d_test = np.sum(x[test] ** 2, axis=1)
    rms = np.sqrt(np.mean(z**2, axis=1))
    return {
        "components": k,
        "mahalanobis": {"record": d_obs, "held_out_runs_q50": float(np.median(d_test)),
                        "held_out_runs_q99": float(np.quantile(d_test, 0.99)), "held_out_runs_max": float(d_test.max()),
                        "chi2_q999": float(chi2.ppf(0.999, k))},
        "residual": {"record": meta["residual_obs"], "runs_q50_q99_max": meta["residual_runs_q50_q99_max"]},
        "nearest_run_rms_sd": float(rms.min()), "median_run_rms_sd": float(np.median(rms)),
        "mmd": npe.get("misspecification_mmd"),
    }


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fig_pairs(samples: pd.DataFrame, table: pd.DataFrame, path: Path, n_scatter: int = 1000) -> None:
    """Marginal histograms on the prior ranges (NPE median, SMM point, ABC rejection mean marked) and pairwise
    scatter of posterior draws below the diagonal, correlations above."""
    plt = _plt()
    names = list(samples.columns)
    k = len(names)
    t = table.set_index("param")
    fig, axes = plt.subplots(k, k, figsize=(1.45 * k, 1.45 * k))
    s = samples.iloc[:n_scatter]
    corr = samples.corr().to_numpy()
    for i in range(k):
        for j in range(k):
            ax = axes[i, j]
            ax.set_xticks([]), ax.set_yticks([])
            lo_j, hi_j = t.prior_lo[names[j]], t.prior_hi[names[j]]
            if i == j:
                ax.hist(samples[names[j]], bins=30, range=(lo_j, hi_j), color="0.6")
                for col, c in (("npe_median", "k"), ("smm", "tab:red"), ("abc_rejection_mean", "tab:green")):
                    if np.isfinite(t[col][names[j]]):
                        ax.axvline(t[col][names[j]], color=c, lw=1.2)
                ax.set_xlim(lo_j, hi_j)
            elif i > j:
                ax.scatter(s[names[j]], s[names[i]], s=1, alpha=0.3, color="0.2")
                ax.set_xlim(lo_j, hi_j), ax.set_ylim(t.prior_lo[names[i]], t.prior_hi[names[i]])
            else:
                r = corr[i, j]
                ax.text(0.5, 0.5, f"{r:+.2f}", ha="center", va="center", fontsize=9,
                        color="tab:red" if abs(r) >= 0.3 else "0.4", transform=ax.transAxes)
                ax.set_axis_off()
            if i == k - 1:
                ax.set_xlabel(names[j].replace("_", "\n"), fontsize=6)
            if j == 0:
                ax.set_ylabel(names[i].replace("_", "\n"), fontsize=6)
    fig.suptitle("NPE posterior at the record (axes: prior ranges). Diagonal: black NPE median, red SMM point, "
                 "green ABC rejection mean; above: correlations", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_correlation(corr: pd.DataFrame, path: Path) -> None:
    plt = _plt()
    c = corr.set_index("param")
    k = len(c)
    fig, ax = plt.subplots(figsize=(8, 7))
    im = ax.imshow(c.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(k), c.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(k), c.index, fontsize=8)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{c.iloc[i, j]:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, shrink=0.8, label="posterior correlation (Pearson)")
    ax.set_title("Which parameters trade off: correlations of the NPE posterior at the record", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fig_sbc(ranks: pd.DataFrame, n_post: int, path: Path, bins: int = 10) -> None:
    """Rank histograms per parameter with the 99 % band of a uniform histogram of that many cases."""
    from scipy.stats import binom

    plt = _plt()
    names = list(ranks.columns)
    n = len(ranks)
    lo, hi = binom.ppf([0.005, 0.995], n, 1 / bins)
    cols = 4
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.2 * rows))
    for ax, name in zip(axes.flat, names):
        ax.axhspan(lo, hi, color="0.85")
        ax.axhline(n / bins, color="0.5", lw=0.8)
        ax.hist(ranks[name], bins=bins, range=(0, n_post), color="tab:blue", alpha=0.8)
        ax.set_title(name, fontsize=8)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    fig.suptitle(f"SBC ranks of {n} held-out bank runs ({n_post} posterior draws each); grey: 99 % band of a uniform "
                 "histogram", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fig_coverage(tarp: pd.DataFrame, cov: pd.DataFrame, path: Path) -> None:
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.2))
    a.plot([0, 1], [0, 1], color="0.6", ls="--")
    a.plot(tarp.alpha, tarp.ecp, color="k")
    a.set_xlabel("credibility level"), a.set_ylabel("expected coverage")
    a.set_title("TARP (joint), held-out bank runs", fontsize=9)
    b.plot([0.4, 1], [0.4, 1], color="0.6", ls="--")
    for name, g in cov.groupby("param", sort=False):
        b.plot(g.level, g.coverage, marker="o", ms=3, lw=0.8, label=name)
    b.set_xlabel("nominal level of the central interval"), b.set_ylabel("share of held-out runs covered")
    b.set_title("Coverage per parameter", fontsize=9)
    b.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fig_ppc(t: pd.DataFrame, path: Path, moments: list[str] | None = None, title: str = "") -> None:
    """Per moment: the predictive 90 % band and median by year, the record as dots (open: held out)."""
    plt = _plt()
    names = moments or list(dict.fromkeys(t.moment))
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for ax, m in zip(axes.flat, names):
        g = t[t.moment == m].sort_values("year")
        if len(g) > 1:
            ax.fill_between(g.year, g.lo, g.hi, color="tab:blue", alpha=0.25, lw=0)
            ax.plot(g.year, g["median"], color="tab:blue", lw=1.2)
        else:
            ax.errorbar(g.year, g["median"], yerr=[g["median"] - g.lo, g.hi - g["median"]], color="tab:blue",
                        fmt="s", capsize=4)
        for split, face in (("fit", "k"), ("holdout", "none")):
            h = g[g.split == split]
            ax.scatter(h.year, h.observed, s=14, facecolors=face, edgecolors="k", zorder=3)
        ax.set_title(m, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    fig.suptitle(title or "Posterior predictive 90 % band (blue) and median against the record (dots; open: held out)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
