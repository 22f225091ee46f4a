"""The Plan Outline's target table (model/targets.py) against the Outline's text and a real run.

- every numeric 2025 target of the Outline (ch. 2 §4) is a row, once, in the Outline's order, with its number,
  direction and a status; the phrases quoted as sources are the Outline's own words;
- rows with a value are the model's quantities: GDP is the sum of the cities' GDP in the annual frame, the ratio
  is value / target, met follows the direction; a run that ends before 2025, or a table without a column, gives
  no value and says why;
- the 2035 gap goals are model.measures.theil and cv, first year against 2035 (or the last year);
- the report's plan_targets.csv holds the same values and reads back.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from model import targets
from model.measures import cv, theil
from model.targets import ABOUT_TOLERANCE, TARGETS_2025, gap_goals, met, plan_table
from runstore import Result, needs, result, spec

ROOT = Path(__file__).resolve().parent.parent

# the Outline's 2025 targets (ch. 2 §4, lines 103-111 of the seed text): key -> (number, direction)
OUTLINE_2025 = {
    "gdp_100m_yuan": (27000, "at_least"), "gdp_growth_pct": (8, "about"), "gdp_per_capita_yuan": (165000, "at_least"),
    "urban_disposable_income_yuan": (68000, "at_least"), "urban_population_10k": (1300, "at_least"),
    "urbanization_pct": (80, "at_least"), "rd_share_pct": (3, "about"),
    "hightech_value_added_100m_yuan": (9500, "at_least"), "hightech_share_pct": (35, "at_least"),
    "road_density_km_per_km2": (7, "at_least"), "commute_circle_minutes": (30, "at_most"),
    "pm25_ug_m3": (40, "at_most"), "forest_cover_pct": (56.8, "at_least"), "good_air_days_pct": (85, "at_least"),
    "cross_border_water_pct": (100, "at_least"), "energy_per_gdp_change_pct": (-10, "at_most"),
    "public_spending_per_capita_yuan": (22000, "at_least"), "new_urban_jobs_10k": (29, "at_least"),
    "schooling_years": (11, "at_least"), "sport_participation_pct": (37, "at_least"),
    "life_expectancy_years": (78, "at_least"),
}


RUN = spec("baseline", seed=1, until=2035, scale=2000)  # a coarse baseline 2019-2035 (about 4 s)


@pytest.fixture(scope="module")
def run() -> Result:
    return result(RUN)


@pytest.fixture(scope="module")
def annual(run) -> pd.DataFrame:
    return run.annual


def test_every_outline_target_once_in_order_with_a_status():
    keys = [t.key for t in TARGETS_2025]
    assert keys == list(OUTLINE_2025)  # once each, in the Outline's order
    for t in TARGETS_2025:
        assert (t.target, t.direction) == OUTLINE_2025[t.key], t.key
        assert t.status in targets.STATUSES and t.direction in targets.DIRECTIONS
        assert t.label_en and t.label_zh and t.unit and t.source.startswith("Outline 2020 ch.2 §4: ")
        assert len(t.note) > 20, t.key  # what is computed, the proxy and its bias, or why it cannot
        assert (t.value is None) == (t.status == "cannot"), t.key
    by = {t.key: t.status for t in TARGETS_2025}
    assert by["gdp_100m_yuan"] == by["rd_share_pct"] == by["gdp_growth_pct"] == "computed"
    assert by["urbanization_pct"] == "proxy" and by["pm25_ug_m3"] == "cannot"


def test_sources_quote_the_outline_and_agree_with_plan_facts():
    seed = next((p for p in (ROOT.parent / "shared" / "seeds", ROOT.parent / "seeds")
                 if (p / "2020-czt-integration-plan-outline.txt").exists()), None)
    if seed is not None:
        text = (seed / "2020-czt-integration-plan-outline.txt").read_text(encoding="utf-8")
        goals = text[text.index("第四节 发展目标"):text.index("远期目标")]
        for t in TARGETS_2025:
            assert t.source.split(": ", 1)[1] in goals, t.key
    facts = pd.read_csv(ROOT / "model" / "data" / "plan_facts_2019.csv").set_index("key").value
    declared = {t.key: t.target for t in TARGETS_2025}
    for fact, key in [("target_gdp_2025", "gdp_100m_yuan"), ("target_gdp_growth_2025", "gdp_growth_pct"),
                      ("target_gdp_per_capita_2025", "gdp_per_capita_yuan"), ("target_rd_share_2025", "rd_share_pct"),
                      ("target_urban_disposable_income_2025", "urban_disposable_income_yuan"),
                      ("target_urbanization_2025", "urbanization_pct"), ("target_commute_circle", "commute_circle_minutes"),
                      ("target_hightech_value_added_2025", "hightech_value_added_100m_yuan")]:
        assert declared[key] == facts[fact], key
    assert targets.URBANIZATION_2019 == facts["urbanization_rate"]


@pytest.mark.sim
@needs(RUN)
def test_rows_with_a_value_are_the_model_quantities(annual):
    rows = plan_table(annual, 2025)
    assert [r["key"] for r in rows] == list(OUTLINE_2025) and all(r["year"] == 2025 for r in rows)
    by = {r["key"]: r for r in rows}
    for r in rows:
        if r["status"] == "cannot":
            assert r["value"] is None and r["ratio"] is None and r["met"] is None
        else:
            assert isinstance(r["value"], float) and math.isfinite(r["value"]), r["key"]
            assert r["ratio"] == pytest.approx(r["value"] / r["target"], rel=1e-12)
            assert r["met"] is met(r["value"], r["target"], r["direction"])
    y25, y19 = annual[annual.year == 2025], annual[annual.year == 2019]
    gdp = y25.gdp_100m_yuan.sum()
    assert len(y25) == 3 and by["gdp_100m_yuan"]["value"] == pytest.approx(gdp, rel=1e-12)
    assert by["gdp_per_capita_yuan"]["value"] == pytest.approx(gdp * 1e8 / (y25.population_10k.sum() * 1e4))
    assert by["gdp_growth_pct"]["value"] == pytest.approx(100 * ((gdp / y19.gdp_100m_yuan.sum()) ** (1 / 6) - 1))
    assert by["rd_share_pct"]["value"] == pytest.approx(100 * y25.rd_100m_yuan.sum() / gdp)
    ht = sum(y25[f"gdp_{s}_100m_yuan"].sum() for s in targets.HIGH_TECH_SECTORS)
    assert by["hightech_share_pct"]["value"] == pytest.approx(100 * ht / gdp)
    jobs = y25.employment_10k.sum() - annual[annual.year == 2024].employment_10k.sum()
    assert by["new_urban_jobs_10k"]["value"] == pytest.approx(jobs)
    # another year: the same targets against that year's quantities
    y30 = plan_table(annual, 2030)
    assert {r["key"]: r["value"] for r in y30}["gdp_100m_yuan"] == pytest.approx(
        annual[annual.year == 2030].gdp_100m_yuan.sum())


@pytest.mark.sim
@needs(RUN)
def test_run_ending_before_2025_has_no_values_and_says_why(annual):
    short = annual[annual.year <= 2023]
    rows = plan_table(short)
    assert [r["key"] for r in rows] == list(OUTLINE_2025)
    assert all(r["value"] is None and r["ratio"] is None and r["met"] is None for r in rows)
    for r in rows:
        if r["status"] != "cannot":
            assert "year 2025 not in the run" in r["note"] and "2019-2023" in r["note"], r["key"]
    # growth in the base year itself is not defined; a sweep that kept no R&D column has no R&D share
    assert plan_table(annual, 2019)[1]["value"] is None and "not defined in 2019" in plan_table(annual, 2019)[1]["note"]
    no_rd = {r["key"]: r for r in plan_table(annual.drop(columns="rd_100m_yuan"))}
    assert no_rd["rd_share_pct"]["value"] is None and "not recorded: rd_100m_yuan" in no_rd["rd_share_pct"]["note"]
    assert no_rd["gdp_100m_yuan"]["value"] is not None
    assert all(r["value"] is None for r in plan_table(annual.iloc[0:0]))


@pytest.mark.parametrize("value, target, direction, expected", [
    (27000.0, 27000.0, "at_least", True), (26999.0, 27000.0, "at_least", False),
    (40.0, 40.0, "at_most", True), (40.1, 40.0, "at_most", False),
    (-12.0, -10.0, "at_most", True), (-9.0, -10.0, "at_most", False),  # a fall of at least 10 %
    (3.0 * (1 + 0.99 * ABOUT_TOLERANCE), 3.0, "about", True), (3.0 * (1 - 0.99 * ABOUT_TOLERANCE), 3.0, "about", True),
    (3.0 * (1 + 1.01 * ABOUT_TOLERANCE), 3.0, "about", False), (2.0, 3.0, "about", False),
    (-10.5, -10.0, "about", True), (-12.0, -10.0, "about", False),
    (None, 3.0, "about", None),
])
def test_met_follows_the_direction(value, target, direction, expected):
    assert met(value, target, direction) is expected


@pytest.mark.sim
@needs(RUN)
def test_gap_goals_are_theil_and_cv_first_year_against_2035(annual):
    rows = {r["key"]: r for r in gap_goals(annual)}
    assert list(rows) == ["theil_gdp_per_capita", "cv_gdp_per_capita", "urban_rural_gap"]
    for key, measure in (("theil_gdp_per_capita", theil), ("cv_gdp_per_capita", cv)):
        r, s = rows[key], measure(annual)
        assert (r["first_year"], r["year"]) == (2019, 2035) and r["status"] == "computed"
        assert r["first"] == pytest.approx(s.loc[2019]) and r["value"] == pytest.approx(s.loc[2035])
        assert r["change"] == pytest.approx(s.loc[2035] - s.loc[2019])
        assert r["narrowed"] is bool(s.loc[2035] < s.loc[2019])
    assert rows["urban_rural_gap"]["status"] == "cannot" and rows["urban_rural_gap"]["narrowed"] is None
    short = {r["key"]: r for r in gap_goals(annual[annual.year <= 2030])}["cv_gdp_per_capita"]
    assert short["year"] == 2030 and "2035 not reached" in short["note"]
    assert short["value"] == pytest.approx(cv(annual).loc[2030])
    one = gap_goals(annual[annual.year == 2019])[0]
    assert one["first_year"] == one["year"] == 2019 and one["narrowed"] is None


def _two_cities(pc_first: tuple[float, float], pc_last: tuple[float, float]) -> pd.DataFrame:
    rows = [{"year": y, "city": c, "population_10k": 100.0, "gdp_100m_yuan": pc * 100.0 * 1e4 / 1e8}
            for y, pcs in ((2019, pc_first), (2035, pc_last)) for c, pc in zip(("a", "b"), pcs)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("last, narrowed", [((100_000, 100_000), True), ((150_000, 50_000), False)])
def test_gap_goals_on_constructed_cities(last, narrowed):
    """Two equal-sized cities at 120k and 80k yuan per head: equal incomes later narrow the gap, 150k/50k widen it."""
    rows = gap_goals(_two_cities((120_000, 80_000), last))
    assert rows[1]["first"] == pytest.approx(0.2)  # population-weighted CV: sd 20k over mean 100k
    assert rows[0]["narrowed"] is narrowed and rows[1]["narrowed"] is narrowed
    if narrowed:
        assert rows[0]["value"] == pytest.approx(0.0, abs=1e-12) and rows[1]["value"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.sim
@needs(RUN)
def test_summary_carries_the_tables(run, annual):
    s = run.summary().to_dict()  # what run.json's "summary" holds
    assert s["plan_targets_2025"] == plan_table(annual, 2025) and s["gap_goals_2035"] == gap_goals(annual, 2035)
    g = {r["key"]: r for r in s["gap_goals_2035"]}["theil_gdp_per_capita"]
    assert (g["first"], g["value"]) == (s["theil_gdp_per_capita"]["first"], s["theil_gdp_per_capita"]["last"])
    typed = {r.key: r for r in run.summary().gap_goals_2035}["theil_gdp_per_capita"]
    assert (typed.first, typed.value) == (g["first"], g["value"])  # the typed rows are the same rows
    import json

    json.dumps(s, allow_nan=False)  # JSON-ready: plain floats, bools and None


@pytest.mark.sim
@needs(RUN)
def test_report_plan_targets_csv_reads_back(annual, tmp_path):
    from experiments.report import compute, tables

    a = annual.assign(group="baseline")
    b = annual.assign(group="baseline", gdp_100m_yuan=annual.gdp_100m_yuan * 1.1)  # a second run, 10 % more GDP
    data = SimpleNamespace(cities=pd.concat([a.assign(run_id="r1"), b.assign(run_id="r2")]), groups=["baseline"])
    path = tables.write_csv(compute.plan_targets(data), tmp_path / "plan_targets.csv")
    back = pd.read_csv(path)
    assert list(back.key) == list(OUTLINE_2025) and list(back.columns) == list(compute.PLAN_COLUMNS)
    row = back.set_index("key").loc["gdp_100m_yuan"]
    gdp = annual[annual.year == 2025].gdp_100m_yuan.sum()
    assert row.runs == row.runs_with_value == 2 and row.status == "computed"
    assert row.value_mean == pytest.approx(1.05 * gdp) and row.ratio_mean == pytest.approx(1.05 * gdp / 27000)
    assert row.value_ci95_low < row.value_mean < row.value_ci95_high
    want = np.mean([gdp >= 27000, 1.1 * gdp >= 27000])
    assert row.met_share == pytest.approx(want)
    pm = back.set_index("key").loc["pm25_ug_m3"]
    assert pm.status == "cannot" and pm.runs_with_value == 0 and np.isnan(pm.value_mean) and "environment" in pm.note
    assert back.set_index("key").loc["urbanization_pct"].label_zh == "城镇化率"


def test_the_outline_money_targets_read_at_about_constant_prices():
    """The price basis the plan table assumes: the Outline's 2025 GDP target is its 2019 GDP grown at its own real
    growth target, leaving under 0.5 % a year for price rises, so model money at 2019 prices is compared with it
    (not with a nominal figure that would need reflating)."""
    from model.targets import FACTS_2019, TARGETS_2025, outline_price_drift

    drift = outline_price_drift(2025)
    assert abs(drift) < 0.005, drift
    per_capita = next(tg for tg in TARGETS_2025 if tg.key == "gdp_per_capita_yuan").target
    at_2019 = FACTS_2019["gdp_total"] * 1e8 / (FACTS_2019["resident_population"] * 1e4)  # yuan
    # per-capita target over the 2019 level: 8 % real growth a year over six years less the residents' growth
    # (2018->2019 rate of the Outline) leaves a yearly price rise within 1.5 %
    pop_growth = FACTS_2019["resident_population_growth"] / (FACTS_2019["resident_population"]
                                                             - FACTS_2019["resident_population_growth"])
    implied = (per_capita / at_2019 / ((1.08 / (1 + pop_growth)) ** 6)) ** (1 / 6) - 1
    assert abs(implied) < 0.015, implied
