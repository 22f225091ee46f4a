"""Workers as columns of numpy arrays (structure of arrays) inside the Mesa model.

There are hundreds of thousands to millions of workers, so their state is never a
Python object per worker; :class:`WorkerView` gives one worker's attributes and its
history of moves on demand. Each worker agent stands for ``scale`` residents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ORDINARY, TALENT = 0, 1
UNEMPLOYED = -1

# move-log kinds
MOVE_RESIDENCE, MOVE_IN, MOVE_OUT, BORN, DIED, HUKOU = range(6)
MOVE_KIND_NAMES = ("residence", "in_migration", "out_migration", "birth", "death", "hukou_transfer")

_FIELDS: dict[str, type] = {
    "wid": np.int64,  # stable id, increasing with creation
    "alive": np.bool_,
    "skill": np.int8,  # ORDINARY or TALENT
    "hukou": np.int8,  # city index, or OUTSIDE (3)
    "residence": np.int8,  # city index
    "employer": np.int32,  # firm slot, or UNEMPLOYED
    "arrived_step": np.int32,  # step the worker came to its residence city (talent subsidy, hukou transfer)
}


class WorkerPopulation:
    """All worker agents. Rows of dead workers are dropped by :meth:`compact` (ids stay stable)."""

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self.next_wid = 0
        self._cols = {k: np.zeros(max(capacity, 16), dtype=t) for k, t in _FIELDS.items()}
        self._log: list[np.ndarray] = []  # chunks of (step, wid, kind, origin, destination)

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    @property
    def n_alive(self) -> int:
        return int(np.count_nonzero(self.alive))

    def add(self, count: int, *, skill: np.ndarray, hukou: np.ndarray, residence: np.ndarray, step: int) -> np.ndarray:
        """Append ``count`` new workers (unemployed); return their row indices."""
        if self.n + count > len(self._cols["wid"]):
            new_cap = max(int(len(self._cols["wid"]) * 1.5), self.n + count)
            for k, col in self._cols.items():
                grown = np.zeros(new_cap, dtype=col.dtype)
                grown[: self.n] = col[: self.n]
                self._cols[k] = grown
        rows = np.arange(self.n, self.n + count)
        c = self._cols
        c["wid"][rows] = np.arange(self.next_wid, self.next_wid + count)
        c["alive"][rows] = True
        c["skill"][rows] = skill
        c["hukou"][rows] = hukou
        c["residence"][rows] = residence
        c["employer"][rows] = UNEMPLOYED
        c["arrived_step"][rows] = step
        self.n += count
        self.next_wid += count
        return rows

    def compact(self) -> None:
        """Drop dead rows when they exceed a fifth of the table (keeps vector work proportional to the living)."""
        dead = self.n - self.n_alive
        if dead <= 0.2 * self.n:
            return
        keep = np.flatnonzero(self.alive)
        for k, col in self._cols.items():
            col[: len(keep)] = col[keep]
        self.n = len(keep)

    def log(self, step: int, rows: np.ndarray, kind: int, origin: np.ndarray | int, destination: np.ndarray | int) -> None:
        if len(rows) == 0:
            return
        chunk = np.empty((len(rows), 5), dtype=np.int64)
        chunk[:, 0] = step
        chunk[:, 1] = self.wid[rows]
        chunk[:, 2] = kind
        chunk[:, 3] = origin
        chunk[:, 4] = destination
        self._log.append(chunk)

    def log_reset(self) -> None:
        self._log = []

    def move_log(self) -> np.ndarray:
        """All logged moves as an (n, 5) array: step, wid, kind, origin, destination."""
        if not self._log:
            return np.empty((0, 5), dtype=np.int64)
        if len(self._log) > 1:
            self._log = [np.concatenate(self._log)]
        return self._log[0]

    def row_of(self, wid: int) -> int | None:
        i = int(np.searchsorted(self.wid, wid))
        return i if i < self.n and self.wid[i] == wid else None


@dataclass(frozen=True)
class WorkerView:
    """One worker, read from the arrays: what a user inspects from Python or the app."""

    wid: int
    alive: bool
    skill: str
    hukou: str
    residence: str
    employer: int | None
    job_city: str | None
    wage_yuan: float | None
    history: list[dict]
