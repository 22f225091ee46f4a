"""The report of an answer over the calibration's posterior: a posterior study (``python -m experiments posterior``)
or a spillover verdict (``python -m experiments spillover``, over seed pairs or with ``--posterior N``).

The same machinery as a sweep's report: the labels and units of labels.py, the figure style and ``style.save``, the
LaTeX and CSV writers of tables.py, every file written into a staging folder and moved as one set with report.md,
the index, last (experiments.io.output_folder). Tables come in English (CSV with codes, for reuse) and in Chinese
(``_zh``: CSV and LaTeX with Chinese heads); figures in the languages asked for (English without a CJK font).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from experiments.io import output_folder
from experiments.report import compute, figures, tables
from experiments.report.labels import CORE_EN
from experiments.report.load import PosteriorData, SpilloverData, read_posterior, read_spillover
from experiments.report.style import figure_languages

_LAB = {"en": "", "zh": " (Chinese)"}


def build_study(kind: str, root: str | Path, out: str | Path | None, lang: str, family: str, stream) -> dict[str, Any]:
    """Write the report of the posterior study or spillover folder ``root`` into ``out`` (default ROOT/report); the
    caller (build.build) prints the notes."""
    data = read_posterior(root) if kind == "posterior" else read_spillover(root)
    out = Path(out) if out is not None else data.root / "report"
    notes = list(getattr(data, "warnings", []))
    table_langs = {"en": ["en"], "zh": ["zh"], "both": ["en", "zh"]}[lang]  # tables need no font
    fig_langs = figure_languages(lang, family, stream, notes)
    with output_folder(out, last=("report.md",)) as dest:
        if kind == "posterior":
            entries, headline = _posterior(data, dest, table_langs, fig_langs)
            md = _posterior_markdown(data, entries, notes, lang)
        else:
            entries, headline = _spillover(data, dest, table_langs, fig_langs)
            md = _spillover_markdown(data, entries, notes, lang)
        index = tables.write_text(md, dest / "report.md")
        files = [out / p.relative_to(dest) for p, _ in entries] + [out / index.relative_to(dest)]
    return {"out": out, "files": files, "notes": notes, "warnings": list(getattr(data, "warnings", [])),
            "data": data, "kind": kind, "headline": headline}


def _tagged(paths: list[Path], caption: str, lang: str) -> list[tuple[Path, str]]:
    return [(p, caption + _LAB[lang] + f" [{p.suffix[1:].upper()}]") for p in paths]


# ---- a posterior study ---------------------------------------------------------------------------------------------

def _posterior(data: PosteriorData, dest: Path, table_langs: list[str], fig_langs: list[str]):
    summary, contrasts = compute.posterior_summary(data), compute.posterior_contrasts(data)
    year = data.info.get("until", "the study's year")
    entries: list[tuple[Path, str]] = []
    for lg in fig_langs:
        sfx = "" if lg == "en" else "_zh"
        entries += _tagged(figures.posterior_forecast(data, summary, lg, dest / f"fig_f_posterior_forecast{sfx}"),
                           f"(f) each city's GDP share in {year} by scenario: median and 90% interval over draws x "
                           "seeds, the parameter band (posterior draws) and the seed band (model noise) apart", lg)
        entries += _tagged(figures.posterior_contrasts(data, contrasts, lg, dest / f"fig_g_posterior_contrasts{sfx}"),
                           f"(g) each lever minus the baseline in {year} for each periphery city's GDP share, GDP "
                           "and residents: each draw's mean over seeds (dots), median and 90% interval, P(raises)", lg)
    for lg in table_langs:
        entries += _tagged(tables.posterior_summary(summary, data, dest, lg),
                           f"forecasts in {year} per scenario and outcome: median, 90% interval over draws x seeds, "
                           "parameter band (width; ends in the CSV) and seed band (width; ends in the CSV); "
                           "GDP share in pp, GDP in 100m yuan (start-year prices), residents in 10k persons", lg)
        entries += _tagged(tables.posterior_contrasts(contrasts, data, dest, lg),
                           f"each lever minus the baseline in {year}, paired by draw and seed, for each periphery "
                           f"city's GDP share, GDP and residents and {CORE_EN}'s GDP share: median, 90% interval, "
                           "P(raises) (share of draws whose mean contrast over seeds is > 0), parameter band, draws",
                           lg)
    i = data.info
    headline = (f"report of a posterior study ({i.get('draws', '?')} draws x {len(i.get('seeds', []))} seeds x "
                f"{len(data.scenarios)} scenarios)")
    return entries, headline


def _posterior_markdown(data: PosteriorData, entries, notes: list[str], lang: str) -> str:
    i = data.info
    seeds = i.get("seeds", [])
    fixed = i.get("fixed") or {}
    cal = i.get("calibration", "?")
    lines = [f"# Report: posterior study `{data.root.name}`", "",
             f"- Scenarios: {', '.join(f'`{s}`' for s in data.scenarios)} (levers compared with `baseline`); "
             f"outcomes in {i.get('until', '?')}.",
             f"- {i.get('draws', '?')} parameter draws from the calibration `{cal}` (its ABC sample, weighted) x "
             f"seeds {seeds} (common random numbers: the same seeds at every draw and scenario) = "
             f"{i.get('runs', '?')} runs at scale {i.get('scale', '?')} residents per worker agent; kept at each "
             f"scenario's value (hindcast-only): {', '.join(i.get('hindcast_only_kept', [])) or '-'}"
             + (f"; held fixed: {', '.join(f'{k}={v}' for k, v in fixed.items())}" if fixed else "") + ".",
             f"- Source: `summary.csv`, `contrasts.csv`, `runs.csv`, `posterior_study.json` in `{data.root}`.", "",
             "## Method", "",
             "- **Median and 90% interval**: over all draws x seeds (5th and 95th percentiles).",
             "- **Parameter band**: the 5-95% range over draws of each draw's mean over seeds — what the "
             "calibration's uncertainty about the parameters does.",
             "- **Seed band**: each draw's 5-95% range over seeds, averaged over draws — the model's own noise at "
             "a given parameter set. Tables give the widths (as `summary.csv`), the CSV also the ends.",
             "- **Lever contrast**: the lever scenario minus the baseline at the same draw and seed; **P(raises)**: "
             "the share of draws whose mean contrast over seeds is above 0.",
             f"- In the command's words: {i.get('bands', '-')}.", ""]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    lines += ["## Files", ""] + [f"- [`{p.name}`]({p.name}): {cap}" for p, cap in entries]
    cmd = (f"python -m experiments posterior --calibration {cal} --scenarios {','.join(i.get('scenarios', []))} "
           f"--draws {i.get('draws', '?')} --seeds {len(seeds)} --until {i.get('until', '?')} "
           f"--scale {i.get('scale', '?')}" + "".join(f" --set {k}={v}" for k, v in fixed.items())
           + " --out NEW_DIR")
    lines += ["", "## Reproduce", "", "```bash", cmd, f"python -m experiments report NEW_DIR --lang {lang}", "```", ""]
    return "\n".join(lines)


# ---- a spillover verdict -------------------------------------------------------------------------------------------

def _spillover(data: SpilloverData, dest: Path, table_langs: list[str], fig_langs: list[str]):
    verdict, channels = compute.spillover_verdict(data), compute.spillover_channels(data)
    over = "over posterior draws" if data.posterior else "over seed pairs"
    entries: list[tuple[Path, str]] = []
    for lg in fig_langs:
        sfx = "" if lg == "en" else "_zh"
        entries += _tagged(figures.spillover(data, verdict, channels, lg, dest / f"fig_h_spillover{sfx}"),
                           f"(h) each periphery city's elasticity of GDP to {CORE_EN}'s with its 90% interval "
                           f"{over}, coloured by the call" + (" (dots: each draw's mean)" if data.posterior else "")
                           + ("; each channel's contribution" if channels is not None else ""), lg)
    for lg in table_langs:
        entries += _tagged(tables.spillover_verdict(verdict, data, dest, lg),
                           f"the causal verdict per periphery city: elasticity, 90% interval {over}, call"
                           + (" (siphon, neutral, spillover, undetermined), P(siphon), P(spillover), draws and the "
                              "three drawn parameters it turns most on (Spearman)" if data.posterior else
                              " (siphon, neutral, spillover), seed pairs"), lg)
        if channels is not None:
            entries += _tagged(tables.spillover_channels(channels, data, dest, lg),
                               f"the channels: each one's contribution to the elasticity (open minus closed), 90% "
                               f"interval {over}" + (", P(siphon), draws" if data.posterior else "")
                               + ", the elasticity with it closed", lg)
    n = len(data.info.get("seeds", []))
    post = data.info.get("posterior") or {}
    headline = (f"report of a spillover verdict ({data.info.get('scenario', '?')}, "
                + (f"{post.get('draws', '?')} draws x {n} seed pairs)" if data.posterior else f"{n} seed pairs)"))
    return entries, headline


def _spillover_markdown(data: SpilloverData, entries, notes: list[str], lang: str) -> str:
    i = data.info
    post = i.get("posterior") or {}
    seeds = i.get("seeds", [])
    sets = {k: v for k, v in (i.get("overrides") or {}).items() if k != "scale"}
    core = i.get("core_gdp_response_log")
    lines = [f"# Report: spillover verdict `{data.root.name}`", "",
             f"- Scenario `{i.get('scenario', '?')}`: {CORE_EN}'s productivity "
             f"+{float(i.get('shock', 0.05)):.0%} from the start, responses read in {i.get('until', '?')}; "
             f"{len(seeds)} seed pairs" + (f" at each of {post.get('draws', '?')} parameter draws from the "
                                            f"calibration `{post.get('calibration', '?')}`" if post else "")
             + f", scale {i.get('scale', '?')} residents per worker agent"
             + (f"; set: {', '.join(f'{k}={v}' for k, v in sets.items())}" if sets else "") + ".",
             (f"- {CORE_EN}'s own GDP response: {100 * core:+.2f}% (log difference, mean)." if core is not None
              else ""),
             f"- Rule: {i.get('rule', '-')}.",
             "- Source: `verdict.csv`" + (", `channels.csv`" if data.channels is not None else "")
             + (", `elasticity_by_draw.csv`, `drivers.csv`" if post else "") + f", `spillover.json` in `{data.root}`.",
             ""]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    lines += ["## Files", ""] + [f"- [`{p.name}`]({p.name}): {cap}" for p, cap in entries]
    cmd = (f"python -m experiments spillover --scenario {i.get('scenario', '?')} --seeds {len(seeds)} "
           f"--shock {i.get('shock', '?')} --until {i.get('until', '?')} --scale {i.get('scale', '?')}"
           + (" --channels" if data.channels is not None else "")
           + (f" --posterior {post.get('draws', '?')} --posterior-from {post.get('calibration', '?')}" if post else "")
           + "".join(f" --set {k}={v}" for k, v in sets.items()) + " --out NEW_DIR")
    lines += ["", "## Reproduce", "", "```bash", cmd, f"python -m experiments report NEW_DIR --lang {lang}", "```", ""]
    return "\n".join(line for line in lines if line is not None)
