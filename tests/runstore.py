"""The session's run store: every model run the tests read is simulated once per session, to the longest year any
selected test asks of it, and each test reads the prefix it needs.

A test (or its module, through ``pytestmark``) declares the runs it reads with ``needs(...)``, a ``runs`` mark
holding ``spec(...)``s. Once pytest has selected the tests, ``plan`` (called by conftest) merges the declarations of
the selected tests — one simulation per configuration (scenario, seed, scale, overrides), to the latest year asked
— and hands them all at once to ``compute``: two worker processes started once for the session. Tests then read
``frames``/``result``, which wait for their run only. A test that reads a run it did not declare (or a later year
than it declared) fails: the plan would miss it.

A test that needs more of a model than its tables (its state at the end of a year, a start the test shocks)
declares a ``task(function, *args)`` instead: a module-level function of the test module that builds and runs its
model and returns plain values; the store calls it once in a worker (``computed``), and the test asserts on what
it returns. Tasks are not shared as prefixes; equal tasks are computed once.

Why a prefix is exact: the model records one row per city per quarter and the quarter's flows as it goes, so a
run stopped at the end of ``until`` has recorded exactly the first rows of a longer run of the same configuration
(nothing of a quarter depends on where the run will stop); the annual table of complete years is a function of
those rows. tests/test_run_store.py checks this on a real run.

The runs are computed by the project's executor (experiments/executor): the session's warm pool of two local
processes, started once, one numerical thread each.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple

import pytest

if TYPE_CHECKING:
    import pandas as pd

    from experiments.executor import Job, LocalProcesses

TEST_SCALE = 200  # residents per worker agent in the tests: the default scale (a 2019-2035 run takes about 3 s)
WORKERS = 2  # simulation processes kept for the session (the CI machine has 2 cores)


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


class Task(NamedTuple):
    """A computation on a model that a test reads: ``function`` ("module:name", a module-level function of a test
    module) called with ``args`` (hashable, picklable) in a worker; its return value must pickle too."""
    function: str
    args: tuple


def spec(scenario: str = "baseline", seed: int = 1, until: int = 2023, scale: int = TEST_SCALE,
         **overrides: Any) -> Spec:
    """A run of ``scenario`` with ``seed`` at ``scale`` (residents per agent) and parameter ``overrides``, read
    through the end of ``until``."""
    return Spec(Config(scenario, int(seed), int(scale), tuple(sorted(overrides.items()))), int(until))


def task(function: Callable[..., Any], *args: Any) -> Task:
    """``function(*args)``, computed once in the store's workers (``function`` lives at a test module's top level)."""
    if "<locals>" in function.__qualname__ or "." in function.__qualname__:
        raise TypeError(f"{function.__qualname__}: a task is a module-level function (a worker imports it by name)")
    return Task(f"{function.__module__}:{function.__qualname__}", tuple(args))


def needs(*needed: Spec | Task) -> pytest.MarkDecorator:
    """The ``runs`` mark: a test (or a module, in ``pytestmark``) reads these runs and tasks from the store."""
    return pytest.mark.runs(*needed)


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
Key = Config | Task  # what the store computes once: a configuration's run (to its latest year) or a task
_PLANNED: dict[Key, int | None] = {}  # configuration -> the last year simulated; task -> None
_PENDING: dict[Key, Job] = {}
_DONE: dict[Key, Any] = {}  # Result of a configuration, return value of a task
_POOL: list[LocalProcesses] = []
_FILES: list[Path] = []  # the folder of scenario_file's files
_READS: list[Spec | Task] = []  # every read, in order (conftest looks at the reads made during each test)


def declared(marks: Iterable[pytest.Mark]) -> list[Spec | Task]:
    """The specs and tasks held by ``runs`` marks."""
    out = []
    for mark in marks:
        for s in mark.args:
            if not isinstance(s, (Spec, Task)):
                raise TypeError(f"the runs mark takes runstore.spec(...) and runstore.task(...), not {s!r}")
            out.append(s)
    return out


def plan(needed: Iterable[Spec | Task]) -> None:
    """Start computing every run (to the latest year asked of its configuration) and task in ``needed``, in the
    order given (earliest-needed first); what is already planned (far enough) is not computed again."""
    todo: dict[Key, int | None] = {}
    for n in needed:
        if isinstance(n, Task):
            todo[n] = None
        else:
            todo[n.config] = max(todo.get(n.config) or n.until, n.until)
    todo = {k: y for k, y in todo.items() if k not in _PLANNED or (y is not None and _PLANNED[k] < y)}
    if not todo:
        return
    _PLANNED.update(todo)
    for key in todo:
        _DONE.pop(key, None)
    _PENDING.update(compute(list(todo.items())))


def compute(jobs: list[tuple[Key, int | None]]) -> dict[Key, Job]:
    """Compute these in parallel: (configuration, last year) -> the job of its Result, (task, None) -> the job of
    its return value.

    The one place that knows how runs are executed: the project's executor (experiments/executor), the session's
    one warm pool of WORKERS local processes with one numerical thread each (so two runs use the two cores without
    oversubscribing them); the same pool serves any test that runs jobs through ``shared``. One job per run, in the
    order given, so both workers take runs as they free up.
    """
    from experiments.executor import shared

    ex = shared(max(1, min(WORKERS, os.cpu_count() or 1)))
    _POOL[:] = [ex]
    return {key: ex.submit(_work, [(key, until)])[0] for key, until in jobs}


def shutdown() -> None:
    """Drop the runs not yet started (the pool itself stops when the session's process exits) and remove the
    scenario files."""
    for pool in _POOL:
        if _PENDING and not pool.closed:
            pool.cancel()
    _POOL.clear()
    _PENDING.clear()
    for folder in _FILES:
        shutil.rmtree(folder, ignore_errors=True)
    _FILES.clear()


def _get(key: Key) -> Any:
    if key not in _DONE:
        job = _PENDING.pop(key)
        _POOL[0].wait([job])
        if job.failure is not None:
            raise job.failure.exception or RuntimeError(f"run store, {key}: {job.failure.text}")
        _DONE[key] = job.value
    return _DONE[key]


def result(s: Spec) -> Result:
    """The tables of run ``s`` through the end of ``s.until`` (waits for its simulation if it is still running)."""
    planned = _PLANNED.get(s.config)
    if planned is None or planned < s.until:
        have = "not declared" if planned is None else f"declared only to {planned}"
        pytest.fail(f"run {s.config} to {s.until} is {have}: add runstore.spec(...) to the test's "
                    "runstore.needs(...) mark, so that the session's plan simulates it", pytrace=False)
    _READS.append(s)
    return _get(s.config).through(s.until)


def computed(t: Task) -> Any:
    """What task ``t`` returned (a copy: a test cannot change another's data); waits for it if still running."""
    if t not in _PLANNED:
        pytest.fail(f"task {t} is not declared: add it to the test's runstore.needs(...) mark, so that the "
                    "session's plan computes it", pytrace=False)
    _READS.append(t)
    return copy.deepcopy(_get(t))


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
def _work(item: tuple[Key, int | None]) -> Any:
    """One run or task, in a worker of the shared pool. The store's own runs are not a test simulating: the
    session's simulation probe is silenced while it runs (and restored: the pool also runs tests' own jobs)."""
    key, until = item
    probe = os.environ.pop("CZT_SIM_PROBE", None)
    try:
        if isinstance(key, Task):
            module, name = key.function.split(":")
            return getattr(importlib.import_module(module), name)(*key.args)
        return _simulate(key, until)
    finally:
        if probe is not None:
            os.environ["CZT_SIM_PROBE"] = probe


def _simulate(config: Config, until: int) -> Result:
    from model import CZTModel

    m = CZTModel(config.scenario, seed=config.seed, overrides={"scale": config.scale, **dict(config.overrides)})
    m.run_until(until)
    return Result(m.cities_frame(), m.flows_frame(), m.annual_frame(), m.start_year)
