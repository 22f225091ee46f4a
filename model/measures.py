"""Siphon (虹吸) versus spillover (溢出) measures, each with its formula and reference.

All take the annual city frame (``CZTModel.annual_frame``) and the flows frame. Core = Changsha.
- core_share(x)      = x_core / sum_i x_i                           (DOMAIN.md §5)
- primacy            = P1/P2 and P1/(P2+P3) on GDP and population    (Jefferson 1939; DOMAIN.md §5)
- theil              = sum_i (Y_i/Y) ln((Y_i/Y)/(N_i/N))              (Theil 1967, population-weighted T)
- cv                 = population-weighted coefficient of variation of GDP per capita (Williamson 1965)
- nich_i             = dY_i / dY_cluster over the period              (relative development rate, DOMAIN.md §5)
- theta (default)    = lagged, trend-adjusted growth response (Granger 1969 form; distributed-lag impulse response):
                       g_pt = a_p + d_p t + sum_{l=1..L} b_l g_c,t-l + r g_p,t-1 + e_pt,   theta = sum_l b_l  (L = 2)
                       theta<0 backwash/siphon, >0 spread/spillover (Myrdal 1957; Hirschman 1958), see theta_lagged
- theta_same_year    = the former measure, same-year OLS slope with city fixed effects, g_pt = a_p + theta g_ct + e_pt
                       (DOMAIN.md §5). Biased towards < 0 by construction when firms relocate (see theta_lagged)
- net flows          = persons/firms moving core -> periphery minus periphery -> core
- people_sources     = net inflow of residents into each city from every other place (the other cities by residence
                       moves, the rest of Hunan and the rest of China by migration), 10k persons a year: the siphon
                       from the province (省内虹吸) measured apart from the siphon within the cluster
Verdict per periphery city p (rule, thresholds in VERDICT_RULE):
  siphon    if its GDP share falls by at least 0.5 pp and net talent or net firm/branch flows go to the core;
  spillover if its GDP share rises by at least 0.5 pp and net talent or net firm/branch flows come from the core;
  neutral   otherwise (share roughly unchanged, or flows contradict the share change).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.identity import CITIES, CORE_CITY, PERIPHERY_CITIES, REGIONS  # noqa: E402
VERDICT_RULE = {"share_threshold_pp": 0.5,
                "text": "siphon: GDP share falls >= 0.5 pp and net talent or firm/branch flows go to Changsha; "
                        "spillover: share rises >= 0.5 pp and net talent or firm/branch flows come from Changsha; "
                        "otherwise neutral"}
THETA_LAGS = 2  # years of core growth in the default theta (theta_lagged)


def pivot(annual: pd.DataFrame, col: str) -> pd.DataFrame:
    return annual.pivot(index="year", columns="city", values=col)


def core_share(annual: pd.DataFrame, col: str) -> pd.Series:
    t = pivot(annual, col)
    return t[CORE_CITY] / t.sum(axis=1)


def primacy(annual: pd.DataFrame, col: str = "gdp_100m_yuan") -> pd.DataFrame:
    t = pivot(annual, col)
    per = t[list(PERIPHERY_CITIES)]
    return pd.DataFrame({"p1_p2": t[CORE_CITY] / per.max(axis=1), "p1_p2p3": t[CORE_CITY] / per.sum(axis=1)})


def theil(annual: pd.DataFrame) -> pd.Series:
    y, n = pivot(annual, "gdp_100m_yuan"), pivot(annual, "population_10k")
    ys, ns = y.div(y.sum(axis=1), axis=0), n.div(n.sum(axis=1), axis=0)
    return (ys * np.log(ys / ns)).sum(axis=1)


def cv(annual: pd.DataFrame) -> pd.Series:
    y, n = pivot(annual, "gdp_100m_yuan"), pivot(annual, "population_10k")
    pc = y / n
    w = n.div(n.sum(axis=1), axis=0)
    mean = (w * pc).sum(axis=1)
    return np.sqrt((w * pc.sub(mean, axis=0) ** 2).sum(axis=1)) / mean


def nich(annual: pd.DataFrame) -> dict[str, float]:
    y = pivot(annual, "gdp_100m_yuan")
    d = y.iloc[-1] - y.iloc[0]
    tot = d.sum()
    return {c: float(d[c] / tot) if tot else float("nan") for c in y.columns}


def _growth(annual: pd.DataFrame) -> pd.DataFrame:
    """Annual log growth of each city's GDP, g_it = ln Y_it - ln Y_i,t-1 (years as rows)."""
    return np.log(pivot(annual, "gdp_100m_yuan")).diff().dropna()


def theta_same_year(annual: pd.DataFrame) -> dict[str, float]:
    """The former theta: periphery-on-core same-year growth regression with city fixed effects,
    g_pt = a_p + theta * g_ct + e_pt (DOMAIN.md §5); theta, its standard error and n.

    Kept so that results produced before the lagged default can be reproduced. In a closed cluster it is
    negative by construction whenever production moves between cities: a relocation or branch that moves output
    dY from the core to p in year t adds dY/Y_p to g_pt and takes dY/Y_c from g_ct, a component with slope
    -Y_c/Y_p whichever way the firms move (docs/ODD.md, measures). Opposite low-frequency trends (the core
    decelerating while the periphery accelerates) bias it the same way."""
    g = _growth(annual)
    if len(g) < 3:
        return {"theta": float("nan"), "se": float("nan"), "n": 0}
    return theta_ols(g[CORE_CITY].to_numpy(), {p: g[p].to_numpy() for p in PERIPHERY_CITIES})


def theta(annual: pd.DataFrame, lags: int = THETA_LAGS) -> dict[str, float]:
    """The default theta (``summary()['theta']``): :func:`theta_lagged` on the run's annual GDP growth."""
    g = _growth(annual)
    if len(g) < lags + 5:
        return {"theta": float("nan"), "se": float("nan"), "se_hc1": float("nan"), "n": 0, "lags": lags}
    return theta_lagged(g[CORE_CITY].to_numpy(), {p: g[p].to_numpy() for p in PERIPHERY_CITIES}, lags)


def theta_lagged(core: np.ndarray, periphery: dict[str, np.ndarray], lags: int = THETA_LAGS,
                 trend: bool = True) -> dict[str, float]:
    """Cumulative response of periphery growth to the core's past growth, with city fixed effects and trends:

        g_pt = a_p + d_p * t + sum_{l=1..L} b_l * g_c,t-l + r * g_p,t-1 + e_pt,      theta = sum_{l=1..L} b_l

    (OLS over t = L..T-1 and the periphery cities; se of the sum from the coefficient covariance, classical and
    HC1, MacKinnon & White 1985). Why this form:
    - only past core growth enters: a firm that moves output from one city to the other in year t changes g_ct
      and g_pt in opposite directions in that year only (a level shift), so it has no slope on g_c,t-l; the
      same holds for an i.i.d. common (national) shock, which the former same-year theta reads as spillover;
    - the periphery's own lag r g_p,t-1 is a Granger (1969) causality control: past core growth must predict
      periphery growth beyond what the periphery's own past does;
    - a_p + d_p t take out each city's mean growth and a linear drift, so that a core decelerating while the
      periphery accelerates (convergence; Barro & Sala-i-Martin 1992) is not read as a year-to-year link;
    - theta, the sum of lag coefficients, is the cumulative (L-year) impulse response of periphery growth to
      core growth: spread effects (Myrdal 1957; Hirschman 1958 "trickling down") give theta > 0, backwash
      (polarization, siphon) theta < 0; the growth-spillover regressions on Chinese city clusters are the
      same-year special case L = 0 without controls (DOMAIN.md §5)."""
    names = list(periphery)
    X, y = theta_lagged_design(core, periphery, lags, trend)
    if len(y) <= X.shape[1]:
        return {"theta": float("nan"), "se": float("nan"), "se_hc1": float("nan"), "n": int(len(y)), "lags": lags}
    est = ols_sum(X, y, list(range(2 * len(names) if trend else len(names),
                                   (2 * len(names) if trend else len(names)) + lags)))
    return {**est, "lags": lags}


def theta_lagged_design(core: np.ndarray, periphery: dict[str, np.ndarray], lags: int = THETA_LAGS,
                        trend: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Regressors and outcome of :func:`theta_lagged`: columns [dummies per city, (trend per city),
    g_c,t-1..g_c,t-L, g_p,t-1]; rows t = L..T-1 per periphery city."""
    core = np.asarray(core, dtype=float)
    names, T = list(periphery), len(core)
    k_fe = 2 * len(names) if trend else len(names)
    rows, ys = [], []
    for j, p in enumerate(names):
        gp = np.asarray(periphery[p], dtype=float)
        for t in range(max(lags, 1), T):
            x = np.zeros(k_fe + lags + 1)
            x[j] = 1.0
            if trend:
                x[len(names) + j] = (t - T / 2) / T
            x[k_fe:k_fe + lags] = core[t - lags:t][::-1]
            x[-1] = gp[t - 1]
            rows.append(x)
            ys.append(gp[t])
    return np.array(rows).reshape(-1, k_fe + lags + 1), np.array(ys)


def theta_lagged_pooled(runs: list[tuple[np.ndarray, dict[str, np.ndarray]]], lags: int = THETA_LAGS
                        ) -> dict[str, float]:
    """:func:`theta_lagged` pooled over independent runs: each (run, city) keeps its own intercept and trend,
    the lag coefficients b_l and r are common; theta = sum_l b_l with classical and HC1 standard errors."""
    blocks, ys = [], []
    for core, per in runs:
        X, y = theta_lagged_design(core, per, lags)
        blocks.append(X)
        ys.append(y)
    if not blocks:
        return {"theta": float("nan"), "se": float("nan"), "se_hc1": float("nan"), "n": 0, "dof": 0, "r2": float("nan")}
    k_fe = [X.shape[1] - lags - 1 for X in blocks]
    X = np.zeros((sum(len(y) for y in ys), sum(k_fe) + lags + 1))
    r = c = 0
    for B, k in zip(blocks, k_fe):
        X[r:r + len(B), c:c + k] = B[:, :k]
        X[r:r + len(B), sum(k_fe):] = B[:, k:]
        r, c = r + len(B), c + k
    return ols_sum(X, np.concatenate(ys), list(range(sum(k_fe), sum(k_fe) + lags)))


def ols_sum(X: np.ndarray, y: np.ndarray, idx: list[int]) -> dict[str, float]:
    """OLS of y on X; the sum of the coefficients ``idx`` with its classical and HC1 standard errors
    (s^2 (X'X)^-1 with s^2 = RSS/(n-k); n/(n-k) (X'X)^-1 X' diag(e^2) X (X'X)^-1, MacKinnon & White 1985)."""
    n, k = X.shape
    xtx_inv = np.linalg.pinv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    e = y - X @ beta
    w = np.zeros(k)
    w[idx] = 1.0
    dof = max(n - k, 1)
    var = float(e @ e) / dof * float(w @ xtx_inv @ w)
    meat = (X * e[:, None] ** 2).T @ X
    var_hc1 = n / dof * float(w @ xtx_inv @ meat @ xtx_inv @ w)
    tss = float(((y - y.mean()) ** 2).sum())
    return {"theta": float(w @ beta), "se": float(np.sqrt(var)), "se_hc1": float(np.sqrt(var_hc1)), "n": int(n),
            "dof": int(dof), "r2": 1.0 - float(e @ e) / tss if tss > 0 else float("nan")}


def theta_ols(core: np.ndarray, periphery: dict[str, np.ndarray]) -> dict[str, float]:
    """OLS of g_p on g_c with a dummy per periphery city (the fixed effects); classical standard error."""
    names = list(periphery)
    rows, ys = [], []
    for j, p in enumerate(names):
        for t in range(len(core)):
            x = np.zeros(len(names) + 1)
            x[j] = 1.0
            x[-1] = core[t]
            rows.append(x)
            ys.append(periphery[p][t])
    X, Y = np.array(rows), np.array(ys)
    beta, *_ = np.linalg.lstsq(X, Y, rcond=None)
    resid = Y - X @ beta
    dof = max(len(Y) - X.shape[1], 1)
    sigma2 = resid @ resid / dof
    cov = sigma2 * np.linalg.pinv(X.T @ X)
    return {"theta": float(beta[-1]), "se": float(np.sqrt(cov[-1, -1])), "n": int(len(Y))}


def net_flows(flows: pd.DataFrame, city: str) -> dict[str, float]:
    """Net flows from the core into ``city`` over the run (persons, firms): positive = towards the periphery city."""
    def net(kinds: tuple[str, ...]) -> float:
        f = flows[flows.kind.isin(kinds)]
        into = f[(f.origin == CORE_CITY) & (f.destination == city)]["count"].sum()
        out = f[(f.origin == city) & (f.destination == CORE_CITY)]["count"].sum()
        return float(into - out)

    return {"talent_persons": net(("move_talent",)), "ordinary_persons": net(("move_ordinary",)),
            "firms_and_branches": net(("firm_relocation", "branch_opening"))}


def people_sources(flows: pd.DataFrame, years: int) -> dict[str, dict[str, float]]:
    """{city: {place: net residents gained from place per year (10k persons)}} over the run's complete years.

    Residence moves (``move_*``) between the cities, and migration (``in_migration_*`` minus ``out_migration_*``)
    with the rest of Hunan and the rest of China; births and deaths are not flows between places."""
    kinds = flows.kind.str.rsplit("_", n=1).str[0]
    f = flows[kinds.isin(("move", "in_migration", "out_migration"))]
    od = f.groupby(["origin", "destination"])["count"].sum()
    get = lambda o, d: float(od.get((o, d), 0.0))  # noqa: E731
    per_year = 1e4 * max(years, 1)
    return {c: {o: (get(o, c) - get(c, o)) / per_year for o in CITIES + REGIONS if o != c} for c in CITIES}


def verdict(share_change_pp: float, flows: dict[str, float]) -> str:
    thr = VERDICT_RULE["share_threshold_pp"]
    toward_core = flows["talent_persons"] < 0 or flows["firms_and_branches"] < 0
    from_core = flows["talent_persons"] > 0 or flows["firms_and_branches"] > 0
    if share_change_pp <= -thr and toward_core:
        return "siphon"
    if share_change_pp >= thr and from_core:
        return "spillover"
    return "neutral"


def verdict_by_year(annual: pd.DataFrame, flows: pd.DataFrame) -> dict[int, dict[str, str]]:
    """{year: {periphery city: verdict}}: the verdict a run would give if it ended at the end of each complete year
    (share change from the first year, flows summed up to that year), the same rule as ``summarize``. Vectorised:
    the app draws it for every year of every seed of an ensemble."""
    if annual.empty:
        return {}
    share = pivot(annual, "gdp_share")
    years = share.index.to_numpy()
    kinds = {"talent_persons": ("move_talent",), "firms_and_branches": ("firm_relocation", "branch_opening")}
    f = flows[flows.year <= years.max()]
    out: dict[int, dict[str, str]] = {int(y): {} for y in years}
    for p in PERIPHERY_CITIES:
        net = {}
        for key, ks in kinds.items():
            g = f[f.kind.isin(ks)]
            into = g[(g.origin == CORE_CITY) & (g.destination == p)].groupby("year")["count"].sum()
            away = g[(g.origin == p) & (g.destination == CORE_CITY)].groupby("year")["count"].sum()
            per_year = into.reindex(years, fill_value=0.0) - away.reindex(years, fill_value=0.0)
            net[key] = per_year.cumsum().to_numpy(dtype=float)
        change = 100 * (share[p].to_numpy() - share[p].iloc[0])
        for i, y in enumerate(years):
            out[int(y)][p] = verdict(float(change[i]), {k: float(v[i]) for k, v in net.items()})
    return out
