"""The map's choropleth (分级设色): which indicators it can show, their values per city, and the class breaks.

Plain Python (no Solara). Two sources, so that the map agrees with what the page shows elsewhere:

- the per-city regional indicators of the last complete year (model/indicators.py: the same numbers as the
  indicators table; texts ``ind_<key>`` and ``unit_<unit>``), available once a year is complete;
- the last quarter's city results (the cities frame: the inspector's city table), available from the start; rates
  recorded as fractions are shown in percent.

``FILLS`` lists every choice in the selector's order; "none" keeps the map as it was (no fill). A choice is also a
value of the link's ``map`` key (ui/urlstate.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from model.indicators import registered_population_10k, regional_indicators

NONE = "none"
# per-city indicators of model.indicators (the cluster-only ones, primacy, Theil and CV, have no city to fill)
ANNUAL = ("gdp", "gdp_share", "gdp_share_change", "resident_population", "registered_population",
          "residents_per_registered", "gdp_per_capita", "sector_primary", "sector_secondary", "sector_tertiary",
          "tax_after_sharing", "tax_shared_out", "tax_shared_in", "commuters_out", "commuters_in")
# the last quarter's city results: column of the cities frame -> (unit key, factor to the unit)
QUARTERLY: dict[str, tuple[str, float]] = {
    "unemployment_rate": ("pct", 100.0),
    "wage_ordinary_yuan": ("yuan_year", 1.0),
    "wage_talent_yuan": ("yuan_year", 1.0),
    "housing_cost_yuan": ("yuan_year", 1.0),
    "productivity_index": ("index", 1.0),
    "park_occupancy": ("pct", 100.0),
}
FILLS = (NONE,) + ANNUAL + tuple(QUARTERLY)
UNITS = ("100m_yuan", "10k", "yuan", "pct", "pp", "ratio", "index", "yuan_year")  # texts unit_<unit>
MAX_CLASSES = 6

# ColorBrewer: YlOrBr (sequential, 6 classes; its lightest is too near the map's ground) and RdBu (diverging: reds below 0, blues above)
SEQUENTIAL = ("#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04")  # YlOrBr 7 without its lightest
NEGATIVE = ("#fddbc7", "#f4a582", "#d6604d", "#b2182b")  # nearest 0 first
POSITIVE = ("#d1e5f0", "#92c5de", "#4393c3", "#2166ac")


def label_key(key: str) -> str:
    """The text key of a choice's name (ui/texts.py)."""
    return f"ind_{key}" if key in ANNUAL else f"fill_{key}"


@dataclass(frozen=True)
class Fill:
    """What the map fills: ``values`` city -> value in ``unit``; ``year`` and ``quarter`` (None for a year's
    figure) say when; ``breaks`` the class bounds (len = classes + 1) and ``colors`` one per class."""
    key: str
    unit: str
    values: dict[str, float]
    year: int
    quarter: int | None
    breaks: tuple[float, ...]
    colors: tuple[str, ...]

    def klass(self, value: float) -> int:
        """The class of ``value``: the interval [b_i, b_i+1) that holds it (the top one closed)."""
        for i in range(len(self.colors)):
            if value < self.breaks[i + 1]:
                return i
        return len(self.colors) - 1


def nice_step(span: float, classes: int = 4) -> float:
    """A round class width (1, 2, 2.5 or 5 times a power of ten) near span / classes."""
    raw = span / classes if span > 0 else 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag * 1.0000001:
            return m * mag
    return 10 * mag


def class_breaks(values: list[float]) -> tuple[float, ...]:
    """Round class bounds that cover ``values``: equal intervals of a round width, about four of them (at most
    MAX_CLASSES), starting and ending on multiples of the width (so 0 is a bound when values lie on both sides)."""
    lo, hi = min(values), max(values)
    step = nice_step(hi - lo if hi > lo else abs(lo) or 1.0)
    while True:
        b0 = math.floor(lo / step) * step
        n = max(1, math.ceil((hi - b0) / step - 1e-9))  # the top class holds its upper bound
        if n <= MAX_CLASSES:
            break
        step = nice_step(step * 1.01, 1)  # the next round width
    return tuple(round(b0 + i * step, 10) for i in range(n + 1))


def class_colors(breaks: tuple[float, ...]) -> tuple[str, ...]:
    """One colour per class: sequential, or diverging around 0 when the classes lie on both sides of it."""
    n = len(breaks) - 1
    if breaks[0] < 0 < breaks[-1]:
        neg = sum(b1 <= 0 for b1 in breaks[1:])
        pos = n - neg
        return (tuple(NEGATIVE[min(neg - 1 - i, len(NEGATIVE) - 1)] for i in range(neg))
                + tuple(POSITIVE[min(i, len(POSITIVE) - 1)] for i in range(pos)))
    if n == 1:
        return (SEQUENTIAL[3],)
    # spread over the palette, light to dark
    return tuple(SEQUENTIAL[round(i * (len(SEQUENTIAL) - 1) / (n - 1))] for i in range(n))


def make_fill(key: str, unit: str, values: dict[str, float], year: int, quarter: int | None) -> Fill:
    vals = [v for v in values.values() if math.isfinite(v)]
    breaks = class_breaks(vals)
    return Fill(key, unit, values, year, quarter, breaks, class_colors(breaks))


def fill_of(sess, key: str) -> Fill | None:
    """The choropleth of ``key`` for the run shown (a ui.session.Session), or None: "none", or a year's
    indicator before the first complete year. Reads the hukou under the session's lock, as the table does."""
    if key == NONE:
        return None
    if key in QUARTERLY:
        cf = sess.cities()
        last = cf[cf.step == cf.step.max()]
        unit, factor = QUARTERLY[key]
        values = {r.city: float(getattr(r, key)) * factor for r in last.itertuples()}
        row = last.iloc[0]
        return make_fill(key, unit, values, int(row.year), int(row.quarter))
    if key not in ANNUAL:
        raise KeyError(key)
    annual = sess.annual()
    if annual.empty:
        return None
    registered = None
    if key in ("registered_population", "residents_per_registered"):
        m = sess.model
        with sess.lock:
            registered = registered_population_10k(m.workers.hukou, m.workers.alive, m.scale)
    ind = next(i for i in regional_indicators(annual, registered_10k=registered) if i.key == key)
    from model.indicators import CLUSTER

    values = {c: v for c, v in ind.values.items() if c != CLUSTER}
    return make_fill(key, ind.unit, values, int(annual.year.max()), None)


__all__ = ["ANNUAL", "FILLS", "Fill", "NONE", "QUARTERLY", "UNITS", "class_breaks", "class_colors", "fill_of",
           "label_key", "make_fill"]
