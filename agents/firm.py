"""Firms: state in numpy columns (FirmTable), each living firm also a thin ``mesa.Agent``.

Firm decisions are taken for all firms at once by the model's vectorized submodels
(production, hiring, location); the :class:`Firm` agent is the handle a user, the app
or Mesa's AgentSet tools (``select``, ``groupby``, ``agg``) use to look at one firm.

A firm agent is a *cohort* of ``n_est`` identical establishments (a super-individual,
Scheffer et al. 1995). Each establishment exits, relocates or opens a branch on its own
draw, so a cohort splits by binomial and multinomial draws instead of moving all at once:
the noise of firm dynamics is that of the real number of establishments, whatever the
scale. In 2019 every cohort holds ``scale`` establishments; movers and entrants of a
quarter form new cohorts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from model.czt_model import CZTModel

_FIELDS: dict[str, tuple[type, float]] = {
    "alive": (np.bool_, 0),
    "sector": (np.int8, 0),
    "city": (np.int8, 0),
    "park": (np.int16, 0),
    "z": (np.float64, 0.0),  # idiosyncratic productivity
    "hq_city": (np.int8, -1),  # headquarters city: own city, or the parent's for a production branch
    "n_est": (np.int64, 0),  # establishments this cohort stands for
    "is_branch": (np.bool_, False),  # production branches whose headquarters are in hq_city
    "origin_city": (np.int8, -1),  # city it relocated or branched from (enclave sharing), -1 if none
    "arrived_step": (np.int32, 0),  # step it arrived at its current park
    "pre_move_tax": (np.float64, 0.0),  # annual local tax of its establishments before moving, 100m yuan (enclave cap)
    "n_ordinary": (np.int32, 0),  # worker agents employed by the whole cohort
    "n_talent": (np.int32, 0),
    "value_added": (np.float64, 0.0),  # last quarter, whole cohort, 100m yuan
    "profit": (np.float64, 0.0),  # last quarter, whole cohort, 100m yuan
    "tax": (np.float64, 0.0),  # local taxes last quarter, whole cohort, 100m yuan
    "incentive": (np.float64, 0.0),  # incentives received last quarter (guidance, subsidy competition), 100m yuan
    "born_step": (np.int32, 0),
    "talent_share": (np.float64, 0.0),  # talent share of the firm's target workforce
    "wage_premium": (np.float64, 1.0),  # the firm's wage offer relative to its city's market wage
}


class FirmTable:
    """Columns for every firm slot ever used; slots of exited firms stay dead (workers refer to slots)."""

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self._cols = {k: np.full(max(capacity, 16), v, dtype=t) for k, (t, v) in _FIELDS.items()}

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    def add(self, count: int, **values: np.ndarray) -> np.ndarray:
        if self.n + count > len(self._cols["alive"]):
            new_cap = max(int(len(self._cols["alive"]) * 1.5), self.n + count)
            for k, col in self._cols.items():
                grown = np.full(new_cap, _FIELDS[k][1], dtype=col.dtype)
                grown[: self.n] = col[: self.n]
                self._cols[k] = grown
        rows = np.arange(self.n, self.n + count)
        self.n += count
        self._cols["alive"][rows] = True
        for k, v in values.items():
            self._cols[k][rows] = v
        return rows

    @property
    def living(self) -> np.ndarray:
        return np.flatnonzero(self.alive)


class Firm(mesa.Agent):
    """One firm (企业), or a production branch of a firm whose headquarters stay in ``hq_city``."""

    def __init__(self, model: CZTModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    def _get(self, col: str):
        return getattr(self.model.firms, col)[self.slot]

    @property
    def sector(self) -> str:
        return self.model.sectors[int(self._get("sector"))]

    @property
    def city(self) -> str:
        return self.model.cities[int(self._get("city"))]

    @property
    def park(self) -> str:
        return self.model.park_ids[int(self._get("park"))]

    @property
    def hq_city(self) -> str:
        return self.model.cities[int(self._get("hq_city"))]

    @property
    def is_branch(self) -> bool:
        return bool(self._get("is_branch"))

    @property
    def establishments(self) -> int:
        """Establishments this cohort stands for."""
        return int(self._get("n_est"))

    @property
    def employment_persons(self) -> float:
        """Persons employed by one of the establishments this cohort stands for."""
        m = self.model
        return float(self._get("n_ordinary") + self._get("n_talent")) * m.persons_per_agent / max(self.establishments, 1)

    @property
    def wage_offers_yuan(self) -> dict[str, float]:
        """The firm's annual wage offers by skill (city market wage x the firm's premium)."""
        m = self.model
        c, prem = int(self._get("city")), float(self._get("wage_premium"))
        return {"ordinary": float(m.wages[c, 0]) * prem, "talent": float(m.wages[c, 1]) * prem}

    @property
    def value_added_100m_yuan(self) -> float:
        """Annualized value added of all the establishments this cohort stands for."""
        return float(self._get("value_added")) * 4

    @property
    def profit_100m_yuan(self) -> float:
        """Annualized profit of all the establishments this cohort stands for."""
        return float(self._get("profit")) * 4

    def describe(self) -> dict:
        return {"slot": self.slot, "sector": self.sector, "city": self.city, "park": self.park,
                "hq_city": self.hq_city, "branch": self.is_branch, "establishments": self.establishments,
                "employment_persons": self.employment_persons,
                "wage_offers_yuan": self.wage_offers_yuan,
                "value_added_100m_yuan": self.value_added_100m_yuan, "profit_100m_yuan": self.profit_100m_yuan}
