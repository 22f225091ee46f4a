"""The causal siphon/spillover measure (model/spillover.py) on worlds built to be siphon, spillover and neutral:
paired runs with and without a shock to Changsha's productivity, common random numbers, several seeds."""

from __future__ import annotations

import numpy as np
import pytest

from model import spillover as sp
from runstore import needs, result, spec

SEEDS = (1, 2, 3, 4)
UNTIL = 2025
CLOSED: dict[str, float] = {k: v for closed in sp.CHANNELS.values() for k, v in closed.items()}
WORLDS = {
    # every channel closed: nothing carries Changsha's growth to the other cities
    "neutral": CLOSED,
    # only supply chains and knowledge open, strong: Changsha's growth raises its neighbours' demand and know-how
    "spillover": {**CLOSED, "market_access_elasticity": 0.5, "supplier_access_elasticity": 0.3,
                  "knowledge_elasticity": 0.2},
    # only migration open, people very responsive to relative wages: Changsha's growth draws people away
    "siphon": {**CLOSED, "residence_review_rate_local": 0.025, "residence_review_rate_migrant": 0.05,
               "migration_logit_scale": 50.0},
}


def _pairs(world: dict[str, float]):
    return [(spec("baseline", seed=s, until=UNTIL, **world),
             spec("baseline", seed=s, until=UNTIL, core_productivity_shock=sp.SHOCK, **world)) for s in SEEDS]


ALL = [x for w in WORLDS.values() for pair in _pairs(w) for x in pair]


def _verdicts(world: dict[str, float]) -> list[sp.Verdict]:
    responses = [sp.response(result(b).annual, result(s).annual, UNTIL) for b, s in _pairs(world)]
    for r in responses:  # the treatment took hold: Changsha's GDP is higher in every pair
        assert r["changsha"]["gdp"] > 0.5 * sp.SHOCK
    return sp.verdicts(responses)


@pytest.mark.sim
@needs(*ALL)
@pytest.mark.parametrize("world", list(WORLDS))
def test_the_measure_tells_each_built_world_apart(world):
    for v in _verdicts(WORLDS[world]):
        assert v.call == world, (world, v)
        if world == "neutral":  # nothing detectable: the interval holds 0
            assert v.low <= 0 <= v.high, v
        else:
            assert abs(v.elasticity) > 0.05, v


@pytest.mark.smoke
def test_the_call_needs_an_interval_clear_of_the_band():
    rng = np.random.default_rng(0)
    assert sp.call(0.10 + 0.01 * rng.standard_normal(6))[3] == "spillover"
    assert sp.call(-0.10 + 0.01 * rng.standard_normal(6))[3] == "siphon"
    assert sp.call(np.array([-0.5, 0.7, -0.4, 0.8, -0.3, 0.6]))[3] == "neutral"  # mean +0.15, too noisy to call
    assert sp.call(np.full(6, 0.01))[3] == "neutral"  # a sure effect, but below the smallest one called
    assert sp.call(np.array([0.3]))[3] == "neutral"  # one pair: no interval
