"""Build the whole report of a sweep folder: figures, tables and the report.md index with provenance (a posterior
study's or a spillover verdict's folder: studies.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from experiments.io import output_folder, remove_empty_folders, writable_folder
from experiments.report import compute, figures, tables
from experiments.report.labels import CORE_EN, PERIPHERY_EN
from experiments.report.load import SweepData, folder_kind, read
from experiments.report.style import figure_languages
from experiments.sweep.analyze import MAX_RESAMPLES, MIN_RESAMPLES
from model.errors import ConfigError

LANGS = ("en", "zh", "both")
FAMILIES = ("sans", "serif")
SENSITIVITY_DESIGNS = ("sobol", "morris", "lhs", "factorial")


def build(root: str | Path, out: str | Path | None = None, lang: str = "en", family: str = "sans",
          resamples: int = 1000, stream=None) -> dict[str, Any]:
    """Write the report of the sweep in ``root`` into ``out`` (default ROOT/report); returns files and notes. A folder
    holding posterior_study.json or spillover.json gets the report of that answer over the posterior instead."""
    stream = stream or sys.stderr
    _check_args(lang, family, resamples, out)
    kind = folder_kind(root)
    if kind != "sweep":  # an answer over the posterior: a posterior study or a spillover verdict
        from experiments.report.studies import build_study

        res = build_study(kind, root, out, lang, family, stream)
        print_notes(res["notes"], res["warnings"], stream)
        return res
    data = read(root)
    out = Path(out) if out is not None else data.root / "report"
    notes = _data_notes(data)
    langs = figure_languages(lang, family, stream, notes)
    theta = compute.theta_regressions(data)
    sens, sens_notes = _sensitivity(data, resamples)
    notes += sens_notes
    # every file or none (a full disk mid-way leaves the folder as it was); report.md, the index, moves last
    with output_folder(out, last=("report.md",)) as dest:
        entries = _figures(data, theta, sens, langs, dest)  # (file, caption) for report.md
        cmp, table_entries = _tables(data, theta, sens, dest, notes)
        entries += table_entries
        md = tables.write_text(_markdown(data, dest, entries, notes, lang), dest / "report.md")
        files = [out / p.relative_to(dest) for p, _ in entries] + [out / md.relative_to(dest)]
    print_notes(notes, data.warnings, stream)
    c = data.counts
    return {"out": out, "files": files, "notes": notes, "data": data, "kind": kind,
            "headline": f"report of {c['ok']}/{c['planned']} ok runs", "comparison": cmp, "theta": theta,
            "sensitivity": sens}


def print_notes(notes: list[str], warnings: list[str], stream) -> None:
    for n in notes:
        print(("warning: " if n in warnings else "note: ") + n, file=stream)


def _check_args(lang: str, family: str, resamples: int, out: str | Path | None) -> None:
    """Every option checked, and an explicit output folder writable, before anything is read or drawn."""
    if lang not in LANGS:
        raise ConfigError("--lang", lang, "en, zh or both")
    if family not in FAMILIES:
        raise ConfigError("--font", family, "sans or serif")
    if not MIN_RESAMPLES <= resamples <= MAX_RESAMPLES:
        raise ConfigError("--resamples", resamples, f"an integer from {MIN_RESAMPLES} to {MAX_RESAMPLES:,} "
                          "(bootstrap resamples of the sensitivity intervals)")
    if out is not None:  # checked now, made when the report is written (a sweep that cannot be read leaves none)
        remove_empty_folders(writable_folder(out))


def _data_notes(data: SweepData) -> list[str]:
    """What the reader of the report must know about its runs: damaged parts, platforms pooled, runs missing."""
    c = data.counts
    notes = list(data.warnings)
    if c["ok"] < c["planned"]:
        notes.append(f"partial sweep: {c['ok']} of {c['planned']} runs ok ({c['failed']} failed, {c['pending']} "
                     f"pending); the report uses the ok runs only")
    return notes


def _figures(data: SweepData, theta, sens, langs: list[str], out: Path) -> list[tuple[Path, str]]:
    """Every figure in every language, each with its caption for report.md."""
    entries: list[tuple[Path, str]] = []
    for lg in langs:
        sfx = "" if lg == "en" else "_zh"
        lab = " (Chinese labels)" if lg == "zh" else ""
        for f, cap in (
            (figures.share_panels(data, lg, out / f"fig_a_gdp_share{sfx}"),
             "(a) GDP share of each city by year: mean over replications and 95% t-interval, one panel per group"),
            (figures.share_panels(data, lg, out / f"fig_a2_gdp_share_change{sfx}", change=True),
             "(a2) the same as the change since the first year (pp), where small differences are visible"),
            (figures.share_change(data, lg, out / f"fig_b_share_change{sfx}"),
             f"(b) change in {_cities_possessive(PERIPHERY_EN)} GDP share, first to last year (pp), mean and 95% "
             "t-interval"),
            (figures.verdicts(data, lg, out / f"fig_c_verdicts{sfx}"),
             "(c) verdict counts (siphon / neutral / spillover) by group and periphery city"),
            (figures.theta(data, theta, lg, out / f"fig_d_theta{sfx}") if not theta.empty else [],
             "(d) θ by group: mean of per-run estimates with 95% t-interval, and the pooled regression (HC1)"),
            (figures.sensitivity(sens, lg, out / f"fig_e_sensitivity{sfx}") if sens is not None else [],
             "(e) sensitivity indices (SALib, via experiments.sweep.analyze) with 95% bootstrap intervals"),
        ):
            entries += [(p, cap + lab + f" [{p.suffix[1:].upper()}]") for p in f]
    return entries


def _tables(data: SweepData, theta, sens, out: Path, notes: list[str]):
    """Every table (CSV and LaTeX), each with its caption for report.md; the comparison frame too."""
    entries: list[tuple[Path, str]] = []
    labels = {g: data.label(g, "en") for g in data.groups}
    cmp = compute.comparison(data, theta)
    for p in tables.comparison(cmp, out, labels):
        entries.append((p, "scenario comparison: mean, 95% t-interval and n per metric and group "
                           f"(share changes pp, net talent 10k persons, net firms, {CORE_EN} share %, θ)"))
    p = tables.write_csv(compute.verdict_counts(data), out / "verdicts.csv")
    entries.append((p, "verdict counts: runs per group, periphery city and verdict (siphon, neutral, spillover)"))
    gov = compute.government_choices(data)
    if not gov.empty:
        p = tables.write_csv(gov, out / "governments.csv")
        entries.append((p, "the city governments' choices by group, city and year (first, every fifth, last): "
                           "incentive intensity (1 = 10% of value added), talent subsidy (yuan per talent per year), "
                           "extra park land (share a year), subsidies paid (100m yuan a year); mean and 95% "
                           "t-interval over replications"))
    p = tables.write_csv(compute.plan_targets(data), out / "plan_targets.csv")
    entries.append((p, "the Plan Outline's 2025 targets by group (model/targets.py): status (computed, proxy, "
                       "cannot), target and direction, mean value over the runs with a 95% t-interval, mean ratio to "
                       "the target, share of runs meeting it; the note says what a proxy measures and its bias, or "
                       "why there is no value; model money at the sweep's start-year prices, targets nominal"))
    if len(data.groups) > 1:
        con = compute.contrasts(data, theta)
        for p in tables.contrasts(con, out, labels):
            entries.append((p, f"each group minus {data.groups[0]}, paired by replicate (common seeds): mean "
                               "difference and 95% t-interval, same metrics as the comparison"))
        twins = compute.twin_contrasts(data, theta)
        if not twins.empty:
            p = tables.write_csv(twins, out / "contrasts_twins.csv")
            entries.append((p, "each scenario of the sweep's twins table minus its twin (column reference), paired "
                               "by replicate: mean difference and 95% t-interval"))
    if not theta.empty:
        for p in tables.theta(theta, out, labels):
            entries.append((p, "θ regression per run and pooled per group: coefficient, SE (classical, HC1), t, "
                               "n years, R²"))
    else:
        notes.append("no gdp_100m_yuan in cities.parquet (sweep outputs): no θ regression")
    if sens is not None:
        for p in tables.sensitivity(sens, out):
            entries.append((p, "sensitivity indices with 95% bootstrap half-widths and noise share; values: each "
                               "factor's levels or range"))
    return cmp, entries


def _cities_possessive(names: tuple[str, ...]) -> str:
    """("Zhuzhou", "Xiangtan") -> "Zhuzhou's and Xiangtan's"."""
    owned = [f"{n}'s" for n in names]
    return ", ".join(owned[:-1]) + " and " + owned[-1] if len(owned) > 1 else owned[0]


def _sensitivity(data: SweepData, resamples: int):
    if data.spec.design not in SENSITIVITY_DESIGNS:
        return None, []
    from experiments.sweep.analyze import analyze_dir

    try:
        res = analyze_dir(data.root, resamples=resamples, write=False)  # the report writes its own table
    except ConfigError as exc:
        return None, [f"no sensitivity indices: {exc}"]
    return res["table"], res["notes"]


def _platform_line(data: SweepData) -> str:
    """The sweep's platform fingerprint and the ok runs per platform id (model/platform.py)."""
    from model.platform import summary

    rec = data.info.get("platform") or {}
    counts = data.platform_counts
    runs = ", ".join(f"`{k}` {v} runs" for k, v in sorted(counts.items()))
    return (f"`{rec.get('id', 'unrecorded')}` ({summary(rec) if rec else 'planned before platforms were recorded'})"
            f"; ok runs by platform: {runs or '-'}")


def _markdown(data: SweepData, out: Path, entries: list[tuple[Path, str]], notes: list[str], lang: str) -> str:
    spec, prov, c = data.spec, data.provenance, data.counts
    what = (f"scenarios {', '.join(spec.scenarios)}" if spec.design == "scenarios"
            else f"scenario {spec.scenario}, {spec.design} design over "
                 + ", ".join(f"{f.name} ({f.describe()})" for f in spec.factors))
    versions = prov.get("czt_sim.versions", "")
    try:
        versions = ", ".join(f"{k} {v}" for k, v in json.loads(versions).items())
    except ValueError:
        pass
    lines = [f"# Report: sweep `{spec.name}`", ""] + ([spec.description, ""] if spec.description else []) + [
             f"- Design: {what}; {spec.replications} replications, seeds {spec.seeds} (root seed {spec.root_seed}), "
             f"2019-{spec.until}, scale {spec.scale or 'default'} residents per worker agent.",
             f"- Runs: {c['ok']} ok of {c['planned']} planned ({c['failed']} failed, {c['pending']} pending).",
             f"- Groups compared: {'; '.join(data.label(g, 'en') for g in data.groups)}.", "",
             "## Provenance", "",
             f"- Spec digest: `{prov.get('czt_sim.digest', data.info.get('digest', '?'))}`",
             f"- Code version: `{prov.get('czt_sim.code_version', data.info.get('code_version', '?'))}`",
             f"- Git commit: `{prov.get('czt_sim.git_commit', data.info.get('git_commit', '?'))}`",
             f"- Sweep planned: {prov.get('czt_sim.created', data.info.get('created', '?'))}",
             f"- Packages: {versions or '?'}",
             f"- Platform: {_platform_line(data)}",
             "- Source: `runs.parquet`, `cities.parquet`, `design.parquet` in the sweep folder "
             "(their Parquet metadata keys `czt_sim.*`).", ""]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    lines += ["## Files", ""]
    for p, cap in entries:
        lines.append(f"- [`{p.name}`]({p.name}): {cap}")
    toml = data.root / "sweep.toml"
    lines += ["", "## Reproduce", "", "```bash",
              f"git checkout {str(prov.get('czt_sim.git_commit', '?')).removesuffix('-dirty')}",
              f"python -m experiments sweep {toml if toml.exists() else 'SWEEP.toml'} --out NEW_DIR --workers 2"
              + ("" if toml.exists() else "   # SWEEP.toml: the spec recorded in spec.json"),
              f"python -m experiments report NEW_DIR --lang {lang}",
              "```", "",
              "Runs are identified by a content hash of configuration, seed and code version, so the same commit "
              "and sweep file give the same runs and the same numbers.", ""]
    if (out / "theta_regression.csv").exists():
        lines += ["## Method", "", f"θ: OLS of the annual log growth of the periphery's GDP ({' + '.join(PERIPHERY_EN)})"
                  f" on {CORE_EN}'s, with intercept (experiments/report/stats.py); pooled: all replications' years "
                  "stacked. Intervals over replications: Student t.", ""]
    return "\n".join(lines)
