"""CZT-Sim browser app (Solara). Run: ``solara run ui/app.py --host 127.0.0.1``.

All state lives inside the ``Page`` component (``use_memo`` / ``use_reactive``), so every browser tab has its own
model. Drawings are SVG made by ``ui.draw``; texts in both languages are in ``ui.texts``.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import fields
from html import escape
from typing import Any, Callable

import numpy as np
import pandas as pd
import reacton.ipyvuetify as rv
import solara

from agents.worker import WorkerView
from model.errors import ConfigError
from model.identity import CITIES, CORE_CITY, N_CITIES, PERIPHERY_CITIES
from model.params import BY_NAME, GROUPS, LEVER_GROUPS
from model.scenarios import GROUPS as SCENARIO_GROUPS, Scenario, load
from model.summary import RunSummary
from ui import bundle, draw
from ui.chartpanel import Charts
from ui.guard import Guarded, view_failure
from ui.inputs import CommitInt
from ui.charts import quarter_label
from ui.timing import parse_quarter
from ui.session import APP_SCALE_HI, APP_SCALE_LO, DEFAULT_SCALE, LEVERS, Session, available
from ui.units_zh import allowed_text
from ui.values import display_value
from ui.texts import (choice_label, cities_title, city_name, core_name, field_label, place_name,
                      sector_name, t)

VERDICT_COLORS = {"siphon": "#c0392b", "spillover": "#1e8449", "neutral": "#7f8c8d"}
CITY_TABLE_FIELDS = ("gdp_q_100m_yuan", "gdp_credited_q_100m_yuan", "population_10k", "talent_10k", "employment_10k",
                     "unemployment_rate", "firms", "branches", "commuters_out_10k", "commuters_in_10k",
                     "wage_ordinary_yuan", "wage_talent_yuan", "housing_cost_yuan", "productivity_index",
                     "park_occupancy", "tax_collected_q_100m_yuan", "tax_after_sharing_q_100m_yuan",
                     "tax_shared_out_q_100m_yuan", "tax_shared_in_q_100m_yuan")
WORKER_FIELDS = tuple(f.name for f in fields(WorkerView) if f.name != "history")  # the moves get their own table
INSPECT_KINDS = ("city", "park", "firm", "worker")
EXPORT_TABLES = ("cities", "flows", "annual")
JOB_KINDS = ("rebuild", "step", "link", "seeds", "draws", "pin", "levers", "save")
SAVED_VIEWS = ("off", "runs", "runs_diff")  # what the charts show: this run, the saved runs, each minus the reference  # what a queued click does (texts job_<kind>)
MAP_LABELS = ("green_heart", "flows_shown", "legend_move_ordinary", "legend_move_talent", "legend_commuters",
              "legend_firms", "legend_outside", "legend_park", "legend_enclave", "legend_closed", "map_sources", "legend_rail",
              "legend_max")


LOG = logging.getLogger("czt_sim.app")


def _fmt_value(v) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    if isinstance(v, dict):
        return "; ".join(f"{k} {_fmt_value(x)}" for k, x in v.items())
    return str(v)


def field_table(lang: str, items, table_id: str = "inspect-table") -> str:
    """(key, value) pairs as a table: translated label, the value as the page shows it (ui.values), and the raw
    column name as in the exports (a code, marked ``raw-name``)."""
    rows = [(field_label(lang, k), display_value(lang, k, v), k) for k, v in items]
    return html_table(rows, header=[t(lang, "field"), t(lang, "value"), ""], table_id=table_id, muted_last=True)


def html_table(rows, header=None, table_id: str | None = None, muted_last: bool = False) -> str:
    """A small HTML table; rows are (field, value) pairs or lists of cells. ``muted_last``: the last column holds
    raw names (grey, small, class ``raw-name``)."""
    ida = f' id="{table_id}"' if table_id else ""
    out = [f'<table{ida} style="border-collapse:collapse;font-size:13px">']
    if header:
        out.append("<tr>" + "".join(f'<th style="text-align:left;padding:2px 8px;border-bottom:1px solid #ccc">'
                                    f"{escape(str(h))}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            raw = muted_last and i == len(row) - 1
            cells.append(f'<td{" class=\"raw-name\"" if raw else ""} style="padding:2px 8px;border-bottom:1px solid '
                         f'#eee{";color:#999;font-size:11px" if raw else ""}">{escape(_fmt_value(c))}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


# ---------------------------------------------------------------------------- controls
@solara.component
def LeverControls(sess: Session, lang: str, bump, submit):
    cfg = bump.config.value  # re-render when settings change, not on every step
    bump.policy.value  # ... and when a timeline switch changes model.p
    params = sess.params()
    pending = solara.use_reactive({})
    solara.use_effect(lambda: pending.set({}), [cfg])  # a new run (scenario, seed, reset...) drops unapplied moves
    scen = sess.scenario_params_now()

    first, last = (sess.model.start_year, 1), sess.last_quarter()
    quarters = [(y, q) for y in range(first[0], last[0] + 1) for q in (1, 2, 3, 4)]
    start = solara.use_reactive("")  # "": the whole run; else the first quarter under the new values ("2026Q1")
    until = solara.use_reactive("")  # "": no end; else the first quarter back under the earlier values

    def apply():
        values = dict(pending.value)
        s, u = start.value, until.value

        def work():
            if s:
                sess.set_levers_from(values, parse_quarter(s, "from"), parse_quarter(u, "until") if u else None)
            else:
                sess.set_levers(values)
            pending.set({})
        submit(work, "levers")

    def restore():
        def work():
            sess.restore_levers()
            pending.set({})
        submit(work, "levers")

    solara.Text(t(lang, "levers"), style="font-weight:bold;font-size:16px")
    solara.Text(t(lang, "levers_hint", year=sess.model.start_year), style="font-size:12px;color:#555")
    if sess.model.scenario_def.timeline:
        solara.Text(t(lang, "levers_timeline_hint"), style="font-size:12px;color:#555")
    # policy timing: the values moved below apply from a chosen quarter on (and back from another), or to the whole run
    with solara.Row(gap="4px"):
        rv.Select(label=t(lang, "lever_from"), v_model=start.value, dense=True, class_="lever-from",
                  on_v_model=lambda v: (start.set(v or ""), until.set("")),
                  items=[{"text": t(lang, "lever_from_whole", year=first[0]), "value": ""}]
                  + [{"text": quarter_label(y, q, lang), "value": f"{y}Q{q}"} for y, q in quarters[1:]])
        if start.value:
            after = [yq for yq in quarters if yq > parse_quarter(start.value)]
            rv.Select(label=t(lang, "lever_until"), v_model=until.value, dense=True, class_="lever-until",
                      on_v_model=lambda v: until.set(v or ""),
                      items=[{"text": t(lang, "lever_until_none"), "value": ""}]
                      + [{"text": quarter_label(y, q, lang), "value": f"{y}Q{q}"} for y, q in after])
    with solara.Row():
        solara.Button(t(lang, "run") + " ✓", on_click=apply, disabled=not pending.value, color="primary",
                      classes=["apply-levers"])
        solara.Button(t(lang, "restore"), on_click=restore, disabled=not (sess.overrides or sess.timing), text=True,
                      classes=["restore-levers"])
    if sess.timing:
        solara.Text(t(lang, "timing_title"), style="font-size:12px;font-weight:bold;color:#6c3483")
        for tl in sess.timing:
            p = BY_NAME[tl.name]
            line = t(lang, "timing_line", lever=p.zh if lang == "zh" else p.en,
                     value=lever_value_text(p, tl.value, lang), start=quarter_label(*tl.start, lang))
            if tl.end is not None:
                line += t(lang, "timing_until", end=quarter_label(*tl.end, lang))
            with solara.Row(gap="4px", style="align-items:center", classes=["timing-row"]):
                solara.Text(line, style="font-size:12px;color:#6c3483", classes=["timing-line"])
                solara.Button(t(lang, "timing_remove"), small=True, text=True, classes=[f"timing-remove-{tl.name}"],
                              on_click=lambda n=tl.name: submit(lambda: sess.remove_timing(n), "levers"))
    for group in LEVER_GROUPS:
        g = GROUPS[group]
        solara.Text(f"{g.en} {g.zh}" if lang == "en" else g.zh,
                    style="font-weight:bold;margin-top:8px;color:#1a5276")
        for p in (q for q in LEVERS if q.lever == group):
            def on_value(v, p=p):
                # a move back to the value in force is no longer pending
                v = p.coerce(v)
                rest = {k: x for k, x in pending.value.items() if k != p.name}
                pending.set(rest if v == params[p.name] else {**rest, p.name: v})

            _lever_row(p, lang, pending.value.get(p.name, params[p.name]), changed=params[p.name] != scen[p.name],
                       moved=p.name in pending.value, scenario_value=scen[p.name], on_value=on_value)


def _lever_row(p, lang: str, cur, changed: bool, moved: bool, scenario_value, on_value) -> None:
    """One lever: its names in both languages and value (marked if it differs from the scenario's, and with * if
    moved but not yet applied), its control, the allowed values and the scenario's value."""
    # English keeps the Chinese term (what the policy documents call it); Chinese shows only Chinese
    label = f"{p.en} · {p.zh}" if lang == "en" else p.zh
    with solara.Column(gap="0px", classes=[f"lever-{p.name}"]):
        solara.Text(f"{label}: {lever_value_text(p, cur, lang)}"
                    + (f"  [{t(lang, 'changed')}]" if changed else "") + (" *" if moved else ""),
                    style="font-size:13px" + (";color:#b03a2e" if changed else ""), classes=["lever-line"])
        _lever_control(p, cur, lang, on_value)
        solara.Text(f"{t(lang, 'allowed')}: {allowed_text(p, lang)}; {t(lang, 'lever_default')}: "
                    f"{lever_value_text(p, scenario_value, lang)}", style="font-size:11px;color:#666",
                    classes=["lever-default"])


def lever_value_text(p, v, lang: str) -> str:
    """A lever's value as the page shows it: on/off, the choice's display name, or the number."""
    if p.kind is bool:
        return t(lang, "lever_on" if v else "lever_off")
    if p.kind is str:
        return choice_label(lang, p.name, v)
    return f"{v:g}"


def _lever_control(p, cur, lang: str, on_value) -> None:
    """A slider for numbers, a switch for on/off levers, a select for categorical ones (choices by display name)."""
    if p.kind is bool:
        solara.Switch(label=lever_value_text(p, cur, lang), value=bool(cur), on_value=on_value,
                      classes=["lever-switch"])
    elif p.kind is str:
        rv.Select(label="", items=[{"text": choice_label(lang, p.name, c), "value": c} for c in p.choices],
                  v_model=str(cur), on_v_model=on_value, dense=True, class_="lever-select")
    elif p.kind is int:
        solara.SliderInt("", value=int(cur), min=int(p.lo), max=int(p.hi), step=int(_slider_step(p)),
                         on_value=on_value, thumb_label=True)
    else:
        solara.SliderFloat("", value=float(cur), min=float(p.lo), max=float(p.hi), step=_slider_step(p),
                           on_value=on_value, thumb_label=True)


def _slider_step(p) -> float:
    span = p.hi - p.lo
    if p.kind is int:
        return 1
    if span <= 1:
        return 0.01
    if span <= 10:
        return 0.05
    if span <= 300:
        return 1.0
    if span <= 6000:
        return 10.0
    return 500.0


def scenario_title(sc: Scenario, lang: str) -> str:
    return sc.title_zh if lang == "zh" and sc.title_zh else sc.title


def scenario_items(scenarios: dict[str, Scenario], lang: str) -> list[dict]:
    """The scenario picker's items (name -> loaded scenario): a header per group of model.scenarios.GROUPS (in its
    order), then the group's scenarios by title; groups without a scenario are left out."""
    by_group: dict[str, list[str]] = {}
    for n, sc in scenarios.items():
        by_group.setdefault(sc.group, []).append(n)
    items: list[dict] = []
    for g, (en, zh) in SCENARIO_GROUPS.items():
        if g in by_group:
            items.append({"header": en if lang == "en" else zh})
            items += [{"text": scenario_title(scenarios[n], lang) + (f" ({n})" if lang == "en" else ""), "value": n}
                      for n in by_group[g]]
    return items


@solara.component
def RunControls(sess: Session, lang: str, bump, set_error, playing, submit):
    bump.config.value
    scen_names = available()

    # rebuilding a run can take seconds at a fine scale: the work is submitted, the page first shows progress
    def on_scenario(name):
        playing.set(False)
        submit(lambda: sess.configure(scenario=name), "rebuild")

    def on_seed(v):
        submit(lambda: sess.configure(seed=int(v)), "rebuild")

    def on_scale(v):
        submit(lambda: sess.configure(scale=int(v)), "rebuild")

    def step(n):
        # queued like every change of the run: a click during a rebuild is honoured after it, never dropped
        return lambda: submit(lambda: sess.step(n), "step", detail=f"+{n}")

    def reset():
        playing.set(False)
        submit(sess.reset, "rebuild")

    solara.Text(t(lang, "run"), style="font-weight:bold;font-size:16px")
    scenarios = {n: load(n) for n in scen_names}  # each file read once per render
    # scenarios by their titles (the file name, which the CLI and the URL take, in brackets in English), under a
    # header per group (what the scenario is for) in the order of model.scenarios.GROUPS
    rv.Select(label=t(lang, "scenario"), v_model=sess.scenario, on_v_model=on_scenario, dense=True,
              items=scenario_items(scenarios, lang), class_="scenario-select", menu_props={"maxHeight": 560})
    scen = scenarios.get(sess.scenario) or load(sess.scenario)
    title = scenario_title(scen, lang)
    solara.Text(title, style="font-size:13px;font-weight:bold;color:#1a5276", classes=["scenario-title"])
    desc = scen.description_zh if lang == "zh" and scen.description_zh else scen.description
    if desc:
        solara.Text(" ".join(desc.split()) if lang == "en" else desc.strip(), style="font-size:11px;color:#555",
                    classes=["scenario-description"])
    with solara.Row():
        CommitInt(t(lang, "seed"), sess.seed, on_seed, classes=["seed-input"], error_text=t(lang, "integer_needed"))
        CommitInt(t(lang, "scale"), sess.scale, on_scale, classes=["scale-input"],
                  error_text=t(lang, "integer_needed"))
    solara.Text(t(lang, "scale_hint", lo=APP_SCALE_LO, hi=APP_SCALE_HI), style="font-size:11px;color:#666")
    PlayControls(lang, playing, step, reset, bump.progress.value)


@solara.component
def PlayControls(lang: str, playing, step, reset, progress: int):
    """Play / Pause, Step, +1 year, Reset: re-rendered with the runner's state (``progress``), apart from the
    scenario picker above them (which reads every scenario file)."""
    with solara.Row(gap="4px", style="flex-wrap:wrap"):
        if playing.value:
            solara.Button(t(lang, "pause"), icon_name="mdi-pause", on_click=lambda: playing.set(False),
                          classes=["btn-pause"])
        else:
            solara.Button(t(lang, "play"), icon_name="mdi-play", on_click=lambda: playing.set(True),
                          classes=["btn-play"])
        solara.Button(t(lang, "step"), icon_name="mdi-step-forward", on_click=step(1), disabled=playing.value,
                      classes=["btn-step"])
        solara.Button(t(lang, "step_year"), on_click=step(4), disabled=playing.value, classes=["btn-year"])
        solara.Button(t(lang, "reset"), icon_name="mdi-restore", on_click=reset, classes=["btn-reset"])


def quarter_text(lang: str, year: int, quarter: int) -> str:
    return t(lang, "quarter_text", year=year, quarter=quarter)


def _switch_text(name: str, value, lang: str) -> str:
    """One value a timeline entry switches: the parameter's name in the UI language = its value as shown."""
    p = BY_NAME[name]  # scenario files are validated on load: every name is a parameter
    shown = lever_value_text(p, value, lang) if p.kind in (bool, str) else _fmt_value(value)
    return f"{p.zh if lang == 'zh' else p.en} = {shown}"


def timeline_html(entries: list[dict], lang: str) -> str:
    """The scenario's policy switches, one line each: a tick on those in force, year and quarter, the values
    switched and the note."""
    rows = []
    for e in entries:
        mark = "✓" if e["in_force"] else "·"
        vals = "; ".join(_switch_text(k, v, lang) for k, v in e["params"].items())
        color = "#1e8449" if e["in_force"] else "#888"
        rows.append(f'<li class="tl-entry" data-in-force="{str(e["in_force"]).lower()}" data-year="{e["year"]}" '
                    f'data-quarter="{e["quarter"]}" style="margin:2px 0;list-style:none;padding-left:14px;text-indent:-14px">'
                    f'<span style="color:{color};font-weight:bold;display:inline-block;width:14px;text-indent:0">{mark}</span>'
                    f'<b>{escape(quarter_text(lang, e["year"], e["quarter"]))}</b> <span style="color:#1a5276">'
                    f'{escape(vals)}</span><div style="color:#666;text-indent:0">'
                    f'{escape(e.get("note_zh") or e["note"] if lang == "zh" else e["note"])}</div></li>')
    return (f'<div style="font-size:11px"><div style="font-weight:bold;color:#1a5276">'
            f'{escape(t(lang, "timeline"))}</div><div style="color:#666">{escape(t(lang, "timeline_hint"))}</div>'
            f'<ul style="padding:0;margin:2px 0">{"".join(rows)}</ul></div>')


@solara.component
def PolicyTimeline(sess: Session, lang: str, bump):
    """The scenario's [[timeline]] (if any), re-rendered when a switch fires, not on every step."""
    bump.config.value
    bump.policy.value
    entries = sess.timeline()
    if entries:
        solara.HTML(tag="div", unsafe_innerHTML=timeline_html(entries, lang), attributes={"id": "policy-timeline"})


@solara.component
def CompareSwitch(sess: Session, lang: str, bump, on: bool, on_compare):
    bump.config.value
    if sess.can_compare:
        solara.Switch(label=t(lang, "compare"), value=on, on_value=on_compare, classes=["compare-switch"])
    else:
        solara.Switch(label=t(lang, "compare"), value=False, disabled=True, classes=["compare-switch"])
        solara.Text(t(lang, "compare_off", year=sess.model.start_year, base=sess.base_start_year),
                    style="font-size:11px;color:#666", classes=["compare-off-note"])


ENSEMBLE_SIZES = (1, 4, 8, 16)
DRAW_SIZES = (0, 4, 8)  # posterior draws of the parameter ensemble (0: off, the default: start-up stays fast)


@solara.component
def EnsembleControls(sess: Session, lang: str, bump, submit):
    """Number of seeds run together; the state of the background runs."""
    bump.config.value
    version = bump.version.value  # the behind/ready line follows the background runs
    solara.Text(t(lang, "ensemble"), style="font-weight:bold;margin-top:8px;color:#1a5276")

    def on_size(n):
        submit(lambda: sess.set_seeds(int(n)), "seeds")

    # a size a link asked for that the buttons do not offer (seeds=2) gets a button of its own: a toggle whose value
    # is none of its buttons picks one by itself on the next render, and the tab would fall back to 1 seed
    sizes = sorted({*ENSEMBLE_SIZES, sess.n_seeds})
    solara.ToggleButtonsSingle(value=sess.n_seeds, on_value=on_size,
                               classes=["ensemble-size"], children=[solara.Button(str(k), value=k) for k in sizes])
    solara.Text(t(lang, "ensemble_size") + f": {sess.n_seeds}. " + t(lang, "ensemble_hint", seed=sess.seed),
                style="font-size:11px;color:#666")

    def on_draws(n):
        # queued like the seeds (never dropped); a bad combination (draws x seeds) is the one-line banner
        submit(lambda: sess.set_draws(int(n)), "draws")

    with solara.Row(gap="6px", style="align-items:center"):
        solara.Text(t(lang, "param_bands"), style="font-size:13px;color:#1a5276")
        draw_sizes = sorted({*DRAW_SIZES, sess.n_draws})  # as the seeds: a link's other size keeps its button
        solara.ToggleButtonsSingle(value=sess.n_draws, on_value=on_draws, classes=["param-draws"],
                                   children=[solara.Button(t(lang, "param_off") if k == 0 else str(k), value=k)
                                             for k in draw_sizes])
    solara.Text(t(lang, "param_size") + f": {sess.n_draws or t(lang, 'param_off')}. " + t(lang, "param_hint"),
                style="font-size:11px;color:#666", classes=["param-hint"])
    if sess.ensemble_error:
        solara.Error(f"{t(lang, 'ensemble_error')}: {sess.ensemble_error}", classes=["ensemble-error"])
    elif sess.n_seeds > 1 or sess.pins or sess.n_draws:
        behind = sess.members_behind()
        text = t(lang, "ensemble_behind", q=behind) if behind else t(lang, "ensemble_ready")
        left = sess.background_left_s() if behind else None
        if left:
            text += " · " + t(lang, "ensemble_left", s=f"{left:.0f}")
        solara.HTML(tag="div", unsafe_innerHTML=escape(text), style="font-size:11px;color:#1a5276",
                    classes=["ensemble-state"], attributes={"data-behind": str(behind), "data-version": str(version)})


@solara.component
def SavedRuns(sess: Session, lang: str, bump, submit, pin_view):
    """Any number of named runs kept in the tab (and its link), compared together on the charts."""
    bump.config.value  # a run saved by a job shows when the job is done (the runner signals a change of settings)
    name = solara.use_reactive("")
    solara.Text(t(lang, "saved_runs"), style="font-weight:bold;margin-top:8px;color:#1a5276")
    solara.Text(t(lang, "saved_hint"), style="font-size:11px;color:#666")
    default = sess.default_name(t(lang, "saved_stem"))
    with solara.Row(gap="4px", style="align-items:center"):
        solara.InputText(t(lang, "saved_name"), value=name.value or default, on_value=name.set,
                         continuous_update=True, classes=["saved-name"])
        solara.Button(t(lang, "save_run"), classes=["btn-save-run"], outlined=True,
                      on_click=lambda: (submit(lambda n=(name.value or default): sess.save_run(n), "save",
                                               detail=name.value or default), name.set("")))
    for i, (run, e) in enumerate(sess.saved.items()):
        ref = run == sess.reference
        with solara.Row(gap="2px", style="align-items:center;flex-wrap:wrap", classes=["saved-run"]):
            solara.Text(("★ " if ref else "") + f"{run}: " + spec_text(lang, e.spec), classes=["saved-run-text"],
                        style="font-size:11px" + (";font-weight:bold" if ref else ""))
            if not ref:
                solara.Button(t(lang, "saved_reference"), small=True, text=True, classes=[f"saved-ref-{i}"],
                              on_click=lambda r=run: (sess.set_reference(r), bump.config_changed()))
            solara.Button(t(lang, "saved_remove"), small=True, text=True, classes=[f"saved-remove-{i}"],
                          on_click=lambda r=run: submit(lambda: sess.remove_run(r), "save"))
    if sess.saved:
        solara.Text(t(lang, "saved_view"), style="font-size:12px")
        solara.ToggleButtonsSingle(value=pin_view.value if pin_view.value in SAVED_VIEWS else "off",
                                   on_value=pin_view.set, classes=["saved-view"],
                                   children=[solara.Button(t(lang, f"saved_view_{k}"), value=k, small=True)
                                             for k in SAVED_VIEWS])


@solara.component
def PinControls(sess: Session, lang: str, bump, submit, pin_view):
    """Pin the run as A or B; choose what the charts show (this run, A and B overlaid, or A − B)."""
    bump.config.value
    solara.Text(t(lang, "pins"), style="font-weight:bold;margin-top:8px;color:#1a5276")
    solara.Text(t(lang, "pins_hint"), style="font-size:11px;color:#666")
    for slot in ("A", "B"):
        with solara.Row(gap="4px", style="align-items:center"):
            solara.Button(t(lang, f"pin_{slot.lower()}"), on_click=lambda slot=slot: submit(lambda: sess.pin(slot), "pin"),
                          small=True, classes=[f"btn-pin-{slot.lower()}"])
            if slot in sess.pins:
                solara.Button(t(lang, "unpin"), on_click=lambda slot=slot: submit(lambda: sess.unpin(slot), "pin"),
                              small=True, text=True, classes=[f"btn-unpin-{slot.lower()}"])
        spec = sess.pins.get(slot)
        solara.Text(f"{slot}: " + (spec_text(lang, spec.spec) if spec else t(lang, "pin_none")),
                    style="font-size:11px", classes=[f"pin-{slot.lower()}-text"])
    if "A" in sess.pins:
        solara.Text(t(lang, "pins_view"), style="font-size:12px")
        solara.ToggleButtonsSingle(value=pin_view.value, on_value=pin_view.set, classes=["pin-view"],
                                   children=[solara.Button(t(lang, f"pins_view_{k}"), value=k)
                                             for k in ("off", "overlay", "diff")])


# ---------------------------------------------------------------------------- display
def spec_text(lang: str, spec) -> str:
    """A run in one line: scenario title, lever values set, seeds and scale, in the UI language."""
    scen = load(spec.scenario)
    title = scen.title_zh if lang == "zh" and scen.title_zh else scen.title
    lv = "; ".join(_switch_text(k, v, lang) for k, v in spec.overrides)
    s = spec.seeds
    seeds = (f"{s[0]}" if len(s) == 1 else f"{s[0]}–{s[-1]}" if s == tuple(range(s[0], s[-1] + 1))
             else ",".join(map(str, s)))
    return t(lang, "spec_line", title=title, levers=(f" [{lv}]" if lv else ""), seeds=seeds, n=len(s),
             scale=spec.scale)


@solara.component_vue("map_view.vue")
def MapBox(svg: str, labels: dict, picked: str, shown_zoom: str, event_pick: Callable[[Any], None],
           event_zoom: Callable[[Any], None]):
    """The map's SVG with zoom (buttons, Ctrl + wheel, drag) and clicks on cities and parks (ui/map_view.vue); the
    zoom the visitor chooses comes back through ``event_zoom`` and a link's zoom goes in as ``shown_zoom``."""


FILL_DIGITS = {"100m_yuan": 1, "10k": 1, "yuan": 0, "pct": 1, "pp": 2, "ratio": 2, "index": 3, "yuan_year": 0}


def _number(v: float, digits: int) -> str:
    return f"{v:,.{digits}f}"


def _break_digits(breaks) -> int:
    """Decimals that show every class bound exactly (they are round numbers: 0.045, 2.5, 1,200)."""
    for d in range(7):
        if all(abs(round(b, d) - b) < 1e-9 * max(1.0, abs(b)) for b in breaks):
            return d
    return 6


def fill_drawing(lang: str, key: str, fill, start_year: int) -> dict | None:
    """The choropleth as ui.draw.map_svg takes it: the legend's title (indicator, unit, when), each class's colour
    and bounds, each city's class and value as text; before the first complete year, the note why it is empty."""
    from ui import mapfill

    if key == mapfill.NONE:
        return None
    name = t(lang, mapfill.label_key(key))
    if fill is None:  # a year's figure, before the first complete year
        return {"key": key, "title": name, "note": t(lang, "fill_wait", year=start_year)}
    unit = t(lang, f"unit_{fill.unit}")
    when = (t(lang, "fill_year", year=fill.year) if fill.quarter is None
            else quarter_text(lang, fill.year, fill.quarter))
    d = _break_digits(fill.breaks)
    classes = [(col, f"{_number(fill.breaks[i], d)} – {_number(fill.breaks[i + 1], d)}")
               for i, col in enumerate(fill.colors)]
    vd = FILL_DIGITS[fill.unit]
    bare = fill.unit in ("index", "ratio")  # a pure number: "1.13", not "1.13 ratio"
    cities = {c: (fill.klass(v), _number(v, vd) if bare else f"{_number(v, vd)} {unit}")
              for c, v in fill.values.items()}
    title = (t(lang, "fill_title_bare", name=name, when=when) if fill.unit == "index"  # "Productivity index (index)"
             else t(lang, "fill_title", name=name, unit=unit, when=when))
    return {"key": key, "title": title, "classes": classes, "cities": cities}


@solara.component
def MapView(sess: Session, lang: str, version: int, size_by, fill_key, picked, map_zoom):
    """The map: city symbols sized by GDP or population, a choropleth of a chosen indicator (in the link), zoom
    (in the link: ``map_zoom`` holds ui/urlstate.zoom_text), and a click on a city or a park opens a small panel
    with its current figures (``picked``: {"kind": "city" | "park", "id": ...} or None). No hooks here: a drawing
    that fails leaves the part's error boundary (ui/guard.py) a component it can replace cleanly."""
    from ui import mapfill, urlstate

    def on_zoom(text):
        try:  # what the page sends; anything else (never written by ui/map_view.vue) is ignored
            map_zoom.set(urlstate.zoom_text(*urlstate.parse_zoom(text)) if text else "")
        except (ConfigError, TypeError):
            LOG.warning("map zoom ignored: %r", text)

    cf = sess.cities()
    last = cf[cf.step == cf.step.max()].set_index("city")
    m = sess.model
    cities = [{"name": c, "label": city_name(lang, c), "lat": float(m.city_lat[i]), "lon": float(m.city_lon[i]),
               "gdp": float(last.at[c, "gdp_q_100m_yuan"]), "pop": float(last.at[c, "population_10k"])}
              for i, c in enumerate(m.cities)]
    parks = [{"id": p.park_id, "label": (p.name_en if lang == "en" else p.name_zh), "lat": p.lat, "lon": p.lon,
              "enclave": p.is_enclave, "open": p.open, "sponsor": None if p.sponsor is None else m.cities[p.sponsor]}
             for p in m.parks if p.level != "urban"]
    labels = {k: t(lang, k) for k in MAP_LABELS} | {"lang": lang}
    key = fill_key.value if fill_key.value in mapfill.FILLS else mapfill.NONE
    fill = sess.map_fill(key)
    drawn = fill_drawing(lang, key, fill, m.start_year + 1)
    svg = draw.map_svg(cities, parks, sess.last_flows(), labels, size_by=size_by.value, fill=drawn)
    solara.Text(t(lang, "map"), style="font-weight:bold;font-size:16px")
    with solara.Row(gap="8px", style="align-items:center;flex-wrap:wrap"):
        solara.ToggleButtonsSingle(value=size_by.value, on_value=size_by.set, classes=["size-toggle"],
                                   children=[solara.Button(t(lang, "size_gdp"), value="gdp"),
                                             solara.Button(t(lang, "size_pop"), value="pop")])
        rv.Select(label=t(lang, "map_fill"), v_model=key, dense=True, class_="map-fill-select",
                  on_v_model=lambda v: fill_key.set(v or mapfill.NONE), style_="max-width:300px",
                  menu_props={"maxHeight": 520},
                  items=[{"text": t(lang, "map_fill_none") if k == mapfill.NONE else t(lang, mapfill.label_key(k)),
                          "value": k} for k in mapfill.FILLS])
    if key != mapfill.NONE:
        solara.Text(t(lang, "fill_hint", py=m.start_year), style="font-size:11px;color:#666", classes=["fill-hint"])
    p = picked.value
    MapBox(svg=svg, labels={k: t(lang, f"map_{k}") for k in ("zoom_in", "zoom_out", "zoom_reset", "hint")},
           picked=f"{p['kind']}:{p['id']}" if p else "", event_pick=lambda d: picked.set(
               {"kind": d.get("kind"), "id": d.get("id")} if d and d.get("kind") in ("city", "park") else None),
           shown_zoom=map_zoom.value, event_zoom=on_zoom)
    if p:
        html = pick_html(sess, lang, p, drawn)
        if html:
            with solara.Column(gap="2px", classes=["map-inspect"],
                               style="border:1px solid #aab7b8;border-radius:6px;padding:6px 8px;background:#fbfcfc;"
                                     "max-width:600px"):
                with solara.Row(style="align-items:center;justify-content:space-between"):
                    solara.HTML(tag="div", unsafe_innerHTML=escape(pick_title(sess, lang, p)),
                                style="font-weight:bold;font-size:14px", classes=["map-inspect-title"])
                    solara.Button(t(lang, "pick_close"), small=True, text=True, classes=["map-inspect-close"],
                                  on_click=lambda: picked.set(None))
                solara.HTML(tag="div", unsafe_innerHTML=html, attributes={"id": "map-inspect-body",
                                                                         "data-kind": p["kind"], "data-id": p["id"]})


PICK_CITY_FIELDS = ("gdp_q_100m_yuan", "population_10k", "employment_10k", "unemployment_rate", "wage_ordinary_yuan",
                    "wage_talent_yuan", "commuters_out_10k", "commuters_in_10k", "firms", "park_occupancy",
                    "tax_after_sharing_q_100m_yuan")
PICK_PARK_FIELDS = ("city", "level", "sector_focus", "capacity_ha", "used_ha", "occupancy", "rent_yuan_m2_year",
                    "enclave_sponsor", "firms")


def pick_title(sess: Session, lang: str, p: dict) -> str:
    """The panel's title: the city's or park's name and the quarter its figures are of."""
    m = sess.model
    cf = sess.cities()
    row = cf[cf.step == cf.step.max()].iloc[0]
    when = quarter_text(lang, int(row.year), int(row.quarter))
    if p["kind"] == "city":
        return f"{city_name(lang, p['id'])} · {when}"
    park = m.parks[m.park_ids.index(p["id"])]
    return f"{park.name_en if lang == 'en' else park.name_zh} · {when}"


def pick_html(sess: Session, lang: str, p: dict, fill: dict | None) -> str:
    """The figures of the city or park clicked on the map, at the quarter shown: a city's GDP and its share of the
    cluster's, residents, employment, unemployment, wages, commuters, firms and the value the map is filled with;
    a park's city, level, sectors, land and occupancy, rent, sponsor and firms. '' for an id the run lacks."""
    m = sess.model
    if p["kind"] == "city":
        if p["id"] not in m.cities:
            return ""
        cf = sess.cities()
        last = cf[cf.step == cf.step.max()]
        row = last[last.city == p["id"]].iloc[0]
        total = float(last.gdp_q_100m_yuan.sum()) or 1.0
        rows = [(field_label(lang, "gdp_q_100m_yuan"), display_value(lang, "", float(row.gdp_q_100m_yuan)), "gdp_q_100m_yuan"),
                (t(lang, "pick_gdp_share"), f"{100 * float(row.gdp_q_100m_yuan) / total:.1f} %", "gdp_share")]
        rows += [(field_label(lang, f), display_value(lang, f, row[f]), f) for f in PICK_CITY_FIELDS[1:]]
        if fill and fill.get("classes") and p["id"] in fill["cities"]:
            rows.append((fill["title"], fill["cities"][p["id"]][1], fill["key"]))
        return html_table(rows, header=[t(lang, "field"), t(lang, "value"), ""], table_id="map-inspect-table",
                          muted_last=True)
    if p["id"] not in m.park_ids:
        return ""
    d = m.parks[m.park_ids.index(p["id"])].describe()
    return field_table(lang, [(f, d[f]) for f in PICK_PARK_FIELDS], table_id="map-inspect-table")


def _over_seeds(lang: str, city: str, shares: dict | None, n: int, summary: RunSummary) -> str:
    """One line under a card: how many of the ensemble's seeds give each verdict for the same years."""
    if n <= 1 or not shares or city not in shares:
        return ""
    parts = [f'<span style="color:{VERDICT_COLORS[k]}" data-verdict="{k}" data-count="{round(shares[city].get(k, 0) * n)}">'
             f'{escape(t(lang, k))} {round(shares[city].get(k, 0) * n)}/{n}</span>'
             for k in ("siphon", "neutral", "spillover")]
    head = t(lang, "verdict_over_seeds", n=n, first=summary.first_year, last=summary.last_year)
    return (f'<div class="verdict-over-seeds" style="font-size:13px;margin-top:4px">{escape(head)}: '
            + " · ".join(parts) + "</div>")


CAUSAL_COLORS = {**VERDICT_COLORS, "undetermined": "#7f8c8d"}


def _code(text: str) -> str:
    """A command or a file path: a code, shown as typed on either page (class ``raw-name``, like the exports'
    column names)."""
    return (f'<code class="raw-name" style="font-size:12px;background:#f2f2f2;padding:1px 4px;'
            f'user-select:all">{escape(text)}</code>')


def causal_html(scenario: str, as_shipped: bool, lang: str) -> str:
    """The worked study's causal verdict for ``scenario`` (ui/causal.py: read from the shipped files) when the run's
    settings are the scenario as shipped (``as_shipped``: no lever changed, no timing added); else one line saying
    it is not measured for these settings, with the command that measures it."""
    from experiments.report.labels import CHANNEL
    from ui import causal

    res = causal.shipped(scenario) if as_shipped else None
    if res is None:
        return (f'<div class="causal-not-measured" id="causal-not-measured" style="font-size:13px;color:#555;'
                f'margin:4px 0 8px">{escape(t(lang, "causal_not_measured"))} {_code(causal.command(scenario))}</div>')
    core = core_name(lang)
    out = [f'<div class="causal-verdict" id="causal-verdict" data-scenario="{escape(scenario)}" style="margin:4px 0 10px">',
           f'<div style="font-size:14px;font-weight:bold">{escape(t(lang, "causal_title", core=core))}</div>',
           f'<div class="causal-caption" style="font-size:12px;color:#444;margin:2px 0 6px">'
           f'{escape(t(lang, "causal_caption", draws=res.draws, seeds=res.seeds, scale=res.scale, year=res.until, shock=100 * res.shock, core=core))}'
           f' {_code(causal.STUDY_DOC)}</div>', '<div style="display:flex;gap:12px;flex-wrap:wrap">']
    for city in PERIPHERY_CITIES:
        cc = res.cities[city]
        color = CAUSAL_COLORS[cc.call]
        rows = [(t(lang, "causal_elasticity"), f"{cc.elasticity:+.2f} [{cc.low:+.2f}, {cc.high:+.2f}]"),
                (t(lang, "causal_p_siphon"), f"{cc.p_siphon:.2f}")]
        if res.channel_draws is not None:
            for carries_key, chans in (("causal_carries_siphon", cc.carries_siphon),
                               ("causal_carries_spillover", cc.carries_spillover)):
                rows.append((t(lang, carries_key, n=res.channel_draws),
                             "、".join(CHANNEL[lang][c] for c in chans) if lang == "zh" and chans
                             else ", ".join(CHANNEL[lang][c] for c in chans) or t(lang, "causal_none")))
        out.append(f'<div class="causal-card" id="causal-{city}" data-call="{cc.call}" '
                   f'data-elasticity="{cc.elasticity:.6g}" style="border:2px dashed {color};border-radius:6px;'
                   f'padding:8px;min-width:260px"><div style="font-size:16px;font-weight:bold">'
                   f'{escape(city_name(lang, city))}: <span style="color:{color}">{escape(t(lang, cc.call))}</span>'
                   f'</div>' + html_table(rows) + "</div>")
    out.append("</div></div>")
    return "".join(out)


def verdict_html(summary: RunSummary | None, base_summary: RunSummary | None, lang: str, start_year: int,
                 seed: int | None = None, n_seeds: int = 1, shares: dict | None = None) -> str:
    """The verdict cards of the run shown (seed ``seed``); with an ensemble, each card also gives the share of the
    ``n_seeds`` seeds with each verdict over the same years (``shares``: city -> {verdict: share})."""
    if not isinstance(summary, RunSummary):  # none yet, or no complete statistical year
        return f'<div id="verdict-wait" style="color:#555">{escape(t(lang, "verdict_wait", year=start_year + 1))}</div>'
    out = [f'<div style="font-size:12px;color:#555">{escape(t(lang, "years_covered", first=summary.first_year, last=summary.last_year))}</div>']
    if seed is not None:
        note = t(lang, "verdict_seed_of", seed=seed, n=n_seeds) if n_seeds > 1 else t(lang, "verdict_seed", seed=seed)
        out.append(f'<div class="verdict-seed" style="font-size:13px;color:#1a5276;margin:2px 0 4px">'
                   f'{escape(note)}</div>')
    out.append('<div style="display:flex;gap:12px;flex-wrap:wrap">')
    core = core_name(lang)
    for city in PERIPHERY_CITIES:
        c = summary.cities[city]
        v = c.verdict
        fl = c.net_flows_from_core
        rows = [(t(lang, "gdp_share_change"), f'{c.gdp_share_change_pp:+.2f}'),
                (t(lang, "gdp_share"), f'{c.gdp_share_first:.1%} → {c.gdp_share_last:.1%}'),
                (t(lang, "net_talent", core=core), f'{fl.talent_persons:+,.0f}'),
                (t(lang, "net_ordinary", core=core), f'{fl.ordinary_persons:+,.0f}'),
                (t(lang, "net_firms", core=core), f'{fl.firms_and_branches:+,.0f}')]
        bv = ""
        if isinstance(base_summary, RunSummary):
            bc = base_summary.cities[city]
            b = bc.verdict
            bv = (f'<div style="font-size:12px;color:#555">{escape(t(lang, "baseline_verdict"))}: '
                  f'<b style="color:{VERDICT_COLORS[b]}" class="base-verdict" data-verdict="{b}">{escape(t(lang, b))}</b>'
                  f' ({bc.gdp_share_change_pp:+.2f} {escape(t(lang, "pp"))})</div>')
        out.append(f'<div class="verdict-card" id="verdict-{city}" data-verdict="{v}" '
                   f'style="border:2px solid {VERDICT_COLORS[v]};border-radius:6px;padding:8px;min-width:260px">'
                   f'<div style="font-size:16px;font-weight:bold">{escape(city_name(lang, city))}: '
                   f'<span style="color:{VERDICT_COLORS[v]}">{escape(t(lang, v))}</span></div>{bv}'
                   + html_table(rows) + _over_seeds(lang, city, shares, n_seeds, summary) + "</div>")
    src = summary.people_sources_10k_per_year.get(CORE_CITY)
    if src:
        rows = [(place_name(lang, k), f"{v:+.2f}") for k, v in src.items()]
        out.append('<div class="people-sources-card" id="people-sources" style="border:2px solid #888;border-radius:6px;'
                   f'padding:8px;min-width:260px"><div style="font-size:14px;font-weight:bold">'
                   f'{escape(t(lang, "people_sources", core=core))}</div>'
                   f'<div style="font-size:11px;color:#666">{escape(t(lang, "people_sources_note"))}</div>'
                   + html_table(rows, table_id="people-sources-table") + "</div>")
    out.append("</div>")
    rule = summary.verdict_rule
    if lang == "zh":
        from model.measures import VERDICT_RULE

        rule = t(lang, "verdict_rule_text", thr=VERDICT_RULE["share_threshold_pp"], core=core)
    # the rule explains a "neutral" after a share change: legible, not small print
    out.append(f'<div class="verdict-rule" style="font-size:13px;color:#333;margin-top:6px;padding:4px 6px;'
               f'border-left:3px solid #7f8c8d;background:#f7f7f7">'
               f'<b>{escape(t(lang, "verdict_rule"))}:</b> {escape(rule)}</div>')
    return "".join(out)


@solara.component
def VerdictPanel(sess: Session, lang: str, version: int):
    """The verdict cards of the run shown, which seed that is, and the verdicts over the ensemble's seeds."""
    # computed in the render, which runs in the tab's runner thread; Play computes it once a year before it signals
    # (Session.prepare), so a quarter's render never waits for it. A thread of its own here competed with Play for
    # the render (issue 27's freezes).
    m = sess.model
    summary, base = sess.summary(), (sess.base_summary() if sess.comparing else None)
    solara.Text(t(lang, "verdict"), style="font-weight:bold;font-size:16px", classes=["verdict-title"])
    shares = None
    if sess.n_seeds > 1 and isinstance(summary, RunSummary):
        # the strip's last complete year, when every seed has reached it (else no line: a partial count misleads)
        strip = sess.verdict_strip()
        year = summary.last_year
        if all(year in strip.get(c, {}) for c in PERIPHERY_CITIES) and sess.members_behind() == 0:
            shares = {c: strip[c][year] for c in PERIPHERY_CITIES}
    # the causal answer first (the worked study's, read from its files: no run here), then the run's description
    solara.HTML(tag="div", unsafe_innerHTML=causal_html(sess.scenario, not (sess.overrides or sess.timing), lang),
                attributes={"id": "causal-panel"})
    solara.Text(t(lang, "verdict_desc"), style="font-weight:bold;font-size:14px", classes=["verdict-desc-title"])
    html = verdict_html(summary, base, lang, m.start_year, seed=sess.seed, n_seeds=sess.n_seeds, shares=shares)
    solara.HTML(tag="div", unsafe_innerHTML=html, attributes={"id": "verdict-panel"})


@solara.component
def VerdictStrip(sess: Session, lang: str, version: int, pin_view: str):
    """The verdict each complete year would give, as shares of seeds: of this run's ensemble, or of A and B."""
    legend = {k: t(lang, k) for k in ("siphon", "neutral", "spillover")}
    runs = [(None, sess.n_seeds)] if pin_view not in ("overlay", "diff") else [
        ("A", len(sess.pins["A"].spec.seeds)),
        ("B", len(sess.pins["B"].spec.seeds)) if "B" in sess.pins else (None, sess.n_seeds)]
    for slot, n in runs:
        strip = sess.verdict_strip(slot)
        rows = [(city_name(lang, c), strip.get(c, {})) for c in PERIPHERY_CITIES]
        if slot is None:
            title = t(lang, "verdict_strip_one") if n == 1 else t(lang, "verdict_strip", n=n)
        else:
            title = t(lang, "verdict_strip_pin_one", slot=slot) if n == 1 else t(lang, "verdict_strip_pin", slot=slot, n=n)
        solara.HTML(tag="div", unsafe_innerHTML=draw.verdict_strip_svg(f"verdict-strip-{slot or 'run'}", title, rows,
                                                                       VERDICT_COLORS, legend))


def plan_html(frames: list[pd.DataFrame], lang: str, start_year: int) -> str:
    """The Plan Outline's 2025 targets against the run over seeds, what cannot be computed and why, and the 2035
    gap goal (model/targets.py)."""
    from model.targets import gap_goals, plan_table
    from ui.ensemble import band
    from ui.texts import PLAN_NOTE_ZH, PLAN_UNIT_ZH

    tables = [plan_table(a) for a in frames]
    n = len(tables)
    unit = (lambda u: PLAN_UNIT_ZH.get(u, u)) if lang == "zh" else (lambda u: u)
    label = (lambda r: r["label_zh"]) if lang == "zh" else (lambda r: r["label_en"])
    note = (lambda r: PLAN_NOTE_ZH[r["key"]]) if lang == "zh" else (lambda r: r["note"].split("; no value")[0])
    fmt = lambda v: display_value(lang, "", v)  # noqa: E731
    reached = any(r["value"] is not None for r in tables[0])
    out = [f'<div id="plan-targets" style="font-size:12px"><div style="color:#666">'
           f'{escape(t(lang, "plan_hint", n=n, py=start_year))}</div>']
    if not reached:
        out.append(f'<div class="plan-wait" style="color:#1a5276">{escape(t(lang, "plan_wait"))}</div>')
    rows = []
    for i, r in enumerate(tables[0]):
        if r["status"] == "cannot":
            continue
        vals = np.array([tb[i]["value"] if tb[i]["value"] is not None else np.nan for tb in tables], dtype=float)
        if np.isfinite(vals).any():
            med, lo, hi = band(vals[:, None]) if n > 1 else (vals, vals, vals)
            value, rng = fmt(float(med[0])), (f"{fmt(float(lo[0]))} – {fmt(float(hi[0]))}" if n > 1 else "")
            mets = [tb[i]["met"] for tb in tables if tb[i]["met"] is not None]
            met = f"{sum(mets)}/{len(mets)}" if mets else "—"
        else:
            value, rng, met = "—", "", "—"
        rows.append([label(r), f"{fmt(r['target'])} {unit(r['unit'])}", value, rng, met,
                     t(lang, f"status_{r['status']}") + ": " + note(r)])
    out.append(html_table(rows, header=["", t(lang, "plan_col_target"), t(lang, "plan_col_value"),
                                        t(lang, "plan_col_band"), t(lang, "plan_col_met"), t(lang, "plan_col_how")],
                          table_id="plan-table"))
    cannot = [f"<li>{escape(label(r))}: {escape(note(r))}</li>" for r in tables[0] if r["status"] == "cannot"]
    out.append(f'<div style="font-weight:bold;margin-top:6px">{escape(t(lang, "plan_cannot"))}</div>'
               f'<ul id="plan-cannot" style="margin:2px 0;padding-left:18px;color:#555">{"".join(cannot)}</ul>')
    gaps = [gap_goals(a) for a in frames if not a.empty]
    if gaps:
        grows = []
        for i, g in enumerate(gaps[0]):
            if g["status"] == "cannot" or g.get("value") is None:
                continue
            first = float(np.median([gg[i]["first"] for gg in gaps]))
            now = float(np.median([gg[i]["value"] for gg in gaps]))
            k = sum(bool(gg[i]["narrowed"]) for gg in gaps)
            grows.append([label(g), f"{g['first_year']}: {fmt(first)} → {g['year']}: {fmt(now)}",
                          t(lang, "plan_narrowed", k=k, n=len(gaps))])
        out.append(f'<div style="font-weight:bold;margin-top:6px">{escape(t(lang, "plan_gaps"))}</div>'
                   + html_table(grows, table_id="gap-table"))
    out.append("</div>")
    return "".join(out)


@solara.component
def PlanTargets(sess: Session, lang: str, version: int):
    """Recomputed once a year (the table needs complete years)."""
    m = sess.model
    ens_years = tuple(mm.annual is not None and len(mm.annual) for mm in sess.ens.members) if sess.ens else ()
    html = solara.use_memo(lambda: plan_html(sess.annual_frames(), lang, m.start_year),
                           [id(m), m.steps // 4, lang, ens_years])
    solara.Text(t(lang, "plan"), style="font-weight:bold;font-size:16px")
    solara.HTML(tag="div", unsafe_innerHTML=html)


def indicators_html(annual: pd.DataFrame, registered: dict[str, float], lang: str) -> str:
    """The regional indicators of the last complete year (model/indicators.py) as a table: indicator, unit, the
    three cities and the cluster; in Chinese with 亿元 / 万人 / 百分点."""
    from model.indicators import CLUSTER, regional_indicators

    rows = regional_indicators(annual, registered_10k=registered)
    cols = list(CITIES) + [CLUSTER]
    digits = {"100m_yuan": 1, "10k": 1, "yuan": 0, "pct": 1, "pp": 2, "ratio": 2, "index": 3}
    body = []
    for ind in rows:
        cells = [f"{ind.values[c]:,.{digits[ind.unit]}f}" if c in ind.values else "" for c in cols]
        body.append([t(lang, f"ind_{ind.key}"), t(lang, f"unit_{ind.unit}")] + cells)
    header = [t(lang, "ind_indicator"), t(lang, "ind_unit")] + [city_name(lang, c) for c in CITIES] + [t(lang, "ind_cluster")]
    return html_table(body, header=header, table_id="indicators-table")


@solara.component
def Indicators(sess: Session, lang: str, version: int):
    """区域指标: recomputed once a year (complete years only)."""
    from model.indicators import registered_population_10k

    m = sess.model

    def build() -> str:
        annual = sess.annual()
        if annual.empty:
            return ""
        with sess.lock:  # the workers' hukou at this quarter, read while the model is not stepping
            W = m.workers
            registered = registered_population_10k(W.hukou, W.alive, m.scale)
        return indicators_html(annual, registered, lang)

    html = solara.use_memo(build, [id(m), m.steps // 4, lang])
    solara.Text(t(lang, "indicators"), style="font-weight:bold;font-size:16px")
    if not html:
        solara.Text(t(lang, "indicators_wait"), style="font-size:12px;color:#555")
        return
    year = int(sess.annual().year.max())
    solara.Text(t(lang, "indicators_hint", year=year, py=m.start_year), style="font-size:11px;color:#666")
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["indicators"], attributes={"id": "indicators-box"})


@solara.component
def Inspector(sess: Session, lang: str, version: int):
    """Inspection of a city (its row and its government), a park, a firm or a sampled worker. Every choice is kept
    here, so switching between the four keeps each one's selection."""
    what = solara.use_reactive("city")
    city = solara.use_reactive(PERIPHERY_CITIES[0])
    park = solara.use_reactive(sess.model.park_ids[0])
    slot = solara.use_reactive(0)
    worker = solara.use_reactive(None)
    m = sess.model
    solara.Text(t(lang, "inspect"), style="font-weight:bold;font-size:16px")
    solara.Text(t(lang, "money_note", year=m.start_year), style="font-size:11px;color:#666")
    solara.ToggleButtonsSingle(value=what.value, on_value=what.set, classes=["inspect-toggle"],
                               children=[solara.Button(t(lang, f"inspect_{k}"), value=k) for k in INSPECT_KINDS])
    if what.value == "city":
        html = _inspect_city(sess, lang, city)
    elif what.value == "park":
        html = _inspect_park(m, lang, park)
    elif what.value == "firm":
        html = _inspect_firm(m, lang, slot)
    else:
        html = _inspect_worker(m, lang, worker)
    if html:
        solara.HTML(tag="div", unsafe_innerHTML=html)


def _inspect_city(sess: Session, lang: str, city) -> str:
    """A city picker; the city's row of the last quarter and its government's fields."""
    m = sess.model
    names = {city_name(lang, c): c for c in m.cities}
    solara.Select(t(lang, "inspect_city"), values=list(names), value=city_name(lang, city.value),
                  on_value=lambda label: city.set(names[label]))
    cf = sess.cities()
    row = cf[(cf.step == cf.step.max()) & (cf.city == city.value)].iloc[0]
    gov = m.governments[m.cities.index(city.value)]
    return (field_table(lang, [(f, row[f]) for f in CITY_TABLE_FIELDS])
            + f"<div style='font-weight:bold;margin-top:6px'>{escape(t(lang, 'government'))}</div>"
            + field_table(lang, gov.describe().items(), table_id="government-table"))


def _inspect_park(m, lang: str, park) -> str:
    """A park picker (by its name in the UI language) and the park's fields."""
    names = {(p.name_en if lang == "en" else p.name_zh): p.park_id for p in m.parks}
    current = next(k for k, v in names.items() if v == park.value)
    solara.Select(t(lang, "inspect_park"), values=list(names), value=current,
                  on_value=lambda label: park.set(names[label]))
    return field_table(lang, m.parks[m.park_ids.index(park.value)].describe().items())


def _inspect_firm(m, lang: str, slot) -> str:
    """A slot field with a random-firm button, and the firm's fields (the first living firm's if it has exited)."""
    def random_firm():
        living = m.firms.living
        slot.set(int(living[m.random.randrange(len(living))]))

    with solara.Row():
        CommitInt(t(lang, "firm_slot"), int(slot.value), slot.set, classes=["firm-slot"],
                  error_text=t(lang, "integer_needed"))
        solara.Button(t(lang, "random_firm"), on_click=random_firm)
    current = int(slot.value)
    if not (0 <= current < m.firms.n and m.firms.alive[current]):
        # the chosen firm has exited (or the slot is unknown): show the first living firm instead
        if 0 <= current < m.firms.n:
            solara.Info(t(lang, "firm_exited", slot=current))
        else:  # say so: a silent fallback looked as if slot 0 were the firm asked for
            solara.Warning(t(lang, "firm_unknown", slot=current, last=m.firms.n - 1), classes=["firm-unknown"])
        current = int(m.firms.living[0])
    return field_table(lang, m.firm(current).describe().items())


def _inspect_worker(m, lang: str, worker) -> str:
    """A button that samples a worker, preferring one who has moved; the worker's fields and moves."""
    def sample():
        # prefer a worker who has moved: most have not, and their history is the interesting part
        w = m.sample_worker()
        for _ in range(60):
            if w.history:
                break
            w = m.sample_worker()
        worker.set(w)

    solara.Button(t(lang, "sample_worker"), on_click=sample, classes=["btn-sample-worker"])
    return "" if worker.value is None else worker_html(worker.value, lang)


def worker_html(w: WorkerView, lang: str) -> str:
    """A worker's fields, then its moves as a table (or a note that there are none)."""
    html = field_table(lang, [(k, getattr(w, k)) for k in WORKER_FIELDS])
    html += f"<div style='font-weight:bold;margin-top:6px'>{escape(t(lang, 'worker_moves'))}</div>"
    if not w.history:
        return html + f'<div id="worker-moves">{escape(t(lang, "no_moves"))}</div>'
    keys = list(w.history[0].keys())
    return html + html_table([[display_value(lang, k, h[k]) for k in keys] for h in w.history],
                             header=[field_label(lang, k) for k in keys],
                             table_id="worker-moves")


@solara.component
def Export(sess: Session, lang: str, version: int):
    solara.Text(t(lang, "export"), style="font-weight:bold;font-size:16px")
    solara.Text(t(lang, "export_hint"), style="font-size:12px;color:#555")
    tag = sess.export_tag()  # not the quarter: a step need not re-render this
    with solara.Row(style="flex-wrap:wrap"):
        for which in EXPORT_TABLES:  # the table's name in the page's language, then its file (the same in both)
            name = t(lang, f"export_{which}")
            solara.FileDownload(lambda which=which: sess.export_csv(which), filename=f"czt_{which}_{tag}.csv",
                                label=f"{name} · {which}.csv")
            solara.FileDownload(lambda which=which: sess.export_parquet(which), filename=f"czt_{which}_{tag}.parquet",
                                label=f"{name} · {which}.parquet")
        solara.FileDownload(sess.export_settings, filename=f"czt_settings_{tag}.json",
                            label=f"{t(lang, 'export_settings')} · settings.json")
    BundleDownload(sess, lang, tag)
    solara.Text(t(lang, "export_bundle_hint"), style="font-size:11px;color:#666")


def bundle_refusal(lang: str, exc: BaseException) -> str:
    """Why a bundle was not made, in one line: a refusal names what and what is allowed (ConfigError); a disk
    error says so without the server's path; anything else is the view's one-line failure (logged)."""
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, OSError):
        return t(lang, "bundle_disk", why=exc.strerror or type(exc).__name__)
    return view_failure(lang, exc)


@solara.component
def BundleDownload(sess: Session, lang: str, tag: str):
    """The bundle's button: the run, its configuration, its twin and a sweep folder for the report, built when
    clicked (seconds). A bundle that cannot be made (runs failed, disk full) shows why in one line, with the
    button to try again; the run and the tab stay as they were."""
    exc, clear = solara.use_exception()
    if exc is not None:
        with solara.Row(style="align-items:center;flex-wrap:wrap", gap="8px"):
            solara.Error(t(lang, "bundle_refused") + " " + bundle_refusal(lang, exc), classes=["bundle-refused"])
            solara.Button(t(lang, "bundle_retry"), on_click=clear, classes=["btn-bundle-retry"], outlined=True)
        return
    with solara.FileDownload(lambda: bundle.build(sess), filename=f"czt_bundle_{tag}.zip"):
        solara.Button(t(lang, "export_bundle"), icon_name="mdi-folder-zip-outline", classes=["btn-bundle"],
                      outlined=True)


# ---------------------------------------------------------------------------- page
def initial_scale() -> int:
    """Scale of a new tab's first run: CZT_UI_SCALE if set to an allowed value (tests use a coarse one), else 500."""
    try:
        return Session.check_scale(int(os.environ.get("CZT_UI_SCALE", DEFAULT_SCALE)))
    except (ValueError, ConfigError):
        return DEFAULT_SCALE


class Bumper:
    """Change signals of one tab: ``version`` after anything that changes results, ``config`` after settings,
    ``policy`` when a timeline switch has fired (the number of switches in force)."""

    def __init__(self, sess: Session):
        self.sess = sess
        self.version = solara.Reactive(0)
        self.config = solara.Reactive(0)
        self.policy = solara.Reactive(0)
        self.progress = solara.Reactive(0)  # the runner's state: job, progress, queue, Play
        self._jobs_seen = 0

    def progressed(self):
        self.progress.value += 1

    def runner_signal(self):
        """The runner's signal (ui/runner.py): after a job, settings may have changed; during Play, results only."""
        jobs = self.sess.runner.done_jobs
        if jobs != self._jobs_seen:
            self._jobs_seen = jobs
            self.config_changed()
        else:
            self()

    def __call__(self):
        self.version.value += 1
        self.policy.value = len(self.sess.model.policy_log)

    def config_changed(self):
        self.config.value += 1
        self.version.value += 1


@solara.component
def StatusLine(sess: Session, lang: str, version: int):
    m = sess.model
    last = quarter_text(lang, m.start_year + (m.steps - 1) // 4, (m.steps - 1) % 4 + 1) if m.steps else "–"
    solara.Text(t(lang, "now", year=m.year, quarter=m.quarter, steps=m.steps, last=last)
                + "   ·   " + t(lang, "step_time", ms=1000 * sess.last_step_s),
                classes=["now-text"], style="font-weight:bold")


@solara.component
def Page():
    lang = solara.use_reactive("en")
    sess: Session = solara.use_memo(lambda: Session(scale=initial_scale()), [])
    error = solara.use_reactive(None)
    size_by = solara.use_reactive("gdp")
    fill_key = solara.use_reactive("none")  # the map's choropleth (ui/mapfill.py), kept in the link
    map_zoom = solara.use_reactive("")  # the map's zoom and centre (ui/urlstate.zoom_text), kept in the link
    compare = solara.use_reactive(False)
    pin_view = solara.use_reactive("off")

    # one object for the page's lifetime: components that read bump.version re-render after every step, those that
    # read bump.config only when settings change; the page itself reads neither, so a step does not re-render it
    bump = solara.use_memo(lambda: Bumper(sess), [])
    playing, submit = _use_runner(sess, bump, error, lang)
    solara.use_effect(lambda: sess.close, [])  # the tab's end stops its runner and its worker processes

    def on_compare(v):
        compare.set(v)
        sess.set_compare(v)
        bump()

    L = lang.value
    solara.Title("CZT-Sim")
    UrlState(sess, bump, lang, playing, pin_view, submit, error.set, fill_key, map_zoom)
    with solara.Column(style="padding:8px 16px", gap="8px"):
        _page_header(sess, lang, error.value)
        JobProgress(sess, L, bump.progress.value)
        with solara.Row(gap="16px", style="align-items:flex-start"):
            # no scroll box of its own: the levers scroll with the page (a 1,400 px box held about 5,900 px of them)
            with solara.Column(style="width:340px;min-width:340px", gap="4px"):
                RunControls(sess, L, bump, error.set, playing, submit)
                PolicyTimeline(sess, L, bump)
                CompareSwitch(sess, L, bump, compare.value, on_compare)
                EnsembleControls(sess, L, bump, submit)
                PinControls(sess, L, bump, submit, pin_view)
                SavedRuns(sess, L, bump, submit, pin_view)
                LeverControls(sess, L, bump, submit)
            Results(sess, L, bump, size_by, fill_key, map_zoom, charts_view(sess, pin_view.value))


def charts_view(sess: Session, view: str) -> str:
    """What the charts can show now: a pinned view needs pin A, a saved runs' view a saved run."""
    if view in ("overlay", "diff"):
        return view if "A" in sess.pins else "off"
    if view in ("runs", "runs_diff"):
        return view if sess.saved else "off"
    return "off"


@solara.component_vue("url_sync.vue")
def UrlSync(query: str, event_tab_closed: Callable[[Any], None]):
    """Puts ``query`` in the address bar (history.replaceState; ui/url_sync.vue) and calls ``event_tab_closed``
    when the browser hides the page for good (closed, reloaded, navigated off)."""


@solara.component
def UrlState(sess: Session, bump, lang, playing, pin_view, submit, set_error, fill_key, map_zoom):
    """The view in the URL: the link a tab was opened with is rebuilt once; from then on, while not playing and
    with no rebuild pending, the address bar shows the current state (ui/urlstate.py)."""
    from ui import urlstate

    router = solara.use_router()
    version = bump.version.value
    bump.config.value
    bump.progress.value  # the link is written again once the runner is idle
    busy = sess.runner.busy
    restored = solara.use_ref(False)
    shown = solara.use_ref(None)

    def restore():
        if restored.current:
            return
        restored.current = True
        search = router.search or ""
        if not search:
            return
        try:
            state = urlstate.decode(search)
        except ConfigError as exc:
            LOG.warning("link refused: %s", exc)  # once per link opened, one line: the visitor sees the same line
            set_error(t(lang.value, "link_error") + " " + str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - decode raises ConfigError only; a visitor never sees a traceback
            set_error(t(lang.value, "link_error") + " " + view_failure(lang.value, exc))
            return
        if "lang" in state:
            lang.set(state["lang"])
        if "map" in state:  # a view choice: shown at once, the run need not be rebuilt for it
            fill_key.set(state["map"])
        if "zoom" in state:  # the same
            map_zoom.set(state["zoom"])

        def work():
            urlstate.apply(sess, state)
            pin_view.set(state.get("view", "off"))
        submit(work, "link")

    solara.use_effect(restore, [])
    if restored.current and not busy and not playing.value:
        # the saved runs' views are not link values (ui/urlstate.VIEWS): such a link opens on this run
        shown.current = urlstate.encode(sess, pin_view.value if pin_view.value in urlstate.VIEWS else "off",
                                        lang.value, fill=fill_key.value, zoom=map_zoom.value)
    UrlSync(query=shown.current if shown.current is not None else (router.search or ""),
            event_tab_closed=lambda _data: sess.close())  # the page is gone: stop its seeds' workers now
    del version  # read so that a step re-renders this component (and only it) with the new quarter


class Playing:
    """Play as the controls see it (``value``, ``set``): the tab's runner plays (ui/runner.py)."""

    def __init__(self, sess: Session):
        self.sess = sess

    @property
    def value(self) -> bool:
        return self.sess.runner.playing

    def set(self, on: bool) -> None:
        if on:
            self.sess.runner.play()
        else:
            self.sess.runner.pause()


def _use_runner(sess: Session, bump: Bumper, error, lang):
    """Connect the tab's runner to the page: it signals results (``bump``), its state (``bump.progress``) and a
    job's error (one line in ``error``); background seeds only poke it, so the page is re-rendered by one thread.
    Returns Play and ``submit(fn, what)``: a click queues ``fn`` (run once, in order) and returns at once."""
    r = sess.runner

    def on_error(exc):
        if exc is None:
            if error.value is not None:
                error.set(None)  # an error banner belongs to the action that failed, not to later ones
        else:
            # an unforeseen failure: the one-line banner, never its message or a server path (logged once)
            error.set(str(exc) if isinstance(exc, ConfigError) else view_failure(lang.value, exc))

    r.signal, r.progress_signal, r.error = bump.runner_signal, bump.progressed, on_error
    sess.on_update = r.poke
    playing = solara.use_memo(lambda: Playing(sess), [])

    def submit(fn, what: str = "rebuild", detail: str = ""):
        r.submit(what, lambda progress: fn(), detail)

    return playing, submit


JOB_SLOT_PX = 48  # a progress bar, the job's line and the queue's line


@solara.component
def JobProgress(sess: Session, lang: str, version: int):
    """What the runner is doing: the job under way with its progress and time left, and the clicks waiting. It
    sits in a slot of fixed height above the controls, so a job starting or ending never moves the buttons (a
    second click made as the first job's progress appeared used to land beside the button it aimed at)."""
    st = sess.runner.status()
    cur = st["running"]
    with solara.Column(gap="2px", classes=["job-slot"], style=f"height:{JOB_SLOT_PX}px;overflow:hidden"):
        if cur is None and not st["queued"]:
            return
        with solara.Column(gap="2px", classes=["job-progress"]):
            if cur is not None:
                what = t(lang, f"job_{cur['what']}")
                text = what + "…"
                if cur["total"]:
                    text = t(lang, "job_progress", what=what, done=cur["done"], total=cur["total"])
                    solara.ProgressLinear(value=100 * cur["done"] / cur["total"])
                else:
                    solara.ProgressLinear(True)
                if cur["left"] is not None:
                    text += " · " + t(lang, "job_left", s=f"{cur['left']:.0f}")
                solara.Text(text, classes=["job-running"], style="font-size:13px;color:#1a5276")
            if st["queued"]:
                solara.Text(t(lang, "job_queued", jobs=", ".join(t(lang, f"job_{w}") + (f" ({d})" if d else "")
                                                            for w, d in st["queued"])),
                            classes=["job-queued"], style="font-size:12px;color:#555;white-space:nowrap;"
                                                          "overflow:hidden;text-overflow:ellipsis")


def _page_header(sess: Session, lang, error: str | None) -> None:
    """Title with the language switch, subtitle, the last error and, while a run is rebuilt, progress."""
    L = lang.value
    with solara.Row(style="align-items:center"):
        solara.Text(t(L, "title", cities=cities_title(L)), style="font-size:22px;font-weight:bold")
        solara.Button(t(L, "language"), on_click=lambda: lang.set("zh" if L == "en" else "en"),
                      outlined=True, classes=["btn-lang"])
    solara.Text(t(L, "subtitle", year=sess.model.start_year), style="color:#555")
    if error:
        kept = t(L, "error_kept", scenario=sess.scenario, seed=sess.seed, scale=sess.scale)
        solara.Error(f"{t(L, 'error')}: {error} {kept}", classes=["app-error"])


@solara.component
def Results(sess: Session, lang: str, bump, size_by, fill_key, map_zoom, pin_view: str = "off"):
    """Everything that changes with each step; the only part of the page re-rendered by a step."""
    version = bump.version.value
    signalled = sess.runner.signalled
    picked = solara.use_reactive(None)  # the city or park clicked on the map (its panel follows the run)
    # the runner's Play waits for this before the next quarter: the page shows every quarter it passes
    solara.use_effect(lambda: sess.runner.mark_shown(signalled), [signalled, version])
    # each part behind its own error boundary: a part that fails shows one line and the others stay
    with solara.Column(gap="12px", style="flex:1"):
        Guarded(lang, version, "status", lambda: StatusLine(sess, lang, version))
        with solara.Row(gap="16px", style="align-items:flex-start;flex-wrap:wrap"):
            with solara.Column(style="width:600px"):
                Guarded(lang, version, "map", lambda: MapView(sess, lang, version, size_by, fill_key, picked,
                                                                  map_zoom))
            with solara.Column(style="flex:1;min-width:300px"):
                Guarded(lang, version, "verdict", lambda: VerdictPanel(sess, lang, version))
                Guarded(lang, version, "strip", lambda: VerdictStrip(sess, lang, version, pin_view))
                Guarded(lang, version, "inspect", lambda: Inspector(sess, lang, version))
        solara.Text(t(lang, "charts"), style="font-weight:bold;font-size:16px")
        solara.Text(t(lang, "money_note", year=sess.model.start_year), style="font-size:11px;color:#666",
                    classes=["money-note"])
        Guarded(lang, version, "charts", lambda: Charts(sess, lang, version, pin_view, spec_text))
        Guarded(lang, version, "indicators", lambda: Indicators(sess, lang, version))
        Guarded(lang, version, "plan", lambda: PlanTargets(sess, lang, version))
        Guarded(lang, version, "export", lambda: Export(sess, lang, bump.config.value))
