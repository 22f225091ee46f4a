"""The reduction kernels of the residence calibration (model.kernels.row_max, row_sums, column_sums) give numpy's
own results to the last bit: they replace u.max(axis=1), p.sum(axis=1) and p[rows].sum(axis=0) inside a fixed
point whose result (the amenities) every later draw depends on."""

from __future__ import annotations

import numpy as np
import pytest

from model import kernels
from model.identity import N_CITIES

# numba against numpy to the last bit: numpy's reductions differ between its SIMD code paths
pytestmark = pytest.mark.sim


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_reductions_match_numpy_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    u = rng.normal(0, 30, size=(n, N_CITIES))
    u[rng.random((n, N_CITIES)) < 0.15] = -np.inf  # cities out of commuting reach
    u[:, 0] = np.where(np.isfinite(u).any(axis=1), u[:, 0], 0.0)  # every worker can live somewhere
    assert np.array_equal(kernels.row_max(u), u.max(axis=1))
    p = np.exp(u - u.max(axis=1, keepdims=True)) * rng.uniform(0.1, 10, size=(n, 1))
    assert np.array_equal(kernels.row_sums(p), p.sum(axis=1))
    for share in (0.0, 0.001, 0.3, 1.0):
        rows = np.flatnonzero(rng.random(n) < share)
        assert np.array_equal(kernels.column_sums(p, rows), p[rows].sum(axis=0))


@pytest.mark.parametrize("shape", [(5000, 3), (64, 2200, 3), (21, 7, 3, 3), (40, 7), (9, 8), (12, 9), (10, 1)])
def test_softmax_reductions_are_numpys_to_the_last_bit(shape):
    """rules.softmax reduces a short last axis column by column: the same maximum and the same sums as numpy's own
    reductions, on contiguous arrays and on views (a transposed array, a slice)."""
    from model import rules

    rng = np.random.default_rng(sum(shape))
    u = rng.normal(0, 20, size=shape)
    u[rng.random(shape) < 0.2] = -np.inf
    for arr in (u, np.swapaxes(u.copy(), 0, -1).copy().swapaxes(0, -1), u[..., ::-1]):
        assert np.array_equal(rules.last_axis_max(arr), np.max(arr, axis=-1))
        e = np.exp(np.where(np.isfinite(arr), arr, -np.inf) / 50)
        assert np.array_equal(rules.last_axis_sum(e), e.sum(axis=-1))


def test_softmax_is_the_textbook_formula_to_the_last_bit():
    """rules.softmax computes in place what exp(u - max) / sum(exp(u - max)) computes, for every input it may meet:
    -inf options, rows with no finite option, and (never in the model, but defined) +inf and NaN."""
    from model import rules

    def textbook(u):
        top = np.max(u, axis=-1, keepdims=True)
        e = np.where(np.isfinite(u), np.exp(u - np.where(np.isfinite(top), top, 0.0)), 0.0)
        tot = e.sum(axis=-1, keepdims=True)
        return np.where(tot > 0, e / np.where(tot > 0, tot, 1.0), 0.0)

    rng = np.random.default_rng(7)
    for shape in [(1000, 3), (30, 200, 3), (5, 7, 3, 7), (50, 12)]:
        u = rng.normal(0, 40, size=shape)
        u[rng.random(shape) < 0.2] = -np.inf
        u.reshape(-1, shape[-1])[:7] = -np.inf  # rows nobody can choose
        u.reshape(-1, shape[-1])[7, 0] = np.inf
        u.reshape(-1, shape[-1])[8, 0] = np.nan
        np.testing.assert_array_equal(rules.softmax(u), textbook(u))
