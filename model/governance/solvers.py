"""How the governments choose on their grids: best responses, the province's coordinate ascent, the equilibrium.

``effects(profiles)`` is a prediction (``model.governance.prediction``): for profiles of choices (profiles, cities)
it returns the credited GDP and net revenue gained per year and the outlays per year (100 million yuan). Choices
are compared with a tolerance of 1e-10 of the values' magnitude, so that no choice turns on the last bits (these
differ between numpy's CPU code paths, tests/test_cpu_paths.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.governance.objective import cluster_objective, objective
from model.identity import N_CITIES

if TYPE_CHECKING:
    from model.czt_model import CZTModel


def _argmax(values: np.ndarray) -> int:
    """Index of the best value, the first among values equal to 1e-10 of the largest magnitude: a choice must not
    turn on the last bits, which differ between numpy's CPU code paths (tests/test_cpu_paths.py)."""
    finite = np.isfinite(values)
    if not finite.any():
        return 0
    q = 1e-10 * max(float(np.max(np.abs(values[finite]))), 1e-300)
    return int(np.argmax(np.where(finite, np.round(values / q), -np.inf)))


def at_least(a: float, b: float) -> bool:
    """a >= b, up to 1e-10 of their magnitude (see _argmax)."""
    return a >= b - 1e-10 * max(abs(a), abs(b), 1e-300)


def best_responses(m: CZTModel, effects, current: np.ndarray, grid: np.ndarray,
                   budget: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each city's best choice on ``grid`` with the other two at ``current`` (outlays within ``budget``); ties go
    to the lower value. Returns the choices and each one's predicted objective gain over keeping ``current``."""
    out, gain = current.copy(), np.zeros(N_CITIES)
    n = len(grid)
    # every city's deviations and the current profile in one batch (one evaluation of the game, not four)
    prof = np.repeat(current[None, :], N_CITIES * n + 1, axis=0)
    for c in range(N_CITIES):
        prof[c * n:(c + 1) * n, c] = grid
    d_gdp, d_rev, outlay = effects(prof)
    J_all = objective(m, d_gdp, d_rev)
    J0 = J_all[-1]
    for c in range(N_CITIES):
        rows = slice(c * n, (c + 1) * n)
        J = np.where(outlay[rows, c] <= budget[c], J_all[rows, c], -np.inf)
        k = _argmax(J)
        out[c], gain[c] = grid[k], float(J[k] - J0[c])
    return out, gain


def cluster_choice(m: CZTModel, effects, current: np.ndarray, grid: np.ndarray, budget: np.ndarray,
                   rounds: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The province's choice for all three cities: coordinate ascent on the cluster objective."""
    x = current.copy()
    for _ in range(rounds):
        for c in range(N_CITIES):
            prof = np.repeat(x[None, :], len(grid), axis=0)
            prof[:, c] = grid
            d_gdp, d_rev, outlay = effects(prof)
            ok = (outlay <= budget[None, :]).all(axis=1)
            x[c] = grid[_argmax(np.where(ok, cluster_objective(m, d_gdp, d_rev), -np.inf))]
    J = objective(m, *effects(np.stack([current, x]))[:2])
    return x, J[1] - J[0]


def equilibrium(m: CZTModel, effects, start: np.ndarray, grid: np.ndarray, budget: np.ndarray,
                max_rounds: int = 50) -> tuple[np.ndarray, int]:
    """Iterate simultaneous best responses of the stage game to a fixed point (or ``max_rounds``): the rest point
    of the yearly adjustment if the state held still. Returns the profile and the rounds it took."""
    x = start.copy()
    for k in range(max_rounds):
        y, _ = best_responses(m, effects, x, grid, budget)
        if np.array_equal(y, x):
            return x, k
        x = y
    return x, max_rounds
