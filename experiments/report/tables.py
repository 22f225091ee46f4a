"""The report's tables as CSV (full precision needed for reuse, rounded sensibly) and LaTeX (booktabs).

The LaTeX is written here rather than with pandas' Styler (which needs jinja2): a table environment with a
tabular using \\toprule, \\midrule and \\bottomrule (needs ``\\usepackage{booktabs}``), units in the headers.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from experiments.io import write_csv, write_text  # noqa: F401  (re-exported for the report)
from experiments.report import compute
from experiments.report.labels import CITY, CORE_EN, PERIPHERY_EN

_TEX_ESC = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


# Short two-line LaTeX headers of the comparison metrics (the CSV names say the same with their units)
_CITY_HEAD = {"{city}_share_change_pp": r"{City}\\$\Delta$ share (pp)",
              "{city}_net_talent_from_{core}_10k": r"{City} net\\talent (10k)",
              "{city}_net_firms_from_{core}": r"{City} net\\firms (firms)"}
TEX_HEAD = {
    **{key.format(city=c, core=compute.CORE): head.replace("{City}", CITY["en"][c])
       for key, head in _CITY_HEAD.items() for c in compute.PERIPHERY},
    f"{compute.CORE}_share_last_pct": CORE_EN + r"\\share (\%)",
    "theta": r"$\theta$\\aggregate",
    "theta_city_fe": r"$\theta$\\city FE",
    "theta_same_year": r"$\theta$ same\\year (former)",
}
PERIPHERY_SUM = "+".join(PERIPHERY_EN)  # "Zhuzhou+Xiangtan"


def tex_escape(s: str) -> str:
    return "".join(_TEX_ESC.get(ch, ch) for ch in str(s))


def num(x: float, nd: int) -> str:
    """A number for LaTeX: fixed decimals, a true minus sign, an en dash when undefined."""
    if x is None or not math.isfinite(float(x)):
        return "--"
    s = f"{float(x):,.{nd}f}".replace(",", "{,}")
    if s.startswith("-") and float(s.replace("{,}", "")) == 0:  # no "-0.00"
        s = s[1:]
    return s.replace("-", "$-$")


def booktabs(header: list[str], rows: list[list[str]], align: str, caption: str, label: str,
             notes: str = "", midrules: set[int] | None = None, wide: bool = False) -> str:
    """A complete LaTeX table; ``midrules``: row indices preceded by a \\midrule; ``wide``: both columns."""
    env = "table*" if wide else "table"
    out = [rf"\begin{{{env}}}[tbp]", r"\centering", r"\footnotesize", rf"\caption{{{caption}}}", rf"\label{{{label}}}",
           rf"\begin{{tabular}}{{{align}}}", r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
    for i, r in enumerate(rows):
        if midrules and i in midrules:
            out.append(r"\midrule")
        out.append(" & ".join(r) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    if notes:
        out.append(rf"\par\smallskip\parbox{{\linewidth}}{{\scriptsize {notes}}}")
    out.append(rf"\end{{{env}}}")
    return "\n".join(out) + "\n"


def comparison(cmp: pd.DataFrame, out: Path, labels: dict[str, str]) -> list[Path]:
    """Scenario comparison: per group, mean and 95% t-interval (second line) of each metric."""
    csv = cmp.copy()
    for key, _, _, _, nd in compute.COMPARISON:
        for s in ("mean", "ci95_low", "ci95_high"):
            csv[f"{key}_{s}"] = csv[f"{key}_{s}"].round(nd + 2)
    header = ["Scenario", "$n$"] + [rf"\shortstack{{{TEX_HEAD[k]}}}" for k, *_ in compute.COMPARISON]
    rows, rules = [], set()
    for _, r in cmp.iterrows():
        if rows:
            rules.add(len(rows))
        rows.append([tex_escape(labels.get(r.group, r.group)), str(int(r.runs))]
                    + [num(r[f"{k}_mean"], nd) for k, _, _, _, nd in compute.COMPARISON])
        rows.append(["", ""] + [f"[{num(r[f'{k}_ci95_low'], nd)}, {num(r[f'{k}_ci95_high'], nd)}]"
                                if math.isfinite(r[f"{k}_ci95_low"]) else "" for k, _, _, _, nd in compute.COMPARISON])
    notes = (r"Mean over replications; below it the 95\% Student-$t$ interval of the mean. $\Delta$ share: change "
             r"of the city's share of cluster GDP from the first to the last year, percentage points. Net talent "
             rf"(10k persons) and net firms (firms and branches) count moves from {CORE_EN} to the city minus moves "
             rf"back over the whole run (positive: towards the periphery). {CORE_EN} share: last year. "
             rf"$\theta$, periphery aggregate: sum of the coefficients of annual log growth of {PERIPHERY_SUM} GDP "
             rf"on {CORE_EN}'s growth one and two years before, with the periphery's own lag, intercept and trend, "
             r"one OLS per run; $\theta$, city fixed effects: the model's run-level measure (the same lagged form "
             r"per city); $\theta$ same year: the former same-year slope with city fixed effects, biased below 0 "
             r"when firms relocate (docs/ODD.md, measures).")
    tex = booktabs(header, rows, "l r " + "r " * len(compute.COMPARISON),
                   "Scenario comparison: GDP shares, net flows and $\\theta$", "tab:scenario-comparison", notes, rules,
                   wide=True)
    return [write_csv(csv, out / "scenario_comparison.csv"), write_text(tex, out / "scenario_comparison.tex")]


def contrasts(con: pd.DataFrame, out: Path, labels: dict[str, str]) -> list[Path]:
    """Each scenario minus the reference, paired by replicate: mean difference and 95% t-interval."""
    keys = [k for k, *_ in compute.COMPARISON]
    nds = {k: nd for k, _, _, _, nd in compute.COMPARISON}
    csv = con.copy()
    for k in keys:
        for s in ("diff", "ci95_low", "ci95_high"):
            csv[f"{k}_{s}"] = csv[f"{k}_{s}"].round(nds[k] + 2)
    header = ["Scenario", "pairs"] + [rf"\shortstack{{{TEX_HEAD[k]}}}" for k in keys]
    rows, rules = [], set()
    for _, r in con.iterrows():
        if rows:
            rules.add(len(rows))
        rows.append([tex_escape(labels.get(r.group, r.group)), str(int(r.pairs))]
                    + [num(r[f"{k}_diff"], nds[k]) for k in keys])
        rows.append(["", ""] + [f"[{num(r[f'{k}_ci95_low'], nds[k])}, {num(r[f'{k}_ci95_high'], nds[k])}]"
                                if math.isfinite(r[f"{k}_ci95_low"]) else "" for k in keys])
    ref = tex_escape(labels.get(con.reference.iloc[0], con.reference.iloc[0])) if len(con) else ""
    notes = (rf"Difference from {ref} (same metric as the scenario comparison), paired by replicate: with common "
             r"random numbers replicate $r$ has the same seed in every scenario. Mean paired difference; below it "
             r"the 95\% Student-$t$ interval.")
    tex = booktabs(header, rows, "l r " + "r " * len(keys), f"Scenario minus {ref}, paired by replicate",
                   "tab:contrasts", notes, rules, wide=True)
    return [write_csv(csv, out / "contrasts.csv"), write_text(tex, out / "contrasts.tex")]


def theta(table: pd.DataFrame, out: Path, labels: dict[str, str], max_tex_rows: int = 40) -> list[Path]:
    """theta regressions: each run and pooled per group (CSV); LaTeX with every row if short, else pooled only."""
    csv = table.rename(columns={"n": "n_years", "kind": "estimate"}).round(
        {"coef": 4, "se": 4, "se_hc1": 4, "t": 3, "r2": 4, "intercept": 5})
    show = table if len(table) <= max_tex_rows else table[table.kind == "pooled"]
    header = ["Scenario", "Estimate", r"$\hat\theta$", "SE", "SE (HC1)", "$t$", "$n$ (years)", "$R^2$"]
    rows, rules, last = [], set(), None
    for _, r in show.iterrows():
        if last is not None and r.group != last:
            rules.add(len(rows))
        last = r.group
        what = f"replicate {int(r.rep)}" if r.kind == "run" else f"pooled ({int(r.rep)} runs)"
        rows.append([tex_escape(labels.get(r.group, r.group)), what, num(r.coef, 3), num(r.se, 3), num(r.se_hc1, 3),
                     num(r.t, 2), str(int(r.n)), num(r.r2, 3)])
    notes = (rf"OLS of the annual log growth of the periphery's GDP ({PERIPHERY_SUM}) on {CORE_EN}'s, with intercept; "
             r"pooled: all replications' years stacked. SE: classical; HC1: heteroskedasticity-robust. "
             + ("" if show is table else r"Per-replicate rows are in theta\_regression.csv."))
    tex = booktabs(header, rows, "l l r r r r r r", r"Periphery-on-core growth regression ($\theta$)",
                   "tab:theta", notes, rules)
    return [write_csv(csv, out / "theta_regression.csv"), write_text(tex, out / "theta_regression.tex")]


def sensitivity(table: pd.DataFrame, out: Path) -> list[Path]:
    """Sensitivity indices as computed by experiments.sweep.analyze (SALib), rounded."""
    csv = table.round(4)
    value_cols = [c for c in ("S1", "S1_conf", "ST", "ST_conf", "mu", "mu_star", "mu_star_conf", "sigma")
                  if c in table and table[c].notna().any()]
    head = {"S1": "$S_1$", "S1_conf": r"$\pm$", "ST": "$S_T$", "ST_conf": r"$\pm$", "mu": r"$\mu$",
            "mu_star": r"$\mu^*$", "mu_star_conf": r"$\pm$", "sigma": r"$\sigma$"}
    levels = "values" in table  # the factor's levels (true, false; separate, unified) or range
    header = ["Metric", "Parameter"] + (["Values"] if levels else []) + ["Method"] + [head[c] for c in value_cols] \
        + ["Noise share"]
    rows, rules, last = [], set(), None
    for _, r in table.iterrows():
        if last is not None and r.metric != last:
            rules.add(len(rows))
        last = r.metric
        rows.append([tex_escape(r.metric), tex_escape(r.param)] + ([tex_escape(r["values"])] if levels else [])
                    + [tex_escape(r.method)] + [num(r[c], 3) for c in value_cols] + [num(r.noise_share, 2)])
    notes = (r"Indices of each metric (mean over replications per design point) computed with SALib by "
             r"\texttt{python -m experiments analyze}; $\pm$: half-width of the 95\% bootstrap interval. Noise "
             r"share: variance between replications at a point over the total variance (near 1: mostly noise).")
    tex = booktabs(header, rows, "l l l " + ("l " if levels else "") + "r " * (len(value_cols) + 1), "Sensitivity indices",
                   "tab:sensitivity", notes, rules)
    return [write_csv(csv, out / "sensitivity.csv"), write_text(tex, out / "sensitivity.tex")]
