"""Statistics of the report: the theta growth regressions (plain numpy OLS) and t-intervals over replications.

theta (default; one regression per run, and one pooled over a scenario's replications), the lagged,
trend-adjusted response of model.measures.theta_lagged on the periphery aggregate:

    g_per,t = a + d t + b_1 g_core,t-1 + b_2 g_core,t-2 + r g_per,t-1 + e_t,   theta = b_1 + b_2,

pooled with an intercept and trend per replication and common b_l, r (model.measures.theta_lagged_pooled); se of
the sum classical and HC1. Why lagged: a relocation moves output from one city to the other in the year it
happens, which gives the same-year slope a negative component whatever the direction of the move (docs/ODD.md,
measures; tests/test_theta_synthetic.py). theta > 0: past core growth raises periphery growth (spread, spillover;
Myrdal 1957, Hirschman 1958); theta < 0: backwash (siphon). The former same-year specification follows; the report
keeps it as "theta, same year" so that earlier results can be reproduced:

    g_per,t = a + theta * g_core,t + e_t,   g_x,t = ln Y_x,t - ln Y_x,t-1

where Y_core is Changsha's GDP and Y_per the summed GDP of the periphery (Zhuzhou + Xiangtan) in statistical
year t (100 million yuan, 2019 prices), i.e. annual log growth of the periphery's GDP on the core's, with an
intercept, by ordinary least squares. theta > 0: the periphery grows with the core (spillover); theta < 0: it
grows when the core does not (siphon). The pooled regression stacks the (g_core, g_per) pairs of every
replication with one common intercept (replications are independent runs, so the pairs are independent across
replications). Standard errors: classical (s^2 (X'X)^-1 with s^2 = RSS/(n-k)) and White's heteroskedasticity-
robust HC1 (n/(n-k) (X'X)^-1 X' diag(e^2) X (X'X)^-1; MacKinnon & White 1985, J. Econometrics 29:305).
The model's own run-level theta (``model.measures.theta_ols``) differs: it keeps the two periphery cities apart
with a city fixed effect; the report lists both.

Intervals over replications: mean +/- t_{n-1, 1-alpha/2} * sd / sqrt(n) (Student t; n < 2 gives no interval).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as _st


@dataclass(frozen=True)
class OLS:
    """Slope of a simple regression with intercept: coefficient, standard errors, t, n, R^2."""

    coef: float
    se: float      # classical
    se_hc1: float  # heteroskedasticity-robust (HC1)
    t: float       # coef / classical se
    n: int
    r2: float
    intercept: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def ols(x: np.ndarray, y: np.ndarray) -> OLS:
    """OLS of ``y`` on a constant and ``x``; NaN pairs dropped; NaN statistics when they are undefined."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n, k = len(y), 2
    nan = math.nan
    if n < k or np.ptp(x) == 0:
        return OLS(nan, nan, nan, nan, n, nan, nan)
    X = np.column_stack([np.ones(n), x])
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    e = y - X @ beta
    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(e @ e) / tss if tss > 0 else nan
    if n <= k:  # exact fit: no residual degrees of freedom
        return OLS(float(beta[1]), nan, nan, nan, n, r2, float(beta[0]))
    s2 = float(e @ e) / (n - k)
    se = math.sqrt(s2 * xtx_inv[1, 1])
    meat = (X * e[:, None] ** 2).T @ X
    se_hc1 = math.sqrt(n / (n - k) * (xtx_inv @ meat @ xtx_inv)[1, 1])
    t = float(beta[1]) / se if se > 0 else nan
    return OLS(float(beta[1]), se, se_hc1, t, n, r2, float(beta[0]))


def log_growth(levels: np.ndarray) -> np.ndarray:
    """Annual log growth of a series of levels (one shorter)."""
    return np.diff(np.log(np.asarray(levels, dtype=float)))


def t_interval(values, conf: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and the two-sided Student-t interval of the mean of ``values`` (NaN dropped): (mean, lo, hi, n)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(v.mean())
    if n < 2:
        return m, math.nan, math.nan, n
    half = float(_st.t.ppf(0.5 + conf / 2, n - 1)) * float(v.std(ddof=1)) / math.sqrt(n)
    return m, m - half, m + half, n
