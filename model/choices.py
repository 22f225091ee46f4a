"""The categorical parameters' choices as typed values.

A categorical parameter (``kind=str`` in ``model.params``) with a ``choice_type`` is coerced to a member of its
enumeration, so the mechanisms compare members (``p["government_regime"] == Regime.FIXED``) and a misspelt member is
an AttributeError at import, not a comparison that is silently false. The members are ``str`` (``StrEnum``): a value
prints, formats, hashes and serialises (JSON, TOML, CSV, Parquet, run ids) exactly as the plain string does.
"""

from __future__ import annotations

from enum import StrEnum


class Regime(StrEnum):
    """How the city governments decide (``government_regime``; model/governance/)."""

    FIXED = "fixed"  # the fixed rules of earlier versions
    COMPETE = "compete"  # each city's best response to the other two (各自为政)
    PROVINCIAL = "provincial"  # the province chooses for the cluster (省级统筹)


class FundPayer(StrEnum):
    """Who pays into the integration fund (``fund_payer``; model/governance/fund.py)."""

    CITIES = "cities"  # the three cities, in proportion to revenue
    PROVINCE = "province"  # the province, out of its investment pool
    CHANGSHA = "changsha"  # Changsha alone


class FundRewards(StrEnum):
    """What the integration fund's payouts follow (``fund_rewards``; model/governance/fund.py)."""

    CLUSTER_TOTAL = "cluster_total"  # a fixed key: the start year's residents
    OWN_GDP = "own_gdp"  # each city's credited GDP
    COOPERATION = "cooperation"  # taxes shared through enclave agreements, paid and received


class MarketAccess(StrEnum):
    """The market-access negative list (``market_access_list``; model/location.py)."""

    SEPARATE = "separate"  # approvals city by city
    ALIGNED = "aligned"  # harmonised approvals
    UNIFIED = "unified"  # one list and one approval for the cluster
