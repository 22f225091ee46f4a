"""What a government maximises (干部考核, the cadre evaluation), and what the province maximises.

J_c = gdp_weight * dGDP_c / GDP_c + (1 - gdp_weight) * dRev_c / Rev_c, per year over ``government_horizon_years``:
credited GDP (after statistics sharing) and local revenue (after tax sharing, the integration fund's rule, and the
outlays on incentives, talent subsidies and land). The province puts the same weights on the cluster's totals.
Money in 100 million yuan a year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.choices import FundPayer, FundRewards

if TYPE_CHECKING:
    from model.czt_model import CZTModel


def weights(m: CZTModel) -> tuple[np.ndarray, np.ndarray]:
    """Objective weight of 100m yuan a year of credited GDP and of net revenue, by city (weight / the annual level)."""
    w = m.p["gdp_weight"]
    gdp = np.maximum(4 * m.fiscal.gdp_credited, 1e-9)
    rev = np.maximum(4 * m.fiscal.tax_after_sharing, 1e-9)
    return w / gdp, (1 - w) / rev


def population_shares(m: CZTModel) -> np.ndarray:
    """The fund's fixed key (``fund_rewards = cluster_total``): each city's share of the start year's residents."""
    pop0 = m.land.population_0.astype(float)
    return pop0 / max(pop0.sum(), 1.0)


def revenue_of(m: CZTModel, d_gdp: np.ndarray, outlays: np.ndarray) -> np.ndarray:
    """Net revenue gained per year (profiles, cities) from credited GDP gained ``d_gdp``, after the fund's rule:
    contributions take ``integration_fund_share`` of own revenue (payer ``cities``); payouts follow the cluster's
    revenue by a fixed key (``cluster_total``) or own credited GDP (``own_gdp``, first order)."""
    p, tau = m.p, m.p["local_tax_rate"]
    f = p["integration_fund_share"]
    own = tau * d_gdp
    rev = own * (1 - f) if f > 0 and p["fund_payer"] == FundPayer.CITIES else own
    if f > 0 and p["fund_rewards"] == FundRewards.CLUSTER_TOTAL:
        rev = rev + f * population_shares(m)[None] * own.sum(axis=1, keepdims=True)
    elif f > 0 and p["fund_rewards"] == FundRewards.OWN_GDP:
        pool = f * 4 * m.fiscal.tax_after_sharing.sum()
        rev = rev + pool * d_gdp / max(4 * m.fiscal.gdp_credited.sum(), 1e-9)
    return rev - outlays


def objective(m: CZTModel, d_gdp: np.ndarray, d_rev: np.ndarray) -> np.ndarray:
    """Each city's objective (profiles, cities): cadre-evaluation weights on its GDP and revenue growth."""
    wg, wr = weights(m)
    return wg[None] * d_gdp + wr[None] * d_rev


def cluster_objective(m: CZTModel, d_gdp: np.ndarray, d_rev: np.ndarray) -> np.ndarray:
    """The province's objective (profiles,): the same weights on the cluster's totals (省级统筹)."""
    w = m.p["gdp_weight"]
    gdp = max(4 * m.fiscal.gdp_credited.sum(), 1e-9)
    rev = max(4 * m.fiscal.tax_after_sharing.sum(), 1e-9)
    return w * d_gdp.sum(axis=1) / gdp + (1 - w) * d_rev.sum(axis=1) / rev


def cooperation_reward(m: CZTModel, city: int, shared: float) -> float:
    """Payout (100m yuan a year) the fund (``fund_rewards = cooperation``) adds for ``shared`` taxes paid a year."""
    p = m.p
    f = p["integration_fund_share"]
    if f <= 0 or p["fund_rewards"] != FundRewards.COOPERATION:
        return 0.0
    pool = f * 4 * float(m.fiscal.tax_after_sharing.sum())
    score = 4 * float((m.fiscal.tax_shared_out + m.fiscal.tax_shared_in).sum())
    return pool * shared / max(score + shared, 1e-9)
