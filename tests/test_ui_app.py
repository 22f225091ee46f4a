"""In-process tests of the browser app (ui/app.py): Solara renders the page into widgets, no browser.

The tests operate the real controls (buttons, sliders, selects, text fields) through their widgets and read
what the page shows (the verdict panel's and charts' HTML), as a person would.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import json
import re
import string
import time
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parent.parent

solara = pytest.importorskip("solara")
import ipyvuetify as v  # noqa: E402
import ipyvue  # noqa: E402
import ipywidgets  # noqa: E402

import ui.app as ui_app  # noqa: E402
from agents.worker import WorkerView  # noqa: E402
from model import CZTModel  # noqa: E402
from model.identity import CITIES, CITY_EN, CITY_ZH, CORE_CITY, PERIPHERY_CITIES, SECTOR_EN, SECTOR_ZH, SECTORS  # noqa: E402
from model.params import BY_NAME, GROUPS, LEVER_GROUPS  # noqa: E402
from ui import causal, draw  # noqa: E402
from ui import mapfill  # noqa: E402
from ui.app import (CITY_TABLE_FIELDS, EXPORT_TABLES, INSPECT_KINDS, JOB_KINDS, MAP_LABELS, SAVED_VIEWS, VERDICT_COLORS, WORKER_FIELDS, Page,  # noqa: E402
                    allowed_text, timeline_html)
from ui.session import LEVERS, Session  # noqa: E402
from ui.texts import FIELD_LABELS, LANGS, TEXT, choice_label, field_label, t  # noqa: E402
from model.indicators import KEYS as INDICATOR_KEYS, UNITS as INDICATOR_UNITS  # noqa: E402

pytestmark = pytest.mark.app


def with_class(finder, widget_cls, name):
    return [w for root in finder.find(ipywidgets.Widget).widgets for w in _descendants(root)
            if isinstance(w, widget_cls) and name in (getattr(w, "class_", None) or "").split()]


def map_boxes(rc) -> list:
    """The map's widgets (ui/map_view.vue, root id "map-box"): the SVG is their ``svg`` trait."""
    return [w for w in rc.find(ipyvue.VueTemplate).widgets if w.has_trait("svg")]


def html_by_id(rc, html_id):
    if html_id == "map-box":
        boxes = map_boxes(rc)
        assert len(boxes) == 1, f"expected one map, found {len(boxes)}"
        return boxes[0].svg
    found = [w for w in rc.find(solara.widgets.HTML).widgets if (w.attributes or {}).get("id") == html_id]
    assert len(found) == 1, f"expected one HTML block #{html_id}, found {len(found)}"
    return found[0].unsafe_innerHTML


def wait_html(rc, html_id, predicate, timeout=60.0):
    """The verdict is computed in a thread: wait until the block's HTML satisfies ``predicate``."""
    deadline = time.time() + timeout
    while True:
        html = html_by_id(rc, html_id)
        if predicate(html):
            return html
        if time.time() > deadline:
            raise AssertionError(f"#{html_id} did not update in {timeout} s: {html[:300]}")
        time.sleep(0.05)


def all_html(rc) -> str:
    return "\n".join([w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets]
                     + [w.svg or "" for w in map_boxes(rc)])


def texts(rc) -> str:
    return "\n".join(str(c) for w in rc.find(v.Html).widgets for c in (w.children or []) if isinstance(c, str))


def settle(rc, timeout=60.0):
    """Wait until the tab's runner has done the clicked work (the page shows a job, or jobs waiting, until then:
    ui/app.py JobProgress) and no render is running or pending (the runner renders in its own thread)."""
    deadline = time.time() + timeout
    time.sleep(0.01)
    while rc.thread_lock.locked() or rc._rerender_needed or with_class(rc, ipywidgets.Widget, "job-progress"):
        if time.time() > deadline:
            raise AssertionError("the page kept rendering")
        time.sleep(0.02)


def click(rc, name):
    btns = with_class(rc, v.Btn, name)
    assert len(btns) == 1, f"expected one button .{name}, found {len(btns)}"
    btns[0].click()
    settle(rc)


def set_value(rc, widget, value):
    widget.v_model = value
    settle(rc)


def chart_widget(rc, chart_id):
    """The ECharts widget of one chart (ui/chartpanel.py EChart): its title, option and meta as sent to the page."""
    found = [w for root in rc.find(ipywidgets.Widget).widgets for w in _descendants(root)
             if getattr(w, "chart_id", None) == chart_id]
    assert len(found) == 1, f"expected one chart {chart_id}, found {len(found)}"
    return found[0]


def chart(rc, chart_id):
    """One chart as text: its title, the number of quarters on its x axis (``data-points="n"``) and its option
    as JSON (equal texts: the same chart)."""
    w = chart_widget(rc, chart_id)
    return f'{w.title} data-points="{len(w.option["xAxis"]["data"])}" {json.dumps(w.option, sort_keys=True)}'


def legend(rc, chart_id):
    return chart_widget(rc, chart_id).option["legend"]["data"]


TEST_SCALE = 2000  # residents per worker agent in these tests: a coarse model builds in about a second


@pytest.fixture(autouse=True)
def coarse_model(monkeypatch):
    monkeypatch.setenv("CZT_UI_SCALE", str(TEST_SCALE))


@pytest.fixture
def page():
    box, rc = solara.render(Page(), handle_error=False)
    yield rc
    rc.close()


def test_texts_complete_in_both_languages():
    assert set(TEXT["en"]) == set(TEXT["zh"])
    assert set(FIELD_LABELS["en"]) == set(FIELD_LABELS["zh"])
    for lang in TEXT:
        assert all(TEXT[lang].values())


def _text_calls():
    """Every ``t(lang, key, ...)`` call in ui/app.py: the key's expression and the placeholders it fills."""
    tree = ast.parse((ROOT / "ui" / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t":
            yield node.args[1], {k.arg for k in node.keywords}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_texts_are_strict():
    """A missing key, language or placeholder is an error, never the raw key on the page."""
    with pytest.raises(KeyError):
        t("en", "no_such_text")
    with pytest.raises(KeyError):
        t("fr", "title")
    with pytest.raises(KeyError):
        t("en", "subtitle")  # {year} not given
    with pytest.raises(KeyError):
        field_label("zh", "no_such_field")


def test_every_text_the_app_asks_for_exists_in_both_languages():
    """Walks every t() call of the app: a literal key, or one of the families below (a key built at run time
    that is not listed here fails the test, so that it gets listed and checked); each key must exist in both
    languages, and every placeholder of its text (in either language) must be filled by the call."""
    assert set(VERDICT_COLORS) == {"siphon", "spillover", "neutral"}  # every verdict model.measures gives
    families = {"f'inspect_{k}'": [f"inspect_{k}" for k in INSPECT_KINDS], "k": list(MAP_LABELS),
                "v": list(VERDICT_COLORS), "b": list(VERDICT_COLORS), "cc.call": list(causal.CALLS),
                "carries_key": ["causal_carries_siphon", "causal_carries_spillover"], "f'pin_{slot.lower()}'": ["pin_a", "pin_b"],
                "f'pins_view_{k}'": [f"pins_view_{k}" for k in ("off", "overlay", "diff")],
                "f'status_{r['status']}'": ["status_computed", "status_proxy", "status_cannot"],
                "f'job_{cur['what']}'": [f"job_{k}" for k in JOB_KINDS], "f'job_{w}'": [f"job_{k}" for k in JOB_KINDS],
                "f'export_{which}'": [f"export_{k}" for k in EXPORT_TABLES],
                "f'saved_view_{k}'": [f"saved_view_{k}" for k in SAVED_VIEWS],
                "f'ind_{ind.key}'": [f"ind_{k}" for k in INDICATOR_KEYS],
                "f'unit_{ind.unit}'": [f"unit_{u}" for u in INDICATOR_UNITS],
                # the map's choropleth (ui/mapfill.py) and its zoom buttons (ui/map_view.vue's labels)
                "mapfill.label_key(key)": [mapfill.label_key(k) for k in mapfill.FILLS if k != mapfill.NONE],
                "mapfill.label_key(k)": [mapfill.label_key(k) for k in mapfill.FILLS if k != mapfill.NONE],
                "f'unit_{fill.unit}'": [f"unit_{u}" for u in mapfill.UNITS],
                "f'map_{k}'": [f"map_{k}" for k in ("zoom_in", "zoom_out", "zoom_reset", "hint")]}
    unknown, missing, unfilled, asked = [], [], [], set()

    def keys_of(expr):
        if isinstance(expr, ast.Constant):
            return [expr.value]
        if isinstance(expr, ast.IfExp):  # "a" if ... else "b"
            return keys_of(expr.body) + keys_of(expr.orelse)
        if ast.unparse(expr) in families:
            return families[ast.unparse(expr)]
        unknown.append(ast.unparse(expr))
        return []

    for expr, filled in _text_calls():
        keys = keys_of(expr)
        asked.update(keys)
        for key in keys:
            for lang in LANGS:
                if key not in TEXT[lang]:
                    missing.append((lang, key))
                elif not _placeholders(TEXT[lang][key]) <= filled:
                    unfilled.append((lang, key, sorted(_placeholders(TEXT[lang][key]) - filled)))
    assert not unknown, f"t() keys built at run time that this test does not enumerate: {unknown}"
    assert not missing, f"texts missing: {missing}"
    assert not unfilled, f"placeholders not filled by the call: {unfilled}"
    assert len(asked) > 80


@pytest.mark.sim
def test_every_field_the_inspector_shows_has_a_label_in_both_languages():
    """The city table's columns, the describe() fields of firms, parks and city governments, a worker's fields
    and the keys of its moves: each has a label in both languages, and no label is left over."""
    m = CZTModel("baseline", seed=1, overrides={"scale": TEST_SCALE})
    for _ in range(4):
        m.step()
    assert set(CITY_TABLE_FIELDS) <= set(m.cities_frame().columns)
    assert WORKER_FIELDS == tuple(f.name for f in dataclasses.fields(WorkerView) if f.name != "history")
    mover = m.worker(int(m.workers.move_log()[0, 1]))
    shown = {"city table": set(CITY_TABLE_FIELDS),
             "firm": set(m.firm(int(m.firms.living[0])).describe()),
             "park": {k for p in m.parks for k in p.describe()},
             "city government": {k for g in m.governments for k in g.describe()},
             "worker": set(WORKER_FIELDS),
             "worker moves": set(mover.history[0])}
    assert "establishments" in shown["firm"]
    missing = [(lang, where, k) for lang in LANGS for where, keys in shown.items() for k in sorted(keys)
               if k not in FIELD_LABELS[lang]]
    assert not missing, f"fields without a label: {missing}"
    assert set(FIELD_LABELS["en"]) == set().union(*shown.values()), "labels of fields nothing shows"
    for group in LEVER_GROUPS:
        assert GROUPS[group].en and GROUPS[group].zh


@pytest.mark.sim
def test_city_and_sector_names_come_from_identity(page):
    """The app shows the data files' display names (model.identity) in both languages and restates none."""
    assert not [k for lang in TEXT for k in TEXT[lang] if k.startswith(("city_", "sector_"))]
    assert set(CITY_EN) == set(CITY_ZH) == set(CITIES) and set(SECTOR_EN) == set(SECTOR_ZH) == set(SECTORS)
    click(page, "btn-year")
    for lang, cities, sectors in (("en", CITY_EN, SECTOR_EN), ("zh", CITY_ZH, SECTOR_ZH)):
        if lang == "zh":
            click(page, "btn-lang")
        shown = re.findall(r'font-size="15" font-weight="bold"[^>]*>([^<]+)</text>', html_by_id(page, "map-box"))
        assert shown == [cities[c] for c in CITIES]
        assert legend(page, "chart-firms") == [sectors[s] for s in SECTORS]
        assert legend(page, "chart-gdp-share") == [cities[c] for c in CITIES]
        panel = wait_html(page, "verdict-panel", lambda h: cities[PERIPHERY_CITIES[0]] in h)
        assert [cities[c] for c in PERIPHERY_CITIES] == re.findall(r'font-weight:bold">([^<:]+): <span', panel)
        assert cities[CORE_CITY] in panel and "{core}" not in panel
    click(page, "btn-lang")
    assert "CZT-Sim: " + "–".join(CITY_EN[c] for c in CITIES) + " city cluster" in texts(page)


@pytest.mark.smoke
@pytest.mark.sim
def test_page_renders_map_controls_and_waits_for_verdict(page):
    html = all_html(page)
    assert 'id="czt-map"' in html and 'id="green-heart"' in html
    assert html.count('class="city"') == 3
    assert 'class="park enclave"' in html  # the two 2019 Changsha-sponsored enclaves in Xiangtan
    assert 'id="verdict-wait"' in html_by_id(page, "verdict-panel")
    # one slider per lever, each labelled in both languages with its allowed range
    numeric = [p for p in LEVERS if p.kind in (int, float)]
    assert len(page.find(v.Slider).widgets) == len(numeric)
    assert len(page.find(v.Switch).widgets) >= sum(p.kind is bool for p in LEVERS)  # on/off levers, plus compare
    # city symbols sized by GDP, or by population with the toggle
    gdp_share = re.search(r'data-city="changsha" data-share="([\d.]+)"', html_by_id(page, "map-box")).group(1)
    set_value(page, with_class(page, v.BtnToggle, "size-toggle")[0], 1)
    pop_share = re.search(r'data-city="changsha" data-share="([\d.]+)"', html_by_id(page, "map-box")).group(1)
    assert float(gdp_share) > float(pop_share) > 0.4  # Changsha: about 69% of GDP, 55% of residents
    t = texts(page)
    for p in LEVERS:
        assert p.en in t and p.zh in t and (p.allowed() if p.kind in (int, float) else allowed_text(p, "en")) in t
    for group in LEVER_GROUPS:
        assert f"{GROUPS[group].en} {GROUPS[group].zh}" in t


@pytest.mark.sim
def test_step_updates_verdict_charts_and_flows(page):
    click(page, "btn-year")
    assert 'data-points="5"' in chart(page, "chart-gdp-share")
    assert "2020 Q1" in texts(page)
    click(page, "btn-year")
    click(page, "btn-step")
    assert "2021 Q2" in texts(page)
    panel = wait_html(page, "verdict-panel", lambda h: "2019–2020" in h)
    verdicts = re.findall(r'id="verdict-(zhuzhou|xiangtan)" data-verdict="(\w+)"', panel)
    assert [c for c, _ in verdicts] == ["zhuzhou", "xiangtan"]
    assert all(vd in ("siphon", "spillover", "neutral") for _, vd in verdicts)
    assert "GDP share change (pp)" in panel
    # last quarter's flows drawn as arrows (between-city moves in one quarter can be none at the app's scale, now
    # that residents reconsider at observed rates; migration from outside always flows)
    assert 'class="flow outside" data-kind="in_migration"' in html_by_id(page, "map-box")
    assert 'data-points="10"' in chart(page, "chart-commuters")
    assert 'data-points="10"' in chart(page, "chart-inputs") and 'data-points="10"' in chart(page, "chart-rd")


@pytest.mark.sim
def test_changing_a_lever_reruns_and_changes_results(page):
    click(page, "btn-year")
    click(page, "btn-year")
    before_chart = chart(page, "chart-gdp-share")
    before_panel = wait_html(page, "verdict-panel", lambda h: "verdict-zhuzhou" in h)
    box = with_class(page, ipywidgets.Widget, "lever-commute_minutes_cs_xt")
    assert len(box) == 1
    slider = [w for w in page.find(v.Slider).widgets if w in _descendants(box[0])]
    assert len(slider) == 1
    set_value(page, slider[0], 15.0)
    click(page, "apply-levers")
    assert "2021 Q1" in texts(page)  # re-run to the same quarter
    assert "[changed]" in texts(page)
    after_chart = chart(page, "chart-gdp-share")
    assert after_chart != before_chart
    wait_html(page, "verdict-panel", lambda h: h != before_panel)
    click(page, "restore-levers")  # back to the scenario's values: the same run as before
    assert "[changed]" not in texts(page)
    assert chart(page, "chart-gdp-share") == before_chart


def _descendants(widget):
    out, queue = [], [widget]
    while queue:
        w = queue.pop()
        out.append(w)
        kids = getattr(w, "children", None) or []
        for c in kids if isinstance(kids, (list, tuple)) else [kids]:
            if isinstance(c, ipywidgets.Widget):
                queue.append(c)
    return out


@pytest.mark.sim
def test_bad_setting_shows_one_line_error_and_keeps_running(page):
    fields = [w for w in page.find(v.TextField).widgets if w.label == "Seed"]
    assert len(fields) == 1
    fields[0].v_model = "-3"
    fields[0].fire_event("focusout", None)
    settle(page)
    errs = [w for w in page.find(v.Alert).widgets]
    assert errs, "a negative seed should show an error"
    msg = " ".join(str(c) for w in errs for c in w.children)
    assert "seed" in msg and "\n" not in msg.strip()
    scale = [w for w in page.find(v.TextField).widgets if w.label.startswith("Scale")][0]
    scale.v_model = "5"
    scale.fire_event("focusout", None)
    settle(page)
    msg = " ".join(str(c) for w in page.find(v.Alert).widgets for c in w.children)
    assert "scale" in msg
    click(page, "btn-step")  # the old run is still there and steps
    assert "2019 Q2" in texts(page)


@pytest.mark.sim
def test_scenario_picker_language_switch_and_compare(page):
    sel = [w for w in page.find(v.Select).widgets if w.label == "Scenario"][0]
    set_value(page, sel, "enclave")
    assert html_by_id(page, "map-box").count('class="park enclave"') == 3  # plus the co-built Zhuzhou park
    click(page, "btn-year")
    click(page, "btn-year")
    switch = with_class(page, v.Switch, "compare-switch")
    assert len(switch) == 1
    set_value(page, switch[0], True)
    assert "difference from baseline" in chart(page, "chart-gdp-share")
    wait_html(page, "verdict-panel", lambda h: 'class="base-verdict"' in h)
    click(page, "btn-lang")
    t = texts(page)
    assert "长株潭" in t and "政策杠杆" in t
    panel = wait_html(page, "verdict-panel", lambda h: "基准" in h)
    assert "株洲" in panel and "湘潭" in panel
    assert "与基准之差" in chart(page, "chart-gdp-share")
    click(page, "btn-lang")
    assert "Policy levers" in texts(page)


@pytest.mark.sim
def test_inspect_city_park_firm_and_worker(page):
    click(page, "btn-year")
    toggle = with_class(page, v.BtnToggle, "inspect-toggle")[0]
    html = all_html(page)
    assert "gdp_q_100m_yuan" in html and 'id="government-table"' in html and "public_service_index" in html
    set_value(page, toggle, 1)  # park
    assert "sector_focus" in all_html(page)
    set_value(page, toggle, 2)  # firm
    html = all_html(page)
    assert "value_added_100m_yuan" in html and ">Establishments in this cohort<" in html
    assert re.search(r">Ordinary worker [\d,.]+; Talent [\d,.]+<", html)  # the wage offers by skill, not a dict's repr
    set_value(page, toggle, 3)  # worker
    btn = [w for w in page.find(v.Btn).widgets if "Sample a worker" in w.children]
    btn[0].click()
    settle(page)
    html = all_html(page)
    assert 'id="inspect-table"' in html and "residence" in html and 'id="worker-moves"' in html
    if '<table id="worker-moves"' in html:  # the moves' columns are labelled, not raw keys
        assert ">From</th>" in html and ">To</th>" in html and ">from</th>" not in html


@pytest.mark.sim
def test_tabs_are_independent():
    _, rc1 = solara.render(Page(), handle_error=False)
    _, rc2 = solara.render(Page(), handle_error=False)
    try:
        click(rc1, "btn-year")
        assert "2020 Q1" in texts(rc1)
        assert "2019 Q1" in texts(rc2)
        click(rc2, "btn-lang")
        assert "Policy levers" in texts(rc1)
    finally:
        rc1.close()
        rc2.close()


@pytest.mark.sim
def test_session_exports_and_same_seed_baseline():
    s = Session(scenario="commute", seed=3, scale=TEST_SCALE)
    s.step(4)
    cities = pd.read_csv(io.BytesIO(s.export_csv("cities")))
    assert len(cities) == 5 * 3 and "gdp_q_100m_yuan" in cities
    flows = pd.read_parquet(io.BytesIO(s.export_parquet("flows")))
    assert {"origin", "destination", "kind", "count"} <= set(flows.columns)
    assert len(pd.read_csv(io.BytesIO(s.export_csv("annual")))) == 3
    s.set_compare(True)
    assert s.base.steps == s.steps and s.base.seed == 3
    # the twin is the baseline with the same seed and scale, stepped as far: a fresh baseline gives the same numbers
    fresh = CZTModel("baseline", seed=3, overrides={"scale": TEST_SCALE})
    for _ in range(4):
        fresh.step()
    np.testing.assert_array_equal(s.base_cities()["gdp_q_100m_yuan"].to_numpy(),
                                  fresh.cities_frame()["gdp_q_100m_yuan"].to_numpy())
    # and the comparison holds the lever: the run travels on the half-hour circle, its twin on 2019's door-to-door
    # times, and has no fewer cross-city commuters (that the circle raises commuting is a statistical claim over
    # seeds, tests/test_core_levers.py; one seed over four quarters need not show it)
    assert (s.model.commute_minutes[0, 1:] < s.base.commute_minutes[0, 1:]).all()
    run, twin = s.cities(), s.base_cities()
    last = run.step.max()
    assert run[run.step == last].commuters_out_10k.sum() >= twin[twin.step == last].commuters_out_10k.sum()


@pytest.mark.sim
def test_purchasing_list_lever_shows_in_the_supply_chart_data():
    """The mutual purchasing list, set in the app's session, raises what each city buys in the other two cities
    against the baseline twin with the same seed (the data of the supply-chain chart)."""
    s = Session(seed=3, scale=TEST_SCALE)
    s.set_levers({"purchasing_list": "1"})
    s.step(2)
    s.set_compare(True)
    run, twin = s.cities(), s.base_cities()
    last = run.step.max()
    col = "inputs_from_cluster_q_100m_yuan"
    mine = run[run.step == last].set_index("city")[col]
    theirs = twin[twin.step == last].set_index("city")[col]
    assert (mine > theirs * 1.1).all(), (mine, theirs)


@pytest.mark.sim
def test_exports_record_the_lever_values():
    """settings.json and the Parquet metadata say which lever values made the data (on/off as JSON true/false,
    categorical by choice), and the files of runs with other levers get another name."""
    s = Session(seed=3, scale=TEST_SCALE)
    s.step(2)
    plain = s.export_tag()
    assert plain == f"baseline_seed3_scale{TEST_SCALE}"
    s.set_levers({"licence_recognition": "true", "market_access_list": "aligned"})
    want = {"licence_recognition": True, "market_access_list": "aligned"}
    settings = json.loads(s.export_settings())
    assert settings["overrides"] == want and settings["quarters_simulated"] == 2
    assert settings["levers_now"]["licence_recognition"] is True and settings["levers_now"]["market_access_list"] == "aligned"
    assert set(settings["levers_now"]) == {p.name for p in LEVERS}
    assert settings["platform"]["id"] and (settings["scenario"], settings["seed"], settings["scale"]) == ("baseline", 3, TEST_SCALE)
    for which in ("cities", "flows", "annual"):
        data = s.export_parquet(which)
        meta = pq.read_schema(io.BytesIO(data)).metadata
        assert json.loads(meta[b"czt_sim.overrides"]) == want and json.loads(meta[b"czt_sim.seed"]) == 3
        pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(data)), getattr(s, which)())
    assert len(pd.read_csv(io.BytesIO(s.export_csv("cities")))) == 3 * 3
    tagged = s.export_tag()
    assert tagged.startswith(plain + "_levers-")
    s.set_levers({"market_access_list": "unified"})
    assert s.export_tag() not in (plain, tagged)
    s.restore_levers()
    assert s.export_tag() == plain and json.loads(s.export_settings())["overrides"] == {}


def test_map_drawing_sizes_and_flow_widths():
    cities = [{"name": "changsha", "label": "C", "lat": 28.2, "lon": 112.9, "gdp": 3.0, "pop": 1.0},
              {"name": "zhuzhou", "label": "Z", "lat": 27.8, "lon": 113.1, "gdp": 1.0, "pop": 1.0}]
    flows = [{"origin": "changsha", "destination": "zhuzhou", "kind": "move_talent", "count": 100.0},
             {"origin": "zhuzhou", "destination": "changsha", "kind": "move_talent", "count": 50.0},
             {"origin": "outside", "destination": "zhuzhou", "kind": "in_migration_talent", "count": 900.0}]
    svg = draw.map_svg(cities, [], flows, {}, size_by="gdp")
    assert 'data-share="0.7500"' in svg and 'data-share="0.2500"' in svg
    widths = [float(w) for w in re.findall(r'class="flow"[^>]*stroke-width="([\d.]+)"', svg)]
    assert len(widths) == 2 and widths[0] > widths[1]
    assert 'data-share="0.5000"' in draw.map_svg(cities, [], flows, {}, size_by="pop")


def _inside(lon: float, lat: float, ring: list) -> bool:
    """Ray casting: is (lon, lat) inside the polygon ring?"""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_shipped_map_layers_are_where_the_cities_are():
    """model/data/czt_map.geojson: each city's centre (model/data/cities_2019.csv) lies inside its own boundary and
    outside the other two; the boundaries' areas are the official land areas within 2 %; the Xiang river passes
    within 5 km of each city's centre (it runs through all three); the map draws all of it, sources stated."""
    from model import calibration as cal

    feats = draw.map_features()
    rings = {f["properties"]["city"]: draw.rings(f["geometry"])[0] for f in feats if f["properties"]["kind"] == "city"}
    assert sorted(rings) == sorted(CITIES)
    table = cal.city_table(2019)
    area_km2 = {"changsha": 11819, "zhuzhou": 11262, "xiangtan": 5006}  # official land areas (city yearbooks)
    river = next(f for f in feats if f["properties"]["kind"] == "river")["geometry"]["coordinates"]
    for c in CITIES:
        lat, lon = float(table.loc[c, "lat_deg"]), float(table.loc[c, "lon_deg"])
        assert [o for o in CITIES if _inside(lon, lat, rings[o])] == [c]
        ring = np.array(rings[c])
        x, y = ring[:, 0] * 111.32 * np.cos(np.radians(ring[:, 1])), ring[:, 1] * 110.57
        area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
        assert area == pytest.approx(area_km2[c], rel=0.02)
        near = min(np.hypot((p[0] - lon) * 111.32 * np.cos(np.radians(lat)), (p[1] - lat) * 110.57) for p in river)
        assert near < 5.0, (c, near)
    svg = draw.map_svg([], [], [], {})
    assert svg.count('class="boundary"') == 3 and 'id="xiang-river"' in svg
    data = json.loads(draw.MAP_DATA.read_text(encoding="utf-8"))
    assert {"city", "river"} <= set(data["sources"]) and all("licence" in s or "public domain" in s
                                                             for s in data["sources"].values() if "not included" not in s)


def test_railway_stations_lie_in_their_cities_and_are_drawn():
    """model/data/czt_rail.csv: every station has a public source; the intercity stations named for a city lie in
    that city's boundary (Changsha's in Changsha, Zhuzhou's in Zhuzhou, Xiangtan's in Xiangtan), consecutive stations
    of the main line are at most 25 km apart and the line runs from Changsha to Zhuzhou; the map draws both lines
    and one mark per station, inside the frame."""
    rows = draw.rail_stations()
    assert rows and all(r["source"].strip() for r in rows)
    rings = {f["properties"]["city"]: draw.rings(f["geometry"])[0] for f in draw.map_features()
             if f["properties"]["kind"] == "city"}
    for r in rows:
        home = [c for c in CITIES if _inside(r["lon"], r["lat"], rings[c])]
        assert len(home) == 1, r
        for c in CITIES:
            if r["station_en"].lower().startswith(c):
                assert home == [c], r
    main = [r for r in rows if r["line"] == "czt_main"]
    km = [np.hypot((a["lon"] - b["lon"]) * 111.32 * np.cos(np.radians(a["lat"])), (a["lat"] - b["lat"]) * 110.57)
          for a, b in zip(main, main[1:])]
    assert max(km) < 25.0, km
    ends = [[c for c in CITIES if _inside(r["lon"], r["lat"], rings[c])][0] for r in (main[0], main[-1])]
    assert ends == ["changsha", "zhuzhou"]
    svg = draw.map_svg([], [], [], {"legend_rail": "rail"})
    assert svg.count('class="rail-line"') == 2
    assert svg.count('class="rail-station"') == sum(r["line"] != "hsr" for r in rows)
    assert svg.count('class="hsr-station"') == 3
    for x, y in re.findall(r'class="rail-station"[^>]*cx="([\d.-]+)" cy="([\d.-]+)"', svg):
        assert 0 <= float(x) <= draw.MAP_W and 0 <= float(y) <= draw.MAP_H


def _lever_line(rc, name):
    box = with_class(rc, ipywidgets.Widget, f"lever-{name}")
    assert len(box) == 1
    lines = [str(c) for w in _descendants(box[0]) if isinstance(w, v.Html) and "lever-line" in (w.class_ or "")
             for c in (w.children or []) if isinstance(c, str)]
    assert len(lines) == 1, lines
    return lines[0]


def test_every_choice_of_a_categorical_lever_has_a_label_in_both_languages():
    categorical = [p for p in LEVERS if p.kind is str]
    assert categorical and all(p.choices for p in categorical)
    wanted = {f"choice_{p.name}_{c}" for p in categorical for c in p.choices}
    for lang in LANGS:
        have = {k for k in TEXT[lang] if k.startswith("choice_")}
        assert not wanted - have, f"choices without a label in {lang}: {sorted(wanted - have)}"
        assert not have - wanted, f"labels of choices no lever has, in {lang}: {sorted(have - wanted)}"
        for p in categorical:
            assert len({choice_label(lang, p.name, c) for c in p.choices}) == len(p.choices)


@pytest.fixture
def page_and_session(monkeypatch):
    """The page, and the Session it made (to check what the model runs with)."""
    made = []

    class Recorded(Session):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            made.append(self)

    monkeypatch.setattr(ui_app, "Session", Recorded)
    box, rc = solara.render(Page(), handle_error=False)
    assert len(made) == 1
    yield rc, made[0]
    rc.close()


def _in_lever(rc, name, widget_cls):
    box = with_class(rc, ipywidgets.Widget, f"lever-{name}")
    assert len(box) == 1
    found = [w for w in _descendants(box[0]) if isinstance(w, widget_cls)]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.sim
def test_on_off_and_categorical_levers_apply_and_restore(page_and_session):
    page, sess = page_and_session
    on_off, regime = BY_NAME["licence_recognition"], BY_NAME["market_access_list"]
    assert on_off.kind is bool and regime.kind is str
    click(page, "btn-year")
    before_chart = chart(page, "chart-gdp-share")
    switch = _in_lever(page, on_off.name, v.Switch)
    select = _in_lever(page, regime.name, v.Select)
    assert switch.v_model is False and switch.label == "off"
    assert select.v_model == "separate"
    assert select.items == [{"text": TEXT["en"][f"choice_market_access_list_{c}"], "value": c} for c in regime.choices]
    assert _lever_line(page, on_off.name).endswith(": off")
    assert "allowed: on or off (true / false); scenario value: off" in texts(page)
    assert "allowed: one of separate, aligned, unified; scenario value: separate: each city approves" in texts(page)
    # a move that is undone is not pending
    set_value(page, switch, True)
    assert _lever_line(page, on_off.name).endswith(": on *")
    set_value(page, _in_lever(page, on_off.name, v.Switch), False)
    assert _lever_line(page, on_off.name).endswith(": off")
    assert with_class(page, v.Btn, "apply-levers")[0].disabled
    # toggle the switch, pick a choice, apply: the model re-runs to the same quarter with the new values
    set_value(page, _in_lever(page, on_off.name, v.Switch), True)
    set_value(page, _in_lever(page, regime.name, v.Select), "unified")
    assert _lever_line(page, regime.name).endswith(": unified: one list, one approval *")
    old_model = sess.model
    click(page, "apply-levers")
    assert sess.model is not old_model and sess.model.steps == 4 and "2020 Q1" in texts(page)
    assert sess.model.p["licence_recognition"] is True and sess.model.p["market_access_list"] == "unified"
    assert sess.overrides == {"licence_recognition": True, "market_access_list": "unified"}
    assert _lever_line(page, on_off.name).endswith(": on  [changed]")
    assert _lever_line(page, regime.name).endswith(": unified: one list, one approval  [changed]")
    assert _in_lever(page, on_off.name, v.Switch).v_model is True
    assert _in_lever(page, regime.name, v.Select).v_model == "unified"
    assert chart(page, "chart-gdp-share") != before_chart  # cheaper branches and moves change the run
    # in Chinese: the switch, the choices and the marks are translated
    click(page, "btn-lang")
    assert _in_lever(page, on_off.name, v.Switch).label == "开启"
    assert [i["text"] for i in _in_lever(page, regime.name, v.Select).items] == [
        TEXT["zh"][f"choice_market_access_list_{c}"] for c in regime.choices]
    assert _lever_line(page, regime.name).endswith(": 统一清单、一次审批  [已修改]")
    assert "允许范围: 开启或关闭; 情景取值: 关闭" in texts(page)
    click(page, "btn-lang")
    # restore: the scenario's values, the same run as before
    click(page, "restore-levers")
    assert sess.model.p["licence_recognition"] is False and sess.model.p["market_access_list"] == "separate"
    assert sess.overrides == {} and "[changed]" not in texts(page)
    assert _in_lever(page, on_off.name, v.Switch).v_model is False
    assert _in_lever(page, regime.name, v.Select).v_model == "separate"
    assert chart(page, "chart-gdp-share") == before_chart


def test_timeline_shows_on_off_and_categorical_values_by_name():
    entry = {"in_force": True, "year": 2021, "quarter": 1, "note": "n",
             "params": {"licence_recognition": True, "market_access_list": "aligned"}}
    assert "Mutual recognition of firms&#x27; licences and qualifications = on; Market-access negative list = " \
           "aligned: harmonised approvals" in timeline_html([entry], "en")
    assert "企业资质互认 = 开启; 市场准入负面清单 = 审批标准协同" in timeline_html([entry], "zh")


@pytest.mark.sim
def test_hindcast_2010_steps_marks_timeline_and_disables_compare(page):
    click(page, "btn-year")  # 2020 Q1
    sel = [w for w in page.find(v.Select).widgets if w.label == "Scenario"][0]
    set_value(page, sel, "hindcast-2010")
    t = texts(page)
    assert "starting in 2010" in t and "2020 Q1" in t  # switching scenario keeps the quarter reached
    click(page, "btn-reset")  # Reset goes back to the scenario's start
    t = texts(page)
    assert "2010 Q1" in t and "from 2010 to the current quarter" in t
    assert "Money values at 2010 prices." in t
    # a 2010 run has no 2019 baseline twin: the switch is off and disabled, with the reason
    (switch,) = with_class(page, v.Switch, "compare-switch")
    assert switch.disabled and not switch.v_model
    assert "Not available: this run starts in 2010, the baseline in 2019." in t
    tl = html_by_id(page, "policy-timeline")
    entries = re.findall(r'data-in-force="(\w+)" data-year="(\d+)" data-quarter="(\d)"', tl)
    assert [(y, q) for _, y, q in entries] == [("2011", "1"), ("2013", "2"), ("2016", "1"), ("2017", "2"), ("2017", "3"),
                                               ("2018", "1"), ("2018", "3")]
    assert all(f == "false" for f, _, _ in entries)
    assert "Green-heart ban enforcement = 0.5" in tl and "Changsha talent subsidy = 6,630" in tl
    assert _lever_line(page, "green_heart_ban").endswith(": 0")
    for _ in range(4):
        click(page, "btn-year")
    assert "2014 Q1" in texts(page)
    tl = html_by_id(page, "policy-timeline")
    fired = [(y, q) for f, y, q in re.findall(r'data-in-force="(\w+)" data-year="(\d+)" data-quarter="(\d)"', tl)
             if f == "true"]
    assert fired == [("2011", "1"), ("2013", "2")]  # the 2013 Q2 regulation is in force, the 2016 one not yet
    assert tl.count("✓") == 2 + 1  # the two marks and the one in the hint line
    # the lever shows the value the timeline switched to, and it is not marked as changed by the user
    line = _lever_line(page, "green_heart_ban")
    assert line.endswith(": 1") and "[changed]" not in line
    panel = wait_html(page, "verdict-panel", lambda h: "2010–2013" in h)
    assert len(re.findall(r'class="verdict-card"', panel)) == 2
    gdp = chart(page, "chart-gdp-share")
    x = chart_widget(page, "chart-gdp-share").option["xAxis"]["data"]
    assert 'data-points="17"' in gdp and x[:2] == ["2010 start", "2010 Q1"] and not any(q.startswith("2019") for q in x)
    assert "2010 prices" in chart(page, "chart-wage-talent") and "2010 prices" in chart(page, "chart-tax")
    toggle = with_class(page, v.BtnToggle, "inspect-toggle")[0]
    for i, field in enumerate(("gdp_q_100m_yuan", "sector_focus", "value_added_100m_yuan")):
        set_value(page, toggle, i)
        assert field in all_html(page)
    click(page, "btn-lang")
    t = texts(page)
    assert "自2010年起" in t and "不可用：本次运行始于2010年" in t
    tl = html_by_id(page, "policy-timeline")
    assert "政策时间线" in tl and "生态绿心禁止开发执行程度 = 1" in tl and tl.count("✓") == 3


@pytest.mark.sim
def test_session_does_not_compare_across_start_years():
    s = Session("hindcast-2010", seed=3, scale=TEST_SCALE)
    s.set_compare(True)
    s.step(4)
    assert s.model.start_year == 2010 and not s.can_compare and not s.comparing
    assert s.base is None and s.base_cities() is None and s.base_summary() is None
    s.configure(scenario="mobility")  # a 2019 scenario: the wish to compare applies again
    assert s.comparing and s.base is not None and s.base.steps == s.steps


@pytest.mark.sim
def test_verdict_panel_shows_where_changsha_gains_residents():
    """The siphon from the province beside the siphon within the cluster: one row per other place, the numbers of
    the summary, in both languages."""
    m = CZTModel("baseline", seed=2, overrides={"scale": 2000})
    m.run_until(2020)
    s = m.summary()
    from model.identity import REGION_EN, REGION_ZH

    for lang, names in (("en", {**CITY_EN, **REGION_EN}), ("zh", {**CITY_ZH, **REGION_ZH})):
        html = ui_app.verdict_html(s, None, lang, m.start_year)
        card = html[html.index('id="people-sources"'):]
        rows = re.findall(r"<td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>", card)
        got = {k: float(v) for k, v in rows}
        src = s.people_sources_10k_per_year[CORE_CITY]
        assert set(got) == {names[p] for p in src}
        for p, v in src.items():
            assert got[names[p]] == pytest.approx(v, abs=0.005)


@pytest.mark.sim
def test_a_part_that_fails_to_build_shows_one_line_and_the_rest_stays(monkeypatch, caplog):
    """A failure no check foresaw while a part of the page is built (here the map's drawing) shows the one-line
    banner in that part's place, without a traceback or a server path; the other parts are drawn; the server log
    records it once; when the cause is gone, the next quarter draws the part again."""
    import logging

    from ui import draw as drawing

    real = drawing.map_svg

    def broken(*args, **kwargs):
        raise RuntimeError("/srv/czt/secret/path.py: the map could not be drawn")

    monkeypatch.setattr(drawing, "map_svg", broken)
    caplog.set_level(logging.ERROR, logger="czt_sim.app")
    box, rc = solara.render(Page(), handle_error=False)
    try:
        banner = with_class(rc, ipywidgets.Widget, "view-failure-map")
        assert len(banner) == 1
        shown = texts(rc) + all_html(rc) + " ".join(str(w.children) for w in banner)
        assert "secret" not in shown and "Traceback" not in shown
        assert TEXT["en"]["view_error"] in shown
        assert 'id="czt-map"' not in all_html(rc) and html_by_id(rc, "verdict-panel")  # the rest is drawn
        click(rc, "btn-step")  # a re-render with the cause still there: still one line, logged once
        assert len(with_class(rc, ipywidgets.Widget, "view-failure-map")) == 1
        assert sum("building the view failed" in r.getMessage() for r in caplog.records) == 1
        monkeypatch.setattr(drawing, "map_svg", real)
        click(rc, "btn-step")
        assert 'id="czt-map"' in all_html(rc) and not with_class(rc, ipywidgets.Widget, "view-failure-map")
    finally:
        rc.close()


@pytest.mark.sim
def test_a_bundle_that_cannot_be_made_says_why_in_one_line(monkeypatch):
    """Export → bundle when the bundle is refused (its runs failed) or the disk is full: one line saying why (the
    refusal's own words; for the disk, without the server's path), a button to try again, nothing else of the page
    lost; after the cause is gone, the retry brings the bundle's button back and the bundle is made."""
    from model.errors import ConfigError
    from solara.components.file_download import FileDownloadWidget
    from ui import bundle as bundles

    real = bundles.build
    causes = [ConfigError("bundle", "2 of 3 runs failed (run-0001: boom)", "a sweep whose runs all finished",
                          kind="bundle not made"),
              OSError(28, "No space left on device", "/srv/czt/secret/bundle.zip")]
    box, rc = solara.render(Page(), handle_error=False)
    try:
        for cause in causes:
            def refuse(sess, cause=cause):
                raise cause

            monkeypatch.setattr(bundles, "build", refuse)
            [w] = [w for w in rc.find(FileDownloadWidget).widgets if w.filename.startswith("czt_bundle_")]
            w.request_download = True  # as the browser does when the button is clicked
            deadline = time.time() + 30
            while not with_class(rc, ipywidgets.Widget, "bundle-refused"):
                assert time.time() < deadline, "no refusal shown"
                time.sleep(0.05)
            settle(rc)
            shown = " ".join(str(c) for x in with_class(rc, ipywidgets.Widget, "bundle-refused") for c in x.children)
            assert "No bundle was made" in shown and "secret" not in shown and "Traceback" not in shown, shown
            assert ("2 of 3 runs failed" in shown) if isinstance(cause, ConfigError) else ("No space left" in shown)
            assert html_by_id(rc, "verdict-panel") and 'id="czt-map"' in all_html(rc)  # the page is intact
            monkeypatch.setattr(bundles, "build", real)
            click(rc, "btn-bundle-retry")
            assert not with_class(rc, ipywidgets.Widget, "bundle-refused") and with_class(rc, v.Btn, "btn-bundle")
        [w] = [w for w in rc.find(FileDownloadWidget).widgets if w.filename.startswith("czt_bundle_")]
        w.request_download = True
        deadline = time.time() + 120
        while w.bytes is None:
            assert time.time() < deadline, "the bundle was not made after the retry"
            time.sleep(0.1)
        assert w.bytes[:2] == b"PK"  # a zip
    finally:
        rc.close()


def test_the_scenario_picker_lists_every_scenario_once_under_its_group():
    from model.scenarios import GROUPS, available, load
    from ui.app import scenario_items

    for lang in LANGS:
        items = scenario_items({n: load(n) for n in available()}, lang)
        values = [i["value"] for i in items if "value" in i]
        assert sorted(values) == available()
        headers = [i["header"] for i in items if "header" in i]
        assert headers == [GROUPS[g][0 if lang == "en" else 1] for g in GROUPS if g in {load(n).group for n in values}]
        current = None
        for i in items:  # each scenario sits under the header of its own group
            if "header" in i:
                current = next(g for g, names in GROUPS.items() if i["header"] in names)
            else:
                assert load(i["value"]).group == current, i


@pytest.mark.sim
def test_regional_indicators_show_after_a_year_in_both_languages(page):
    assert "indicators-table" not in all_html(page)  # no complete year yet
    click(page, "btn-year")
    html = html_by_id(page, "indicators-box")
    for key in ("ind_primacy_two_city", "ind_registered_population", "ind_sector_secondary", "ind_theil"):
        assert TEXT["en"][key] in html
    click(page, "btn-lang")
    html = html_by_id(page, "indicators-box")
    for word in ("首位度", "户籍人口", "常住人口", "亿元", "万人", "百分点", "第二产业占GDP比重", "泰尔指数"):
        assert word in html, word


def _causal_cards(html: str) -> dict[str, tuple[str, str]]:
    """{city: (call, the card's text)} of the causal verdict's cards."""
    return {c: (call, body) for c, call, body in
            re.findall(r'id="causal-(\w+)" data-call="(\w+)".*?>(.*?)</table>', html)}


@pytest.mark.sim
def test_causal_verdict_shows_the_study_s_answer_only_for_the_scenario_as_shipped(page):
    """The baseline as shipped shows the worked study's call and elasticity for both cities (read from its
    verdict.csv), in both languages; a changed lever, or a scenario the study did not measure, shows the one line
    that says it is not measured, with the command that measures it."""
    rows = pd.read_csv(ROOT / "docs" / "spillover" / "posterior" / "baseline" / "verdict.csv").set_index("city")
    meta = json.loads((ROOT / "docs" / "spillover" / "posterior" / "baseline" / "spillover.json").read_text())
    for lang in ("en", "zh"):
        if lang == "zh":
            click(page, "btn-lang")
        html = html_by_id(page, "causal-panel")
        cards = _causal_cards(html)
        assert list(cards) == list(PERIPHERY_CITIES)
        for city in PERIPHERY_CITIES:
            r = rows.loc[city]
            call, body = cards[city]
            assert call == r.call and escape(t(lang, r.call)) in body
            assert f"{r.elasticity:+.2f} [{r.low:+.2f}, {r.high:+.2f}]" in body and f"{r.p_siphon:.2f}" in body
        assert "docs/study-integration.md" in html and str(meta["until"]) in html
        assert (f"{meta['posterior']['draws']} draws × {len(meta['seeds'])} seeds, scale {meta['scale']}" in html
                if lang == "en" else f"{meta['posterior']['draws']}次参数抽样 × {len(meta['seeds'])}个种子" in html)
        assert "causal-not-measured" not in html
    zh_text = re.sub(r"<[^>]+>", " ", re.sub(r'<code class="raw-name".*?</code>', " ", html))
    assert not re.findall(r"[A-Za-z]+", zh_text.replace("GDP", "")), "English in the Chinese causal verdict"
    click(page, "btn-lang")
    # a changed lever: the study's answer is not this run's
    box = with_class(page, ipywidgets.Widget, "lever-commute_minutes_cs_xt")
    slider = [w for w in page.find(v.Slider).widgets if w in _descendants(box[0])]
    set_value(page, slider[0], 15.0)
    click(page, "apply-levers")
    html = html_by_id(page, "causal-panel")
    assert 'id="causal-not-measured"' in html and not _causal_cards(html)
    assert escape(causal.command("baseline")) in html
    click(page, "restore-levers")
    assert set(_causal_cards(html_by_id(page, "causal-panel"))) == set(PERIPHERY_CITIES)
    # a scenario the study did not measure
    unmeasured = next(s for s in ui_app.available() if causal.shipped(s) is None)
    sel = [w for w in page.find(v.Select).widgets if w.label == "Scenario"][0]
    set_value(page, sel, unmeasured)
    html = html_by_id(page, "causal-panel")
    assert 'id="causal-not-measured"' in html and not _causal_cards(html)
    assert f"--scenario {unmeasured} --posterior 20 --seeds 2 --scale 200" in html
