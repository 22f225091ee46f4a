"""The app's charts on the page: what each view draws (one run, its ensemble, the run minus its baseline twin, or
pins A and B overlaid or as B − A) and the ECharts component that draws it (ui/echart.vue, ECharts shipped by
solara-assets: works offline).

Differences are always policy minus baseline: the run minus the baseline twin, or B minus A (A is pinned first,
as the reference). Runs are told apart by colour and named in the legend; a city's line style tells the cities
apart only in the overlay of A and B (colour there is the run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import solara

from model.params import BY_NAME
from ui.charts import (CHARTS, CITY_COLORS, RUN_COLORS, SECTOR_COLORS, Chart, Line, diff_unit, option,
                       quarter_label, quarter_labels, since_start, stack, summarise)
from ui.texts import city_name, field_label, sector_name, t

CITY_DASH = ("solid", "dashed", "dotted")  # overlay of A and B only: the cities, in model.identity's order
VIEWS = ("levels", "change")


@solara.component_vue("echart.vue")
def EChart(option: dict, meta: dict, title: str, chart_id: str, height: int, labels: dict, maps: dict = {},  # noqa: B006
           clickable: bool = False, event_click=None):
    """One ECharts chart with hover values, zoom and PNG / CSV buttons (ui/echart.vue)."""


def chart_title(chart: Chart, lang: str, start_year: int) -> str:
    return t(lang, chart.title, py=start_year) if chart.money else t(lang, chart.title)


def key_names(chart: Chart, frame: pd.DataFrame, lang: str) -> list[tuple[str, str, str]]:
    """(key, label, colour) of a chart's lines: its cities or its sectors."""
    if chart.keys == "sector":
        cols = [c[len("firms_"):] for c in frame.columns if c.startswith("firms_") and c != "firms_total"]
        return [(s, sector_name(lang, s), SECTOR_COLORS[i % len(SECTOR_COLORS)]) for i, s in enumerate(cols)]
    return [(c, city_name(lang, c), col) for c, col in CITY_COLORS.items()]


def _lines_of(chart: Chart, frames: list[pd.DataFrame], n: int, lang: str, view: str, scale: float,
              name: str = "", color: str | None = None, dash: bool = False) -> list[Line]:
    """One run's lines (median and band over its seeds); ``name`` and ``color``: the run's, in an overlay."""
    out = []
    for i, (key, label, kcolor) in enumerate(key_names(chart, frames[0], lang)):
        st = stack(chart, frames, key, n, scale)
        if view == "change":
            st = since_start(st)
        med, lo, hi = summarise(st)
        out.append(Line(f"{label} {name}".strip(), color or kcolor, med, lo, hi, key=key,
                        dash=CITY_DASH[i % len(CITY_DASH)] if dash else "solid"))
    return out


def diff_lines(chart: Chart, policy: list[pd.DataFrame], base: list[pd.DataFrame], n: int, lang: str, view: str,
               scale: float, paired: bool) -> list[Line]:
    """Policy minus baseline per key: seed by seed when both runs have the same seeds (the band is the spread of
    the paired differences), else the difference of the medians."""
    out = []
    for key, label, color in key_names(chart, policy[0], lang):
        p, b = stack(chart, policy, key, n, scale), stack(chart, base, key, n, scale)
        if view == "change":
            p, b = since_start(p), since_start(b)
        if paired and p.shape == b.shape:
            med, lo, hi = summarise(p - b)
        else:
            med, lo, hi = summarise(p)[0] - summarise(b)[0], None, None
        out.append(Line(label, color, med, lo, hi, key=key))
    return out


def param_lines(chart: Chart, frames: list[pd.DataFrame], n_draws: int, n_seeds: int, n: int, lang: str,
                view: str, scale: float) -> list[Line]:
    """A parameter ensemble's lines (members draw by draw, the seeds in each): the median over draws x seeds, the
    parameter band and the seed band, by the rules of every answer over the posterior (experiments/posterior.bands);
    one seed has no seed band."""
    from experiments.posterior import bands

    out = []
    for key, label, color in key_names(chart, frames[0], lang):
        st = stack(chart, frames, key, n, scale)
        if view == "change":
            st = since_start(st)
        b = bands(st.reshape(n_draws, n_seeds, -1))
        lo, hi = (b["seed_lo"], b["seed_hi"]) if n_seeds > 1 else (None, None)
        out.append(Line(label, color, b["median"], lo, hi, key=key, plo=b["param_lo"], phi=b["param_hi"]))
    return out


def band_names(lang: str) -> tuple[str, str]:
    """The legend's names of a parameter ensemble's two bands."""
    return t(lang, "band_param"), t(lang, "band_seed")


def chart_option(chart: Chart, lines: list[Line], x: list[str], lang: str, view: str, diff: bool,
                 markers: list[tuple[str, str]], file: str, params: bool = False) -> tuple[dict, dict]:
    unit = diff_unit(chart.unit) if (diff or view == "change") else chart.unit
    opt, meta = option(lines, x, unit, lang, markers=markers, zero_line=diff or view == "change",
                       band_names=band_names(lang) if params else None)
    q = ("p5", "p95") if params else ("p10", "p90")
    meta.update(file=file, x_label=field_label(lang, "quarter"), band_lo=q[0], band_hi=q[1])
    return opt, meta


def timing_markers(timing, lang: str) -> list[tuple[str, str]]:
    """A vertical marker where a lever set in the app from a later quarter takes effect (and where it goes back)."""
    out = []
    for tl in timing:
        p = BY_NAME[tl.name]
        lever = p.zh if lang == "zh" else p.en
        out.append((quarter_label(tl.start[0], tl.start[1], lang), t(lang, "chart_timing_marker", lever=lever)))
        if tl.end is not None:
            out.append((quarter_label(tl.end[0], tl.end[1], lang), "↩ " + lever))
    return out


def labels_for(lang: str) -> dict:
    return {"png": t(lang, "chart_png"), "csv": t(lang, "chart_csv"), "reset": t(lang, "chart_reset"),
            "png_hint": t(lang, "chart_png_hint"), "csv_hint": t(lang, "chart_csv_hint"),
            "reset_hint": t(lang, "chart_reset_hint")}


def chart_views(sess, lang: str, view: str, pin_view: str, describe=lambda lang, spec: "") -> tuple[
        list[dict], str | None, str | None]:
    """Every chart's (id, title, option, meta) for what the page shows, a note above them, and a message instead
    of them (waiting for pinned runs, or runs that cannot be compared). ``describe(lang, spec)``: a run in one
    line, for the note over A and B."""
    m = sess.model
    scale = float(m.p["competition_incentive_scale"])
    markers = timing_markers(sess.timing, lang)
    tag = sess.export_tag()
    if pin_view in ("runs", "runs_diff"):
        return saved_views(sess, lang, view, pin_view == "runs_diff", scale, markers, tag)
    pair = sess.pair() if pin_view != "off" else None
    if pin_view != "off" and pair is None:
        return [], None, t(lang, "pins_start_differ")
    params = sess.param_frames() if pair is None and sess.n_draws else None
    if pair is not None:
        (spec_a, fa), (spec_b, fb) = pair
        # every seed of both runs must have reported: a paired difference of a partial ensemble would mislead
        complete = len(fa) == len(spec_a.seeds) and len(fb) == len(spec_b.seeds)
        n_rows = min(len(fa[0]), len(fb[0])) if fa and fb and complete else 0
        if n_rows == 0:
            return [], None, t(lang, "pins_waiting")
        fa, fb = [f.iloc[:n_rows] for f in fa], [f.iloc[:n_rows] for f in fb]
        note = t(lang, "pins_note", a=describe(lang, spec_a), b=describe(lang, spec_b))
        suffix = t(lang, "pins_diff_suffix") if pin_view == "diff" else t(lang, "pins_overlay_suffix")
        x_frame, diff = fa[0], pin_view == "diff"
        paired = spec_a.seeds == spec_b.seeds
    elif params is not None:  # the parameter ensemble: draws x the run's seeds, two bands told apart
        pframes, n_draws, n_seeds = params
        note = t(lang, "param_note", d=n_draws, s=n_seeds) + (" " + t(lang, "param_one_seed") if n_seeds == 1 else "")
        suffix = t(lang, "param_suffix", d=n_draws, s=n_seeds)
        x_frame, diff = pframes[0], False
    else:
        frames = sess.current_frames()
        base = sess.base_cities() if sess.comparing and len(frames) == 1 else None
        note = t(lang, "param_waiting") if sess.n_draws and pair is None else None
        if sess.comparing and len(frames) > 1:  # the twin has one seed: an ensemble is compared through pins
            note = t(lang, "compare_ensemble_note")
        elif base is not None:
            note = t(lang, "compare_note")
        elif len(frames) > 1 and note is None:
            note = t(lang, "ensemble_note", n=len(frames), lo=10, hi=90)
        suffix = t(lang, "diff_suffix") if base is not None else (
            t(lang, "ensemble_suffix", n=len(frames)) if len(frames) > 1 else "")
        x_frame, diff = frames[0], base is not None
    x = quarter_labels(x_frame, lang)
    n = len(x)
    out = []
    for chart in CHARTS:
        if pair is not None and pin_view == "diff":
            lines = diff_lines(chart, fb, fa, n, lang, view, scale, paired)
        elif params is not None:
            lines = param_lines(chart, pframes, n_draws, n_seeds, n, lang, view, scale)
        elif pair is not None:
            lines = (_lines_of(chart, fa, n, lang, view, scale, "A", RUN_COLORS[0], dash=chart.keys == "city")
                     + _lines_of(chart, fb, n, lang, view, scale, "B", RUN_COLORS[1], dash=chart.keys == "city"))
        elif diff:
            lines = diff_lines(chart, frames, [base.iloc[:len(frames[0])]], n, lang, view, scale, paired=False)
        else:
            lines = _lines_of(chart, frames, n, lang, view, scale)
        title = chart_title(chart, lang, m.start_year) + suffix
        opt, meta = chart_option(chart, lines, x, lang, view, diff, markers, f"{tag}_{chart.id}",
                                 params=params is not None)
        out.append({"id": chart.id, "title": title, "option": opt, "meta": meta})
    return out, note, None


def saved_views(sess, lang: str, view: str, diff: bool, scale: float, markers, tag: str):
    """The saved runs (and this run, unless saved as it is) together, colour by run; or (``diff``) each minus the
    reference run, seed by seed where the seeds are the same."""
    if not sess.saved_comparable:
        return [], None, t(lang, "pins_start_differ")
    runs = sess.compared()  # the reference first
    if any(len(frames) != len(spec.seeds) for _, spec, frames, _ in runs):
        return [], None, t(lang, "pins_waiting")  # every seed of every run must have reported
    n_rows = min(len(frames[0]) for _, _, frames, _ in runs)
    if n_rows == 0:
        return [], None, t(lang, "pins_waiting")
    runs = [(name or t(lang, "saved_this_run"), spec, [f.iloc[:n_rows] for f in frames]) for name, spec, frames, _ in runs]
    x = quarter_labels(runs[0][2][0], lang)
    n = len(x)
    suffix = t(lang, "saved_diff_suffix") if diff else t(lang, "saved_overlay_suffix")
    out = []
    for chart in CHARTS:
        lines: list[Line] = []
        city = chart.keys == "city"
        if diff:
            ref_name, ref_spec, ref_frames = runs[0]
            for i, (name, spec, frames) in enumerate(runs[1:], start=1):
                for k, ln in enumerate(diff_lines(chart, frames, ref_frames, n, lang, view, scale,
                                                  paired=spec.seeds == ref_spec.seeds)):
                    lines.append(Line(f"{ln.name} {name} − {ref_name}", RUN_COLORS[i % len(RUN_COLORS)], ln.values,
                                      ln.lo, ln.hi, key=ln.key, dash=CITY_DASH[k % len(CITY_DASH)] if city else "solid"))
        else:
            for i, (name, _, frames) in enumerate(runs):
                lines += _lines_of(chart, frames, n, lang, view, scale, name, RUN_COLORS[i % len(RUN_COLORS)],
                                   dash=city)
        title = chart_title(chart, lang, sess.model.start_year) + suffix
        opt, meta = chart_option(chart, lines, x, lang, view, diff, markers, f"{tag}_{chart.id}")
        out.append({"id": chart.id, "title": title, "option": opt, "meta": meta})
    return out, None, None


@solara.component
def Charts(sess, lang: str, version: int, pin_view: str, describe=lambda lang, spec: ""):
    """The charts with the choice of view (levels, or the change since the start)."""
    view = solara.use_reactive("levels")
    views, note, message = chart_views(sess, lang, view.value, pin_view, describe)
    with solara.Row(style="align-items:center;flex-wrap:wrap", gap="8px"):
        solara.ToggleButtonsSingle(value=view.value, on_value=view.set, classes=["chart-view"],
                                   children=[solara.Button(t(lang, f"chart_view_{k}"), value=k, small=True)
                                             for k in VIEWS])
        solara.Text(t(lang, "chart_zoom_hint"), style="font-size:11px;color:#666")
    if message:
        solara.Text(message, style="font-size:12px;color:#b03a2e", classes=["pins-waiting"])
        return
    if note:
        solara.Text(note, style="font-size:12px;color:#555", classes=["charts-note"])
    labels = labels_for(lang)
    with solara.Div(style="display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:10px;"
                          "width:100%"):
        for v in views:
            EChart(option=v["option"], meta=v["meta"], title=v["title"], chart_id=v["id"], height=250,
                   labels=labels).key(v["id"])


__all__ = ["Charts", "EChart", "chart_views", "VIEWS"]
