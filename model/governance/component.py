"""The governments' choices in force (the ``governance`` component): one entry per city, per park for enclave terms.

``decisions`` writes the choices once a year (and at a phase switch), ``fund`` the integration fund's flows each
quarter, ``model.land`` the land development outlays; ``production``, ``location``, ``fiscal``, ``residence`` and
``land`` read the choices. Money in 100 million yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.identity import N_CITIES


def _z() -> np.ndarray:
    return np.zeros(N_CITIES)


@dataclass(slots=True)
class Governance:
    """The governments' choices in force, one entry per city (parks: one per park)."""

    incentive: np.ndarray = field(default_factory=_z)  # intensity, subsidy_competition's unit (1 = 10% of VA)
    talent_subsidy: np.ndarray = field(default_factory=_z)  # yuan per talent per year, first two years
    land_release: np.ndarray = field(default_factory=_z)  # extra growth of the city's park land this year, per year
    terms: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per park: share of the agreed enclave shares
    honour: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per park: the host pays
    kept: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per park: sponsor's kept share of a mover's value
    predicted_gain: np.ndarray = field(default_factory=_z)  # objective gain the chosen decisions were predicted to bring
    fund_in: np.ndarray = field(default_factory=_z)  # contributions to the integration fund this quarter
    fund_out: np.ndarray = field(default_factory=_z)  # payouts of the fund this quarter
    land_cost: np.ndarray = field(default_factory=_z)  # land development outlays this quarter
    province_fund: float = 0.0  # the province's contribution this quarter (fund_payer = province)
    decisions: list[dict] = field(default_factory=list)  # one entry per city and year (and per enclave agreement)
