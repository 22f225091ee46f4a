"""The behavioural rules (model/rules.py) in the agents' shapes and in the governments' shapes.

A government predicts with the agents' rules on arrays with more leading axes: the entry logit on (profiles,
sectors, cities), relocation and branching on (profiles, sectors, origins, destinations), the residence utility on
(profiles, workers, cities). Row by row, such a call must give exactly the numbers the agents' own call gives, or
the governments would optimise against a slightly different model than the one that runs. Besides, each rule
moves the way its docstring says (directional checks), and its edge cases (no room anywhere, every option closed,
the consumption floor) hold.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import rules

# numba against numpy to the last bit: numpy's reductions differ between its SIMD code paths
pytestmark = pytest.mark.sim

P_ = {"negative_list_cost_cut": 0.3, "market_access_list": "aligned", "licence_cost_cut": 0.4,
      "licence_recognition": True, "profit_horizon_years": 10.0, "branch_share": 0.3, "relocation_cost": 1.5,
      "branch_cost": 0.6}


def profits(g: np.random.Generator, shape: tuple, closed: float = 0.3) -> np.ndarray:
    """Annual profits, some negative, -inf where no park has room (a share ``closed``)."""
    V = g.normal(1.0, 0.8, shape) * 10.0 ** g.integers(-2, 3, shape)
    return np.where(g.random(shape) < closed, -np.inf, V)


# ---------------------------------------------------------------------------------------------- softmax
def test_softmax_of_closed_options_and_of_rows_without_any():
    u = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf], [700.0, 0.0, -700.0]])
    p = rules.softmax(u)
    assert p[0, 1] == 0.0 and p[0, 2] > p[0, 0] > 0
    assert (p[1] == 0.0).all()  # nobody chooses where nothing is open
    np.testing.assert_allclose(p[[0, 2]].sum(axis=1), 1.0, rtol=1e-15)
    assert np.isfinite(p).all()  # no overflow from large utilities
    np.testing.assert_allclose(rules.softmax(u[[0]] + 5.0), p[[0]], rtol=1e-14)  # only differences matter


def test_softmax_row_by_row_equals_a_call_on_many_leading_axes():
    g = np.random.default_rng(1)
    u = np.where(g.random((4, 5, 3, 3)) < 0.2, -np.inf, g.normal(0, 3, (4, 5, 3, 3)))
    u[0, 0, 0] = -np.inf
    whole = rules.softmax(u)
    rows = np.stack([rules.softmax(row[None])[0] for row in u.reshape(-1, 3)]).reshape(u.shape)
    np.testing.assert_array_equal(whole, rows)


# ---------------------------------------------------------------------------------------------- entry
def test_entry_logit_in_the_governments_shape_equals_the_agents_calls():
    """(profiles, sectors, cities) at once, as the governments predict, vs one sector's city vector at a time, as
    model.location and model.investment call it; also with the log presence computed once (governance's FirmGame)."""
    g = np.random.default_rng(2)
    K, C, P = 8, 3, 6
    presence = g.dirichlet(np.ones(C), K)
    presence[0, 1] = 0.0  # a city without the sector (the floor keeps it possible)
    V = profits(g, (P, K, C))
    V[1, 2] = -np.inf  # a sector with no room anywhere under one profile
    whole = rules.entry_probabilities(presence[None], V, 3.0)
    from_log = rules.softmax(rules.entry_utilities(rules.log_presence(presence)[None], V, 3.0))
    np.testing.assert_array_equal(whole, from_log)
    for p in range(P):
        for k in range(K):
            np.testing.assert_array_equal(whole[p, k], rules.entry_probabilities(presence[k], V[p, k], 3.0))
    assert (whole[1, 2] == 0.0).all()
    open_rows = np.isfinite(V).any(axis=-1)
    np.testing.assert_allclose(whole.sum(axis=-1)[open_rows], 1.0, rtol=1e-14)
    assert (whole[~np.isfinite(V)] == 0.0).all()


def test_entry_prefers_profit_and_presence():
    presence = np.array([0.5, 0.3, 0.2])
    V = np.array([2.0, 2.0, 2.0])
    base = rules.entry_probabilities(presence, V, 3.0)
    np.testing.assert_allclose(base, presence, rtol=1e-14)  # equal profits: shares follow presence
    richer = rules.entry_probabilities(presence, np.array([2.0, 2.5, 2.0]), 3.0)
    assert richer[1] > base[1] and richer[0] < base[0]
    floor = rules.entry_probabilities(np.array([0.0, 1e-4, 1.0]), V, 3.0)
    assert floor[0] == floor[1] > 0  # both below the presence floor: equally possible, not impossible
    losses = rules.entry_probabilities(presence, np.array([-1.0, -2.0, -np.inf]), 3.0)
    assert losses[0] > losses[1] > 0 and losses[2] == 0  # relative to the best even when all lose money


# ---------------------------------------------------------------------------------------------- relocation
def test_market_access_and_leave_cost():
    closed = {**P_, "market_access_list": "separate", "licence_recognition": False}
    assert rules.market_access_factors(closed) == (1.0, 1.0)
    rel, br = rules.market_access_factors({**P_, "market_access_list": "unified"})
    assert rel == pytest.approx(0.7) and br == pytest.approx(0.6)
    s = np.linspace(0.0, 2.0, 5)
    assert (np.diff(rules.leave_cost_multiplier(s, 0.0, 0.5)) > 0).all()  # protectionism raises the cost of leaving
    np.testing.assert_array_equal(rules.leave_cost_multiplier(s, 1.0, 0.5), 0.5)  # a sponsor keeping all relents
    assert (rules.leave_cost_multiplier(s, 0.5, 0.5) < rules.leave_cost_multiplier(s, 0.0, 0.5)).all()


def test_relocation_values_in_the_governments_shape_equal_the_agents_calls():
    """(profiles, sectors, origins, destinations), as governance.firm_flows builds them, vs the agents' call for one
    destination over a vector of establishments (model.location.relocate_and_branch)."""
    g = np.random.default_rng(3)
    P, K, C = 5, 6, 3
    pi_here = g.normal(1.0, 1.0, (K, C))
    pi_here[0, 0] = 0.0  # the profit floor
    pi_dest = profits(g, (P, K, C, C))
    s = g.uniform(0, 2, (P, C))
    kept = np.where(g.random((C, C)) < 0.3, g.uniform(0, 1, (C, C)), 0.0)
    mult = rules.leave_cost_multiplier(s[:, None, :, None], kept[None, None], 0.5)
    finite = np.isfinite(pi_dest)
    v_rel, v_br = rules.relocation_values(pi_here[None, :, :, None], pi_dest, mult, P_, finite, finite)
    assert v_rel.shape == v_br.shape == (P, K, C, C)
    for p in range(P):
        for d in range(C):
            here = pi_here.ravel()  # establishments: (sector, origin) pairs
            m_d = rules.leave_cost_multiplier(np.repeat(s[p][None, :], K, 0).ravel(), np.tile(kept[:, d], K), 0.5)
            ok = finite[p, :, :, d].ravel()
            r, b = rules.relocation_values(here, pi_dest[p, :, :, d].ravel(), m_d, P_, ok, ok)
            np.testing.assert_array_equal(v_rel[p, :, :, d].ravel(), r)
            np.testing.assert_array_equal(v_br[p, :, :, d].ravel(), b)
    assert (v_rel[~finite] == -np.inf).all() and np.isfinite(v_rel[finite]).all()


def test_relocation_values_move_with_profit_and_cost():
    here, dest = np.array([1.0, 1.0]), np.array([1.2, 1.5])
    rel, br = rules.relocation_values(here, dest, np.ones(2), P_, np.array([True, True]), np.array([True, False]))
    assert rel[1] > rel[0] and br[1] == -np.inf
    rel2, br2 = rules.relocation_values(here, dest, np.full(2, 2.0), P_, True, True)
    assert (rel2 < rel).all() and br2[0] < br[0]  # a dearer exit lowers both
    gain = 0.2 / 1.0
    assert br[0] == pytest.approx(P_["branch_share"] * (gain - P_["branch_cost"] * 0.6 / 10.0))  # licence access 0.6


# ---------------------------------------------------------------------------------------------- the nested logit
def _options(g: np.random.Generator, shape: tuple) -> np.ndarray:
    v_rel = np.where(g.random(shape) < 0.3, -np.inf, g.normal(-0.5, 1.0, shape))
    v_br = np.where(g.random(shape) < 0.3, -np.inf, g.normal(-0.2, 0.5, shape))
    return rules.location_options(v_rel, v_br)


def test_nested_logit_in_the_governments_shape_equals_the_agents_calls():
    g = np.random.default_rng(4)
    V = _options(g, (4, 6, 3, 3))  # (profiles, sectors, origins, destinations) -> (..., 1 + 2 x 3)
    V[0, 0, 0, 1:] = -np.inf  # nowhere to go
    whole = rules.location_choice_probabilities(V, 3.0, 12.0)
    rows = rules.location_choice_probabilities(V.reshape(-1, 7), 3.0, 12.0).reshape(V.shape)
    np.testing.assert_array_equal(whole, rows)
    one_by_one = np.stack([rules.location_choice_probabilities(v[None], 3.0, 12.0)[0] for v in V.reshape(-1, 7)])
    np.testing.assert_array_equal(whole, one_by_one.reshape(V.shape))
    np.testing.assert_allclose(whole.sum(axis=-1), 1.0, rtol=1e-14)
    assert (whole[~np.isfinite(V)] == 0.0).all()
    np.testing.assert_array_equal(whole[0, 0, 0], np.eye(7)[0])  # no open option: stay


def test_nested_logit_responds_to_a_better_option():
    V = rules.location_options(np.array([[-0.5, -1.0, -np.inf]]), np.array([[-0.2, -np.inf, -0.4]]))
    base = rules.location_choice_probabilities(V, 3.0, 12.0)[0]
    better = V.copy()
    better[0, 3] += 0.5  # relocating to city 1 gains
    up = rules.location_choice_probabilities(better, 3.0, 12.0)[0]
    assert up[3] > base[3]  # the improved option gains, at the other destinations' expense
    assert up[1] < base[1] and up[2] < base[2] and up[6] < base[6]
    assert base[0] > 0.5  # negative values: most stay


# ---------------------------------------------------------------------------------------------- residence
def test_residence_rules_in_the_talent_games_shape_equal_the_agents_calls():
    """(profiles of talent subsidies, workers, cities), as governance's talent game evaluates them, vs the agents'
    (workers, cities) call for one profile."""
    g = np.random.default_rng(5)
    P, n, C = 7, 50, 3
    income = g.uniform(-2e4, 2e5, (n, C))
    services = g.uniform(0, 2e4, (n, C))
    housing = g.uniform(1e4, 1.2e5, C)
    wage = g.uniform(5e4, 2e5, (n, C))
    h = g.integers(0, 5, n)[:, None]
    r = np.arange(C)[None, :]
    factor = rules.subsidy_eligibility(h, r, 3, 0.4) * rules.subsidy_horizon_share(
        r == g.integers(0, C, n)[:, None], g.integers(0, 12, n)[:, None].astype(float), 8.0, 20.0)
    t = g.uniform(0, 8e4, (P, C))
    feasible = g.random((n, C)) < 0.8
    pen = rules.moving_penalty(r != g.integers(0, C, n)[:, None], True, 0.25, 0.2, 0.4)
    amen = g.normal(0, 1, C)
    sub = rules.talent_subsidy_received(True, t[:, None, :], 1.0, factor[None])
    c = rules.consumption(income[None], sub, services[None], housing, wage[None])
    u = rules.residence_utility(np.log(c), amen, 2.0, pen[None], feasible[None])
    assert u.shape == (P, n, C)
    for p in range(P):
        c_p = rules.consumption(income, rules.talent_subsidy_received(True, t[p][None, :], 1.0, factor), services,
                                housing, wage)
        np.testing.assert_array_equal(c[p], c_p)
        np.testing.assert_array_equal(u[p], rules.residence_utility(np.log(c_p), amen, 2.0, pen, feasible))
    floor = rules.CONSUMPTION_FLOOR_SHARE * wage
    assert (c == floor[None]).any() and (c > floor[None]).any()
    assert (u[:, ~feasible] == -np.inf).all() and np.isfinite(u[:, feasible]).all()


def test_residence_rules_move_the_right_way():
    assert rules.subsidy_eligibility(np.array([0, 1, 3, 4]), 0, 3, 0.4).tolist() == [1.0, 0.4, 1.0, 1.0]
    share = rules.subsidy_horizon_share(np.array([True, True, True, False]), np.array([0.0, 5.0, 12.0, 5.0]), 8.0, 20.0)
    np.testing.assert_allclose(share, [0.4, 0.15, 0.0, 0.4])  # used quarters count only where the worker lives
    kept = rules.benefit_portability(np.array([False, True]), 0.2, 0.6)
    assert kept.tolist() == [0.2, 0.6]
    assert rules.service_access(np.array([0, 1]), 0, 0.2).tolist() == [1.0, 0.2]
    assert rules.unemployed_income(1e5, 0.0, 0.4) == 1e5 and rules.unemployed_income(1e5, 0.5, 0.4) == 7e4
    assert rules.job_income(1e5, 1.1, 1e4, 5e3) == pytest.approx(9.5e4)
    assert rules.benefit_city(np.array([1, 3, 4]), 2, 3).tolist() == [1, 2, 2]
    stay, move = rules.residence_utility(np.log(5e4), 0.3, 2.0, rules.moving_penalty(np.array([False, True]), False,
                                                                                      0.25, 0.2, 0.4), True)
    assert stay - move == pytest.approx(2.0 * 0.25)
    assert rules.moving_penalty(True, True, 0.25, 0.2, 0.4) == pytest.approx(0.25 + 0.2 * 0.6)


def test_job_search_rules():
    minutes = np.array([[0.0, 40.0, 200.0]])
    reach = rules.job_information_reach(minutes, 45.0, np.array([[True, True, False]]))
    assert reach[0, 0] == 1.0 and 0 < reach[0, 1] < 1 and reach[0, 2] == 0.0
    reservation = rules.reservation_value(np.array([True, False]), 9e4, 8e4, 0.1, 0.7)
    assert reservation.tolist() == pytest.approx([9.9e4, 5.6e4])
    assert rules.layoff_probability(np.array([0.0, 2.0, 2.0]), np.array([10, 10, 0]), 0.01).tolist() == \
        pytest.approx([0.01, 0.21, 2.01])  # no headcount: the division is by one, the kernel then lays off everyone
