"""The runs a browser tab already holds, offered to the sweep runner as an executor (the export bundle).

A sweep task (experiments/sweep/worker.py) whose configuration and seed the tab holds is answered from that run
instead of being simulated again: the run shown and its baseline twin from the models in this process, an
ensemble member by the tab's worker that keeps it (a job pinned to that worker, experiments/executor). Only the
tasks nobody holds (the twins of the ensemble's other seeds, a member lost with a replaced worker, a retry) run,
on the tab's workers. The answers are exactly :func:`experiments.sweep.worker.execute`'s for the same task on the
same platform; the sweep folder is the runner's own, so ``python -m experiments report`` reads it.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from experiments.executor import Executor, Job, group_platforms, probe
from experiments.sweep.worker import execute, held_result
from ui.ensemble import Ensemble, member_run


class HeldRuns:
    """``local``: {(scenario key, seed): model in this process}; ``ensembles``: the tab's ensembles, each with
    its scenario key; ``key_of(task)``: the scenario key of a sweep task. Jobs run on ``pool`` (the tab's)."""

    name = "the app's runs"

    def __init__(self, pool: Executor, local: dict[tuple[str, int], Any], ensembles: list[tuple[str, Ensemble]],
                 key_of: Callable[[dict], str], lock) -> None:
        self.pool, self.local, self.ensembles, self.key_of, self.lock = pool, local, ensembles, key_of, lock
        self.n, self.capacity, self.closed = pool.n, 2 * pool.n, False
        self._jobs: list[Job] = []  # submitted and not yet handed out
        self.held = {"here": 0, "workers": 0, "simulated": 0}  # how each task was answered

    @property
    def generation(self) -> int:
        return self.pool.generation

    def probes(self) -> list[dict[str, Any]]:
        """This process (the runs it holds) and the tab's workers if they run; workers started later for a task
        are probed before it and their results carry their platform, which the runner checks."""
        return (self.pool.probes() if self.pool.started else []) + [probe()]

    def platforms(self) -> dict[str, dict[str, Any]]:
        return group_platforms(self.probes())

    def _held_by_worker(self, key: str, seed: int) -> tuple[int, tuple] | None:
        for scenario, e in self.ensembles:
            where = e.where(seed) if scenario == key else None
            if where is not None:
                return where
        return None

    def submit(self, fn: Callable[[Any], Any], args: Iterable[Any], worker: int | None = None,
               tags: Iterable[Any] | None = None, timeout: float | None = None) -> list[Job]:
        if fn is not execute:
            raise ValueError("HeldRuns answers sweep tasks (experiments.sweep.worker.execute) only")
        args = list(args)
        tags = list(tags) if tags is not None else [None] * len(args)
        out = []
        for task, tag in zip(args, tags):
            key, seed = self.key_of(task), int(task["seed"])
            model = self.local.get((key, seed)) if task.get("attempt", 1) == 1 else None
            where = self._held_by_worker(key, seed) if task.get("attempt", 1) == 1 else None
            if model is not None:  # the run shown or its twin: read here, under the tab's lock
                with self.lock:
                    value = held_result(model, task)
                job = Job(execute, task, None, tag)
                job.done, job.value = True, value
                self.held["here"] += 1
            elif where is not None:  # an ensemble member: asked of the worker that keeps it (a retry runs afresh)
                (job,) = self.pool.submit(member_run, [(where[1], task)], worker=where[0], tags=[tag], timeout=timeout)
                self.held["workers"] += 1
            else:
                (job,) = self.pool.submit(execute, [task], tags=[tag], timeout=timeout)
                self.held["simulated"] += 1
            out.append(job)
        self._jobs += out
        return out

    def in_flight(self) -> int:
        """Jobs not yet handed out by poll (a held run's is done at once, and still to be handed out)."""
        return len(self._jobs)

    def poll(self, timeout: float) -> list[Job]:
        # the tab's pool is shared with its background thread: finished jobs are told apart by their own flag,
        # never by what the pool's poll hands out
        if self._jobs and not any(j.done for j in self._jobs):
            self.pool.poll(timeout)
        done = [j for j in self._jobs if j.done]
        self._jobs = [j for j in self._jobs if not j.done]
        return done

    def wait(self, jobs: list[Job], timeout: float | None = None) -> list[Job]:
        self.pool.wait([j for j in jobs if not j.done], timeout)
        return jobs

    def withdraw(self) -> None:
        pass  # the few tasks of a bundle run to their end; the tab's other jobs must not be touched

    def cancel(self) -> None:
        self._jobs = []  # forgotten: they finish on the tab's workers and their answers are dropped

    def close(self, kill: bool = False) -> None:
        self.closed = True  # the pool is the tab's: it stays up
