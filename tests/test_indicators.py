"""The regional indicators (model/indicators.py) hold together: the cluster's column adds up the cities', the three
sectors make the whole GDP, the registered population counts every living agent with a cluster hukou once, primacy
and the gaps are the measures' own."""

from __future__ import annotations

import numpy as np
import pytest

from model.identity import CITIES, N_CITIES

pytestmark = pytest.mark.sim


@pytest.fixture(scope="module")
def run():
    from model import CZTModel

    m = CZTModel("baseline", seed=3, overrides={"scale": 2000})
    m.run_until(2020)
    return m


def test_indicators_add_up(run):
    from model.indicators import CLUSTER, regional_indicators, registered_population_10k
    from model.measures import cv, primacy, theil

    annual = run.annual_frame()
    W = run.workers
    reg = registered_population_10k(W.hukou, W.alive, run.scale)
    rows = regional_indicators(annual, registered_10k=reg)
    from model.indicators import KEYS, UNITS

    assert [i.key for i in rows] == list(KEYS) and {i.unit for i in rows} <= set(UNITS)  # declared, in order
    ind = {i.key: i for i in rows}
    year = int(annual.year.max())
    last = annual[annual.year == year].set_index("city")
    for key, col in (("gdp", "gdp_100m_yuan"), ("resident_population", "population_10k"),
                     ("tax_after_sharing", "tax_after_sharing_100m_yuan")):
        assert ind[key].values[CLUSTER] == pytest.approx(sum(ind[key].values[c] for c in CITIES))
        assert ind[key].values["changsha"] == pytest.approx(float(last.at["changsha", col]))
    assert sum(ind["gdp_share"].values[c] for c in CITIES) == pytest.approx(100.0)
    assert sum(ind["gdp_share_change"].values[c] for c in CITIES) == pytest.approx(0.0, abs=1e-9)
    for c in list(CITIES) + [CLUSTER]:
        assert sum(ind[f"sector_{k}"].values[c] for k in ("primary", "secondary", "tertiary")) == pytest.approx(100.0)
    alive = W.alive.astype(bool)
    in_cluster = int((W.hukou[alive] < N_CITIES).sum())
    assert ind["registered_population"].values[CLUSTER] == pytest.approx(in_cluster * run.scale / 1e4)
    assert 0 < in_cluster < alive.sum()  # migrants from outside hold outside hukou
    assert ind["primacy_two_city"].values[CLUSTER] == pytest.approx(float(primacy(annual).loc[year, "p1_p2"]))
    assert ind["theil"].values[CLUSTER] == pytest.approx(float(theil(annual).loc[year])) and ind["theil"].values[CLUSTER] >= 0
    assert ind["cv"].values[CLUSTER] == pytest.approx(float(cv(annual).loc[year]))
    pc = ind["gdp_per_capita"].values
    assert min(pc[c] for c in CITIES) <= pc[CLUSTER] <= max(pc[c] for c in CITIES)
    assert np.isclose(ind["commuters_out"].values[CLUSTER], ind["commuters_in"].values[CLUSTER])


def test_the_sectors_value_added_adds_up_to_gdp_every_quarter(run):
    """Per city and quarter, the per-sector GDP columns add up to GDP: both are the production stage's, where the
    value was produced (they were once summed at the quarter's end over the establishments still there, so a
    periphery city's sectors fell about 0.1 % short of its GDP after exits and moves)."""
    from model.identity import SECTORS

    c = run.cities_frame()
    c = c[c.step > 0]
    sectors = c[[f"gdp_{s}_q_100m_yuan" for s in SECTORS]].sum(axis=1)
    np.testing.assert_allclose(sectors.to_numpy(), c.gdp_q_100m_yuan.to_numpy(), rtol=1e-10)
