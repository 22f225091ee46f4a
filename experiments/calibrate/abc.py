"""ABC rejection with local-linear regression adjustment (Beaumont, Zhang & Balding 2002, Genetics 162:2025).

Works on plain arrays so that it can be tested on a synthetic simulator: ``theta`` (points x parameters),
``sims`` (points x fit moments, already averaged over replications), ``obs`` and ``sd`` (per moment).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from experiments.calibrate.moments import distance

EPS = 1e-6  # keeps the logit finite for draws on the edge of the prior
# The observed summaries must lie among the accepted draws' for the adjustment to interpolate: a squared
# Mahalanobis distance of the observed point from the accepted summaries' weighted cloud beyond this quantile of
# chi-squared (degrees of freedom = summaries) means the model reaches nothing near the record in those summaries.
OUTSIDE_QUANTILE = 0.999


def to_logit(theta: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    u = np.clip((theta - lo) / (hi - lo), EPS, 1 - EPS)
    return np.log(u / (1 - u))


def from_logit(phi: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return lo + (hi - lo) / (1 + np.exp(-phi))


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Quantile of a weighted sample (piecewise-linear between the weighted mid-ranks)."""
    i = np.argsort(x)
    x, w = x[i], w[i]
    cw = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cw, x))


def summarize(x: np.ndarray, w: np.ndarray) -> dict[str, float]:
    m = float(np.average(x, weights=w))
    return {"mean": m, "sd": float(np.sqrt(np.average((x - m) ** 2, weights=w))),
            "median": weighted_quantile(x, w, 0.5), "q05": weighted_quantile(x, w, 0.05),
            "q95": weighted_quantile(x, w, 0.95)}


def summaries(z: np.ndarray, phi: np.ndarray, mode: str = "auto") -> tuple[np.ndarray, str]:
    """Regressors of the adjustment, with the observed data at 0.

    ``raw``: the standardized deviations z = (sim - obs) / sd themselves. ``projected``: with more moments
    than parameters, a local regression on every moment would need more accepted points than a design
    gives, so z is first projected on k summaries, the linear predictions of logit(theta) from z fitted over
    the whole design by ridge regression (semi-automatic ABC, Fearnhead & Prangle 2012, JRSS-B 74:419). ``auto``: raw when
    there are no more moments than parameters, projected otherwise.
    """
    q, k = z.shape[1], phi.shape[1]
    if mode == "auto":
        mode = "raw" if q <= k else "projected"
    if mode == "raw":
        return z, mode
    beta, _ = ridge_gcv(z - z.mean(0), phi - phi.mean(0))
    return z @ beta, mode  # linear in z, so the observed data (z = 0) maps to 0


def ridge_gcv(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Ridge regression of centred ``y`` on centred ``x``, penalty chosen by generalized cross-validation
    (Golub, Heath & Wahba 1979, Technometrics 21:215): with many moments and a few hundred points an
    unpenalized projection interpolates the design and the adjusted posterior comes out too narrow."""
    u, sv, vt = np.linalg.svd(x, full_matrices=False)
    n = len(x)
    uty = u.T @ y
    best = (np.inf, 0.0)
    for lam in (sv.max() ** 2 + 1e-300) * np.logspace(-8, 2, 61):
        f = sv**2 / (sv**2 + lam)
        rss = ((y - u @ (f[:, None] * uty)) ** 2).sum()
        df = f.sum()
        gcv = rss / max(n - df, 1e-9) ** 2
        if gcv < best[0]:
            best = (gcv, lam)
    lam = best[1]
    return vt.T @ ((sv / (sv**2 + lam))[:, None] * uty), lam


def regression_adjust(phi: np.ndarray, s: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares phi = a + s b + e on the accepted draws; adjusted phi* = phi - s b (s_obs = 0)."""
    x = np.column_stack([np.ones(len(s)), s])
    sw = np.sqrt(w)[:, None]
    coef, *_ = np.linalg.lstsq(x * sw, phi * sw, rcond=None)
    return phi - s @ coef[1:], coef


def observed_outlyingness(s: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Squared Mahalanobis distance of the observed summaries (at 0) from the accepted draws' summaries ``s`` (rows,
    weights ``w``), and the chi-squared quantile ``OUTSIDE_QUANTILE`` it is judged against.

    A local-linear adjustment moves every draw by its summaries' distance from the observed ones; when the observed
    point lies far outside the accepted cloud (a model that cannot reach the record: misspecification) it
    extrapolates the regression, and on the logit scale the adjusted draws pile up at the prior bounds with a spread
    of nothing. The distance tells that case apart from a posterior that is narrow because the data say so."""
    from scipy.stats import chi2

    mean = np.average(s, axis=0, weights=w)
    dev = s - mean
    cov = (w[:, None] * dev).T @ dev / w.sum()
    d2 = float(mean @ np.linalg.pinv(cov) @ mean)
    return d2, float(chi2.ppf(OUTSIDE_QUANTILE, s.shape[1]))


@dataclass
class ABCResult:
    distances: np.ndarray  # every design point
    accepted: np.ndarray  # indices of accepted points, closest first
    weights: np.ndarray  # Epanechnikov weights of the accepted points
    delta: float  # kernel bandwidth (distance at which the weight reaches 0)
    theta_rejection: np.ndarray  # accepted draws as sampled
    theta_adjusted: np.ndarray  # accepted draws after regression adjustment
    mode: str  # regressors: raw or projected; none (too few accepted points) or outside (the observed summaries lie
    # outside the accepted ones': the adjustment would extrapolate): plain rejection
    outlyingness: float  # squared Mahalanobis distance of the observed summaries from the accepted (nan if unused)
    outside_threshold: float  # the chi-squared quantile it was judged against (nan if unused)
    rejection: list[dict[str, float]]  # per parameter: weighted summary of theta_rejection
    posterior: list[dict[str, float]]  # per parameter: weighted summary of theta_adjusted


def abc(theta: np.ndarray, sims: np.ndarray, obs: np.ndarray, sd: np.ndarray, lo: np.ndarray, hi: np.ndarray,
        n_accept: int, mode: str = "auto") -> ABCResult:
    """Accept the ``n_accept`` points closest to ``obs`` and regression-adjust them on the logit scale."""
    d = distance(sims, obs, sd)
    order = np.argsort(d, kind="stable")
    acc = order[:n_accept]
    # Bandwidth just beyond the last accepted point (the first rejected one), so every accepted draw counts.
    delta = float(d[order[n_accept]]) if n_accept < len(d) else float(d[acc[-1]]) * (1 + 1e-6) + 1e-12
    delta = max(delta, float(d[acc[-1]]) * (1 + 1e-9) + 1e-12)
    w = 1 - (d[acc] / delta) ** 2
    phi = to_logit(theta, lo, hi)
    z = (sims - obs) / sd
    s_all, mode = summaries(z, phi, mode)
    # a regression needs at least 2 accepted points per coefficient: with fewer it nearly interpolates and the
    # adjusted draws would collapse to a point
    enough = n_accept >= 2 * (s_all.shape[1] + 1)
    d2, limit = observed_outlyingness(s_all[acc], w) if enough else (float("nan"), float("nan"))
    if not enough:
        mode, th_adj = "none", theta[acc].copy()
    elif d2 > limit:  # the adjustment would extrapolate to where no draw came near the record
        mode, th_adj = "outside", theta[acc].copy()
    else:
        th_adj = from_logit(regression_adjust(phi[acc], s_all[acc], w)[0], lo, hi)
    th_rej = theta[acc]
    k = theta.shape[1]
    return ABCResult(distances=d, accepted=acc, weights=w, delta=delta, theta_rejection=th_rej,
                     theta_adjusted=th_adj, mode=mode, outlyingness=d2, outside_threshold=limit,
                     rejection=[summarize(th_rej[:, j], w) for j in range(k)],
                     posterior=[summarize(th_adj[:, j], w) for j in range(k)])
