"""Every compiled kernel (model/kernels.py) agrees with its plain-numpy twin (model/kernels_reference.py).

Inputs are random worker and firm tables of realistic shape and dtype: dead rows, the unemployed, hukou from outside
the cluster, talent, jobs out of commuting reach, consumption at its floor, and empty tables. Integer results (rows,
counts, choices) must be identical; so must everything a kernel that draws from the model's generator returns or
changes, and the generator's state afterwards (a kernel and its twin consume the same stream). Floating-point results
agree to 1e-12 relative: the kernels take log and exp from the C library, the twins from numpy.

Also: the rules compiled into the kernels give numba and numpy the same bits on scalars, and the digest that keeps
numba's cache honest (model.kernels.KERNEL_RULES_DIGEST) covers every rule the kernels compile and is current.
"""

from __future__ import annotations

import ast
import inspect
import math
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from model import kernels, rules
from model import kernels_reference as ref

# numba against numpy to the last bit: numpy's reductions differ between its SIMD code paths
pytestmark = pytest.mark.sim

SEEDS = (1, 2, 3)
N_CITY, OUTSIDE = 3, 3  # three cities; hukou codes 3 and 4 are the two regions outside the cluster
SIZES = {"workers": 3000, "firms": 150}


def world(seed: int, n: int | None = None, n_firms: int | None = None) -> dict:
    """Random worker and firm columns with the model's dtypes, and the city-level inputs of the residence kernels."""
    g = np.random.default_rng(seed)
    n = SIZES["workers"] if n is None else n
    n_firms = SIZES["firms"] if n_firms is None else n_firms
    employer = np.where(g.random(n) < 0.8, g.integers(0, max(n_firms, 1), n), -1).astype(np.int32)
    skill = (g.random(n) < 0.25).astype(np.int8)
    alive = g.random(n) < 0.9
    firm_city = g.integers(0, N_CITY, n_firms).astype(np.int64)
    n_ordinary, n_talent = np.zeros(n_firms, dtype=np.int32), np.zeros(n_firms, dtype=np.int32)
    staff = alive & (employer >= 0)
    np.add.at(n_ordinary, employer[staff & (skill == 0)], 1)
    np.add.at(n_talent, employer[staff & (skill == 1)], 1)
    wages = g.uniform(5e4, 1.2e5, (N_CITY, 2)) * np.array([1.0, 1.8])
    commute = g.uniform(2e3, 3e4, (N_CITY, N_CITY, 2))
    penalty = g.uniform(0.0, 1e4, (N_CITY, N_CITY, 2))
    commute[np.arange(N_CITY), np.arange(N_CITY)] = 0.0
    penalty[np.arange(N_CITY), np.arange(N_CITY)] = 0.0
    feasible = g.random((N_CITY, N_CITY)) < 0.6
    feasible[np.arange(N_CITY), np.arange(N_CITY)] = True
    par = np.zeros(10)
    par[kernels.R_UNEMP_INCOME] = g.uniform(0.2, 0.6)
    par[kernels.R_RECOGNITION] = g.uniform(0.0, 1.0)
    par[kernels.R_SUB_Q] = 8
    par[kernels.R_SUB_HORIZON] = 40
    par[kernels.R_SERVICE_VALUE] = g.uniform(5e3, 2e4)
    par[kernels.R_PORTABILITY] = g.uniform(0.0, 1.0)
    par[kernels.R_BETA] = g.uniform(1.0, 4.0)
    par[kernels.R_MOVING_COST] = g.uniform(0.1, 1.0)
    par[kernels.R_BENEFIT_LOSS] = g.uniform(0.0, 0.5)
    par[kernels.R_STEP] = 40
    return dict(
        alive=alive, skill=skill, employer=employer,
        hukou=g.choice(N_CITY + 2, size=n, p=[0.35, 0.2, 0.2, 0.15, 0.1]).astype(np.int8),
        residence=g.integers(0, N_CITY, n).astype(np.int8),
        arrived=g.integers(0, 41, n).astype(np.int32),  # some within the subsidy's 8 quarters of step 40
        firm_city=firm_city, premium=g.uniform(0.8, 1.3, n_firms), n_ordinary=n_ordinary, n_talent=n_talent,
        wages=wages, unemployment_rate=g.uniform(0.02, 0.1, N_CITY), commute=commute, penalty=penalty,
        feasible=feasible, subsidy=g.choice([0.0, 2e4, 6e4], N_CITY), service_index=g.uniform(0.7, 1.3, N_CITY),
        # housing up to well above some wages, so that some consumption sits at its floor
        housing=g.uniform(1e4, 1.5e5, N_CITY), amenity=g.normal(0.0, 0.5, (N_CITY, 2)), par=par,
        vacancies=np.where(g.random((n_firms, 2)) < 0.4, g.integers(0, 4, (n_firms, 2)), 0).astype(np.int64),
    )


def residence_inputs(w: dict) -> tuple:
    """The arrays and scalars after the rows, in the order the residence kernels take them."""
    return (w["residence"], w["skill"], w["hukou"], w["employer"], w["arrived"], w["firm_city"], w["premium"],
            w["wages"], w["unemployment_rate"], w["commute"], w["penalty"], w["feasible"], w["subsidy"],
            w["service_index"], w["housing"], w["amenity"], w["par"], OUTSIDE)


def vacancy_table(w: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One firm slot per vacancy grouped by (skill, firm city), as model.labour builds it."""
    parts, start, count = [], np.zeros((2, N_CITY), dtype=np.int64), np.zeros((2, N_CITY), dtype=np.int64)
    at = 0
    for s in (0, 1):
        for c in range(N_CITY):
            firms = np.flatnonzero((w["firm_city"] == c) & (w["vacancies"][:, s] > 0))
            block = np.repeat(firms, w["vacancies"][firms, s])
            parts.append(block)
            start[s, c], count[s, c] = at, len(block)
            at += len(block)
    return np.concatenate(parts).astype(np.int64), start, count


def copy(w: dict) -> dict:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in w.items()}


def assert_same(a, b) -> None:
    """Identical results: arrays of the same dtype kind and values, tuples element by element, scalars equal."""
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype.kind == b.dtype.kind, (a.dtype, b.dtype)
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------------------------- kernels that draw
def _args(name: str, w: dict) -> tuple:
    """Arguments (after the generator) of a drawing kernel, built from the world ``w`` (arrays shared, not copied)."""
    if name == "layoffs":
        fire = np.floor(np.random.default_rng(0).random((len(w["premium"]), 2)) * 3)
        return (w["alive"], w["employer"], w["skill"], fire, w["n_ordinary"], w["n_talent"], 0.05)
    if name == "select_searchers":
        return (w["alive"], w["employer"], w["skill"], 0.1, 0.3)
    if name == "hire":
        g = np.random.default_rng(1)
        rows = np.flatnonzero(w["alive"])[: len(w["alive"]) // 2]
        firm = np.where(g.random(len(rows)) < 0.7, g.integers(0, len(w["premium"]), len(rows)), -1)
        return (rows, firm, w["skill"], w["employer"], w["vacancies"], w["n_ordinary"], w["n_talent"])
    if name == "select_reviewers":
        return (w["alive"], w["residence"], w["hukou"], w["employer"], w["firm_city"], w["feasible"], 0.05, 0.2)
    if name == "deaths_and_leavers":
        return (w["alive"], w["employer"], 0.02, 0.3)
    if name == "hukou_candidates":
        return (w["alive"], w["skill"], w["hukou"], w["residence"], w["arrived"], 40, 8, 0.2, 0.6)
    if name == "fire_share":
        frac = np.random.default_rng(2).random(len(w["premium"])) * (np.arange(len(w["premium"])) % 3 == 0)
        return (w["alive"], w["employer"], frac, w["n_ordinary"], w["n_talent"], w["skill"])
    raise KeyError(name)


DRAWING = ("layoffs", "select_searchers", "hire", "select_reviewers", "deaths_and_leavers", "hukou_candidates",
           "fire_share")


@pytest.mark.parametrize("n", [SIZES["workers"], 0], ids=["workers", "empty"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", DRAWING)
def test_drawing_kernel_and_twin_agree_and_consume_the_same_stream(name, seed, n):
    w = world(seed, n=n)
    a, b = copy(w), copy(w)
    rng_a, rng_b = np.random.default_rng(100 + seed), np.random.default_rng(100 + seed)
    out_a = getattr(kernels, name)(rng_a, *_args(name, a))
    out_b = getattr(ref, name)(rng_b, *_args(name, b))
    assert_same(out_a, out_b)
    for key in w:  # arrays changed in place (employers, headcounts, alive) changed the same way
        if isinstance(w[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert rng_a.bit_generator.state == rng_b.bit_generator.state
    assert rng_a.random() == rng_b.random()
    if n:  # the kernel drew and decided something (agreeing on nothing would prove nothing)
        assert rng_a.bit_generator.state != np.random.default_rng(100 + seed).bit_generator.state
        assert any(np.size(x) and np.any(x) for x in (out_a if isinstance(out_a, tuple) else (out_a,)))


def test_layoffs_and_hires_change_headcounts_consistently():
    """After layoffs and hires, headcounts are what a recount of the employer column says (kernels and twins)."""
    for module in (kernels, ref):
        w = world(7)
        module.layoffs(np.random.default_rng(1), *_args("layoffs", w))
        left_after_layoffs = int((w["alive"] & (w["employer"] < 0)).sum())
        hired = module.hire(np.random.default_rng(2), *_args("hire", w))
        assert hired > 0 and left_after_layoffs > 0
        n_o, n_t = w["n_ordinary"].copy(), w["n_talent"].copy()
        ref.recount(w["alive"], w["employer"], w["skill"], n_o, n_t)
        np.testing.assert_array_equal(w["n_ordinary"], n_o)
        np.testing.assert_array_equal(w["n_talent"], n_t)


# ---------------------------------------------------------------------------------------------- parallel kernels
@pytest.mark.parametrize("seed", SEEDS)
def test_best_offers_agree(seed):
    w = world(seed)
    g = np.random.default_rng(200 + seed)
    rows = kernels.select_searchers(g, w["alive"], w["employer"], w["skill"], 0.2, 0.4)
    slots, start, count = vacancy_table(w)
    minutes = g.uniform(0, 120, (N_CITY, N_CITY))
    np.fill_diagonal(minutes, 0.0)
    reach = rules.job_information_reach(minutes, 45.0, w["feasible"])
    uniforms = g.random((len(rows), 5, 3))
    args = (uniforms, rows, w["residence"], w["skill"], w["employer"], w["hukou"], slots, start, count, reach,
            w["firm_city"], w["premium"], w["wages"], w["commute"], w["penalty"], 0.3, 0.1, 0.7, OUTSIDE)
    a, b = kernels.best_offers(*args), ref.best_offers(*args)
    assert_same(a, b)
    assert 0 < (a >= 0).sum() < len(a)  # some apply, some do not
    # empty: no searcher, or no vacancy
    nobody = (uniforms[:0], rows[:0], *args[2:])
    assert_same(kernels.best_offers(*nobody), ref.best_offers(*nobody))
    none = (slots[:0], np.zeros_like(start), np.zeros_like(count))
    empty = (*args[:6], *none, *args[9:])
    assert_same(kernels.best_offers(*empty), np.full(len(rows), -1, dtype=np.int64))
    assert_same(ref.best_offers(*empty), np.full(len(rows), -1, dtype=np.int64))


@pytest.mark.parametrize("seed", SEEDS)
def test_residence_utilities_agree(seed):
    w = world(seed)
    inputs = residence_inputs(w)
    rows = np.flatnonzero(w["alive"])
    for moving in (True, False):
        a = kernels.residence_utilities(rows, moving, *inputs)
        b = ref.residence_utilities(rows, moving, *inputs)
        assert a.shape == b.shape == (len(rows), N_CITY)
        np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b))
        assert (~np.isfinite(a)).any(), "some jobs are out of commuting reach"
        np.testing.assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=1e-12, atol=0)
    c, _ = ref.residence_consumption(rows, *inputs)
    floor = rules.CONSUMPTION_FLOOR_SHARE * w["wages"].T[w["skill"][rows]]
    assert (c == floor).any() and (c > floor).any(), "the floor binds for some workers and cities, not for all"
    assert_same(kernels.residence_utilities(rows[:0], True, *inputs), ref.residence_utilities(rows[:0], True, *inputs))


@pytest.mark.parametrize("seed", SEEDS)
def test_residence_choices_agree(seed):
    w = world(seed)
    inputs = residence_inputs(w)
    rows = np.flatnonzero(w["alive"])
    uniforms = np.random.default_rng(300 + seed).random((len(rows), N_CITY))
    uniforms[:5] = 0.0  # u = 0 is read as the smallest double, in both
    a = kernels.residence_choices(uniforms, rows, *inputs)
    assert_same(a, ref.residence_choices(uniforms, rows, *inputs))
    assert (a != w["residence"][rows]).any() and (a == w["residence"][rows]).any()
    assert_same(kernels.residence_choices(uniforms[:0], rows[:0], *inputs),
                ref.residence_choices(uniforms[:0], rows[:0], *inputs))


# ---------------------------------------------------------------------------------------------- counting kernels
@pytest.mark.parametrize("n", [SIZES["workers"], 0], ids=["workers", "empty"])
@pytest.mark.parametrize("seed", SEEDS)
def test_counting_kernels_agree(seed, n):
    w = world(seed, n=n)
    a, b = copy(w), copy(w)
    a["n_ordinary"][:] = b["n_ordinary"][:] = 99  # recount overwrites whatever was there
    kernels.recount(a["alive"], a["employer"], a["skill"], a["n_ordinary"], a["n_talent"])
    ref.recount(b["alive"], b["employer"], b["skill"], b["n_ordinary"], b["n_talent"])
    assert_same((a["n_ordinary"], a["n_talent"]), (b["n_ordinary"], b["n_talent"]))
    for name, args in (
        ("labour_force", (w["alive"], w["employer"], w["residence"], w["skill"], N_CITY)),
        ("residents", (w["alive"], w["residence"], N_CITY)),
        ("city_stats", (w["alive"], w["residence"], w["skill"], w["employer"], w["firm_city"], w["premium"],
                        w["wages"], N_CITY)),
        ("talent_subsidy_owed", (w["alive"], w["skill"], w["hukou"], w["residence"], w["arrived"], 40, 8,
                                 w["subsidy"] + 1.0, 0.4, OUTSIDE, N_CITY)),
        ("staff_of", (w["alive"], w["employer"], np.arange(len(w["premium"])) % 4 == 1)),
    ):
        out = getattr(kernels, name)(*args)
        assert_same(out, getattr(ref, name)(*args))  # sums in row order in both: the same bits
        if n:
            assert any(np.any(x) for x in (out if isinstance(out, tuple) else (out,))), name


# ---------------------------------------------------------------------------------------------- the compiled rules
def _scalar_cases(g: np.random.Generator) -> dict:
    """Random scalar arguments for each kernel rule, covering both sides of every branch."""
    b = lambda: bool(g.random() < 0.5)  # noqa: E731
    x = lambda lo=0.0, hi=1.0: float(g.uniform(lo, hi))  # noqa: E731
    h = lambda: int(g.integers(0, 5))  # noqa: E731
    return {
        "layoff_probability": (x(0, 3), int(g.integers(0, 4)), x(0, 0.1)),
        "benefit_city": (h(), int(g.integers(0, 3)), OUTSIDE),
        "job_income": (x(5e4, 2e5), x(0.8, 1.3), x(0, 3e4), x(0, 1e4)),
        "unemployed_income": (x(5e4, 2e5), x(0, 0.1), x(0.2, 0.6)),
        "subsidy_eligibility": (h(), int(g.integers(0, 3)), OUTSIDE, x()),
        "subsidy_horizon_share": (b(), float(g.integers(-2, 20)), 8.0, 40.0),
        "talent_subsidy_received": (b(), x(0, 6e4), x(), x()),
        "benefit_portability": (b(), x(), x()),
        "service_access": (h(), int(g.integers(0, 3)), x()),
        "service_value": (x(5e3, 2e4), x(0.7, 1.3), x()),
        "consumption": (x(-5e4, 2e5), x(0, 2e4), x(0, 2e4), x(1e4, 1.5e5), x(5e4, 2e5)),
        "moving_penalty": (b(), b(), x(0.1, 1), x(0, 0.5), x()),
        "residence_utility": (x(8, 12), x(-1, 1), x(1, 4), x(0, 1.5), b()),
        "search_weight": (int(g.integers(0, 30)), x()),
        "offer_value": (x(-1e4, 2e5), math.exp(x(-1, 1))),
        "reservation_value": (b(), x(-1e4, 2e5), x(5e4, 2e5), x(0, 0.2), x(0.5, 1)),
    }


def test_kernel_rules_give_numba_and_numpy_the_same_bits():
    """Each rule the kernels compile, called on scalars in numba and on arrays in numpy: identical results."""
    compiled = {name: njit(getattr(rules, name)) for name in _scalar_cases(np.random.default_rng(0))}
    g = np.random.default_rng(5)
    cases = [_scalar_cases(g) for _ in range(200)]
    for name, fn in compiled.items():
        args = [c[name] for c in cases]
        from_numba = np.array([fn(*a) for a in args], dtype=float)
        from_numpy = np.asarray(getattr(rules, name)(*(np.array(col) for col in zip(*args))), dtype=float)
        np.testing.assert_array_equal(from_numba, from_numpy, err_msg=name)
        assert len(np.unique(from_numpy)) > 1, name  # the cases are not all alike


def _compiled_rule_names() -> set[str]:
    """Names of the rules model/kernels.py compiles (``njit(rules.<name>, ...)``), read from its syntax tree."""
    tree = ast.parse(Path(inspect.getfile(kernels)).read_text(encoding="utf-8"))
    return {node.args[0].attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "njit" and node.args
            and isinstance(node.args[0], ast.Attribute) and getattr(node.args[0].value, "id", None) == "rules"}


def test_kernel_rules_digest_covers_every_compiled_rule_and_is_current():
    listed = {f.__name__ for f in kernels.KERNEL_RULES}
    compiled = _compiled_rule_names()
    assert len(compiled) >= 10, "the kernels compile the rules of model/rules.py"
    assert compiled <= listed, f"compiled but not in KERNEL_RULES (their changes would not reach numba's cache): " \
                               f"{compiled - listed}"
    assert set(_scalar_cases(np.random.default_rng(0))) == compiled  # each compiled rule is checked above
    assert kernels.kernel_rules_digest() == kernels.KERNEL_RULES_DIGEST, \
        f"model/rules.py's kernel rules changed: set KERNEL_RULES_DIGEST in model/kernels.py to " \
        f"{kernels.kernel_rules_digest()!r} (the kernels run uncached until then)"
    assert kernels.CACHED


# ---------------------------------------------------------------------------------------------- the numpy path
def test_residence_budget_prices_subsidy_profiles_as_the_workers_do():
    """A budget priced under profiles of the cities' subsidies (profiles, 1, cities), as the governments' talent game
    prices it, gives for each profile the consumption the workers' own rule gives with that profile in force."""
    w = world(4)
    rows = np.flatnonzero(w["alive"])
    inputs = residence_inputs(w)
    profiles = np.random.default_rng(9).uniform(0.0, 8e4, (5, N_CITY))
    priced = ref.residence_budget(rows, *inputs).consumption(profiles[:, None, :])
    for p, t in enumerate(profiles):
        with_t = list(inputs)
        with_t[12] = t  # the subsidy column of the residence inputs
        np.testing.assert_array_equal(priced[p], ref.residence_consumption(rows, *with_t)[0])
    assert (priced[1] != priced[2]).any()  # the subsidy matters to someone


def test_the_models_numpy_and_numba_residence_utilities_agree():
    """On a built model's workers (and the calibrated amenities), residence.utility -- the numpy path of in-migrants,
    probes and the governments -- gives the utilities the reviewers' kernel gives."""
    from model import CZTModel, residence

    m = CZTModel("baseline", seed=1, overrides={"scale": 2000})
    rows = np.flatnonzero(m.workers.alive)
    a = residence.utility(m, rows)
    b = kernels.residence_utilities(rows, True, *residence.utility_inputs(m))
    np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b))
    np.testing.assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=1e-12, atol=0)
    c, _ = residence.consumption(m, rows, with_subsidy=False)
    priced = residence.budget(m, rows).consumption(np.zeros((1, N_CITY)))
    np.testing.assert_array_equal(c, priced)


def test_stacked_budgets_price_like_their_parts():
    w = world(5)
    inputs = residence_inputs(w)
    rows = np.flatnonzero(w["alive"])
    first, second = ref.residence_budget(rows[:100], *inputs), ref.residence_budget(rows[100:], *inputs)
    t = np.array([[1e4, 5e4, 0.0]])
    np.testing.assert_array_equal(ref.ResidenceBudget.stack(first, second).consumption(t),
                                  ref.residence_budget(rows, *inputs).consumption(t))
