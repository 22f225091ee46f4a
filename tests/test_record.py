"""The long record 2005-2019 (model/data, model/record.py), the 2005 start and validate's signed-error table."""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, run_cli, script_module
from model import calibration as cal
from model import record

CITIES = ["changsha", "zhuzhou", "xiangtan"]
SCALE = 2000
RECORD_FILES = ("city_history.csv", "census.csv", "gdp_revisions.csv", "national_gdp.csv")
UNIT_SUFFIX = re.compile(r"_(100m_yuan|yuan|pct|10k|10k_persons|population)$")


# ---------------------------------------------------------------- the record files
@pytest.mark.parametrize("name", RECORD_FILES)
def test_record_files_carry_unit_and_source_on_every_row(name):
    """Every row names its source, or says "same..." after a row that does; every figure has a unit, in its column
    name (wide files) or in a unit column (gdp_revisions.csv)."""
    with (ROOT / "model" / "data" / name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    full_seen = False
    for i, r in enumerate(rows):
        src = (r["source"] or "").strip()
        assert src, f"{name} row {i + 2}: no source"
        if src.lower().startswith("same"):
            assert full_seen, f"{name} row {i + 2}: 'same' before any row with a source"
        else:
            assert len(src) > 30, f"{name} row {i + 2}: source too short to name anything: {src!r}"
            full_seen = True
    if "unit" in rows[0]:
        assert all(r["unit"].strip() for r in rows), name
    else:
        numeric = [c for c in rows[0] if c not in {"city", "place", "year", "census_year", "vintage", "flag", "source"}]
        for c in numeric:
            assert UNIT_SUFFIX.search(c) or c in {"real_growth_pct", "resident_population"}, f"{name}: {c} has no unit"


def test_derived_figures_are_flagged_and_show_their_arithmetic():
    h = pd.read_csv(ROOT / "model/data/city_history.csv")
    derived = h[h.flag == "derived_approx"]
    assert len(derived) >= 2
    for r in derived.itertuples():
        assert r.source.startswith("NOT published") and "=" in r.source and "/" in r.source, (r.city, r.year)
        # the arithmetic in the source gives the value: industrial value added / its share of GDP
        num, share = (float(x) for x in re.search(r"added ([\d.]+) / its share of GDP ([\d.]+) %", r.source).groups())
        assert num / (share / 100) == pytest.approx(r.gdp_100m_yuan, abs=0.1)
    missing = h[h.flag == "missing"]
    assert missing.gdp_100m_yuan.isna().all() and (missing.source.str.startswith("not found")).all()
    assert set(h.vintage) == {"ec2004", "ec2008", "ec2013", "ec2018"}


def test_record_compares_growth_only_within_a_vintage():
    obs = record.observed()
    h = cal.city_history().set_index(["city", "year"])
    g = obs[obs.moment == "real_growth"]
    assert len(g) > 20
    for r in g.itertuples():
        assert h.at[(r.city, r.year), "vintage"] == h.at[(r.city, r.year - 1), "vintage"], (r.city, r.year)
    # the first year of each revised vintage has no growth row
    assert not ((g.year == 2009) | (g.year == 2014) | (g.year == 2019)).any()
    # 2018: only Changsha's GDP share (the two other cities' 2018 GDP was not found, only their sum)
    s18 = obs[(obs.moment == "gdp_share") & (obs.year == 2018)]
    assert list(s18.city) == ["changsha"] and s18.value.item() == pytest.approx(11003.41 / 15796.3)
    # within a year with all three figures the shares add to one
    s = obs[obs.moment == "gdp_share"].groupby("year").value
    assert np.allclose(s.sum()[s.count() == 3], 1.0)


def test_deflator_chains_back_from_2010():
    d = cal.gdp_deflator()
    gdp = pd.read_csv(ROOT / "model/data/national_gdp.csv").set_index("year")
    assert d[2010] == 1.0 and (d[d.index < 2010] < 1).all()
    for y in range(2006, 2011):  # nominal growth = real growth x price growth, year by year
        nominal = gdp.gdp_100m_yuan[y] / gdp.gdp_100m_yuan[y - 1]
        assert d[y] / d[y - 1] == pytest.approx(nominal / (1 + gdp.real_growth_pct[y] / 100), rel=1e-12)


def test_residents_follow_the_census_path_of_their_decade():
    c = cal.census_table()
    for city in CITIES:
        p00, p10 = c[(city, 2000)], c[(city, 2010)]
        p05 = cal.census_residents(city, 2005)
        assert min(p00, p10) < p05 < max(p00, p10)
        # log-linear: mid-2005 is 4.67 of the 10 years from census to census (1 Nov 2000 to 1 Nov 2010)
        t = (2005.5 - cal.CENSUS_DATE[2000]) / 10
        assert p05 == pytest.approx(p00 * (p10 / p00) ** t, rel=1e-12)
    assert cal.census_residents("changsha", 2010) == c[("changsha", 2010)]


@pytest.mark.cli
def test_start_year_without_data_is_one_line(tmp_path):
    r = run_cli("run", "--scenario", "hindcast-2005", "--set", "start_year=2007", "--until", "2008", "--out",
                str(tmp_path / "run"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line = r.stderr.strip()
    assert "\n" not in line and "start_year" in line and "2007" in line and "2005, 2010 or 2019" in line
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- the 2005 start
@pytest.mark.sim
def test_2005_start_reproduces_the_2005_record():
    from model.czt_model import CZTModel

    m = CZTModel("hindcast-2005", seed=4, overrides={"scale": SCALE})
    assert m.year == 2005 and m.commute_minutes[0, 1] == 80.0 and m.p["green_heart_ban"] == 0.0
    assert m.p["talent_subsidy_changsha"] == m.p["talent_subsidy_cap"] == 0.0
    c = m.cities_frame()
    first = c[c.step == 0].set_index("city").loc[CITIES]
    h = cal.city_history()
    h05 = h[h.year == 2005].set_index("city").loc[CITIES]
    np.testing.assert_allclose(first.gdp_q_100m_yuan * 4, h05.gdp_100m_yuan, rtol=1e-6)
    sectors = pd.read_csv(ROOT / "model/data/sectors.csv").set_index("sector")
    for kind in ("primary", "secondary", "tertiary"):
        cols = [f"gdp_{s}_q_100m_yuan" for s in sectors.index[sectors.kind == kind]]
        share = first[cols].sum(axis=1) / first.gdp_q_100m_yuan
        np.testing.assert_allclose(share, h05[f"{kind}_share_pct"] / 100, atol=0.001)
    for city in CITIES:
        assert first.population_10k[city] == pytest.approx(cal.census_residents(city, 2005) / 1e4, rel=0.01), city
        assert first.avg_wage_yuan[city] == pytest.approx(h05.avg_wage_yuan[city], rel=0.02), city
    # the 2005 residents are not the 2010 ones: Changsha grew 0.9 million between the censuses
    assert first.population_10k["changsha"] < cal.census_table()[("changsha", 2010)] / 1e4 - 30


@pytest.mark.cli
@pytest.mark.sim
def test_validate_2005_writes_signed_errors_for_every_recorded_city_year(tmp_path):
    out = tmp_path / "v"
    r = run_cli("validate", "--scenario", "hindcast-2005", "--seeds", "2", "--scale", str(SCALE), "--workers", "2",
                "--out", str(out), timeout=900)
    assert r.returncode == 0, r.stderr
    assert "signed errors" in r.stdout
    t = pd.read_csv(out / "record_fit.csv")
    obs = record.observed()
    assert len(t) == len(obs)  # every recorded moment from 2005, the 2010 and 2020 censuses included
    merged = obs.merge(t, on=record.KEY, how="left")
    assert merged.recorded.notna().all() and merged.simulated.notna().all()
    np.testing.assert_allclose(merged.value, merged.recorded)
    np.testing.assert_allclose(t.signed_error, t.simulated - t.recorded, atol=1e-12)
    assert ((t.simulated_p05 <= t.simulated + 1e-12) & (t.simulated <= t.simulated_p95 + 1e-12)).all()
    for moment in ("gdp_share", "real_growth", "secondary_share", "wage_ratio"):  # the 2005-2009 record is scored
        years = t[t.moment == moment].groupby("city").year
        assert years.min().max() <= 2006 and years.max().max() >= 2018, moment
    assert set(t[t.moment == "residents"].year) == {2010, 2020}
    bias = pd.read_csv(out / "record_bias.csv")
    assert (bias.years_above + bias.years_below <= bias.years).all() and bias.years.sum() == len(t)
    for name in ("record_fit.tex", "record.png", "record.pdf", "fit.csv"):
        assert (out / name).stat().st_size > 500, name


@pytest.mark.smoke
def test_pace_variants_add_one_dated_change_to_the_fitted_hindcast(tmp_path):
    """scripts/pace.py's variants (docs/record.md, "What sets the pace"): each is the fitted hindcast with the same
    start parameters and timeline, plus exactly its dated change, valid from that year; 'fitted' is the file itself."""
    from model.scenarios import load

    pace = script_module("pace")
    base = load(pace.FITTED)
    assert pace.variant_file(tmp_path, pace.FITTED, "fitted") == pace.FITTED
    for name, change in pace.VARIANTS.items():
        if change is None:
            continue
        year, params = change
        sc = load(pace.variant_file(tmp_path, pace.FITTED, name))
        assert sc.resolved() == base.resolved(), name  # the same start
        extra = [e for e in sc.timeline if e.to_dict() not in [b.to_dict() for b in base.timeline]]
        assert len(extra) == 1 and extra[0].year == year and extra[0].params == params, (name, extra)
