"""The CZT Plan Outline's targets against a run: every 2025 target and the 2035 goal of narrower gaps.

Source: 长株潭区域一体化发展规划纲要 (CZT Regional Integration Development Plan Outline, Hunan Provincial Party
Committee and Provincial Government, Oct 2020), ch. 2 §4 发展目标 (../seeds/2020-czt-integration-plan-outline.txt,
lines 101-115). ``TARGETS_2025`` declares each numeric 2025 target in the Outline's order with how the model reaches
it: ``computed`` (a model quantity), ``proxy`` (a stand-in; its note says what and which way it is biased) or
``cannot`` (why not). The Outline's qualitative 2025 goals (a national central city, world-class clusters, the
four-hour air circle) have no number and are not rows.

Prices: the model's money is at the run's start-year prices (2019 for runs from 2019). The Outline does not say
whether its money targets are nominal, but its own figures read at about constant prices: its 2025 GDP target of
2.7 trillion yuan is its 2019 GDP (16,835 x 100m yuan, plan_facts_2019.csv) grown at its own 8 % a year real growth
target (26,715, within 1.1 %), which leaves no room for price rises; ``outline_price_drift()`` gives the implied
yearly price rise (0.2 %). So money rows compare 2019-price values with targets that the Outline's arithmetic puts at
about 2019 prices (tests/test_targets.py checks it). Growth is real in both.

- ``plan_table(annual, year=2025)``: one row per target, in declared order (docs/ODD.md § III.iv.16);
- ``gap_goals(annual, year=2035)``: Theil index and CV of GDP per capita between the cities (model.measures),
  first year against ``year`` (or the last year), narrowed or not.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from model.identity import DATA, SECTORS
from model.measures import cv, theil

BASE_YEAR = 2019  # the Outline's base year (its 2019 facts; growth and energy targets are against 2019)
ABOUT_TOLERANCE = 0.10  # "about" (左右) is met within +-10 % of the target: assumption, the Outline gives no band
# the sectors whose clusters the Outline names in its science-and-industry target (工程机械、轨道交通、信息技术,
# line 105); materials (steel, chemicals, construction, utilities in sectors.csv) and services are left out
HIGH_TECH_SECTORS = ("machinery", "transport_equipment", "electronics_it")
assert set(HIGH_TECH_SECTORS) <= set(SECTORS), "targets.HIGH_TECH_SECTORS must be sectors of sectors.csv"

with (DATA / "plan_facts_2019.csv").open(encoding="utf-8", newline="") as _fh:
    FACTS_2019 = {r["key"]: float(r["value"]) for r in csv.DictReader(_fh)}  # Plan Outline 2020 and sources there
URBANIZATION_2019 = FACTS_2019["urbanization_rate"]  # pct of residents, CZT 2019 (Plan Outline 2020)

_S = "Outline 2020 ch.2 §4: "
_NO_ENV = "the model has no environment module (no emissions, air, water or land cover)"
_PRICES = "model money at the run's start-year prices; the Outline's own arithmetic (its 2019 GDP grown at its 8 % " \
          "real target gives its 2025 GDP target within 1.1 %) puts its money targets at about the same prices"
_HT = " + ".join(HIGH_TECH_SECTORS)


def outline_price_drift(year: int = 2025) -> float:
    """The yearly price rise (fraction) implied by the Outline's GDP target: target / (2019 GDP x (1 + real growth
    target)^(year - 2019)), to the power 1 / (year - 2019), minus 1. About 0.002: its targets read as constant prices."""
    real = FACTS_2019["gdp_total"] * (1 + FACTS_2019["target_gdp_growth_2025"] / 100) ** (year - BASE_YEAR)
    gdp_target = next(tg.target for tg in TARGETS_2025 if tg.key == "gdp_100m_yuan")
    return (gdp_target / real) ** (1 / (year - BASE_YEAR)) - 1


@dataclass(frozen=True)
class Target:
    key: str
    label_en: str
    label_zh: str
    unit: str
    target: float
    direction: str  # at_least, at_most or about
    source: str  # the Outline's chapter and phrase
    status: str  # computed, proxy or cannot
    note: str  # the proxy and its bias, the reason it cannot, or what the computed value is
    value: Callable[[dict[int, pd.DataFrame], int], float | None] | None = None  # (rows by year, year) -> value
    needs: tuple[str, ...] = ()  # annual-frame columns
    years: tuple[int, ...] = ()  # other years it needs: offsets (negative) or absolute years


def _s(rows: dict[int, pd.DataFrame], year: int, col: str) -> float:
    return float(rows[year][col].sum())


def _urbanization(r: dict[int, pd.DataFrame], y: int) -> float:
    non_ag = lambda t: 1 - _s(r, t, "gdp_agriculture_100m_yuan") / _s(r, t, "gdp_100m_yuan")  # noqa: E731
    return min(100.0, URBANIZATION_2019 * non_ag(y) / non_ag(BASE_YEAR))


def _hightech(r: dict[int, pd.DataFrame], y: int) -> float:
    return sum(_s(r, y, f"gdp_{s}_100m_yuan") for s in HIGH_TECH_SECTORS)


_GDP, _POP = "gdp_100m_yuan", "population_10k"
_URB = (_GDP, _POP, "gdp_agriculture_100m_yuan")
TARGETS_2025: tuple[Target, ...] = (
    Target("gdp_100m_yuan", "GDP", "地区生产总值", "100m yuan", 27000.0, "at_least", _S + "地区生产总值达到2.7万亿元",
           "computed", f"sum of the three cities' GDP; {_PRICES}", lambda r, y: _s(r, y, _GDP), (_GDP,)),
    Target("gdp_growth_pct", "GDP growth, average 2020-2025", "地区生产总值年均增长", "pct per year", 8.0, "about",
           _S + "年均增长8%左右", "computed",
           f"real, (GDP_year / GDP_{BASE_YEAR})^(1/(year-{BASE_YEAR})) - 1 of the cluster's GDP at constant prices",
           lambda r, y: None if y <= BASE_YEAR else
           100 * ((_s(r, y, _GDP) / _s(r, BASE_YEAR, _GDP)) ** (1 / (y - BASE_YEAR)) - 1), (_GDP,),
           (BASE_YEAR,)),
    Target("gdp_per_capita_yuan", "GDP per capita", "人均GDP", "yuan", 165000.0, "at_least", _S + "人均GDP达到16.5万元",
           "computed", f"cluster GDP over residents; {_PRICES}; the model's residents follow the censuses (about "
           "1647 10k in 2019, model/calibration.py), above the Outline's pre-census 1530.45 10k "
           "(plan_facts_2019.csv), which lowers it by about 7 %",
           lambda r, y: _s(r, y, _GDP) * 1e8 / (_s(r, y, _POP) * 1e4), (_GDP, _POP)),
    Target("urban_disposable_income_yuan", "Urban residents' disposable income per capita", "城镇居民人均可支配收入",
           "yuan", 68000.0, "at_least", _S + "城镇居民人均可支配收入突破6.8万元", "cannot",
           "no 2019 level in the project's data (plan_facts_2019.csv has only its premium over the Hunan average, "
           "54.8 %, and no Hunan level); the model's wages are not disposable income"),
    Target("urban_population_10k", "Urban population", "城镇人口", "10k persons", 1300.0, "at_least",
           _S + "城镇人口达到1300万人", "proxy",
           "urbanization proxy (next row) times residents: the rate is biased downward, the census-anchored "
           "residents (about 7 % above the Outline's 2019 estimate, see GDP per capita) upward",
           lambda r, y: _urbanization(r, y) / 100 * _s(r, y, _POP), _URB, (BASE_YEAR,)),
    Target("urbanization_pct", "Urbanization rate", "城镇化率", "pct", 80.0, "at_least", _S + "城镇化率达到80%",
           "proxy", f"the 2019 rate ({URBANIZATION_2019} %, Plan Outline 2020) moved with the non-agricultural share "
           "of value added; the model has no urban or rural residence and agriculture is 3-7 % of the cities' GDP "
           "(2019, cities_2019.csv), so the proxy stays near the 2019 rate and misses moves from village to town: biased downward",
           _urbanization, _URB, (BASE_YEAR,)),
    Target("rd_share_pct", "R&D spending share of GDP", "R&D经费占地区生产总值比重", "pct", 3.0, "about",
           _S + "R&D经费占地区生产总值3%左右", "computed", "firms' modelled R&D (model/knowledge.py) over GDP",
           lambda r, y: 100 * _s(r, y, "rd_100m_yuan") / _s(r, y, _GDP), ("rd_100m_yuan", _GDP)),
    Target("hightech_value_added_100m_yuan", "High-tech industry value added", "高新技术产业增加值", "100m yuan",
           9500.0, "at_least", _S + "高新技术产业增加值达到9500亿元以上", "proxy",
           f"value added of {_HT}: counts their conventional products (cars, ordinary equipment) and leaves out new "
           f"materials, biomedicine and high-tech services, net bias of unknown sign; {_PRICES}",
           _hightech, tuple(f"gdp_{s}_100m_yuan" for s in HIGH_TECH_SECTORS)),
    Target("hightech_share_pct", "High-tech industry share of GDP", "高新技术产业增加值占地区生产总值比重", "pct", 35.0,
           "at_least", _S + "占地区生产总值35%", "proxy", f"the previous row's {_HT} over GDP, biased like it",
           lambda r, y: 100 * _hightech(r, y) / _s(r, y, _GDP),
           (_GDP,) + tuple(f"gdp_{s}_100m_yuan" for s in HIGH_TECH_SECTORS)),
    Target("road_density_km_per_km2", "Road network density of the central area", "中心区路网密度", "km/km2", 7.0,
           "at_least", _S + "中心区路网密度达到7公里/平方公里", "cannot",
           "no road network: geography is door-to-door minutes between the three city centres (model/data/travel.csv)"),
    Target("commute_circle_minutes", "Half-hour commute circle", "半小时通勤圈", "minutes", 30.0, "at_most",
           _S + "“半小时通勤圈”全面形成", "cannot",
           "travel times are scenario inputs (the travel network of model/data/travel.csv; the half_hour_circle "
           "network assumes it), not outcomes: no transport network or congestion produces them"),
    Target("pm25_ug_m3", "PM2.5 mean concentration", "细颗粒物(PM2.5)平均浓度", "ug/m3", 40.0, "at_most",
           _S + "细颗粒物(PM2.5)平均浓度低于40ug/m3", "cannot", _NO_ENV),
    Target("forest_cover_pct", "Forest cover", "森林覆盖率", "pct", 56.8, "at_least", _S + "森林覆盖率达56.8%", "cannot",
           _NO_ENV + "; land is parks and housing only"),
    Target("good_air_days_pct", "Days of good air quality", "城市空气质量优良天数比率", "pct of days", 85.0, "at_least",
           _S + "城市空气质量优良天数比率达到85%以上", "cannot", _NO_ENV),
    Target("cross_border_water_pct", "Cross-border river sections meeting standards", "跨界河流断面水质达标率",
           "pct of sections", 100.0, "at_least", _S + "跨界河流断面水质达标率达到100%", "cannot", _NO_ENV),
    Target("energy_per_gdp_change_pct", "Energy use per unit of GDP, change on 2019", "单位GDP能耗较2019年下降",
           "pct change on 2019", -10.0, "at_most", _S + "单位GDP能耗较2019年下降10%以上", "cannot",
           "production uses labour, capital, land and intermediate inputs in value, no energy"),
    Target("public_spending_per_capita_yuan", "Public budget spending per resident", "人均公共财政支出",
           "yuan per resident", 22000.0, "at_least", _S + "人均公共财政支出达到2.2万元", "proxy",
           "the governments' outlays (local taxes after sharing + provincial investment, model/fiscal.py; the "
           "integration fund nets out) over residents: no central transfers, government-fund (land) budget or "
           f"borrowing, so biased downward; {_PRICES}",
           lambda r, y: (_s(r, y, "tax_after_sharing_100m_yuan") + _s(r, y, "provincial_investment_100m_yuan")) * 1e8
           / (_s(r, y, _POP) * 1e4), ("tax_after_sharing_100m_yuan", "provincial_investment_100m_yuan", _POP)),
    Target("new_urban_jobs_10k", "New urban jobs in the year", "城镇新增就业人数", "10k persons", 29.0, "at_least",
           _S + "城镇新增就业人数29万人", "proxy",
           "net change of employment over the year (all jobs, agriculture included); the statistic counts gross new "
           "urban jobs, replacements of leavers included, so biased downward; read as the year's count (assumption: "
           "the Outline does not say yearly or cumulative)",
           lambda r, y: _s(r, y, "employment_10k") - _s(r, y - 1, "employment_10k"), ("employment_10k",), (-1,)),
    Target("schooling_years", "Average schooling of the working-age population", "劳动年龄人口平均受教育年限", "years",
           11.0, "at_least", _S + "劳动年龄人口平均受教育年限达到11年", "cannot",
           "workers have two skill levels (ordinary, talent) and no ages or years of schooling"),
    Target("sport_participation_pct", "Share exercising regularly", "经常参加体育锻炼人数比例", "pct", 37.0, "at_least",
           _S + "经常参加体育锻炼人数比例达到37%以上", "cannot", "no health behaviour in the model"),
    Target("life_expectancy_years", "Life expectancy", "人均期望寿命", "years", 78.0, "at_least",
           _S + "人均期望寿命达到78岁", "cannot",
           "deaths follow a national crude death rate without ages (model/demography.py): no life table"),
)
STATUSES = ("computed", "proxy", "cannot")
DIRECTIONS = ("at_least", "at_most", "about")


def met(value: float | None, target: float, direction: str) -> bool | None:
    """Whether ``value`` meets ``target``: at least, at most, or within ABOUT_TOLERANCE of it; None without a value."""
    if value is None:
        return None
    if direction == "at_least":
        return value >= target
    if direction == "at_most":
        return value <= target
    return abs(value - target) <= ABOUT_TOLERANCE * abs(target)


def _missing(t: Target, annual: pd.DataFrame, year: int) -> str | None:
    """Why the row has no value in this run, or None."""
    have = set(annual.year) if "year" in annual else set()
    last = max(have) if have else None
    for y in (year, *(year + d if d < 0 else d for d in t.years)):
        if y not in have:
            return f"year {y} not in the run (its complete years: {min(have)}-{last})" if have else "no complete year"
    cols = [c for c in t.needs if c not in annual]
    return f"not recorded: {', '.join(cols)}" if cols else None


def plan_table(annual: pd.DataFrame, year: int = 2025) -> list[dict]:
    """Every 2025 target of the Outline against the run in ``year``, in declared order (JSON-ready).

    Row: key, label_en, label_zh, unit, target, direction, source, status, year, value (float or None),
    ratio (value / target or None), met (bool or None), note (the declared note; why no value, if none)."""
    rows = {int(y): g for y, g in annual.groupby("year")} if "year" in annual else {}
    out = []
    for t in TARGETS_2025:
        value, note = None, t.note
        if t.value is not None:
            why = _missing(t, annual, year)
            v = None if why else t.value(rows, year)
            if v is None:
                note = f"{note}; no value: {why or f'not defined in {year}'}"
            else:
                value = float(v)
        out.append({"key": t.key, "label_en": t.label_en, "label_zh": t.label_zh, "unit": t.unit, "target": t.target,
                    "direction": t.direction, "source": t.source, "status": t.status, "year": int(year),
                    "value": value, "ratio": None if value is None else value / t.target,
                    "met": met(value, t.target, t.direction), "note": note})
    return out


_GAP_SOURCE = "Outline 2020 ch.2 §4 远期目标: 到2035年……城乡区域发展差距和居民生活水平差距显著缩小"
GAP_MEASURES = (  # key, label_en, label_zh, measure
    ("theil_gdp_per_capita", "Theil index of GDP per capita between the cities", "城市间人均GDP泰尔指数", theil),
    ("cv_gdp_per_capita", "Population-weighted CV of GDP per capita between the cities", "城市间人均GDP加权变异系数", cv),
)


def gap_goals(annual: pd.DataFrame, year: int = 2035) -> list[dict]:
    """The 2035 goal of markedly narrower gaps where the model speaks: the cities' GDP-per-capita gaps in the first
    year against ``year`` (the last year if the run ends before it); the urban-rural gap it cannot measure.

    Row: key, label_en, label_zh, unit, source, status, first_year, first, year, value, change (value - first),
    narrowed (value < first; None without two years), note. The Outline puts no number on "markedly" (显著)."""
    out = []
    years = sorted(set(annual.year)) if "year" in annual and len(annual) else []
    upto = [y for y in years if y <= year]
    for key, en, zh, measure in GAP_MEASURES:
        row = {"key": key, "label_en": en, "label_zh": zh, "unit": "index", "source": _GAP_SOURCE,
               "status": "computed", "first_year": None, "first": None, "year": None, "value": None, "change": None,
               "narrowed": None, "note": "model.measures." + measure.__name__ + "; 'markedly' has no threshold"}
        if upto and {_GDP, _POP} <= set(annual):
            s = measure(annual[annual.year <= upto[-1]])
            y0, y1 = int(upto[0]), int(upto[-1])
            first, value = float(s.loc[y0]), float(s.loc[y1])
            row.update(first_year=y0, first=first, year=y1, value=value, change=value - first,
                       narrowed=(value < first) if y1 > y0 else None)
            if y1 < year:
                row["note"] += f"; {year} not reached: compared with the last year, {y1}"
        else:
            row["note"] += "; no value: " + ("not recorded: GDP or residents" if upto else f"no year up to {year}")
        out.append(row)
    out.append({"key": "urban_rural_gap", "label_en": "Urban-rural gap", "label_zh": "城乡发展差距", "unit": None,
                "source": _GAP_SOURCE, "status": "cannot", "first_year": None, "first": None, "year": None,
                "value": None, "change": None, "narrowed": None,
                "note": "the model has no urban or rural residence within a city"})
    return out
