"""Inward investment and industrial transfer (招商引资、承接产业转移): establishments arriving from outside the cluster.

Each quarter, arrivals of each mobile sector ~ Poisson(establishments of the sector in the cluster x
(``inward_investment_rate`` + ``industrial_transfer_rate`` if manufacturing) / 4). They choose a city by a logit on
the profit they expect there at the best park with room, with the incentives a newcomer is offered, plus the log of
the sector's presence in the city as for local entrants (suppliers, networks): without it arrivals would spread
evenly over the three cities, since 2019 is calibrated as a spatial equilibrium of entrants' profits, while the
record puts two thirds of the foreign capital of 2017 Jan-Apr in Changsha (model/data/inward_investment.csv).
Incentives for arrivals: each city bids with its
fiscal strength (``production.incentive_rate``); under joint attraction (三市联合招商, ``joint_attraction`` = 1) one
agency offers every city's arrivals the same, the cities' mean offer without the bidding premium
(``bidding_premium_share``). Arrivals come from outside Hunan (origin: the rest of China), and are flows of kind
``firm_inward`` in the flows frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import rules
from model.identity import N_CITIES, OUTSIDE, REGIONS, SECONDARY, SECTORS
from model.location import MOBILE, add_entrants, best_parks_by_city, sector_presence
from model.production import optimal_profit
from model.sampling import categorical_counts

if TYPE_CHECKING:
    from model.czt_model import CZTModel

ORIGIN = OUTSIDE + REGIONS.index("rest_of_china")  # investors from outside the province
MANUFACTURING = np.array([s in SECONDARY for s in SECTORS])


def arrive(m: CZTModel) -> None:
    """New establishments from outside the cluster, by sector, each choosing a city (see the module docstring)."""
    F, p, rng = m.firms, m.p, m.rng
    rate = p["inward_investment_rate"] + p["industrial_transfer_rate"] * MANUFACTURING
    if not (rate > 0).any():
        return
    live = F.living
    n_sec = np.bincount(F.sector[live].astype(np.int64), weights=F.n_est[live], minlength=len(SECTORS))
    presence = sector_presence(m)
    arrivals = rng.poisson(n_sec * rate / 4 * MOBILE)
    sectors = [s for s in np.flatnonzero(arrivals).tolist() if (F.sector[live] == s).any()]
    if not sectors:
        return
    # one probe establishment per arriving sector; the best park of each city and the profit there, all at once
    probes = np.array([live[F.sector[live] == s][0] for s in sectors])
    k = len(probes)
    park_of = best_parks_by_city(m, probes, np.full(k, -1), 0.0)
    rows, cols = np.nonzero(park_of >= 0)
    V_all = np.full((k, N_CITIES), -np.inf)
    V_all[rows, cols] = optimal_profit(m, probes[rows], cols, park_of[rows, cols], new=True, inward=True)
    groups: list[tuple[int, int, int, int]] = []
    for i, s in enumerate(sectors):
        if not (park_of[i] >= 0).any():
            continue
        prob = rules.entry_probabilities(presence[s], V_all[i], p["entry_logit_scale"])  # as local entrants choose
        counts = categorical_counts(rng, np.array([int(arrivals[s])]), prob[None, :])[0]
        groups += [(s, d, int(park_of[i, d]), int(counts[d])) for d in np.flatnonzero(counts).tolist()]
    add_entrants(m, groups, origin=ORIGIN, kind="firm_inward")
