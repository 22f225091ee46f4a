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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Params(dict):
    """A resolved, read-only parameter set (``p["name"]``); ``replace(changes)`` gives a new one.

    A dict underneath, so that the mechanisms' many lookups stay as fast as a dict's; every way to change it
    raises."""

    def _frozen(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("Params are frozen for the run; a phase switch makes a new set")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _frozen  # type: ignore[assignment]

    def replace(self, changes: Mapping[str, Any]) -> Params:
        return Params({**self, **changes})

    def to_dict(self) -> dict[str, Any]:
        return dict(self)

    def __repr__(self) -> str:
        return f"Params({dict.__repr__(self)})"


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
