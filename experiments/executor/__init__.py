"""One executor layer: every process pool of the project (sweeps, validate/outofsample/calibrate, the app's
ensembles and export bundle, the tests' run store) runs its jobs through one interface with three back-ends.

Interface (:class:`Executor`)::

    jobs = ex.submit(fn, args, worker=None, tags=None, timeout=None)  # one task: fn(arg) for each arg, in order,
                                                                      # on one worker (``worker``: pinned to it)
    ex.poll(seconds) -> finished jobs     ex.wait(jobs) -> jobs       ex.in_flight() / ex.capacity (tasks)
    ex.platforms() -> {platform id: {"platform": record, "workers": n}}   (every worker probed before its first job)
    ex.withdraw()  (jobs not started are not run)   ex.cancel()  (stop now)   ex.close()   ex.generation

A :class:`Job` carries ``value`` or ``failure`` (reason ``WorkerDied``, ``Timeout``, ``Error``,
``WorkerCannotImport``, ``Withdrawn``, ``Cancelled``; see ``experiments.executor.jobs``). A task of several args
is a batch: it travels to one worker in one message and its calls run back to back, so per-task overhead is paid
once for many (parameters, seed) runs; each call still has its own result, failure and timeout.

Back-ends: :class:`InProcess` (sequential, this process), :class:`LocalProcesses` (warm local processes, one
thread each; forkserver or spawn), :class:`DaskCluster` (a scheduler address or a LocalCluster on loopback).

Policy, the same everywhere: a worker that dies fails the job it ran with ``WorkerDied`` and is replaced, jobs it
had not started go to another worker, jobs pinned to it fail too (their state is gone) and ``generation`` goes up,
so stateful users (the app's ensembles) know to rebuild; a job over its timeout fails with ``Timeout`` and its
worker is killed and replaced; every worker says its platform fingerprint (model/platform.py) before its first
job, and a worker that cannot import the project is a one-line error with the command that fixes it. Jobs pinned
to a worker see that worker's own :func:`state` dictionary from one job to the next.
"""

from __future__ import annotations

import atexit
from typing import Any, Callable, Iterable, Protocol

from experiments.executor.cluster import DaskCluster
from experiments.executor.inprocess import InProcess
from experiments.executor.jobs import (CANCELLED, CANNOT_IMPORT, ERROR, TIMEOUT, WITHDRAWN, WORKER_DIED, Failure, Job,
                                       JobFailed, group_platforms)
from experiments.executor.local import ONE_THREAD, PRELOAD, LocalProcesses
from experiments.executor.worker import probe, state


class Executor(Protocol):
    """What every back-end offers (see the module's docstring)."""
    name: str
    n: int  # workers (pinned jobs name one by its index)
    capacity: int  # tasks in flight that keep every worker busy
    generation: int  # goes up whenever workers are replaced or stopped: their state is gone
    closed: bool

    def submit(self, fn: Callable[[Any], Any], args: Iterable[Any], worker: int | None = None,
               tags: Iterable[Any] | None = None, timeout: float | None = None) -> list[Job]: ...

    def poll(self, timeout: float) -> list[Job]: ...

    def wait(self, jobs: list[Job], timeout: float | None = None) -> list[Job]: ...

    def in_flight(self) -> int: ...

    def probes(self) -> list[dict[str, Any]]: ...

    def platforms(self) -> dict[str, dict[str, Any]]: ...

    def withdraw(self) -> None: ...

    def cancel(self) -> None: ...

    def close(self, kill: bool = False) -> None: ...


def open_executor(workers: int, dask: str | None = None, timeout: float | None = None,
                  preload: Iterable[str] = PRELOAD) -> Executor:
    """The back-end a command asked for: Dask (``dask``: an address, 'local' or 'local-threads'), in this process
    (``workers`` 0) or ``workers`` local processes."""
    if dask:
        return DaskCluster(dask, max(1, workers), timeout)
    if workers == 0:
        return InProcess()
    return LocalProcesses(workers, timeout, preload=preload)


_SHARED: dict[tuple, LocalProcesses] = {}


def shared(workers: int = 2, preload: Iterable[str] = PRELOAD) -> LocalProcesses:
    """A warm pool for the whole process: made on first use, reused by every later call with the same arguments
    (imports and numba's loading paid once), stopped when the process exits."""
    key = (workers, tuple(preload))
    ex = _SHARED.get(key)
    if ex is None or ex.closed:
        ex = _SHARED[key] = LocalProcesses(workers, preload=preload)
        atexit.register(ex.close, kill=True)
    return ex


def run_all(ex: Executor, fn: Callable[[Any], Any], args: Iterable[Any], batch: int = 1) -> list[Any]:
    """``fn(arg)`` for every arg on ``ex``, ``batch`` args per task; the values in the order of ``args``. The first
    failure (in that order) is raised once every job has finished: ``fn``'s own exception when it could travel
    back (a ConfigError stays a one-line error), else :class:`JobFailed`."""
    args = list(args)
    jobs: list[Job] = []
    for i in range(0, len(args), max(1, batch)):
        jobs += ex.submit(fn, args[i:i + batch])
    ex.wait(jobs)
    for j in jobs:
        if j.failure is not None:
            raise j.failure.exception or JobFailed(j.failure)
    return [j.value for j in jobs]


__all__ = ["Executor", "InProcess", "LocalProcesses", "DaskCluster", "Job", "Failure", "JobFailed", "open_executor",
           "shared", "run_all", "state", "probe", "group_platforms", "ONE_THREAD", "PRELOAD", "WORKER_DIED", "TIMEOUT",
           "ERROR", "CANNOT_IMPORT", "WITHDRAWN", "CANCELLED"]
