"""The session's run store: every model run the tests read is simulated once per session, to the longest year any
selected test asks of it, and each test reads the prefix it needs.

A test (or its module, through ``pytestmark``) declares the runs it reads with ``needs(...)``, a ``runs`` mark
holding ``spec(...)``s. Once pytest has selected the tests, ``plan`` (called by conftest) merges the declarations of
the selected tests — one simulation per configuration (scenario, seed, scale, overrides), to the latest year asked
— and hands them all at once to ``compute``: two worker processes started once for the session. Tests then read
``frames``/``result``, which wait for their run only. A test that reads a run it did not declare (or a later year
than it declared) fails: the plan would miss it.

Why a prefix is exact: the model records one row per city per quarter and the quarter's flows as it goes, so a
run stopped at the end of ``until`` has recorded exactly the first rows of a longer run of the same configuration
(nothing of a quarter depends on where the run will stop); the annual table of complete years is a function of
those rows. tests/test_run_store.py checks this on a real run.

Only the standard library is imported at module level: the worker processes import this module before they set
their thread counts (numpy, numba and pandas are imported after that, in ``_warm``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

import pytest

if TYPE_CHECKING:
    import pandas as pd

TEST_SCALE = 200  # residents per worker agent in the tests: the default scale (a 2019-2035 run takes about 3 s)
WORKERS = 2  # simulation processes kept for the session (the CI machine has 2 cores)
THREADS_ENV = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class Config(NamedTuple):
    """What makes two runs the same simulation (the year it stops at aside)."""
    scenario: str
    seed: int
    scale: int
    overrides: tuple[tuple[str, Any], ...]


class Spec(NamedTuple):
    """One run a test reads: a configuration and the last calendar year the test needs (its run ends at its Q4)."""
    config: Config
    until: int


def spec(scenario: str = "baseline", seed: int = 1, until: int = 2023, scale: int = TEST_SCALE,
         **overrides: Any) -> Spec:
    """A run of ``scenario`` with ``seed`` at ``scale`` (residents per agent) and parameter ``overrides``, read
    through the end of ``until``."""
    return Spec(Config(scenario, int(seed), int(scale), tuple(sorted(overrides.items()))), int(until))


def needs(*specs: Spec) -> pytest.MarkDecorator:
    """The ``runs`` mark: a test (or a module, in ``pytestmark``) reads these runs from the store."""
    return pytest.mark.runs(*specs)


@dataclass(frozen=True)
class Result:
    """A run's tables, as CZTModel gives them: cities_frame(), flows_frame(), annual_frame(); and its first year."""
    cities: pd.DataFrame
    flows: pd.DataFrame
    annual: pd.DataFrame
    start_year: int

    def through(self, until: int) -> Result:
        """The tables a run stopped at the end of ``until`` would have recorded: the rows of its first quarters
        (step 0 is the start state) and of its complete years. Copies, so a test cannot change another's data."""
        last_step = (until + 1 - self.start_year) * 4
        n_rows = int(self.cities.step.searchsorted(last_step, side="right"))
        n_flows = int(self.flows.step.searchsorted(last_step, side="right"))
        n_years = int(self.annual.year.searchsorted(until, side="right"))
        return Result(self.cities.iloc[:n_rows].copy(), self.flows.iloc[:n_flows].copy(),
                      self.annual.iloc[:n_years].copy(), self.start_year)

    def summary(self) -> dict:
        """CZTModel.summary() of the run (it reads only these tables)."""
        from model.summary import summarize

        return summarize(self.annual, self.flows, self.start_year)


# ---------------------------------------------------------------- the session's plan and results
_PLANNED: dict[Config, int] = {}  # configuration -> the last year simulated
_PENDING: dict[Config, Future] = {}
_DONE: dict[Config, Result] = {}
_POOL: list[ProcessPoolExecutor] = []
_FILES: list[Path] = []  # the folder of scenario_file's files
_READS: list[Spec] = []  # every read, in order (conftest looks at the reads made during each test)


def declared(marks: Iterable[pytest.Mark]) -> list[Spec]:
    """The specs held by ``runs`` marks."""
    out = []
    for mark in marks:
        for s in mark.args:
            if not isinstance(s, Spec):
                raise TypeError(f"the runs mark takes runstore.spec(...) values, not {s!r}")
            out.append(s)
    return out


def plan(specs: Iterable[Spec]) -> None:
    """Start simulating every configuration in ``specs`` to the latest year asked of it, in the order given
    (earliest-needed first); configurations already planned far enough are not simulated again."""
    todo: dict[Config, int] = {}
    for s in specs:
        todo[s.config] = max(todo.get(s.config, s.until), s.until)
    todo = {c: y for c, y in todo.items() if _PLANNED.get(c, -1) < y}
    if not todo:
        return
    _PLANNED.update(todo)
    for config in todo:
        _DONE.pop(config, None)
    _PENDING.update(compute(list(todo.items())))


def compute(jobs: list[tuple[Config, int]]) -> dict[Config, Future]:
    """Simulate these runs in parallel: (configuration, last year) -> a future of its Result.

    The one place that knows how runs are executed: WORKERS spawned processes, started on the first call and kept
    for the session, one numerical thread each (so two runs use the two cores without oversubscribing them). When
    the project's shared executor (experiments/executor.py) lands, this body becomes a call to it.
    """
    if not _POOL:
        workers = max(1, min(WORKERS, os.cpu_count() or 1))
        _POOL.append(ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_warm))
    return {config: _POOL[0].submit(_simulate, config, until) for config, until in jobs}


def shutdown() -> None:
    """Stop the worker processes (runs not yet started are dropped) and remove the scenario files."""
    for pool in _POOL:
        pool.shutdown(wait=True, cancel_futures=True)
    _POOL.clear()
    for folder in _FILES:
        shutil.rmtree(folder, ignore_errors=True)
    _FILES.clear()


def result(s: Spec) -> Result:
    """The tables of run ``s`` through the end of ``s.until`` (waits for its simulation if it is still running)."""
    planned = _PLANNED.get(s.config)
    if planned is None or planned < s.until:
        have = "not declared" if planned is None else f"declared only to {planned}"
        pytest.fail(f"run {s.config} to {s.until} is {have}: add runstore.spec(...) to the test's "
                    "runstore.needs(...) mark, so that the session's plan simulates it", pytrace=False)
    _READS.append(s)
    if s.config not in _DONE:
        _DONE[s.config] = _PENDING.pop(s.config).result()
    return _DONE[s.config].through(s.until)


def frames(s: Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cities_frame, flows_frame) of run ``s``."""
    r = result(s)
    return r.cities, r.flows


def scenario_file(name: str, text: str) -> str:
    """A scenario a test writes (TOML ``text``) as a file for the store's runs: its path, named by its content so
    that one text is one configuration; the folder lives as long as the session."""
    if not _FILES:
        _FILES.append(Path(tempfile.mkdtemp(prefix="czt-test-scenarios-")))
    path = _FILES[0] / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.toml"
    if not path.exists():
        path.write_text(text, encoding="utf-8")
    return str(path)


def planned_until(config: Config) -> int | None:
    """The last year the session simulates ``config`` to (None if no selected test declared it)."""
    return _PLANNED.get(config)


def reads() -> int:
    """How many reads the session has made so far (conftest compares it before and after a test)."""
    return len(_READS)


# ---------------------------------------------------------------- in the worker processes
def _warm() -> None:
    """A worker's start: one thread for every numerical library, then the model's imports, paid once."""
    for name in THREADS_ENV:
        os.environ[name] = "1"
    os.environ.pop("CZT_SIM_PROBE", None)  # the store's own runs are not a test simulating on its own
    import model  # noqa: F401


def _simulate(config: Config, until: int) -> Result:
    from model import CZTModel

    m = CZTModel(config.scenario, seed=config.seed, overrides={"scale": config.scale, **dict(config.overrides)})
    m.run_until(until)
    return Result(m.cities_frame(), m.flows_frame(), m.annual_frame(), m.start_year)
