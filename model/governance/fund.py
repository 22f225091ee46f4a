"""The integration fund's flows each quarter (区域一体化发展专项支持基金): who pays in, who is paid out.

Money in 100 million yuan per quarter; written into the ``governance`` component (``fund_in``, ``fund_out``,
``province_fund``) for the budget rule (``model.fiscal.budget``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.choices import FundPayer, FundRewards
from model.governance.objective import population_shares
from model.identity import CORE, N_CITIES

if TYPE_CHECKING:
    from model.czt_model import CZTModel


def fund_flows(m: CZTModel) -> None:
    """This quarter's integration fund (区域一体化发展专项支持基金): ``integration_fund_share`` of the cities' revenue
    after sharing, paid by the cities in proportion to revenue, by the province out of its investment pool, or by
    Changsha alone (``fund_payer``); paid out by the start year's residents (``cluster_total``: every city's
    payout follows the cluster's revenue), by credited GDP (``own_gdp``) or by taxes shared through enclave
    agreements, paid and received (``cooperation``; by residents while no one shares)."""
    G, F, p = m.governance, m.fiscal, m.p
    f = p["integration_fund_share"]
    G.fund_in, G.fund_out, G.province_fund = np.zeros(N_CITIES), np.zeros(N_CITIES), 0.0
    if f <= 0:
        return
    rev = np.maximum(F.tax_after_sharing, 0.0)
    pool = f * float(rev.sum())
    if p["fund_payer"] == FundPayer.CITIES:
        G.fund_in = f * rev
    elif p["fund_payer"] == FundPayer.CHANGSHA:
        G.fund_in[CORE] = pool
    else:  # FundPayer.PROVINCE
        G.province_fund = min(pool, float(F.provincial_investment.sum()))
        pool = G.province_fund
    key = population_shares(m)  # FundRewards.CLUSTER_TOTAL
    if p["fund_rewards"] == FundRewards.OWN_GDP:
        key = np.maximum(F.gdp_credited, 0.0) / max(float(np.maximum(F.gdp_credited, 0.0).sum()), 1e-9)
    elif p["fund_rewards"] == FundRewards.COOPERATION:
        score = F.tax_shared_out + F.tax_shared_in
        if score.sum() > 0:
            key = score / score.sum()
    G.fund_out = pool * key
