"""Knowledge: R&D by firms and their talent, a stock of knowledge per city, and diffusion that decays with travel
time (知识溢出与科创走廊).

R&D is the talent's research time, already paid in wages (so it is measured, not an extra cost): a firm spends
``kappa * h_f * y_f`` a quarter, with ``y_f`` its value added, ``h_f`` the talent share of its staff, and ``kappa``
set so that the start year's R&D is the Plan Outline's share of CZT GDP (2.5 % in 2019; for a 2010 start the
same share scaled by Hunan's R&D intensity 2011/2019, ``model/data/rd.csv``). Each city's stock accumulates it,
``K_c <- (1 - depreciation/4) K_c + R&D_c``, from the steady state of the start year's growth. A city's firms draw on
the stocks they can reach,

    KA_c = K_c + sum_{d != c} K_d * b_k * 2 ** (-minutes_cd / knowledge_half_minutes) + transfer * mean_{d != c} K_d,

with ``minutes`` the door-to-door travel time between the cities (faster travel raises diffusion), ``b_k`` the
cities' border for knowledge, lowered by the joint-innovation lever (G4科创走廊, 联合创新), and ``transfer`` the
technology-transfer lever (技术交易市场联盟): a share of the other cities' stock licensed regardless of distance.
Productivity A of every sector in c is multiplied by ``(KA_c / (KA_c0 T)) ** knowledge_elasticity`` (T the national
trend, so that growth uniform across cities leaves it at 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.calibration import DATA
from model.identity import N_CITIES

if TYPE_CHECKING:
    from model.czt_model import CZTModel


@lru_cache(maxsize=None)
def rd_table() -> pd.DataFrame:
    return pd.read_csv(DATA / "rd.csv")


def start_rd_share(start_year: int) -> float:
    """R&D spending as a share of CZT GDP in the start year (fraction): the Plan Outline's 2019 figure, and for an
    earlier start the same scaled by Hunan's intensity in that year (or the first year recorded) over 2019."""
    df = rd_table()
    czt = float(df[(df.region == "CZT") & (df.year == 2019)].rd_intensity_pct_gdp.iloc[0]) / 100
    if start_year >= 2019:
        return czt
    hunan = df[df.region == "Hunan"].set_index("year").rd_intensity_pct_gdp
    year = max(start_year, int(hunan.index.min()))
    return czt * float(hunan.loc[year] / hunan.loc[2019])


@dataclass(slots=True)
class Knowledge:
    """R&D intensity, the cities' knowledge stocks (100m yuan of accumulated R&D) and their reach."""

    kappa: float = 0.0  # R&D per unit of value added and of talent share
    stock: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))
    rd: np.ndarray = field(default_factory=lambda: np.zeros(N_CITIES))  # this quarter's R&D, 100m yuan
    reach: np.ndarray = field(default_factory=lambda: np.eye(N_CITIES))  # weight of d's stock in c
    accessible0: np.ndarray = field(default_factory=lambda: np.ones(N_CITIES))
    factor: np.ndarray = field(default_factory=lambda: np.ones(N_CITIES))  # on A, 1 at the start


def reach(m: CZTModel) -> np.ndarray:
    """w[c, d]: share of city d's knowledge stock that firms in c draw on."""
    p = m.p
    minutes = m.geography.commute_minutes
    border = p["knowledge_border_factor"] + (1 - p["knowledge_border_factor"]) * p["joint_innovation"]
    w = border * 2.0 ** (-minutes / p["knowledge_half_minutes"]) + p["technology_transfer"] / (N_CITIES - 1)
    np.fill_diagonal(w, 1.0)
    return w


def _rd_by_city(m: CZTModel) -> np.ndarray:
    F = m.firms
    live = F.living
    staff = F.n_talent[live] + F.n_ordinary[live]
    h = np.where(staff > 0, F.n_talent[live] / np.maximum(staff, 1), 0.0)
    return m.knowledge.kappa * np.bincount(F.city[live].astype(np.int64), weights=h * F.value_added[live],
                                           minlength=N_CITIES)


def calibrate(m: CZTModel) -> None:
    """kappa from the start year's R&D share; stocks at the steady state of the start year's trend growth."""
    K, p = m.knowledge, m.p
    K.kappa = 1.0
    raw = _rd_by_city(m)
    gdp = m.production.gdp_produced.sum()
    K.kappa = start_rd_share(m.start_year) * gdp / max(raw.sum(), 1e-12)
    K.rd = _rd_by_city(m)
    growth_q = (1 + p["tfp_growth"]) ** 0.25 - 1
    steady = K.rd / (p["rd_depreciation"] / 4 + growth_q)  # the stock along the start year's growth path
    K.stock = steady / (1 + growth_q)  # one quarter before the first step, which brings it to ``steady``
    K.reach = reach(m)
    K.accessible0 = K.reach @ steady
    K.factor = np.ones(N_CITIES)


def update(m: CZTModel) -> None:
    """This quarter's R&D, the stocks, and the knowledge factor next quarter's productivity reads."""
    from model.production import tfp_trend

    K, p = m.knowledge, m.p
    K.rd = _rd_by_city(m)
    K.stock = (1 - p["rd_depreciation"] / 4) * K.stock + K.rd
    K.reach = reach(m)
    accessible = K.reach @ K.stock
    K.factor = (accessible / (K.accessible0 * tfp_trend(m))) ** p["knowledge_elasticity"]
