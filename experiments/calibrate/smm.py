"""SMM point estimate from a quadratic response surface of each moment over the accepted region.

The closest draw alone is noisy (its distance holds one or two replications' sampling noise), so each fit
moment is regressed (numpy least squares, ridge penalty chosen by GCV) on a quadratic in the parameters over the points nearest the data,
and the weighted criterion mean(((surface - obs) / sd)^2) is minimised with scipy's L-BFGS-B inside the
bounding box of those points, where the surface is an interpolation, not an extrapolation.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np
from scipy.optimize import minimize

from experiments.calibrate.abc import ridge_gcv

KINDS = ("quadratic", "separable", "linear")  # richest first; the richest the points can support is used


def n_coef(kind: str, k: int) -> int:
    return {"quadratic": 1 + k + k * (k + 1) // 2, "separable": 1 + 2 * k, "linear": 1 + k}[kind]


def features(x: np.ndarray, kind: str) -> np.ndarray:
    x = np.atleast_2d(x)
    cols = [np.ones(len(x))] + [x[:, j] for j in range(x.shape[1])]
    if kind == "quadratic":
        cols += [x[:, i] * x[:, j] for i, j in combinations_with_replacement(range(x.shape[1]), 2)]
    elif kind == "separable":
        cols += [x[:, j] ** 2 for j in range(x.shape[1])]
    return np.column_stack(cols)


@dataclass
class SMMResult:
    u: np.ndarray  # estimate on the unit box of the prior
    kind: str  # surface used: quadratic, separable, linear or best-draw
    n_fit: int  # points the surface was fitted on
    r2: np.ndarray  # R^2 of each moment's surface (NaN for best-draw)
    predicted_distance: float  # surface distance at the estimate
    best_draw_distance: float  # observed distance of the closest draw
    box: tuple[np.ndarray, np.ndarray]  # where the criterion was minimised (unit box)
    ridge: float = 0.0  # GCV ridge penalty of the surfaces (0 for best-draw)


def estimate(u: np.ndarray, sims: np.ndarray, obs: np.ndarray, sd: np.ndarray, d: np.ndarray,
             n_accept: int) -> SMMResult:
    """``u``: points on the unit box (points x k); ``sims``: fit moments averaged over replications; ``d``:
    their distances. The surface is fitted on the ``max(n_accept, 2 x quadratic coefficients)`` closest points."""
    n, k = u.shape
    order = np.argsort(d, kind="stable")
    n_fit = min(n, max(n_accept, 2 * n_coef("quadratic", k)))
    idx = order[:n_fit]
    kind = next((kd for kd in KINDS if n_fit >= n_coef(kd, k) + 2), "best-draw")
    best = u[order[0]]
    if kind == "best-draw":
        return SMMResult(best, kind, n_fit, np.full(sims.shape[1], np.nan), float(d[order[0]]), float(d[order[0]]),
                         (best, best))
    lo, hi = u[idx].min(0), u[idx].max(0)
    centre, half = (lo + hi) / 2, np.maximum((hi - lo) / 2, 1e-9)  # work on [-1, 1]^k for conditioning
    x = (u[idx] - centre) / half
    f = features(x, kind)
    # ridge with a GCV penalty: a design of a few hundred points gives only ~2 points per coefficient of a
    # full quadratic in 5-6 parameters, and unpenalized surfaces then fit the seed noise
    fm, ym = f[:, 1:].mean(0), sims[idx].mean(0)
    slopes, lam = ridge_gcv(f[:, 1:] - fm, sims[idx] - ym)
    coef = np.vstack([ym - fm @ slopes, slopes])
    resid = sims[idx] - f @ coef
    tss = ((sims[idx] - sims[idx].mean(0)) ** 2).sum(0)
    r2 = 1 - (resid**2).sum(0) / np.where(tss > 0, tss, np.nan)

    def crit(xv: np.ndarray) -> float:
        return float(np.mean(((features(xv, kind) @ coef - obs) / sd) ** 2))

    starts = [(best - centre) / half, np.zeros(k), (u[idx].mean(0) - centre) / half]
    bounds = [(-1.0, 1.0)] * k
    fits = [minimize(crit, np.clip(s, -1, 1), method="L-BFGS-B", bounds=bounds) for s in starts]
    top = min(fits, key=lambda r: r.fun)
    u_hat = np.clip(centre + half * top.x, lo, hi)
    return SMMResult(u_hat, kind, n_fit, r2, float(np.sqrt(max(top.fun, 0.0))), float(d[order[0]]), (lo, hi), lam)
