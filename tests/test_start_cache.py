"""The start-state cache (model/start.py): a model started from a cached start is the model built from scratch.

Checked on every component field right after construction (model.tracing's digests), on the generator's state and
the agents' ids, and on the tables of a short run; across scenarios that share a start (their policies act only
after the start, model/phases.py) and for the hindcast's own start. The key must change with anything that
changes the start (a non-lever parameter, the seed, the enclaves), and the cache keeps within its byte budget.
"""

from __future__ import annotations

import pytest

from model import CZTModel, start
from model.tracing import snapshot

# builds and runs models
pytestmark = pytest.mark.sim

SCALE = 2000  # the start's cost and content scale with the agents; the equality does not


@pytest.fixture(autouse=True)
def fresh_cache():
    start.CACHE.clear()
    yield
    start.CACHE.clear()


def _same_model(a: CZTModel, b: CZTModel) -> None:
    da, db = snapshot(a), snapshot(b)
    assert [k for k in da if da[k] != db[k]] == []
    assert a.rng.bit_generator.state == b.rng.bit_generator.state
    assert a.random.getstate() == b.random.getstate()
    for handles in ("parks", "governments"):
        assert [x.unique_id for x in getattr(a, handles)] == [x.unique_id for x in getattr(b, handles)]
    assert [x.unique_id if x else None for x in a.firm_agents] == [x.unique_id if x else None for x in b.firm_agents]


@pytest.mark.parametrize("first, second", [("baseline", "talent"), ("baseline", "strong-capital"),
                                           ("hindcast-2010", "as-happened"), ("baseline", "baseline")])
def test_a_run_from_a_cached_start_is_the_run_built_from_scratch(first, second):
    CZTModel(first, seed=5, overrides={"scale": SCALE})  # fills the cache
    hits = start.CACHE.hits
    cached = CZTModel(second, seed=5, overrides={"scale": SCALE})
    assert start.CACHE.hits == hits + 1, "the second scenario should share the first one's start"
    scratch = CZTModel(second, seed=5, overrides={"scale": SCALE}, start_cache=False)
    _same_model(scratch, cached)
    for m in (scratch, cached):
        m.run_until(m.start_year + 2)
    for frame in ("cities_frame", "flows_frame", "annual_frame", "decisions_frame"):
        assert getattr(scratch, frame)().equals(getattr(cached, frame)()), frame


def test_a_cached_start_is_not_changed_by_the_runs_made_from_it():
    a = CZTModel("baseline", seed=2, overrides={"scale": SCALE})
    a.run_until(2021)  # mutates its components in place
    b = CZTModel("baseline", seed=2, overrides={"scale": SCALE})
    _same_model(CZTModel("baseline", seed=2, overrides={"scale": SCALE}, start_cache=False), b)


@pytest.mark.parametrize("change", [{"seed": 6}, {"overrides": {"firm_size_sigma": 1.1}},
                                    {"overrides": {"migration_logit_scale": 20.0}}, {"enclaves": []}])
def test_anything_that_changes_the_start_misses_the_cache(change):
    kw = {"seed": 5, "overrides": {}, **change}
    CZTModel("enclave", seed=5, overrides={"scale": SCALE})
    misses = start.CACHE.misses
    CZTModel("enclave", seed=kw["seed"], overrides={"scale": SCALE, **kw["overrides"]}, enclaves=kw.get("enclaves"))
    assert start.CACHE.misses == misses + 1


def test_a_policy_lever_does_not_change_the_start():
    """A 2019 run is calibrated under 2019 institutions: a lever's value cannot reach the start (model/phases.py)."""
    CZTModel("baseline", seed=5, overrides={"scale": SCALE})
    hits = start.CACHE.hits
    CZTModel("baseline", seed=5, overrides={"scale": SCALE, "enclave_tax_share": 0.7, "talent_recognition": 1.0})
    assert start.CACHE.hits == hits + 1


def test_the_cache_keeps_within_its_budget_and_can_be_switched_off(monkeypatch):
    CZTModel("baseline", seed=1, overrides={"scale": SCALE})
    size = max(s.nbytes for s in start.CACHE.states())
    assert size > 0
    monkeypatch.setenv(start.ENV_LIMIT, str(2.5 * size / 2**20))
    for seed in (2, 3, 4):
        CZTModel("baseline", seed=seed, overrides={"scale": SCALE})
    assert len(start.CACHE) == 2 and sum(s.nbytes for s in start.CACHE.states()) <= start.CACHE.max_bytes
    monkeypatch.setenv(start.ENV_LIMIT, "0")
    start.CACHE.clear()
    CZTModel("baseline", seed=1, overrides={"scale": SCALE})
    assert len(start.CACHE) == 0 and not start.CACHE.enabled


def test_a_component_holding_the_model_is_refused():
    m = CZTModel("baseline", seed=1, overrides={"scale": SCALE}, start_cache=False)
    m.extra_component = type("Holder", (), {})()
    m.extra_component.model = m
    with pytest.raises(TypeError, match="extra_component holds the model"):
        start.capture(m, "k", ["extra_component"])
