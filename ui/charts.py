"""The app's charts as ECharts options (drawn by ui/echart.vue with ECharts from the solara-assets package).

Pure functions of the runs' city tables (one per seed): no Solara, no model. One place says what each chart plots
(``CHARTS``), with its unit in both languages; ``lines`` turns seeds into a median with a 10-90 % band, or a
difference (a run minus the baseline, paired seed by seed when the seeds are the same); ``option`` makes the
ECharts option: a category axis of quarters, y fitted to the data (never forced to 0), bands drawn as bands
(a stacked area between the low and the high), lines told apart by colour and named in the legend, zoom (mouse
wheel or drag, and a slider), and markers where a lever was switched by the user's timing.

Views: the levels, or the change since the first quarter shown ("change since the start": shares and rates in
percentage points). Differences are always "policy minus baseline": the run (or a saved run) minus the baseline
twin, or minus the reference saved run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from model.identity import CITIES, N_CITIES, SECTOR_KIND, SECTORS
from ui.draw import CITY_COLORS  # the cities' colours: the same on the map and the charts

SECTOR_COLORS = ("#27ae60", "#2c3e50", "#8e44ad", "#a04000", "#2e86c1", "#d4ac0d", "#e74c3c")
# saved runs: colours far from each other (Okabe-Ito, and three more); the reference is always the first
RUN_COLORS = ("#000000", "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#0072b2", "#d55e00", "#7f7f7f", "#bcbd22",
              "#17becf", "#8c564b", "#9467bd")
BAND = (0.1, 0.9)

UNITS = {  # unit keys -> (English, Chinese); "pct" values are percentages, their differences percentage points
    "pct": ("%", "%"), "pp": ("pp", "百分点"), "yuan_year": ("yuan/year", "元/年"),
    "yuan_talent": ("yuan per talent per year", "元/人/年"), "100m_q": ("100m yuan/quarter", "亿元/季度"),
    "100m_y": ("100m yuan/year", "亿元/年"), "10k": ("10k persons", "万人"), "firms": ("firms", "家"),
    "ratio": ("×", "倍"), "index": ("", ""), "pct_year": ("% a year", "%/年"),
}


def unit_text(lang: str, key: str) -> str:
    return UNITS[key][0 if lang == "en" else 1]


def diff_unit(key: str) -> str:
    """The unit of a difference or a change: percentage points for percentages."""
    return "pp" if key == "pct" else key


# ---------------------------------------------------------------------------- what each chart plots
def by_city(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """Steps x cities table of one column; the recorder writes one row per city per step, in city order."""
    n = N_CITIES
    cities = list(dict.fromkeys(df.city.iloc[:n]))
    if len(df) % n == 0 and len(cities) == n and (df.city.to_numpy().reshape(-1, n) == cities).all():
        return pd.DataFrame(df[col].to_numpy(dtype=float).reshape(-1, n), columns=cities,
                            index=df.step.to_numpy()[::n])[list(CITIES)]
    return df.pivot_table(index="step", columns="city", values=col, aggfunc="sum")[list(CITIES)]


def share(df: pd.DataFrame, col: str) -> pd.DataFrame:
    t = by_city(df, col)
    return 100 * t.div(t.sum(axis=1), axis=0)


def ratio(df: pd.DataFrame, num: str, den: str, scale: float = 100.0) -> pd.DataFrame:
    return scale * by_city(df, num) / by_city(df, den).replace(0, np.nan)


def firms_by_sector(df: pd.DataFrame) -> pd.DataFrame:
    g = df.groupby("step", sort=True)[[f"firms_{s}" for s in SECTORS]].sum()
    g.columns = list(SECTORS)
    return g


@dataclass(frozen=True)
class Chart:
    """One chart: ``values(city table) -> steps x keys`` (keys: the cities, or the sectors), its unit key, and
    whether it needs the model's parameters (``needs``, passed as keyword arguments)."""
    id: str
    title: str  # ui.texts key
    unit: str
    values: Callable[..., pd.DataFrame]
    keys: str = "city"  # "city" or "sector"
    money: bool = False  # at the start year's prices (the title says so)


CHARTS: tuple[Chart, ...] = (
    Chart("chart-gdp-share", "chart_gdp_share", "pct", lambda df: share(df, "gdp_q_100m_yuan")),
    Chart("chart-pop-share", "chart_pop_share", "pct", lambda df: share(df, "population_10k")),
    Chart("chart-talent-share", "chart_talent_share", "pct", lambda df: share(df, "talent_10k")),
    Chart("chart-wage-talent", "chart_wage_talent", "yuan_year", lambda df: by_city(df, "wage_talent_yuan"),
          money=True),
    Chart("chart-wage-ordinary", "chart_wage_ordinary", "yuan_year", lambda df: by_city(df, "wage_ordinary_yuan"),
          money=True),
    Chart("chart-firms", "chart_firms", "firms", firms_by_sector, keys="sector"),
    Chart("chart-tax", "chart_tax_after", "100m_q", lambda df: by_city(df, "tax_after_sharing_q_100m_yuan"), money=True),
    Chart("chart-commuters", "chart_commuters", "10k", lambda df: by_city(df, "commuters_out_10k")),
    Chart("chart-rd", "chart_rd", "pct", lambda df: ratio(df, "rd_q_100m_yuan", "gdp_q_100m_yuan")),
    Chart("chart-gov-talent", "chart_gov_talent", "yuan_talent", lambda df: by_city(df, "talent_subsidy_yuan")),
    Chart("chart-gov-incentive", "chart_incentive_offer", "pct",
          lambda df, scale=1.0: 100 * by_city(df, "incentive_intensity") * scale),
    Chart("chart-land-release", "chart_land_release", "pct", lambda df: 100 * by_city(df, "land_release_share")),
    Chart("chart-inputs", "chart_inputs", "100m_q", lambda df: by_city(df, "inputs_from_cluster_q_100m_yuan"),
          money=True),
    Chart("chart-sales", "chart_sales", "100m_q", lambda df: by_city(df, "sales_to_other_cities_q_100m_yuan"),
          money=True),
)
BY_ID = {c.id: c for c in CHARTS}


def chart_values(chart: Chart, df: pd.DataFrame, incentive_scale: float = 1.0) -> pd.DataFrame:
    if chart.id == "chart-gov-incentive":
        return chart.values(df, incentive_scale)
    return chart.values(df)


# ---------------------------------------------------------------------------- lines over seeds
@dataclass
class Line:
    """One line of a chart: its name (legend), colour, values (median over seeds, or a run's own), and the band's
    bounds (or None)."""
    name: str
    color: str
    values: np.ndarray
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    key: str = ""  # the city or sector, for tests and the CSV
    dash: str = "solid"  # "dashed" / "dotted" only where colour already names the run (an overlay of runs)
    plo: np.ndarray | None = None  # the parameter band (posterior draws), drawn apart from the seed band lo-hi
    phi: np.ndarray | None = None


def band(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and the BAND quantiles across seeds (axis 0), NaN-aware."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(stack, axis=0)
            lo, hi = np.nanquantile(stack, BAND, axis=0)
    return med, lo, hi


def stack(chart: Chart, frames: list[pd.DataFrame], key: str, n: int, incentive_scale: float = 1.0) -> np.ndarray:
    """Seeds x quarters of one key over the first ``n`` quarters."""
    return np.stack([chart_values(chart, f, incentive_scale)[key].to_numpy(dtype=float)[:n] for f in frames])


def summarise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """A seeds x quarters stack as (median, lo, hi); one seed: its values, no band."""
    if values.shape[0] == 1:
        return values[0], None, None
    return band(values)


def since_start(values: np.ndarray) -> np.ndarray:
    """Each seed's change since its first quarter shown (axis 1)."""
    return values - values[:, :1]


# ---------------------------------------------------------------------------- the option
def _round(a, digits: int = 6) -> list:
    """Floats for JSON: NaN as null, 6 significant digits (the chart shows 4)."""
    out = []
    for v in np.asarray(a, dtype=float):
        out.append(None if not np.isfinite(v) else float(f"{v:.{digits}g}"))
    return out


# the two bands of a parameter ensemble, told apart by opacity and edge: the parameter band filled darker, the seed
# band light with dashed edges; each a legend entry of its own (toggling it hides that band of every line)
PARAM_BAND_STYLE = {"fill": 0.32, "icon": "rgba(60,60,60,0.5)"}
SEED_BAND_STYLE = {"fill": 0.08, "edge": 0.9, "icon": "rgba(60,60,60,0.1)"}


def _band_series(i: int, tag: str, name: str, color: str, lo, hi, fill: float, edge: float = 0.0) -> list[dict]:
    """A band as two stacked series: a base at ``lo`` (id band-lo-...) and a filled area of height ``hi - lo``."""
    line = {"opacity": edge, "width": 1, "type": "dashed", "color": color} if edge else {"opacity": 0}
    # stackStrategy "all": the height stacks on the base whatever their signs (ECharts' default, "samesign", stacks
    # a positive height on 0 when the base is negative: a change view's band drawn from the axis)
    return [{"id": f"band-lo-{tag}{i}", "name": name, "type": "line", "stack": f"band{tag}{i}",
             "stackStrategy": "all", "data": _round(lo),
             "symbol": "none", "lineStyle": line, "silent": True, "legendHoverLink": False, "z": 1},
            {"id": f"band-{tag}{i}", "name": name, "type": "line", "stack": f"band{tag}{i}", "stackStrategy": "all",
             "data": _round(np.asarray(hi) - np.asarray(lo)), "symbol": "none", "lineStyle": line,
             "areaStyle": {"color": color, "opacity": fill}, "silent": True, "legendHoverLink": False, "z": 1}]


def option(lines: list[Line], x: list[str], unit: str, lang: str, markers: list[tuple[str, str]] = (),
           zero_line: bool = False, legend: bool = True,
           band_names: tuple[str, str] | None = None) -> tuple[dict, dict]:
    """(ECharts option, meta for ui/echart.vue): one line series per Line, a band under it when it has one
    (a transparent base at ``lo`` and a filled area of height ``hi - lo`` stacked on it), the y axis fitted to the
    data, zoom by wheel, drag and slider, and a vertical marker at each (x, label) of ``markers``.

    ``band_names`` (parameter name, seed name): a parameter ensemble's chart; each line's parameter band (``plo``
    to ``phi``) and seed band (``lo`` to ``hi``) are drawn apart (PARAM_BAND_STYLE, SEED_BAND_STYLE) under those
    two names, each with its own legend entry."""
    series, bands, pbands = [], {}, {}
    for i, ln in enumerate(lines):
        if band_names and ln.plo is not None and ln.phi is not None:
            series += _band_series(i, "p", band_names[0], ln.color, ln.plo, ln.phi, PARAM_BAND_STYLE["fill"])
            pbands[ln.name] = {"lo": _round(ln.plo), "hi": _round(ln.phi)}
        if ln.lo is not None and ln.hi is not None:
            if band_names:
                series += _band_series(i, "s", band_names[1], ln.color, ln.lo, ln.hi, SEED_BAND_STYLE["fill"],
                                       SEED_BAND_STYLE["edge"])
            else:
                series += _band_series(i, "", ln.name, ln.color, ln.lo, ln.hi, 0.15)
            bands[ln.name] = {"lo": _round(ln.lo), "hi": _round(ln.hi)}
        series.append({"id": f"line-{i}", "name": ln.name, "type": "line", "data": _round(ln.values),
                       "symbol": "none", "showSymbol": False,
                       "lineStyle": {"width": 2, "color": ln.color, "type": ln.dash},
                       "itemStyle": {"color": ln.color}, "z": 3, "emphasis": {"focus": "series"}})
    main = next((s for s in series if s["id"].startswith("line-")), None)
    if main is not None and markers:
        main["markLine"] = {"symbol": "none", "silent": True, "animation": False,
                            "lineStyle": {"color": "#6c3483", "type": "dashed", "width": 1},
                            "label": {"formatter": "{b}", "position": "insideEndTop", "fontSize": 10,
                                      "color": "#6c3483"},
                            "data": [{"xAxis": xv, "name": label} for xv, label in markers if xv in x]}
    if main is not None and zero_line:
        main.setdefault("markLine", {"symbol": "none", "silent": True, "data": []})
        main["markLine"].setdefault("lineStyle", {"color": "#6c3483", "type": "dashed", "width": 1})
        main["markLine"]["data"] = main["markLine"]["data"] + [
            {"yAxis": 0, "name": "", "lineStyle": {"color": "#999", "type": "solid", "width": 1},
             "label": {"show": False}}]
    u = unit_text(lang, unit)
    legend_data: list = [ln.name for ln in lines]
    if band_names:
        legend_data += [{"name": band_names[0], "icon": "rect", "itemStyle": {"color": PARAM_BAND_STYLE["icon"]}},
                        {"name": band_names[1], "icon": "rect",
                         "itemStyle": {"color": SEED_BAND_STYLE["icon"], "borderColor": "#555", "borderWidth": 1,
                                       "borderType": "dashed"}}]
    opt = {
        "animation": False,
        "grid": {"left": 56, "right": 18, "top": 52 if legend else 24, "bottom": 58},  # room for the unit
        "legend": {"show": legend, "top": 0, "type": "scroll",
                   "data": legend_data, "textStyle": {"fontSize": 11}},
        "tooltip": {"trigger": "axis", "confine": True, "axisPointer": {"type": "line"}},
        "xAxis": {"type": "category", "data": x, "boundaryGap": False, "axisLabel": {"fontSize": 10}},
        "yAxis": {"type": "value", "scale": True, "name": u, "nameTextStyle": {"fontSize": 10, "align": "left"},
                  "axisLabel": {"fontSize": 10}, "splitLine": {"lineStyle": {"color": "#eee"}}},
        "dataZoom": [{"type": "inside", "xAxisIndex": 0, "start": 0, "end": 100},
                     {"type": "slider", "xAxisIndex": 0, "height": 16, "bottom": 6, "start": 0, "end": 100}],
        "series": series,
    }
    meta = {"unit": u, "bands": bands, "lang": lang}
    if band_names:
        meta.update(pbands=pbands, band_names=list(band_names))
    return opt, meta


def quarter_labels(frame: pd.DataFrame, lang: str) -> list[str]:
    """The x axis of a city table: one label per quarter ("2026 Q1", "2026年1季度")."""
    steps = frame.drop_duplicates("step").sort_values("step")
    return [quarter_label(int(y), int(q), lang) for y, q in zip(steps.year, steps.quarter)]


def quarter_label(year: int, quarter: int, lang: str) -> str:
    """A quarter as the axis shows it; quarter 0 is the start state, before the first quarter is simulated."""
    if quarter == 0:
        return f"{year} start" if lang == "en" else f"{year}年初"
    return f"{year} Q{quarter}" if lang == "en" else f"{year}年{quarter}季度"


def sector_kind_shares(df: pd.DataFrame) -> pd.DataFrame:
    """Steps x (primary, secondary, tertiary): each kind's share of the cluster's GDP, in percent (model/data/
    sectors.csv gives each sector's kind)."""
    cols = {k: [f"gdp_{s}_q_100m_yuan" for s in SECTORS if SECTOR_KIND[s] == k]
            for k in ("primary", "secondary", "tertiary")}
    g = df.groupby("step", sort=True)
    tot = g["gdp_q_100m_yuan"].sum()
    return pd.DataFrame({k: 100 * g[c].sum().sum(axis=1) / tot for k, c in cols.items()})
