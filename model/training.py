"""Training programmes per city (职业技能培训): ordinary residents upgraded to talent, paid by the city.

Each quarter every ordinary worker living in city c becomes talent with probability ``training_<city>`` / 4 (the
programme's yearly share of ordinary residents upgraded); the city pays ``training_cost_yuan`` per worker
upgraded, out of the budget it would otherwise spend on services and public capital (``fiscal.training_cost``,
counted with the subsidies). Trained workers are free to take jobs, commute and move like any other talent: where
they end up working is an outcome (the two-region result of Dawid, Harting and Neugart 2014, that training in the
weaker region can feed the stronger one when labour markets are integrated, can be tested with it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.worker import ORDINARY, TALENT
from model.identity import CITIES, N_CITIES

if TYPE_CHECKING:
    from model.czt_model import CZTModel

LEVERS = tuple(f"training_{c}" for c in CITIES)


def train(m: CZTModel) -> None:
    """This quarter's upgrades by city, and their cost (100m yuan) for next quarter's budgets."""
    W, p = m.workers, m.p
    rate = np.array([p[name] for name in LEVERS]) / 4
    cost = np.zeros(N_CITIES)
    if (rate > 0).any():
        cand = np.flatnonzero(W.alive & (W.skill == ORDINARY))
        prob = rate[W.residence[cand]]
        hit = cand[m.rng.random(len(cand)) < prob]
        W.skill[hit] = TALENT
        m.recorder.flow_people("trained", W.residence[hit], W.residence[hit], np.full(len(hit), TALENT))
        # a worker agent stands for ``scale`` residents, all of whom the upgrade makes talent (as talent_10k counts)
        cost = np.bincount(W.residence[hit].astype(np.int64), minlength=N_CITIES) * m.scale * \
            p["training_cost_yuan"] / 1e8
    m.fiscal.training_cost = cost
