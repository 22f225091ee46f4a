"""The report's tables as CSV (full precision needed for reuse, rounded sensibly) and LaTeX (booktabs).

The LaTeX is written here rather than with pandas' Styler (which needs jinja2): a table environment with a
tabular using \\toprule, \\midrule and \\bottomrule (needs ``\\usepackage{booktabs}``), units in the headers.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from experiments.io import write_csv, write_text  # noqa: F401  (re-exported for the report)
from experiments.report import compute, labels as L
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


# ---- answers over the posterior: the same tables in English (CSV with codes, for reuse) and in Chinese --------------

_DECIMALS = {"gdp_share_pp": 2, "gdp_100m_yuan": 0, "residents_10k": 1}  # per measure (labels.MEASURE)
_ZH_TEX = "% 中文表格：需 \\usepackage{ctex}（或 xeCJK），以 XeLaTeX 编译\n"  # a comment line atop each


def _tex_head(lang: str) -> str:
    return _ZH_TEX if lang == "zh" else ""


def _heads(lang: str):
    """The column heads in ``lang``: as written (CSV), and escaped for LaTeX."""
    def h(key: str) -> str:
        return L.head(key, lang)

    def th(key: str) -> str:
        return tex_escape(L.head(key, lang))

    return h, th


def _sfx(lang: str) -> str:
    return "" if lang == "en" else "_zh"


def _nd(outcome: str) -> int:
    return _DECIMALS[L.outcome_parts(outcome)[1]]


def _write_zh_csv(df: pd.DataFrame, path: Path) -> Path:
    """A Chinese table as CSV with a byte-order mark (spreadsheets then read it as UTF-8)."""
    return write_csv(df, path, float_format="%.6g", encoding="utf-8-sig")


def _interval(lo: float, hi: float, nd: int) -> str:
    return f"[{num(lo, nd)}, {num(hi, nd)}]"


def posterior_summary(frame: pd.DataFrame, data, out: Path, lang: str) -> list[Path]:
    """Per scenario and outcome: median and 90 % interval over draws x seeds, the parameter band and the seed band."""
    h, th = _heads(lang)
    if lang == "en":
        csv = write_csv(frame, out / "posterior_summary.csv", float_format="%.6g")
    else:
        zh = pd.DataFrame({h("scenario"): [data.title(s, "zh") for s in frame.scenario],
                           h("outcome"): [L.outcome(k, "zh", unit=False) for k in frame.outcome],
                           h("unit"): [L.unit_of(k, "zh") for k in frame.outcome],
                           **{h(k): frame[k] for k in ("median", "q05", "q95", "parameter_band", "seed_band",
                                                      "param_lo", "param_hi", "seed_lo", "seed_hi")}})
        csv = _write_zh_csv(zh, out / "posterior_summary_zh.csv")
    header = [th("scenario"), th("outcome"), th("median"), th("interval"), th("parameter_band"), th("seed_band")]
    rows, rules, last = [], set(), None
    for r in frame.itertuples():
        if last is not None and r.scenario != last:
            rules.add(len(rows))
        nd = _nd(r.outcome)
        rows.append([tex_escape(data.title(r.scenario, lang)) if r.scenario != last else "",
                     tex_escape(L.outcome(r.outcome, lang)), num(r.median, nd), _interval(r.q05, r.q95, nd),
                     num(r.parameter_band, nd + 1), num(r.seed_band, nd + 1)])
        last = r.scenario
    info = data.info
    year = info.get("until", "?")
    if lang == "en":
        caption = f"Forecasts over the calibration's posterior, {year}"
        notes = (rf"{info.get('draws', '?')} parameter draws from the calibration's ABC sample $\times$ "
                 rf"{len(info.get('seeds', [])) or '?'} seeds (common random numbers). Median and 90\% interval "
                 r"(5th--95th percentile) over draws $\times$ seeds. Parameter band: width of the 5--95\% range over "
                 r"draws of each draw's mean over seeds (the calibration's uncertainty). Seed band: mean over draws "
                 r"of the width of the 5--95\% range over seeds (the model's own noise). GDP in 100 million yuan at "
                 r"start-year prices; pp: percentage points of the cluster's GDP.")
    else:
        caption = f"基于校准后验分布的预测（{year}年）"
        notes = (rf"从校准的近似贝叶斯计算样本中抽取{info.get('draws', '?')}组参数 $\times$ "
                 rf"{len(info.get('seeds', [])) or '?'}个随机种子（共同随机数）。中位数与90\%区间（第5至第95百分位），"
                 r"取自全部抽样 $\times$ 种子。参数不确定性区间：各抽样在种子上的均值于各抽样间第5至第95百分位的宽度"
                 r"（校准的不确定性）。随机种子区间：各抽样内种子间第5至第95百分位的宽度，对各抽样取平均（模型自身的随机性）。"
                 r"GDP按起始年价格计，单位亿元；百分点：占城市群GDP的百分点。")
    tex = booktabs(header, rows, "l l r c r r", tex_escape(caption), f"tab:posterior-summary{_sfx(lang)}", notes,
                   rules, wide=True)
    return [csv, write_text(_tex_head(lang) + tex, out / f"posterior_summary{_sfx(lang)}.tex")]


def posterior_contrasts(frame: pd.DataFrame, data, out: Path, lang: str) -> list[Path]:
    """Per lever and outcome: the lever minus the baseline (median, 90 % interval), P(raises), parameter band, draws."""
    h, th = _heads(lang)
    if lang == "en":
        csv = write_csv(frame, out / "posterior_contrasts.csv", float_format="%.6g")
    else:
        zh = pd.DataFrame({h("lever"): [data.title(s, "zh") for s in frame.lever],
                           h("outcome"): [L.outcome(k, "zh", unit=False) for k in frame.outcome],
                           h("unit"): [L.unit_of(k, "zh") for k in frame.outcome],
                           h("contrast"): frame["median"], h("q05"): frame.q05, h("q95"): frame.q95,
                           h("p_raises"): frame.p_raises, h("parameter_band"): frame.parameter_band,
                           h("draws"): frame.draws})
        csv = _write_zh_csv(zh, out / "posterior_contrasts_zh.csv")
    header = [th("lever"), th("outcome"), th("contrast"), th("interval"), th("p_raises"), th("parameter_band"),
              th("draws")]
    rows, rules, last = [], set(), None
    for r in frame.itertuples():
        if last is not None and r.lever != last:
            rules.add(len(rows))
        nd = _nd(r.outcome)
        rows.append([tex_escape(data.title(r.lever, lang)) if r.lever != last else "",
                     tex_escape(L.outcome(r.outcome, lang)), num(r.median, nd), _interval(r.q05, r.q95, nd),
                     num(r.p_raises, 2), num(r.parameter_band, nd + 1), str(int(r.draws))])
        last = r.lever
    year = data.info.get("until", "?")
    base = tex_escape(data.title("baseline", lang))
    if lang == "en":
        caption = f"Each lever minus {data.title('baseline', 'en')} over the posterior, {year}"
        notes = (rf"The lever scenario minus {base} at the same parameter draw and seed. Median and 90\% interval "
                 r"over draws $\times$ seeds; P(raises): share of draws whose mean difference over seeds is above 0 "
                 r"(the probability, over the calibration's uncertainty, that the lever raises the outcome); "
                 r"parameter band: width of the 5--95\% range of those per-draw means.")
    else:
        caption = f"各政策情景减{data.title('baseline', 'zh')}（后验分布，{year}年）"
        notes = (rf"同一参数抽样与同一随机种子下，政策情景减{base}。中位数与90\%区间取自全部抽样 $\times$ 种子；"
                 r"提高概率：种子均值之差大于0的抽样占比（在校准不确定性下该政策提高该指标的概率）；"
                 r"参数不确定性区间宽度：各抽样均值之差的第5至第95百分位宽度。")
    tex = booktabs(header, rows, "l l r c r r r", tex_escape(caption), f"tab:posterior-contrasts{_sfx(lang)}", notes,
                   rules, wide=True)
    return [csv, write_text(_tex_head(lang) + tex, out / f"posterior_contrasts{_sfx(lang)}.tex")]


def _drivers_text(drivers: list[tuple[str, float]], lang: str) -> str:
    return ("; " if lang == "en" else "；").join(f"{L.param(p, lang)} {rho:+.2f}" for p, rho in drivers)


def spillover_verdict(frame: pd.DataFrame, data, out: Path, lang: str) -> list[Path]:
    """Per periphery city: elasticity, 90 % interval, call; over the posterior P(siphon), P(spillover), top drivers."""
    h, th = _heads(lang)
    post = data.posterior
    keys = ["elasticity", "low", "high", "call"] + (["p_siphon", "p_spillover", "draws", "drivers"] if post
                                                    else ["pairs"])
    keys = [k for k in keys if k in frame]
    if lang == "en":
        csv = frame.assign(drivers=[_drivers_text(d, "en") for d in frame.drivers]) if "drivers" in frame else frame
        csv = write_csv(csv, out / "spillover_verdict.csv", float_format="%.6g")
    else:
        cols = {h("city"): [L.city(c, "zh") for c in frame.city]}
        for k in keys:
            cols[h(k)] = ([L.verdict(v, "zh") for v in frame[k]] if k == "call" else
                          [_drivers_text(d, "zh") for d in frame[k]] if k == "drivers" else frame[k])
        csv = _write_zh_csv(pd.DataFrame(cols), out / "spillover_verdict_zh.csv")
    shown = [k for k in keys if k not in ("low", "high")]
    header = [th("city"), th("elasticity"), th("interval")] + [th(k) for k in shown if k != "elasticity"]
    rows = []
    for r in frame.itertuples():
        row = [tex_escape(L.city(r.city, lang)), num(r.elasticity, 3), _interval(r.low, r.high, 3)]
        for k in shown[1:]:
            v = getattr(r, k)
            row.append(tex_escape(L.verdict(v, lang)) if k == "call" else str(int(v)) if k in ("draws", "pairs")
                       else tex_escape(_drivers_text(v, lang)) if k == "drivers" else num(v, 2))
        rows.append(row)
    info = data.info
    thr = float(info.get("min_elasticity", 0.02))
    core = L.city(compute.CORE, lang)
    shock = float(info.get("shock", 0.05))
    seeds = len(info.get("seeds", []))
    draws = (info.get("posterior") or {}).get("draws")
    if lang == "en":
        caption = f"Causal verdict: {core}'s productivity +{shock:.0%}, {info.get('until', '?')}"
        over = (f"the median and 90\\% interval (5th--95th percentile) over {draws} posterior draws of each draw's "
                f"mean over {seeds} seed pairs; P(siphon), P(spillover): share of draws below $-{thr:g}$ / above "
                f"${thr:g}$; undetermined: the draws disagree. Turns most on: the drawn parameters with the largest "
                "Spearman rank correlation with the elasticity over the draws" if post else
                f"the mean over {seeds} seed pairs and its 90\\% interval")
        notes = (rf"Elasticity: the city's GDP response (log difference, shocked minus base run, same seed) over "
                 rf"{core}'s; {over}. Spillover if the interval lies above ${thr:g}$, siphon if below $-{thr:g}$.")
    else:
        caption = f"因果判定：{core}生产率提高{shock:.0%}，{info.get('until', '?')}年"
        over = (f"各抽样在{seeds}个种子对上的均值，于{draws}个后验抽样间的中位数与90\\%区间（第5至第95百分位）；"
                f"虹吸概率、溢出概率：低于$-{thr:g}$、高于${thr:g}$的抽样占比；未定：各抽样结论不一。"
                "主要影响参数：与各抽样弹性斯皮尔曼秩相关最强的参数" if post else
                f"{seeds}个种子对的均值及其90\\%区间")
        notes = (rf"弹性：该市GDP响应（同一种子下冲击与基准运行的对数差）除以{core}GDP的响应；{over}。"
                 rf"区间高于${thr:g}$为溢出，低于$-{thr:g}$为虹吸。")
    align = "l r c " + "".join("p{5cm} " if k == "drivers" else "l " if k == "call" else "r " for k in shown[1:])
    tex = booktabs(header, rows, align, tex_escape(caption), f"tab:spillover-verdict{_sfx(lang)}", notes, wide=post)
    return [csv, write_text(_tex_head(lang) + tex, out / f"spillover_verdict{_sfx(lang)}.tex")]


def spillover_channels(frame: pd.DataFrame, data, out: Path, lang: str) -> list[Path]:
    """Per channel and periphery city: contribution to the elasticity, 90 % interval, elasticity with it closed."""
    h, th = _heads(lang)
    keys = [k for k in ("contribution", "low", "high", "p_siphon", "draws", "elasticity_closed") if k in frame]
    if lang == "en":
        csv = write_csv(frame, out / "spillover_channels.csv", float_format="%.6g")
    else:
        zh = pd.DataFrame({h("channel"): [L.channel(c, "zh") for c in frame.channel],
                           h("city"): [L.city(c, "zh") for c in frame.city], **{h(k): frame[k] for k in keys}})
        csv = _write_zh_csv(zh, out / "spillover_channels_zh.csv")
    shown = [k for k in keys if k not in ("low", "high")]
    header = [th("channel"), th("city"), th("contribution"), th("interval")] + [th(k) for k in shown[1:]]
    rows, rules, last = [], set(), None
    for r in frame.itertuples():
        if last is not None and r.channel != last:
            rules.add(len(rows))
        rows.append([tex_escape(L.channel(r.channel, lang)) if r.channel != last else "",
                     tex_escape(L.city(r.city, lang)), num(r.contribution, 3), _interval(r.low, r.high, 3)]
                    + [str(int(getattr(r, k))) if k == "draws" else num(getattr(r, k), 2 if k == "p_siphon" else 3)
                       for k in shown[1:]])
        last = r.channel
    post = data.posterior
    if lang == "en":
        caption = "Channels of the response: contribution of each to the elasticity"
        notes = (r"Contribution: the elasticity with every channel open minus with the channel closed (same seeds); "
                 r"$> 0$ the channel carries spillover, $< 0$ siphon. " + (
                     r"Median and 90\% interval over the posterior draws of each draw's mean over seed pairs; "
                     r"P(siphon): share of draws with a contribution below 0." if post else
                     r"Mean over seed pairs and its 90\% interval."))
    else:
        caption = "响应的渠道：各渠道对弹性的贡献"
        notes = (r"贡献：全部渠道开启时的弹性减去关闭该渠道时的弹性（相同种子）；大于0表示该渠道带来溢出，小于0表示虹吸。"
                 + (r"各抽样在种子对上的均值，于后验抽样间的中位数与90\%区间；虹吸概率：贡献小于0的抽样占比。" if post else
                    r"种子对的均值及其90\%区间。"))
    tex = booktabs(header, rows, "l l r c " + "r " * (len(shown) - 1), tex_escape(caption),
                   f"tab:spillover-channels{_sfx(lang)}", notes, rules)
    return [csv, write_text(_tex_head(lang) + tex, out / f"spillover_channels{_sfx(lang)}.tex")]
