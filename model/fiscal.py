"""City governments' money (财政): local taxes, enclave sharing (飞地园区税收与统计分成), provincial investment
(强省会), subsidies, the budget rule, public services and public capital, fiscal strength.

The :class:`Fiscal` component owns every government's accounts as one column per field (one entry per city);
:class:`agents.government.CityGovernment` is the handle a user inspects. Money in 100 million yuan per quarter
unless named annual. The budget rule (services and public capital out of what is left after subsidies) lives only
here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model import calibration as cal
from model import governance
from model.choices import Regime
from model.identity import CORE, N_CITIES, PERIPHERY

if TYPE_CHECKING:
    from model.czt_model import CZTModel



def _zeros() -> np.ndarray:
    return np.zeros(N_CITIES)


def _ones() -> np.ndarray:
    return np.ones(N_CITIES)


@dataclass(slots=True)
class Fiscal:
    """One entry per city."""

    tax_collected: np.ndarray = field(default_factory=_zeros)  # local taxes raised on its territory
    tax_shared_out: np.ndarray = field(default_factory=_zeros)  # paid to enclave sponsors, as host
    tax_shared_in: np.ndarray = field(default_factory=_zeros)  # received from enclave hosts, as sponsor
    tax_after_sharing: np.ndarray = field(default_factory=_zeros)
    gdp_credited: np.ndarray = field(default_factory=_zeros)  # GDP statistics after enclave statistics sharing
    provincial_investment: np.ndarray = field(default_factory=_zeros)  # this quarter
    talent_subsidy_cost: np.ndarray = field(default_factory=_zeros)  # owed to talent this quarter
    training_cost: np.ndarray = field(default_factory=_zeros)  # training programmes, last quarter (model.training)
    subsidies_paid: np.ndarray = field(default_factory=_zeros)  # firm incentives + talent subsidies + training
    public_spending: np.ndarray = field(default_factory=_zeros)
    infrastructure: np.ndarray = field(default_factory=_ones)  # public capital index, 2019 = 1
    public_service_index: np.ndarray = field(default_factory=_ones)  # spending per resident relative to 2019
    spending_per_resident_0: np.ndarray = field(default_factory=_zeros)  # per resident worker agent, 2019
    infra_flow_0: np.ndarray = field(default_factory=_zeros)  # 2019 public-capital spending per quarter
    fiscal_strength: np.ndarray = field(default_factory=_ones)  # revenue per resident / cluster mean, 0.5-1.5


# ---------------------------------------------------------------------------------------------- stages
def share_taxes(m: CZTModel) -> None:
    """Split each enclave firm's local taxes and recorded GDP between host and sponsor; government revenue.

    Sharing applies to firms in an enclave park that came from the sponsor city (or started there),
    for ``enclave_duration_years`` after arrival, capped at ``enclave_cap_multiple`` x the firm's
    pre-move annual tax, and paid only when the park's payment draw succeeds this quarter.
    """
    F, G, p = m.firms, m.fiscal, m.p
    live = F.living
    y, tax, incentive = F.value_added[live], F.tax[live], F.incentive[live]
    city = F.city[live].astype(np.int64)
    collected = np.bincount(city, weights=tax, minlength=N_CITIES)
    produced = m.production.gdp_produced
    to_sponsor_tax = np.zeros(N_CITIES)
    to_sponsor_gdp = np.zeros(N_CITIES)
    from_host_tax = np.zeros(N_CITIES)
    from_host_gdp = np.zeros(N_CITIES)
    sponsor = m.land.sponsor[F.park[live]]
    in_enclave = sponsor >= 0
    if in_enclave.any():
        if p["government_regime"] == Regime.FIXED:
            # one payment draw per enclave park and quarter, in park order (deterministic stream use)
            paid_park = m.rng.random(m.land.n) < p["enclave_payment_prob"]
        else:  # the host's decision this year (model.governance.decide_enclaves)
            paid_park = m.governance.honour
        tax_share, stat_share = governance.enclave_shares(m)
        park = F.park[live]
        origin = F.origin_city[live]
        started_here = F.born_step[live] == F.arrived_step[live]
        eligible = in_enclave & ((origin == sponsor) | started_here) & \
            ((m.steps - F.arrived_step[live]) < 4 * p["enclave_duration_years"]) & paid_park[park]
        share_tax = tax_share[park] * tax * eligible
        cap = F.pre_move_tax[live] * p["enclave_cap_multiple"] / 4
        capped = F.pre_move_tax[live] > 0
        share_tax = np.where(capped, np.minimum(share_tax, cap), share_tax)
        share_gdp = stat_share[park] * y * eligible
        to_sponsor_tax = np.bincount(city, weights=share_tax, minlength=N_CITIES)  # paid by host city
        to_sponsor_gdp = np.bincount(city, weights=share_gdp, minlength=N_CITIES)
        sp = np.maximum(sponsor, 0).astype(np.int64)
        from_host_tax = np.bincount(sp, weights=share_tax, minlength=N_CITIES)  # received by sponsor city
        from_host_gdp = np.bincount(sp, weights=share_gdp, minlength=N_CITIES)
    G.gdp_credited = produced - to_sponsor_gdp + from_host_gdp
    G.tax_shared_out = to_sponsor_tax
    G.tax_shared_in = from_host_tax
    G.tax_collected = collected
    G.tax_after_sharing = collected - to_sponsor_tax + from_host_tax
    G.subsidies_paid = np.bincount(city, weights=incentive, minlength=N_CITIES) + G.talent_subsidy_cost + \
        G.training_cost + m.governance.land_cost


def budget(m: CZTModel) -> None:
    """Spend what is left after subsidies and the integration fund (paid in, paid out) on public capital
    (public_capital_share) and services (the rest)."""
    G, p = m.fiscal, m.p
    capital = p["public_capital_share"]
    pop_all = m.city_population
    governance.fund_flows(m)
    X = m.governance
    province = float(G.provincial_investment.sum())
    prov_left = 1.0 - X.province_fund / province if province > 0 else 1.0  # the province's share of the fund
    for c in range(N_CITIES):
        available = float(G.tax_after_sharing[c]) + float(G.provincial_investment[c]) * prov_left - \
            float(G.subsidies_paid[c]) + float(X.fund_out[c]) - float(X.fund_in[c])
        spending = max(available, 0.0)
        G.public_spending[c] = spending
        pop = max(int(pop_all[c]), 1)
        per_resident = (1 - capital) * spending / pop
        s0 = float(G.spending_per_resident_0[c])
        G.public_service_index[c] = per_resident / s0 if s0 else 1.0
        # public capital: depreciation; investment relative to the 2019 flow keeps the index near 1 in balance
        k, f0 = float(G.infrastructure[c]), float(G.infra_flow_0[c])
        G.infrastructure[c] = k + (capital * spending / f0 - 1.0) * p["capital_depreciation"] / 4 * k if f0 else k


def update_fiscal_strength(m: CZTModel) -> None:
    """Local revenue per resident relative to the cluster: richer cities outbid poorer ones for arriving firms."""
    G = m.fiscal
    per = G.tax_after_sharing / np.maximum(m.city_population, 1)
    G.fiscal_strength = np.clip(per / max(per.mean(), 1e-12), m.p["fiscal_strength_min"], m.p["fiscal_strength_max"])


# ---------------------------------------------------------------------------------------------- events
def investment_shares(m: CZTModel, tilt: float) -> np.ndarray:
    """Provincial investment shares: ``tilt`` to Changsha, the rest to Zhuzhou and Xiangtan by population."""
    pop = m.city_population.astype(float)
    out = np.zeros(N_CITIES)
    out[CORE] = tilt
    per = list(PERIPHERY)
    for c in per:
        out[c] = (1 - tilt) * pop[c] / pop[per].sum()
    return out


def allocate_provincial_investment(m: CZTModel, last_year_gdp: float | None) -> None:
    """A pool (share of last year's CZT GDP, start-year data before the first year ends) spent over four quarters."""
    gdp = last_year_gdp if last_year_gdp else float(cal.city_table(m.start_year).gdp_100m_yuan.sum())
    shares = investment_shares(m, m.p["strong_capital_tilt"])
    m.fiscal.provincial_investment = m.p["provincial_investment_share"] * gdp * shares / 4


# ---------------------------------------------------------------------------------------------- calibration
def calibrate_budgets(m: CZTModel) -> None:
    """Start-year government levels: spending per resident and the public-capital flow that keep the indices at 1."""
    G, capital = m.fiscal, m.p["public_capital_share"]
    pop = m.city_population
    allocate_provincial_investment(m, None)
    m.land.population_0 = pop.astype(np.int64).copy()
    for c in range(N_CITIES):
        spend0 = max(float(G.tax_after_sharing[c]) + float(G.provincial_investment[c]) - float(G.subsidies_paid[c]), 1e-9)
        G.spending_per_resident_0[c] = (1 - capital) * spend0 / max(pop[c], 1)
        G.infra_flow_0[c] = capital * spend0
    G.public_service_index[:] = 1.0
