"""What the app records beside the model's own tables, read from the model without changing it.

Registered population (户籍人口) is what Chinese statistics put beside resident population (常住人口): the people
whose hukou is in the city. The model gives every worker agent a hukou (a city, or a region outside the cluster,
agents/worker.py) but its city table records residents only. ``registered_10k`` counts, per city, the living agents
whose hukou is that city, in 10k persons at the run's scale (as ``population_10k`` counts residents). It covers the
cluster's residents only: people registered in a city but living outside the cluster are not in the model.

``Extras`` keeps one row per quarter (the start state first), stepped beside the model by whoever steps it (the
tab's session, an ensemble member in a worker), so that the app can chart it over time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.identity import CITIES, N_CITIES

COLUMNS = ("registered_10k",)


def registered_10k(model) -> np.ndarray:
    """Living agents by hukou city (the three cities, in model.identity's order), in 10k persons."""
    W = model.workers
    hukou = W.hukou[W.alive].astype(np.int64)
    counts = np.bincount(hukou[hukou < N_CITIES], minlength=N_CITIES)[:N_CITIES]
    return counts * (model.scale / 1e4)


class Extras:
    """Per-quarter values of COLUMNS for one model: ``record(model)`` after building it and after each step."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []

    def record(self, model) -> None:
        # a model that was stepped elsewhere (a copy) catches up with its current value for the missing quarters
        while len(self.rows) <= model.steps:
            self.rows.append(registered_10k(model))

    def frame(self, upto: int | None = None) -> pd.DataFrame:
        """step, city, registered_10k; steps 0..upto (all recorded by default)."""
        rows = self.rows if upto is None else self.rows[: upto + 1]
        if not rows:
            return pd.DataFrame(columns=["step", "city", *COLUMNS])
        arr = np.asarray(rows)
        return pd.DataFrame({"step": np.repeat(np.arange(len(rows)), N_CITIES),
                             "city": np.tile(np.array(CITIES, dtype=object), len(rows)),
                             "registered_10k": arr.reshape(-1)})
