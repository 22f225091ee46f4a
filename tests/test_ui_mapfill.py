"""The map's choropleth without a browser (ui/mapfill.py, ui/draw.py, the link's ``map`` key): round class breaks
that hold every value, one colour per class (diverging around 0), the drawing's classes and legend, and the link
refusing a choice the app does not offer; the link's ``zoom`` key (the map's zoom and centre) read back as written
and refused out of range; the railway's station names in the page's language."""

from __future__ import annotations

import re

import pytest

from model.errors import ConfigError
from model.indicators import KEYS, UNITS
from ui import draw, mapfill, urlstate
from ui.texts import TEXT

CASES = [[19.8, 20.5, 59.7], [-0.3, 0.12, 0.2], [1200, 1210, 1290], [5.8, 5.8, 5.8], [0.0583, 0.061, 0.049],
         [100000, 80000, 75000], [0.0, 0.0, 0.0], [3.2, 1.1, 0.0], [-2.0, -1.0, -0.5], [1.0365, 1.0371, 1.0378]]


@pytest.mark.parametrize("values", CASES)
def test_class_breaks_are_round_and_hold_every_value(values):
    f = mapfill.make_fill("x", "pct", dict(zip("abc", values)), 2020, None)
    b = f.breaks
    assert 1 <= len(f.colors) == len(b) - 1 <= mapfill.MAX_CLASSES
    assert all(lo < hi for lo, hi in zip(b, b[1:]))
    steps = {round(hi - lo, 9) for lo, hi in zip(b, b[1:])}
    assert len(steps) == 1  # equal intervals
    for v in values:
        k = f.klass(v)
        assert b[k] <= v <= b[k + 1]
    assert len(set(f.colors)) == len(f.colors)
    if b[0] < 0 < b[-1]:  # diverging: reds below 0, blues above
        assert 0 in b
        assert all(c in mapfill.NEGATIVE for c, hi in zip(f.colors, b[1:]) if hi <= 0)
        assert all(c in mapfill.POSITIVE for c, lo in zip(f.colors, b) if lo >= 0)


def test_every_choice_has_a_name_and_unit_in_both_languages():
    assert mapfill.FILLS[0] == mapfill.NONE and len(set(mapfill.FILLS)) == len(mapfill.FILLS)
    assert set(mapfill.ANNUAL) <= set(KEYS) and set(UNITS) <= set(mapfill.UNITS)
    for lang in TEXT:
        for k in mapfill.FILLS[1:]:
            assert TEXT[lang][mapfill.label_key(k)]
        for u in mapfill.UNITS:
            assert TEXT[lang][f"unit_{u}"]


def test_the_drawing_fills_each_city_polygon_by_class_with_a_legend():
    fill = {"key": "gdp_share", "title": "Share (%), 2020", "classes": [("#fee391", "0 – 20"), ("#8c2d04", "60 – 80")],
            "cities": {"changsha": (1, "68.8 %"), "zhuzhou": (0, "17.8 %"), "xiangtan": (0, "13.4 %")}}
    plain = draw.map_svg([], [], [], {})
    svg = draw.map_svg([], [], [], {}, fill=fill)
    assert 'data-fill="none"' in plain and "fill-legend" not in plain and "data-fill-class" not in plain
    assert re.search(r'class="boundary" data-city="changsha" data-fill-class="1" data-value="68.8 %"[^>]*'
                     r'fill="#8c2d04"', svg)
    assert svg.count('class="fill-swatch"') == 2 and ">60 – 80<" in svg and ">Share (%), 2020<" in svg
    # the map proper is the nested view the page zooms; the legend band grows by the choropleth's row
    assert 'id="czt-map-view"' in svg
    h = lambda s: float(re.search(r'id="czt-map"[^>]*viewBox="0 0 \d+ (\d+)"', s).group(1))  # noqa: E731
    assert h(svg) == h(plain) + draw.FILL_H
    waiting = draw.map_svg([], [], [], {}, fill={"key": "gdp", "title": "GDP", "note": "from 2020"})
    assert 'class="fill-note"' in waiting and "data-fill-class" not in waiting


def test_the_link_carries_the_choice_and_refuses_others():
    assert urlstate.decode("map=gdp_share") == {"map": "gdp_share"}
    assert urlstate.decode("map=unemployment_rate&lang=zh") == {"map": "unemployment_rate", "lang": "zh"}
    with pytest.raises(ConfigError, match="'map'"):
        urlstate.decode("map=theil")  # a cluster-only indicator has no city to fill
    with pytest.raises(ConfigError, match="'map'"):
        urlstate.decode("map=gdp_share&map=none")


def test_the_link_carries_the_zoom_and_refuses_others():
    """``zoom=z,x,y``: what the page writes (4 decimals) reads back the same; zoom 1 is the full map (no key);
    a zoom outside 1-8, a centre outside the map, other digits or another shape is one line naming 'zoom'."""
    assert urlstate.decode("zoom=4,0.52,0.61&map=gdp_share") == {"zoom": "4,0.52,0.61", "map": "gdp_share"}
    assert urlstate.decode("zoom=2.5,0.1235,1") == {"zoom": "2.5,0.1235,1"}
    assert urlstate.decode("zoom=1,0.3,0.7") == {"zoom": ""}
    assert urlstate.zoom_text(2.5, 0.123456, 0.5) == "2.5,0.1235,0.5" and urlstate.zoom_text(1.0, 0.3, 0.3) == ""
    for text in ("4,0.52,0.61", "8,0,1", "1.5625,0.5,0.5"):
        assert urlstate.zoom_text(*urlstate.parse_zoom(text)) == text
    for bad in ("9,0.5,0.5", "0.5,0.5,0.5", "2,1.5,0.5", "2,0.5", "2,0.5,0.5,1", "x", "", "nan,0.5,0.5",
                "2,%D9%A0,0.5", "2,.5,.5", "-2,0.5,0.5", "2%2C0.5%2C0.5%0A"):
        with pytest.raises(ConfigError, match="'zoom'") as exc:
            urlstate.decode("zoom=" + bad)
        assert "\n" not in str(exc.value) and "from 1 to 8" in str(exc.value), str(exc.value)
    with pytest.raises(ConfigError, match="'zoom'"):
        urlstate.decode("zoom=2,0.5,0.5&zoom=4,0.5,0.5")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_railway_names_its_stations_in_the_page_language(lang):
    """Every station (the 24 of the intercity line, 暮云 once, and the three high-speed stations) has a label and
    a hover title in the page's language: Chinese names on the 中文 page, English ones on the English page; the
    labels start hidden (the page shows them from the drawing's data-label-zoom on)."""
    svg = draw.map_svg([], [], [], {"lang": lang})
    rows = draw.rail_stations()
    want = {r["station_zh" if lang == "zh" else "station_en"] for r in rows}
    labels = re.findall(r'<text class="rail-label"[^>]*>([^<]*)</text>', svg)
    assert sorted(labels) == sorted(want) and len(labels) == 27
    assert all('visibility="hidden"' in t for t in re.findall(r'<text class="rail-label"[^>]*>', svg))
    titles = set(re.findall(r'class="(?:rail|hsr)-station"[^>]*><title>([^<]*)</title>', svg))
    assert titles == want
    han = re.compile(r"[\u4e00-\u9fff]")
    assert all(bool(han.search(t)) == (lang == "zh") for t in labels + list(titles))
    assert f'data-label-zoom="{draw.RAIL_LABEL_ZOOM}"' in svg
