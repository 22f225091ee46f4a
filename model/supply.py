"""Supply chains between sectors and cities (产业链配套): intermediate inputs bought by an input-output table from
suppliers in the three cities and outside, chosen by distance.

Each quarter a firm's gross output is its value added over its sector's value-added ratio, X = y / v; it buys
``a[i, j] * X`` of sector i's goods per unit of its own sector j's output (the direct input coefficients of
``model/data/io_coefficients.csv``). Buyers in city c spread the purchases of good i over supplier places d (the
three cities, and outside the cluster) in proportion to the suppliers' output times a gravity weight,

    s[i, c, d] = X[i, d] w[c, d] / (sum_d' X[i, d'] w[c, d'] + O[i] T),  w[c, d] = (km[c, d] / km0) ** -delta
                                                                          * border ** [c != d],

with ``O[i] T`` the outside suppliers (calibrated so that the start year's buyers source
``cluster_sourcing_share`` of their inputs inside the cluster; they grow with the national trend T). Purchases
equal sales: what buyers in c spend on good i from d is what (i, d) sells to c, and the rest is imports.

Two linkages feed back on productivity (Krugman and Venables 1995; the wage equation of Redding and Venables 2004,
estimated for Chinese cities by Hering and Poncet 2010): a supplier's revenue per unit of output rises with the
demand of nearby buyers (**market access**: sales to the cluster per unit of output, relative to the start year),
and a buyer's input costs fall when suppliers grow nearby (**supplier access**: sum_d X[i, d] w[c, d] + O[i] T,
relative to the start year and the trend). They enter A(sector, city) with the elasticities
``market_access_elasticity`` and ``supplier_access_elasticity``, so they reach wages, hiring, relocation and entry
through the same profit terms as every other productivity force. Both indices are 1 at the start (the start year's
linkages are in the calibrated A0) and stay at 1 under growth that is uniform across cities and sectors.
The :class:`SupplyChains` component owns the table, the weights and the quarter's flows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.calibration import DATA
from model.identity import CITIES, N_CITIES, SECTORS

if TYPE_CHECKING:
    from model.czt_model import CZTModel

N_SOURCES = N_CITIES + 1  # the three cities, then outside the cluster
OUTSIDE_SOURCE = N_CITIES


@lru_cache(maxsize=None)
def io_table() -> pd.DataFrame:
    """Direct input coefficients a[seller, buyer] (yuan of the seller's goods per yuan of the buyer's gross output)."""
    return pd.read_csv(DATA / "io_coefficients.csv")


def io_coefficients() -> tuple[np.ndarray, np.ndarray]:
    """(a, v): a[i, j] the input of sector i per unit gross output of sector j, in the model's sector order; v[j] the
    value-added ratio 1 - sum_i a[i, j] (sales taxes and the like count as value added, as in GDP)."""
    df = io_table()
    a = np.zeros((len(SECTORS), len(SECTORS)))
    for row in df.itertuples():
        a[SECTORS.index(row.seller_sector), SECTORS.index(row.buyer_sector)] = float(row.coefficient)
    v = 1.0 - a.sum(axis=0)
    if (v <= 0.05).any():  # a table whose columns sum to ~1 would make gross output explode; data error, not input
        raise ValueError(f"io_coefficients.csv: value-added ratio {v.min():.3f} for a sector; columns must sum below 0.95")
    return a, v


@dataclass(slots=True)
class SupplyChains:
    """The input-output structure, the supplier weights between places, and this quarter's flows (100m yuan)."""

    a: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), len(SECTORS))))
    va_ratio: np.ndarray = field(default_factory=lambda: np.ones(len(SECTORS)))
    weight: np.ndarray = field(default_factory=lambda: np.eye(N_CITIES))  # w[buyer city, supplier city]
    outside: np.ndarray = field(default_factory=lambda: np.zeros(len(SECTORS)))  # O[i], start-year units
    sales_per_output0: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))
    cluster_share0: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))  # omega0
    access0: np.ndarray = field(default_factory=lambda: np.ones((len(SECTORS), N_CITIES)))  # supplier access, start
    gross_output: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES)))
    purchases: np.ndarray = field(default_factory=lambda: np.zeros((len(SECTORS), N_CITIES, N_SOURCES)))
    market_access: np.ndarray = field(default_factory=lambda: np.ones((len(SECTORS), N_CITIES)))  # index, 1 at start
    supplier_access: np.ndarray = field(default_factory=lambda: np.ones((len(SECTORS), N_CITIES)))  # index
    linkage: np.ndarray = field(default_factory=lambda: np.ones((len(SECTORS), N_CITIES)))  # factor on A

    @property
    def sales(self) -> np.ndarray:
        """Sales of (sector, city) to buyers in the cluster this quarter (100m yuan): purchases summed over buyers."""
        return self.purchases[:, :, :N_CITIES].sum(axis=1)

    @property
    def imports(self) -> np.ndarray:
        """Purchases of each sector's goods from outside the cluster, by buyer city (100m yuan)."""
        return self.purchases[:, :, OUTSIDE_SOURCE]


def gravity_weights(m: CZTModel) -> np.ndarray:
    """w[c, d]: the weight of suppliers in city d for buyers in c: distance decay, the cities' administrative
    border (行政壁垒), and the mutual purchasing list (工业品相互采购清单) that lowers it."""
    from model.identity import travel_km

    p = m.p
    km = np.full((N_CITIES, N_CITIES), p["supplier_internal_km"])
    for (a, b), d in travel_km().items():
        i, j = CITIES.index(a), CITIES.index(b)
        km[i, j] = km[j, i] = d
    border = p["city_border_factor"] + (1 - p["city_border_factor"]) * p["purchasing_list"]
    w = (km / p["supplier_internal_km"]) ** -p["supplier_distance_elasticity"]
    return np.where(np.eye(N_CITIES, dtype=bool), w, w * border)


def _gross_output(m: CZTModel) -> np.ndarray:
    """Gross output (100m yuan this quarter) by (sector, city): value added over the value-added ratio."""
    F = m.firms
    live = F.living
    key = F.sector[live].astype(np.int64) * N_CITIES + F.city[live]
    va = np.bincount(key, weights=F.value_added[live], minlength=len(SECTORS) * N_CITIES).reshape(-1, N_CITIES)
    return va / m.supply.va_ratio[:, None]


def _flows(S: SupplyChains, X: np.ndarray, outside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(purchases[i, c, d], access[i, c]) for gross output X (sectors, cities) and outside supply ``outside`` (i,)."""
    demand = S.a @ X  # demand[i, c]: buyers in c's purchases of good i
    supply = X[:, None, :] * S.weight[None, :, :]  # (i, c, d)
    access = supply.sum(axis=2) + outside[:, None]  # supplier access of buyers in c for good i
    share = np.concatenate([supply, np.broadcast_to(outside[:, None, None], (len(outside), N_CITIES, 1))], axis=2)
    share = share / np.maximum(access[:, :, None], 1e-300)
    return demand[:, :, None] * share, access


def calibrate(m: CZTModel) -> None:
    """The start year's supply chains: the table, the weights, outside suppliers sized so that the cluster's buyers
    source ``cluster_sourcing_share`` of their inputs inside the cluster, and the reference levels of both indices."""
    S, p = m.supply, m.p
    S.a, S.va_ratio = io_coefficients()
    S.weight = gravity_weights(m)
    X = _gross_output(m)
    target = p["cluster_sourcing_share"]
    # outside supply per good: bisection on O[i] for the target inside share (monotone in O); goods nobody buys get 0
    S.outside = np.zeros(len(SECTORS))
    for i in range(len(SECTORS)):
        lo, hi = 0.0, max(X[i].sum(), 1e-9) * 1e4
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            S.outside[i] = mid
            P, _ = _flows(S, X, S.outside)
            bought = P[i].sum()
            inside = P[i, :, :N_CITIES].sum() / bought if bought > 0 else target
            lo, hi = (mid, hi) if inside > target else (lo, mid)
        S.outside[i] = 0.5 * (lo + hi)
    S.purchases, S.access0 = _flows(S, X, S.outside)
    S.gross_output = X
    S.sales_per_output0 = S.sales / np.maximum(X, 1e-12)
    S.cluster_share0 = np.clip(S.sales_per_output0, 0.0, 1.0)
    S.market_access = np.ones_like(X)
    S.supplier_access = np.ones_like(X)
    S.linkage = np.ones_like(X)


def update(m: CZTModel) -> None:
    """This quarter's purchases and sales between places, and the market- and supplier-access indices that next
    quarter's productivity reads."""
    from model.production import tfp_trend

    S, p = m.supply, m.p
    S.weight = gravity_weights(m)  # levers may have changed (purchasing list)
    X = _gross_output(m)
    trend = tfp_trend(m)  # outside suppliers grow with the national trend
    S.purchases, access = _flows(S, X, S.outside * trend)
    S.gross_output = X
    per_output = S.sales / np.maximum(X, 1e-12)
    rel = np.where(S.sales_per_output0 > 0, per_output / np.maximum(S.sales_per_output0, 1e-12), 1.0)
    S.market_access = (1 - S.cluster_share0) + S.cluster_share0 * rel
    rel_access = access / np.maximum(S.access0 * trend, 1e-300)  # (good i, buyer city c)
    mix = S.a / np.maximum(S.a.sum(axis=0, keepdims=True), 1e-12)  # buyer j's input mix over goods i
    S.supplier_access = np.exp(mix.T @ np.log(np.maximum(rel_access, 1e-12)))  # (buyer sector j, city c)
    S.linkage = S.market_access ** p["market_access_elasticity"] * S.supplier_access ** p["supplier_access_elasticity"]
