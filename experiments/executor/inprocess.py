"""The in-process back-end (``InProcess``): jobs run one at a time in this process, in the order submitted.

For reference results and debugging (a sweep's ``--workers 0``), and for callers that must not start processes.
One worker (index 0) whose state is this executor's own dictionary. No timeout (nothing can be killed) and no
dead worker (this process is the worker).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Iterable

from experiments.executor.jobs import CANCELLED, ERROR, WITHDRAWN, Failure, Job, call, group_platforms
from experiments.executor.worker import probe, use_state


class InProcess:
    name = "in-process (sequential)"

    def __init__(self) -> None:
        self.n = 1
        self.capacity = 1
        self.generation = 0
        self.closed = False
        self._queue: deque[Job] = deque()
        self._state: dict[Any, Any] = {}
        self._open: dict[int, int] = {}
        self._done: dict[int, Job] = {}  # finished, not yet handed out

    @property
    def started(self) -> bool:
        return not self.closed

    def pids(self) -> list[int]:
        import os

        return [os.getpid()]

    def probes(self) -> list[dict[str, Any]]:
        return [probe()]

    def platforms(self) -> dict[str, dict[str, Any]]:
        return group_platforms(self.probes())

    def submit(self, fn: Callable[[Any], Any], args: Iterable[Any], worker: int | None = None,
               tags: Iterable[Any] | None = None, timeout: float | None = None) -> list[Job]:
        if self.closed:
            raise RuntimeError("the in-process executor has been stopped (closed)")
        if worker not in (None, 0):
            raise ValueError(f"worker {worker}: the in-process executor has one worker, 0")
        args = list(args)
        tags = list(tags) if tags is not None else [None] * len(args)
        jobs = [Job(fn, a, worker, t, None) for a, t in zip(args, tags)]
        if jobs:
            for j in jobs:
                j.batch = jobs[0].id
            self._open[jobs[0].id] = len(jobs)
        self._queue.extend(jobs)
        return jobs

    def in_flight(self) -> int:
        return len(self._open)

    def _run_next(self) -> Job:
        import os

        j = self._queue.popleft()
        old = use_state(self._state)
        try:
            ok, value, tb, exc = call(j.fn, j.arg)
        finally:
            use_state(old)
        j.pid = os.getpid()
        self._finish(j, value if ok else None, None if ok else Failure(ERROR, value, tb, exc))
        return j

    def _finish(self, j: Job, value: Any, failure: Failure | None) -> None:
        j.done, j.value, j.failure = True, value, failure
        self._done[j.id] = j
        left = self._open.get(j.batch, 1) - 1
        if left <= 0:
            self._open.pop(j.batch, None)
        else:
            self._open[j.batch] = left

    def poll(self, timeout: float) -> list[Job]:
        """Runs the next job (one per call, so a caller can stop between two); the jobs finished since the last
        poll."""
        if self._queue and not self._done:
            self._run_next()
        out = list(self._done.values())
        self._done.clear()
        return out

    def wait(self, jobs: list[Job], timeout: float | None = None) -> list[Job]:
        while not all(j.done for j in jobs) and self._queue:
            self._run_next()
        for j in jobs:
            self._done.pop(j.id, None)
        return jobs

    def withdraw(self) -> None:
        while self._queue:
            self._finish(self._queue.popleft(), None, Failure(WITHDRAWN, f"{WITHDRAWN}: not started"))

    def cancel(self) -> None:
        self.withdraw()

    def close(self, kill: bool = False) -> None:
        while self._queue:
            self._finish(self._queue.popleft(), None, Failure(CANCELLED, f"{CANCELLED}: the executor was closed"))
        self.closed = True
        self._state.clear()
        self.generation += 1
