"""A tiny moments provider for the calibration end-to-end test (not the real calibration targets).

Observed: 2020 GDP shares of the three cities from each city's 2020 Statistical Communiqué on National
Economic and Social Development (GDP in 100 million yuan, current prices: Changsha 12142.52, Zhuzhou
3105.8, Xiangtan 2343.1), shares of their sum; Changsha's is fitted, the two others held out. sd: 0.02 (share), an assumption of the order of the
seed-to-seed spread of a 2020 share at scale 2000.
"""

from __future__ import annotations

import pandas as pd

GDP_2020 = {"changsha": 12142.52, "zhuzhou": 3105.8, "xiangtan": 2343.1}  # 100 million yuan, 2020 communiqués
SPLIT = {"changsha": "fit", "zhuzhou": "holdout", "xiangtan": "holdout"}


def observed() -> pd.DataFrame:
    total = sum(GDP_2020.values())
    return pd.DataFrame([{"moment": f"gdp_share_{c}", "year": 2020, "value": v / total, "sd": 0.02, "split": SPLIT[c]}
                         for c, v in GDP_2020.items()])


def simulated(annual: pd.DataFrame) -> pd.DataFrame:
    a = annual[annual.year == 2020]
    return pd.DataFrame({"moment": "gdp_share_" + a.city, "year": a.year, "value": a.gdp_share})
