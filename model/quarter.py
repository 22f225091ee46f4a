"""The quarter: the ordered list of named stages that ``CZTModel.step`` runs, in one place.

Each :class:`Stage` names the mechanism function it calls and the component fields it reads and writes
(``component.field``; ``firms.*`` are the firm cohorts' columns, ``workers.*`` the worker agents' columns).
tests/test_stages.py traces a run and fails when a stage touches a field it does not declare, or declares one it
never touches; docs/ODD.md's process overview is generated from this list (``python scripts/odd_params.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from model import demography, fiscal, labour, land, location, production, residence

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
        """First line of the mechanism's docstring."""
        return (self.run.__doc__ or "").strip().splitlines()[0]

    @property
    def where(self) -> str:
        return f"{self.run.__module__.removeprefix('model.')}.{self.run.__name__}"


def stage(name: str, run: Callable[[CZTModel], None], reads: str = "", writes: str = "") -> Stage:
    return Stage(name, run, frozenset(reads.split()), frozenset(writes.split()))


def compact_workers(m: CZTModel) -> None:
    """Drop the rows of dead workers once they exceed a fifth of the table (ids stay stable)."""
    m.workers.compact()


def record(m: CZTModel) -> None:
    """Record the state of each city and the quarter's flows (real units)."""
    m.recorder.record_state()


QUARTER: tuple[Stage, ...] = (
    stage("housing", land.update_housing),
    stage("rents", land.update_rents),
    stage("productivity", production.update_productivity),
    stage("production", production.produce),
    stage("enclave_sharing", fiscal.share_taxes),
    stage("budgets", fiscal.budget),
    stage("employment", labour.adjust_employment),
    stage("matching", labour.match),
    stage("wages", labour.update_wages),
    stage("residence", residence.choose),
    stage("hukou", residence.hukou_transfers),
    stage("talent_subsidies", residence.talent_subsidy_bill),
    stage("relocation", location.relocate_and_branch),
    stage("entry_exit", location.exit_and_enter),
    stage("demography", demography.step),
    stage("headcounts", labour.recount_employment),
    stage("land", land.update_land),
    stage("fiscal_strength", fiscal.update_fiscal_strength),
    stage("compact", compact_workers),
    stage("record", record),
)
