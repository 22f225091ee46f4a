"""Parameters frozen for a run, and the phases in which they hold.

A run's parameters change only at explicit, logged phase switches:
- ``calibration``: the start-year state is fitted under the start year's institutions. A 2019 run is calibrated
  under 2019 institutions (the baseline scenario's lever values), so calibration never absorbs a scenario's policy;
  a hindcast's own scenario states its start year's institutions;
- ``policy``: the scenario's parameters, from the first quarter (2019Q1, or 2010Q1 for the hindcast), with the
  timeline entries dated at or before it folded in;
- one phase per later ``[[timeline]]`` entry, from its quarter on (e.g. the intercity railway in 2018Q1).
Within a phase nothing can change a parameter: :class:`Params` is read-only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class Params(Mapping[str, Any]):
    """A resolved, read-only parameter set (``p["name"]``); ``replace(**changes)`` gives a new one."""

    __slots__ = ("_d",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_d", dict(values))

    def __getitem__(self, key: str) -> Any:
        return self._d[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Params are frozen for the run; a phase switch makes a new set")

    def __repr__(self) -> str:
        return f"Params({self._d!r})"

    def replace(self, changes: Mapping[str, Any]) -> Params:
        return Params({**self._d, **changes})

    def to_dict(self) -> dict[str, Any]:
        return dict(self._d)


@dataclass(frozen=True)
class Phase:
    """Parameters in force from ``step`` on (the step that simulates ``year`` Q``quarter``)."""

    name: str
    step: int  # first step simulated under this phase (steps count from 1; 0 = the calibration)
    year: int
    quarter: int
    params: Params
    changed: dict[str, Any] = field(default_factory=dict)  # against the previous phase
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "step": self.step, "year": self.year, "quarter": self.quarter,
                "changed": dict(self.changed), "note": self.note}


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters whose value differs, in ``new``'s order."""
    return {k: v for k, v in new.items() if old.get(k) != v}
