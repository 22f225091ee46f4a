"""A stage: one named mechanism of the model's schedule, with the component fields it reads and writes.

The quarter (``model.quarter.QUARTER``, run by every step) and the year (``model.year.YEAR``, run at the start of
each year) are ordered tuples of stages. Fields are named ``component.field`` (``firms.*`` and ``workers.*``: every
column of the firm and worker tables). tests/test_stages.py traces a run (``model.tracing``) and fails when a stage
touches a field it does not declare, or declares one it never touches; docs/ODD.md's process overview is generated
from both tuples (``python scripts/odd_params.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model.czt_model import CZTModel


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[CZTModel], None]
    reads: frozenset[str]
    writes: frozenset[str]

    @property
    def doc(self) -> str:
        """First sentence of the mechanism's docstring."""
        para = " ".join((self.run.__doc__ or "").strip().split("\n\n")[0].split())
        end = para.find(". ")
        return para if end < 0 else para[: end + 1]

    @property
    def where(self) -> str:
        return f"{self.run.__module__.removeprefix('model.')}.{self.run.__name__}"


def stage(name: str, run: Callable[[CZTModel], None], reads: str = "", writes: str = "") -> Stage:
    return Stage(name, run, frozenset(reads.split()), frozenset(writes.split()))
