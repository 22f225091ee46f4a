"""The siphon/spillover verdict rule and the inequality measures on constructed cases with known answers.

The rule (model/measures.py, docs/research-guide.md): siphon if the periphery city's GDP share falls by at least 0.5 pp and net
talent or firm/branch flows go to Changsha; spillover if it rises by at least 0.5 pp and net talent or firm/branch
flows come from Changsha; neutral otherwise. Each case below is one branch of that sentence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.measures import cv, theil, verdict

pytestmark = pytest.mark.smoke


def flows(talent: float = 0.0, firms: float = 0.0) -> dict[str, float]:
    return {"talent_persons": talent, "ordinary_persons": 0.0, "firms_and_branches": firms}


CASES = [
    # (share change pp, net talent from Changsha, net firms from Changsha, verdict)
    (-2.0, -1000, 0, "siphon"),        # share falls, talent goes to Changsha
    (-2.0, 0, -50, "siphon"),          # share falls, firms go to Changsha
    (-2.0, +1000, -50, "siphon"),      # either flow towards the core is enough
    (-0.5, -1, 0, "siphon"),           # exactly at the threshold
    (-0.49, -1000, -50, "neutral"),    # below the threshold
    (-2.0, +1000, +50, "neutral"),     # share falls but everything flows out of Changsha: not a siphon
    (-2.0, 0, 0, "neutral"),           # share falls with no flows at all
    (+2.0, +1000, 0, "spillover"),
    (+2.0, 0, +50, "spillover"),
    (+0.5, 0, +1, "spillover"),
    (+0.49, +1000, +50, "neutral"),
    (+2.0, -1000, -50, "neutral"),     # share rises but people and firms go to Changsha: not a spillover
    (0.0, -1000, +50, "neutral"),
]


@pytest.mark.parametrize("change, talent, firms, expected", CASES)
def test_verdict_rule(change, talent, firms, expected):
    assert verdict(change, flows(talent, firms)) == expected


def _annual(gdp: dict[str, float], pop: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"year": 2030, "city": c, "gdp_100m_yuan": gdp[c], "population_10k": pop[c]} for c in gdp])


def test_theil_and_cv_are_zero_for_equal_income_per_head_and_grow_with_the_gap():
    pop = {"changsha": 1000.0, "zhuzhou": 400.0, "xiangtan": 300.0}
    equal = _annual({c: 10.0 * p for c, p in pop.items()}, pop)
    assert theil(equal).iloc[0] == pytest.approx(0.0, abs=1e-15)
    assert cv(equal).iloc[0] == pytest.approx(0.0, abs=1e-15)
    gaps = []
    for ratio in (1.2, 1.5, 2.0):  # Changsha's income per head ratio to the others
        gdp = {"changsha": 10.0 * ratio * pop["changsha"], "zhuzhou": 10.0 * pop["zhuzhou"], "xiangtan": 10.0 * pop["xiangtan"]}
        a = _annual(gdp, pop)
        gaps.append((theil(a).iloc[0], cv(a).iloc[0]))
    assert all(np.diff([g[0] for g in gaps]) > 0) and all(np.diff([g[1] for g in gaps]) > 0)
    # two groups: population shares 1000/1700 and 700/1700, income per head 2:1 (population-weighted CV)
    w1, w2, r = 1000 / 1700, 700 / 1700, 2.0
    mean = w1 * r + w2
    expected_cv = np.sqrt(w1 * (r - mean) ** 2 + w2 * (1 - mean) ** 2) / mean
    assert gaps[-1][1] == pytest.approx(expected_cv, rel=1e-12)
