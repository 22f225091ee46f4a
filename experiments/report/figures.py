"""The report's figures, each drawn in one language (``en`` or ``zh``) in the style of style.py."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

from experiments.report import compute, labels as L
from experiments.report.load import SweepData
from experiments.report.style import CITY_COLOURS, DOUBLE_COLUMN_IN, SINGLE_COLUMN_IN, VERDICT_COLOURS, save
from experiments.sweep.analyze import param_labels
from model.identity import CITIES
from model.measures import VERDICT_RULE

VERDICTS = ("siphon", "neutral", "spillover")


def _grid(n: int) -> tuple[int, int]:
    cols = 1 if n == 1 else 2 if n in (2, 4) else 3
    return math.ceil(n / cols), cols


def share_panels(data: SweepData, lang: str, stem: Path, change: bool = False) -> list[Path]:
    """(a) Each city's GDP share (or its change since the first year) over years, one panel per group."""
    p = compute.share_paths(data, change=change)
    if p.empty:
        return []
    groups = [g for g in data.groups if g in set(p.group)]
    rows, cols = _grid(len(groups))
    width = DOUBLE_COLUMN_IN if cols > 1 else SINGLE_COLUMN_IN
    fig, axes = plt.subplots(rows, cols, figsize=(width, 0.35 + 1.55 * rows), sharex=True, sharey=True,
                             squeeze=False)
    for ax, g in zip(axes.flat, groups):
        for city in CITIES:
            q = p[(p.group == g) & (p.city == city)].sort_values("year")
            if q.empty:
                continue
            ax.plot(q.year, q["mean"], color=CITY_COLOURS[city], label=L.city(city, lang))
            ax.fill_between(q.year, q.lo, q.hi, color=CITY_COLOURS[city], alpha=0.25, lw=0)
        if change:
            ax.axhline(0, color="k", lw=0.5)
        ax.set_title(data.label(g, lang), pad=3)
        ax.grid(axis="y")
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(L.text("year", lang))
        ax.xaxis.set_major_locator(plt.MaxNLocator(5, integer=True))
    fig.supylabel(L.text("share_since" if change else "gdp_share", lang), fontsize=plt.rcParams["axes.labelsize"])
    for ax in axes.flat[:len(groups)]:  # shared axes hide inner labels; re-show x labels above hidden panels
        ax.tick_params(labelbottom=True)
    handles, names = axes.flat[0].get_legend_handles_labels()
    n_rep = int(p.n.max())
    names_band = L.text("band", lang) + f" (n = {n_rep})"
    handles.append(plt.Rectangle((0, 0), 1, 1, color="0.6", alpha=0.4, lw=0))
    names.append(names_band)
    _top_legend(fig, handles, names, len(names))
    return save(fig, stem)


def _group_axis(ax, data: SweepData, groups: list[str], lang: str) -> np.ndarray:
    y = np.arange(len(groups))
    ax.set_yticks(y, [textwrap.fill(data.label(g, lang), 30) for g in groups])  # long point labels on two lines
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    return y


def _height(n: int) -> float:
    return 1.0 + 0.28 * n


def _top_legend(fig, handles, names, ncol: int, title: str | None = None) -> None:
    """Legend above the axes, with room reserved for it (in inches, so it never overlaps the panels)."""
    fig.legend(handles, names, loc="upper center", ncol=ncol, bbox_to_anchor=(0.5, 1.0), title=title,
               title_fontsize=6.5, handletextpad=0.4, columnspacing=1.2, borderaxespad=0.1)
    rows = math.ceil(len(names) / ncol)
    room = 0.17 * rows + (0.15 if title else 0) + 0.02
    fig.tight_layout(rect=(0, 0, 1, 1 - room / fig.get_figheight()))


def share_change(data: SweepData, lang: str, stem: Path) -> list[Path]:
    """(b) Change in each periphery city's GDP share by group: mean and 95% t-interval over replications."""
    groups = data.groups
    fig, ax = plt.subplots(figsize=(SINGLE_COLUMN_IN * 1.25, _height(len(groups))))
    y = _group_axis(ax, data, groups, lang)
    thr = VERDICT_RULE["share_threshold_pp"]
    ax.axvspan(-thr, thr, color="0.92", lw=0, zorder=0)
    ax.axvline(0, color="k", lw=0.5)
    for k, city in enumerate(compute.PERIPHERY):
        col = f"{city}_gdp_share_change_pp"
        stats = [compute.t_interval(data.runs.loc[data.runs.group == g, col].to_numpy(dtype=float)) for g in groups]
        m = np.array([s[0] for s in stats])
        err = np.array([[s[0] - s[1], s[2] - s[0]] for s in stats]).T
        offset = (k - (len(compute.PERIPHERY) - 1) / 2) * 0.3
        ax.errorbar(m, y + offset, xerr=np.nan_to_num(err), fmt="o", ms=3.5, capsize=2,
                    color=CITY_COLOURS[city], label=L.city(city, lang), elinewidth=0.9)
    ax.set_xlabel(L.text("share_change", lang))
    ax.grid(axis="x")
    note = ("grey band: ±%.1f pp (verdict threshold)" if lang == "en"
            else "灰带：±%.1f个百分点（判定阈值）") % thr
    handles, names = ax.get_legend_handles_labels()
    _top_legend(fig, handles, names, 2, L.text("mean_ci", lang) + "; " + note)
    return save(fig, stem)


def verdicts(data: SweepData, lang: str, stem: Path) -> list[Path]:
    """(c) Verdict counts (siphon / neutral / spillover) by group, one panel per periphery city."""
    counts = compute.verdict_counts(data)
    groups = data.groups
    fig, axes = plt.subplots(1, len(compute.PERIPHERY), figsize=(DOUBLE_COLUMN_IN * 0.75, _height(len(groups)) + 0.15),
                             sharey=True, squeeze=False)
    axes = axes[0]
    for ax, city in zip(axes, compute.PERIPHERY):
        c = counts[counts.city == city].set_index("group").reindex(groups).fillna(0)
        y = _group_axis(ax, data, groups, lang)
        left = np.zeros(len(groups))
        for v in VERDICTS:
            ax.barh(y, c[v], left=left, color=VERDICT_COLOURS[v], height=0.65, label=L.verdict(v, lang),
                    edgecolor="white", lw=0.4)
            for yi, (l0, w) in enumerate(zip(left, c[v])):
                if w > 0:
                    ax.text(l0 + w / 2, yi, f"{int(w)}", ha="center", va="center", fontsize=6,
                            color="black" if v != "siphon" else "white")
            left += c[v].to_numpy()
        ax.set_title(L.city(city, lang))
        ax.set_xlabel(L.text("verdict_count", lang))
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    handles, names = axes[0].get_legend_handles_labels()
    _top_legend(fig, handles, names, 3)
    return save(fig, stem)


def theta(data: SweepData, table: pd.DataFrame, lang: str, stem: Path) -> list[Path]:
    """(d) theta by group: mean of the per-run estimates with a t-interval, and the pooled regression."""
    groups = data.groups
    runs = table[table.kind == "run"]
    pooled = table[table.kind == "pooled"].set_index("group")
    fig, ax = plt.subplots(figsize=(SINGLE_COLUMN_IN * 1.25, _height(len(groups))))
    y = _group_axis(ax, data, groups, lang)
    ax.axvline(0, color="k", lw=0.5)
    st = [compute.t_interval(runs.loc[runs.group == g, "coef"].to_numpy(dtype=float)) for g in groups]
    m = np.array([s[0] for s in st])
    err = np.nan_to_num(np.array([[s[0] - s[1], s[2] - s[0]] for s in st]).T)
    ax.errorbar(m, y - 0.15, xerr=err, fmt="o", ms=3.5, capsize=2, color="black", label=L.text("theta_runs", lang))
    pm, perr = [], []
    for g in groups:
        if g in pooled.index:
            lo, hi = compute.pooled_ci(pooled.loc[g])
            c = pooled.loc[g, "coef"]
            pm.append(c)
            perr.append([c - lo, hi - c])
        else:
            pm.append(np.nan)
            perr.append([np.nan, np.nan])
    ax.errorbar(pm, y + 0.15, xerr=np.nan_to_num(np.array(perr).T), fmt="o", ms=3.5, capsize=2, mfc="white",
                color="0.45", label=L.text("theta_pooled", lang))
    ax.set_xlabel(L.text("theta", lang))
    ax.grid(axis="x")
    handles, names = ax.get_legend_handles_labels()
    _top_legend(fig, handles, names, 1)
    return save(fig, stem)


def sensitivity(table: pd.DataFrame, lang: str, stem: Path) -> list[Path]:
    """(e) Sensitivity indices of each parameter (one panel per metric), from experiments.sweep.analyze."""
    metrics = list(dict.fromkeys(table.metric))
    n_par = table.param.nunique()
    cols = min(len(metrics), 2)
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(DOUBLE_COLUMN_IN if cols > 1 else SINGLE_COLUMN_IN,
                                                  rows * (0.22 * n_par + 0.9) + 0.3), squeeze=False, sharey=True)
    for ax, m in zip(axes.flat, metrics):
        t = table[table.metric == m]
        y = np.arange(len(t))
        method = t.method.iloc[0]
        if method == "sobol":
            ax.barh(y - 0.2, t.S1, 0.4, xerr=t.S1_conf, label="S1", capsize=1.5, color="#0072B2")
            ax.barh(y + 0.2, t.ST, 0.4, xerr=t.ST_conf, label="ST", capsize=1.5, color="#E69F00")
        elif method == "morris":
            ax.barh(y - 0.2, t.mu_star, 0.4, xerr=t.mu_star_conf, label="μ*", capsize=1.5, color="#0072B2")
            ax.barh(y + 0.2, t.sigma, 0.4, label="σ", color="#E69F00")
        else:
            ax.barh(y, t.S1, 0.5, xerr=t.S1_conf, label="S1", capsize=1.5, color="#0072B2")
        ax.set_yticks(y, param_labels(t))
        ax.set_ylim(len(t) - 0.5, -0.5)
        ax.axvline(0, color="k", lw=0.5)
        ns = t.noise_share.iloc[0]
        ax.set_title(m + (f"\n({L.text('noise', lang)} {ns:.2f})" if np.isfinite(ns) else ""))
        ax.set_xlabel(L.text("sensitivity", lang))
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    handles, names = axes.flat[0].get_legend_handles_labels()
    _top_legend(fig, handles, names, len(names))
    return save(fig, stem)


# ---- answers over the posterior ----------------------------------------------------------------------------------

def _band_handles(colour: str, lang: str) -> tuple[list, list[str]]:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="black", lw=0.8, marker="o", ms=3),
               Line2D([], [], color=colour, lw=4, alpha=0.9), Line2D([], [], color=colour, lw=4, alpha=0.35)]
    return handles, [L.text("interval90", lang), L.text("param_band", lang), L.text("seed_band", lang)]


def posterior_forecast(data, frame: pd.DataFrame, lang: str, stem: Path) -> list[Path]:
    """(f) Each city's GDP share in the study's year by scenario: the median with the 90 % interval over draws x
    seeds, and beside it the parameter band (over draws) and the seed band (over seeds), drawn apart."""
    keys = [k for k in ["core_gdp_share_pp"] + [f"{c}_gdp_share_pp" for c in compute.PERIPHERY]
            if k in set(frame.outcome)]
    f = frame[frame.outcome.isin(keys)]
    if f.empty or not np.isfinite(f[["param_lo", "seed_lo"]].to_numpy(dtype=float)).any():
        return []
    scenarios = data.scenarios
    fig, axes = plt.subplots(1, len(keys), figsize=(DOUBLE_COLUMN_IN, _height(len(scenarios)) + 0.3), sharey=True,
                             squeeze=False)
    for ax, key in zip(axes[0], keys):
        city, _ = L.outcome_parts(key)
        colour = CITY_COLOURS.get(city, "0.4")
        y = np.arange(len(scenarios))
        q = f[f.outcome == key].set_index("scenario").reindex(scenarios)
        ax.hlines(y, q.q05, q.q95, color="black", lw=0.8)
        ax.plot(q["median"], y, "o", color="black", ms=3)
        ax.hlines(y - 0.22, q.param_lo, q.param_hi, color=colour, lw=4, alpha=0.9)
        ax.hlines(y + 0.22, q.seed_lo, q.seed_hi, color=colour, lw=4, alpha=0.35)
        ax.set_yticks(y, [textwrap.fill(data.title(s, lang), 22) for s in scenarios])
        ax.set_ylim(len(scenarios) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_title(L.outcome(key, lang))
        ax.grid(axis="x")
    handles, names = _band_handles("0.35", lang)
    year = data.info.get("until", "")
    _top_legend(fig, handles, names, 3, L.text("in_year", lang).format(year=year) if year else None)
    return save(fig, stem)


def posterior_contrasts(data, frame: pd.DataFrame, lang: str, stem: Path) -> list[Path]:
    """(g) Each lever minus the baseline for each periphery city's GDP share, GDP and residents: each draw's mean
    over seeds (dots), the median and 90 % interval over draws x seeds, and P(raises) at the right."""
    measures = [m for m in L.MEASURE["en"] if any(frame.outcome == f"{compute.PERIPHERY[0]}_{m}")]
    levers = data.levers
    if not measures or not levers:
        return []
    n = len(compute.PERIPHERY)
    fig, axes = plt.subplots(len(measures), n, figsize=(DOUBLE_COLUMN_IN, len(measures) * (0.3 * len(levers) + 0.75)
                                                         + 0.4), squeeze=False, sharey=True)
    y = np.arange(len(levers))
    for i, m in enumerate(measures):
        for j, city in enumerate(compute.PERIPHERY):
            ax, key = axes[i, j], f"{city}_{m}"
            q = frame[frame.outcome == key].set_index("lever").reindex(levers)
            per = compute.posterior_per_draw(data, key)
            for k, lev in enumerate(levers):
                v = per.contrast[per.lever == lev].to_numpy(dtype=float)
                ax.scatter(v, np.full(len(v), k) + 0.25 * np.linspace(-1, 1, len(v)) if len(v) > 1 else [k] * len(v),
                           s=4, color=CITY_COLOURS[city], alpha=0.55, lw=0, zorder=2)
            ax.errorbar(q["median"], y, xerr=np.nan_to_num([q["median"] - q.q05, q.q95 - q["median"]]), fmt="o",
                        ms=3, color="black", capsize=1.5, elinewidth=0.8, zorder=3)
            for k, p in enumerate(q.p_raises):
                if np.isfinite(p):
                    ax.text(1.01, k, f"{p:.2f}", transform=ax.get_yaxis_transform(), va="center", fontsize=6)
            ax.axvline(0, color="k", lw=0.5)
            ax.set_title(L.outcome(key, lang), pad=3)
            ax.grid(axis="x")
            ax.set_yticks(y, [textwrap.fill(data.title(s, lang), 22) for s in levers])
            ax.set_ylim(len(levers) - 0.5, -0.5)
            ax.tick_params(axis="y", length=0)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="black", marker="o", ms=3, lw=0.8),
               Line2D([], [], color="0.4", marker="o", ms=2, lw=0, alpha=0.6)]
    names = [L.text("interval90", lang), L.text("per_draw", lang)]
    year = data.info.get("until", "")
    title = L.text("lever_minus_base", lang) + (", " if lang == "en" else "，") \
        + L.text("in_year", lang).format(year=year) + ("; " if lang == "en" else "；") + L.text("p_raises_note", lang)
    _top_legend(fig, handles, names, 2, title)
    return save(fig, stem)


def spillover(data, verdict: pd.DataFrame, channels: pd.DataFrame | None, lang: str, stem: Path) -> list[Path]:
    """(h) The causal verdict: each periphery city's elasticity with its 90 % interval, coloured by the call (over
    the posterior each draw's mean as a dot), and with --channels each channel's contribution."""
    k = 2 if channels is not None else 1
    fig, axes = plt.subplots(1, k, figsize=(DOUBLE_COLUMN_IN if k == 2 else SINGLE_COLUMN_IN * 1.3, 2.6),
                             squeeze=False)
    ax = axes[0, 0]
    y = np.arange(len(verdict))
    thr = float(data.info.get("min_elasticity", 0.02))
    ax.axvspan(-thr, thr, color="0.92", lw=0, zorder=0)
    ax.axvline(0, color="k", lw=0.5)
    ax.errorbar(verdict.elasticity, y, xerr=np.nan_to_num([verdict.elasticity - verdict.low,
                                                            verdict.high - verdict.elasticity]),
                fmt="none", ecolor="black", capsize=2, elinewidth=0.8)
    ax.scatter(verdict.elasticity, y, c=[VERDICT_COLOURS.get(c, "0.5") for c in verdict.call], s=24, zorder=3)
    if data.per_draw is not None:
        for i, city in enumerate(verdict.city):
            e = data.per_draw.elasticity[data.per_draw.city == city].to_numpy(dtype=float)
            ax.scatter(e, i + 0.2 + 0.08 * np.linspace(-1, 1, len(e)), s=5, color="0.45", alpha=0.7, lw=0, zorder=2)
    sep = " " if lang == "en" else ""
    ax.set_yticks(y, [f"{L.city(c, lang)}{sep}({L.verdict(v, lang)})" if lang == "en" else
                      f"{L.city(c, lang)}（{L.verdict(v, lang)}）" for c, v in zip(verdict.city, verdict.call)])
    ax.set_ylim(len(verdict) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(L.text("elasticity", lang).format(core=L.city(compute.CORE, lang)))
    ax.grid(axis="x")
    ax.set_title(L.text("over_draws" if data.posterior else "over_pairs", lang), pad=3)
    if channels is not None:
        ax = axes[0, 1]
        names = list(dict.fromkeys(channels.channel))
        w = 0.8 / len(compute.PERIPHERY)
        for i, city in enumerate(compute.PERIPHERY):
            c = channels[channels.city == city].set_index("channel").reindex(names)
            pos = np.arange(len(names)) + (i - (len(compute.PERIPHERY) - 1) / 2) * w
            ax.barh(pos, c.contribution, height=w, color=CITY_COLOURS[city], label=L.city(city, lang),
                    xerr=np.nan_to_num([c.contribution - c.low, c.high - c.contribution]),
                    error_kw={"elinewidth": 0.6, "capsize": 1.2})
        ax.axvline(0, color="k", lw=0.5)
        ax.set_yticks(np.arange(len(names)), [L.channel(n, lang) for n in names])
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(L.text("contribution", lang))
        ax.grid(axis="x")
        handles, labels_ = ax.get_legend_handles_labels()
    else:
        handles, labels_ = [], []
    from matplotlib.patches import Patch

    calls = list(dict.fromkeys(verdict.call))
    handles = [Patch(color=VERDICT_COLOURS.get(c, "0.5")) for c in calls] + handles
    labels_ = [L.verdict(c, lang) for c in calls] + labels_
    _top_legend(fig, handles, labels_, len(labels_), L.text("verdict_band", lang).format(thr=thr))
    return save(fig, stem)
