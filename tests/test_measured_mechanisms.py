"""Mechanisms set from data rather than assumed (issue 25): natural growth by city, a destination pull not set on the
census a hindcast is scored on, the moments of the long record (model/record_fit.py), and the firm-move count the
relocation moment reads."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

from model import calibration as cal
from model import demography, record_fit
from runstore import needs, result, spec

CITIES = ("changsha", "zhuzhou", "xiangtan")
HINDCAST = spec("hindcast-2005", seed=3, until=2020)


# ---------------------------------------------------------------- natural growth by city
@pytest.mark.smoke
def test_natural_growth_meets_every_recorded_year_and_falls_back_to_hunan():
    t = cal.natural_growth_table()
    for r in t[t.place.isin(CITIES)].itertuples():
        assert cal.natural_growth(r.place, r.year) == pytest.approx(r.natural_growth_per_mille / 1000, abs=1e-12)
    hunan = t[t.place == "hunan"]
    # a city without a record (Zhuzhou) follows Hunan's path, held after its last year
    for r in hunan.itertuples():
        assert cal.natural_growth("zhuzhou", r.year) == pytest.approx(r.natural_growth_per_mille / 1000)
    assert cal.natural_growth("zhuzhou", 2035) == cal.natural_growth("zhuzhou", hunan.year.max())
    # the cities differ: Changsha's recorded rates are not the province's
    assert abs(cal.natural_growth("changsha", 2016) - cal.natural_growth("zhuzhou", 2016)) > 0.002
    assert all(r.source and len(r.source) > 30 for r in t.itertuples())


# ---------------------------------------------------------------- the destination pull
def _model(start_year: int) -> types.SimpleNamespace:
    from model.params import defaults

    p = defaults()
    return types.SimpleNamespace(p=p, start_year=start_year)


@pytest.mark.smoke
def test_the_pull_of_a_hindcast_never_reads_the_2020_census(monkeypatch):
    """Changing the 2020 census count leaves the hindcasts' destination shares as they are (it is what they are
    scored on) and moves the 2019 baseline's (its latest census)."""
    before = {y: demography.census_destination_shares(_model(y)) for y in (2005, 2010, 2019)}
    table = cal.census_table().copy()
    table.loc[("changsha", 2020)] *= 1.2
    monkeypatch.setattr(cal, "census_table", lambda: table)
    monkeypatch.setattr(cal, "_census_pair", lambda place, first=2010: (table.loc[(place, first)],
                                                                         table.loc[(place, first + 10)]))
    for y in (2005, 2010):
        np.testing.assert_array_equal(demography.census_destination_shares(_model(y)), before[y])
    after = demography.census_destination_shares(_model(2019))
    assert after[0] > before[2019][0] + 0.01


# ---------------------------------------------------------------- the record's moments
@pytest.mark.smoke
def test_record_moments_admit_nothing_after_2019_but_the_2020_census():
    o = record_fit.observed()
    late = o[o.year > 2019]
    assert len(late) and late.moment.str.startswith(("residents_", "pop_share_")).all()
    assert set(o[o.split == "holdout"].year) == {2019}
    assert (o[o.split == "fit"].year <= 2020).all() and (o.sd > 0).all()
    for city in CITIES:  # every city, every year, not aggregates
        years = set(o[o.moment == f"gdp_share_{city}"].year)
        assert {2006, 2012, 2017, 2019} <= years, city
    assert {"log_commuters", "log_firm_move_rate"} <= set(o.moment)


@pytest.mark.sim
@needs(HINDCAST)
def test_a_2005_hindcast_yields_every_moment_of_the_record():
    r = result(HINDCAST)
    sim = record_fit.simulated(r.annual)
    obs = record_fit.observed()
    merged = obs.merge(sim, on=["moment", "year"], how="left", suffixes=("", "_sim"))
    assert merged.value_sim.notna().all(), merged[merged.value_sim.isna()].moment.tolist()[:5]
    assert np.isfinite(merged.value_sim).all()


@pytest.mark.sim
@needs(HINDCAST)
def test_firm_moves_column_counts_the_relocation_and_branch_flows():
    """The annual count the relocation moment reads equals the flows table's moves between the three cities."""
    r = result(HINDCAST)
    f = r.flows[r.flows.kind.isin(["firm_relocation", "branch_opening"]) & (r.flows.origin != r.flows.destination)
                & r.flows.destination.isin(CITIES) & (r.flows.quarter > 0)]
    from_flows = f.groupby(["year", "origin"])["count"].sum()
    a = r.annual.set_index(["year", "city"]).firm_moves_out_establishments
    joined = pd.concat([a, from_flows.rename_axis(["year", "city"])], axis=1).fillna(0.0)
    np.testing.assert_allclose(joined.iloc[:, 0], joined.iloc[:, 1])
    assert a.sum() > 0  # the mechanism fires: moves of the recorded order (0.1 % a year) over 15 years
