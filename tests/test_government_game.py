"""The governments' game, understood (scripts/government_game.py, docs/government-game.md): why the talent subsidies
of the periphery swing from year to year although every year's stage game has a rest point.

tests/test_governance.py checks that a rest point of the incentive game admits no profitable deviation; these tests
check what the swings are made of: the yearly rule is ``policy_adjustment`` of the gap to a best response (the
halving 17,500 -> 8,750 -> ...), the stage game the governments face has one pure rest point which the yearly rule
reaches and keeps on a frozen state (so the swings are not a cycle of simultaneous best responses), and what turns a
periphery city's best response off is the subsidy's cost on the talent already eligible for it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from conftest import TEST_SCALE, script_module
from model import governance as gv
from model.identity import CITIES

ROOT = Path(__file__).resolve().parent.parent
CS, ZZ, XT = (CITIES.index(c) for c in ("changsha", "zhuzhou", "xiangtan"))

pytestmark = pytest.mark.sim


def _script():
    return script_module("government_game")


@pytest.fixture(scope="module")
def at_2020_decision():
    """The baseline (compete) after 2019: the state the 2020 decision saw, and the 2019 and 2020 choices."""
    from model import CZTModel

    m = CZTModel("baseline", seed=1, overrides={"scale": TEST_SCALE})
    m.run_until(2019)  # ends after the 2020 decision (model/year.py); decide changes only the choices
    d = m.decisions_frame()
    d = d[d.kind == "city"].set_index(["year", "city"]).talent_subsidy_yuan
    before = np.array([d[(2019, c)] for c in CITIES])
    after = np.array([d[(2020, c)] for c in CITIES])
    return m, before, after


def test_the_yearly_choice_closes_a_share_of_the_gap_to_a_best_response(at_2020_decision):
    """The logged choice is last year's plus policy_adjustment (0.5) of the gap to the best response on the grid:
    the halving of the issue's 17,500 -> 8,750 -> 4,375 -> 2,188 is a best response of 0 met half-way each year."""
    m, before, after = at_2020_decision
    game = _script()
    tg, _, grid, budget = game.talent_stage(m)
    br, _ = gv.best_responses(m, lambda t: gv.talent_effects(m, tg, t), before, grid, budget)
    theta = m.p["policy_adjustment"]
    assert theta < 1
    np.testing.assert_allclose(after, before + theta * (br - before), rtol=1e-12)
    assert set(br.tolist()) <= set(grid.tolist())


def test_the_stage_game_has_one_rest_point_which_the_yearly_rule_reaches_and_keeps(at_2020_decision):
    """On the state frozen, the talent-subsidy game has exactly one pure rest point on a grid; simultaneous best
    responses, full-step or met half-way, reach it from last year's choices, and from it the rule moves no one."""
    m, before, _ = at_2020_decision
    game = _script()
    tg, _, _, budget = game.talent_stage(m)
    grid = np.linspace(0.0, m.p["talent_subsidy_cap"], 11)  # a coarser grid than decide's: the test stays fast
    effects = lambda t: gv.talent_effects(m, tg, t)  # noqa: E731
    rest = game.rest_points(game.payoffs(m, effects, grid, budget), grid)
    assert len(rest) == 1, rest
    rest = np.array(rest[0])
    for theta in (1.0, 0.5):
        last, settled, _ = game.dynamics(m, effects, before, grid, budget, theta=theta)
        assert settled is not None and np.abs(last - rest).max() <= game.TOL * grid[-1], (theta, last, rest)
    br, gain = gv.best_responses(m, effects, rest, grid, budget)
    np.testing.assert_array_equal(br, rest)
    assert np.abs(gain).max() <= 1e-12, gain  # keeping the rest point is a best response: nothing to gain


def test_the_eligible_stock_turns_the_periphery_best_response_off(at_2020_decision):
    """A subsidy is paid to every talent still eligible, not only to those it attracts. Without that stock both
    periphery cities' best response is the cap; with the stock of 2019's arrivals (drawn by 17,500 yuan) at least
    one of them offers less. The stock grows after generous years and shrinks after lean ones, which moves the rest
    point from year to year (docs/government-game.md)."""
    m, before, _ = at_2020_decision
    game = _script()
    tg, _, grid, budget = game.talent_stage(m)
    assert tg.eligible_persons[[ZZ, XT]].min() > 0
    free = dataclasses.replace(tg, eligible_persons=np.zeros_like(tg.eligible_persons))
    br_free, _ = gv.best_responses(m, lambda t: gv.talent_effects(m, free, t), before, grid, budget)
    br, _ = gv.best_responses(m, lambda t: gv.talent_effects(m, tg, t), before, grid, budget)
    assert br_free[ZZ] == br_free[XT] == grid[-1], br_free
    assert min(br[ZZ], br[XT]) < grid[-1], br
