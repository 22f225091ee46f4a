"""The Dask back-end (``DaskCluster``): a running scheduler (``tcp://host:port``) or a LocalCluster on loopback.

A task is one Dask task that runs its batch of calls in order on one worker and returns every answer. Before the
first task every connected worker is probed (``client.run``): a worker that cannot import the project is a
one-line error naming it and the command that fixes it (``pip install -e`` of the checkout), and the platforms
are grouped as for local processes. Policy, as for local processes: a task whose worker dies fails with
``WorkerDied`` (a LocalCluster is made with ``allowed_failures=0``, so Dask does not silently rerun it elsewhere;
its nanny starts a fresh worker; a scheduler you run yourself applies its own
``distributed.scheduler.allowed-failures`` first); a task that runs longer than its timeout (counted from when
the scheduler shows it processing on a worker, times the calls in its batch) fails with ``Timeout`` and its worker
is restarted when a nanny watches it. A LocalCluster's workers have one thread and one numba/BLAS thread each.
Jobs pinned to a worker are not offered: a Dask worker that dies takes its state with it and Dask would wait for
it for ever; the app's ensembles use local processes.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Callable, Iterable

from experiments.executor.errors import cannot_import
from experiments.executor.jobs import (CANCELLED, CANNOT_IMPORT, ERROR, TIMEOUT, WITHDRAWN, WORKER_DIED, Failure, Job,
                                       call_batch, group_platforms)
from model.errors import ConfigError

WORKER_WAIT_SECONDS = 60.0  # how long a cluster may have no worker at all before its jobs fail

# The probe is sent by value (cloudpickle copies a function whose module is not importable), so that a worker which
# cannot import the project can still run it and say so, instead of failing to deserialize.
_PROBE_SOURCE = '''
def czt_probe():
    import os
    import sys
    try:
        from experiments.executor.worker import probe
        return probe()
    except BaseException as exc:
        return {"ok": False, "error": (type(exc).__name__ + ": " + str(exc)).splitlines()[0][:300],
                "cwd": os.getcwd(), "python": sys.executable, "pid": os.getpid()}
'''


def _remote_probe():
    ns: dict[str, Any] = {"__name__": "czt_dask_probe"}
    exec(compile(_PROBE_SOURCE, "<czt_dask_probe>", "exec"), ns)  # noqa: S102 - our own constant source
    return ns["czt_probe"]


class DaskCluster:
    """``address``: 'tcp://host:port' of a running scheduler, 'local' (LocalCluster of ``workers`` processes on
    127.0.0.1) or 'local-threads' (one in-process worker with ``workers`` threads)."""

    def __init__(self, address: str, workers: int, timeout: float | None = None) -> None:
        import logging

        from dask.distributed import Client, LocalCluster

        from experiments.executor.local import ONE_THREAD, PRELOAD, one_thread_environment

        self.address, self.timeout, self.generation, self.closed = address, timeout, 0, False
        self.cluster = None
        self._futures: dict[Any, list[Job]] = {}
        self._seen_processing: dict[Any, tuple[float, str]] = {}
        self._done: dict[int, Job] = {}
        self._no_worker_since: float | None = None
        self._workers_checked = 0.0
        if address in ("local", "local-threads"):
            import dask

            procs = address == "local"
            dask.config.set({"distributed.worker.profile.enabled": False})  # its sampling slows the runs
            # worker processes: one BLAS thread each (set before the nanny spawns them, as BLAS reads it on
            # load; numba's one thread is set per task by call_batch), the model imported before they join (a
            # fresh worker's first task is not slowed by imports, so its timeout counts the run only). A LocalCluster's nannies live in this process and write their
            # pre-spawn variables into its environment; it is restored after the start (a nanny that restarts a
            # worker writes them again: they only ever say one thread).
            spawn_env = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **ONE_THREAD}
            extra = {"preload": list(PRELOAD)} if procs else {}
            with dask.config.set({"distributed.nanny.pre-spawn-environ": spawn_env}), one_thread_environment():
                self.cluster = LocalCluster(n_workers=workers if procs else 1,
                                            threads_per_worker=1 if procs else workers, processes=procs,
                                            protocol="tcp://", host="127.0.0.1", dashboard_address=None,
                                            silence_logs=logging.ERROR, scheduler_kwargs={"allowed_failures": 0},
                                            **extra)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout="20s")
            except Exception as exc:  # noqa: BLE001 - unreachable, refused, malformed address
                raise ConfigError("--dask", address, f"a reachable Dask scheduler address ({exc})",
                                  kind="cannot connect") from None
        try:
            self._probes = self._probe()
        except BaseException:
            self.close()
            raise
        threads = sum(self.client.nthreads().values()) or 1
        self.n = len(self._probes)
        self.capacity = 2 * threads  # keep every thread busy while results come back
        self.name = f"Dask {address} ({threads} thread{'s' if threads > 1 else ''})"

    def _probe(self) -> list[dict[str, Any]]:
        """Ask every worker, before any task, whether it can import the project and which platform it is on."""
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except Exception:  # noqa: BLE001 - TimeoutError (its type moved between versions)
            raise ConfigError("--dask", self.address, f"a scheduler with workers (none connected within "
                              f"{WORKER_WAIT_SECONDS:g} s; start them first, see experiments/sweep/README.md)",
                              kind="no Dask workers") from None
        try:
            answers = self.client.run(_remote_probe())
        except Exception as exc:  # noqa: BLE001
            raise ConfigError("--dask", self.address, f"workers that answer a probe ({type(exc).__name__}: {exc})",
                              kind="Dask workers do not answer") from None
        bad = {w: r for w, r in answers.items() if not r.get("ok")}
        if bad:
            w, r = sorted(bad.items())[0]
            raise cannot_import("--dask", self.address, {**r, "worker": w}, len(bad), len(answers), "Dask workers")
        return list(answers.values())

    @property
    def started(self) -> bool:
        return not self.closed

    def probes(self) -> list[dict[str, Any]]:
        return list(self._probes)

    def platforms(self) -> dict[str, dict[str, Any]]:
        return group_platforms(self._probes)

    def submit(self, fn: Callable[[Any], Any], args: Iterable[Any], worker: int | None = None,
               tags: Iterable[Any] | None = None, timeout: float | None = None) -> list[Job]:
        if worker is not None:
            raise ValueError("jobs pinned to a worker need local processes (a Dask worker's state dies with it)")
        if self.closed:
            raise RuntimeError("the Dask executor has been stopped (closed)")
        args = list(args)
        tags = list(tags) if tags is not None else [None] * len(args)
        if not args:
            return []
        jobs = [Job(fn, a, None, t, timeout if timeout is not None else self.timeout) for a, t in zip(args, tags)]
        for j in jobs:
            j.batch = jobs[0].id
        fut = self.client.submit(call_batch, fn, args, key=f"czt-{uuid.uuid4().hex}", pure=False)
        self._futures[fut] = jobs
        return jobs

    def in_flight(self) -> int:
        return len(self._futures)

    def _finish(self, j: Job, value: Any = None, failure: Failure | None = None) -> None:
        j.done, j.value, j.failure = True, value, failure
        self._done[j.id] = j

    def _failure(self, fut) -> Failure:
        try:
            exc = fut.exception(timeout=5)
            msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        except Exception as e:  # noqa: BLE001
            exc, msg = e, f"{type(e).__name__}: {e}"
        if type(exc).__name__ == "KilledWorker":
            self.generation += 1
            return Failure(WORKER_DIED, f"{WORKER_DIED}: the Dask worker running it died ({msg})")
        if "deserializ" in msg.lower():  # a worker (joined after the probe) cannot import the project
            return Failure(CANNOT_IMPORT, f"{CANNOT_IMPORT}: {msg}")
        return Failure(ERROR, msg)

    def _collect(self, fut) -> None:
        jobs = self._futures.pop(fut)
        self._seen_processing.pop(fut.key, None)
        if fut.status == "finished":
            for j, (ok, value, tb, exc, pid) in zip(jobs, fut.result()):
                j.pid = pid
                self._finish(j, value if ok else None, None if ok else Failure(
                    CANNOT_IMPORT if str(value).startswith(CANNOT_IMPORT) else ERROR, value, tb, exc))
        elif fut.status == "cancelled":
            for j in jobs:
                self._finish(j, failure=Failure(CANCELLED, f"{CANCELLED}: stopped by the caller"))
        else:
            f = self._failure(fut)
            for j in jobs:
                self._finish(j, failure=f)

    def _overruns(self) -> None:
        """Tasks processing for longer than their timeout: failed, their worker restarted (if a nanny watches)."""
        limited = {f: js for f, js in self._futures.items() if js[0].timeout}
        if not limited:
            return
        now = time.monotonic()
        by_key = {f.key: f for f in limited}
        for addr, keys in self.client.processing().items():
            for k in keys:
                if k in by_key and k not in self._seen_processing:
                    self._seen_processing[k] = (now, addr)
        for f, jobs in limited.items():
            seen = self._seen_processing.get(f.key)
            limit = jobs[0].timeout * len(jobs)
            if seen and now - seen[0] > limit:
                self._futures.pop(f)
                self._seen_processing.pop(f.key, None)
                f.cancel()
                for j in jobs:
                    self._finish(j, failure=Failure(TIMEOUT, f"{TIMEOUT}: task took over {limit:g} s; its Dask "
                                                    "worker was restarted"))
                self._restart(seen[1])

    def _restart(self, address: str) -> None:
        """End the worker at ``address`` so that its nanny starts a fresh one, as after a crash (the nanny's own
        restart gives up when the new worker is slow to import the model: seen on a loaded machine, leaving the
        cluster without workers). A worker without a nanny (in this process, or one you started bare) cannot be
        restarted: its task is abandoned and it goes on."""
        import os

        info = self.client.scheduler_info().get("workers", {}).get(address) or {}
        if not info.get("nanny"):
            return
        try:
            self.client.run(os._exit, 1, workers=[address], on_error="ignore")
            self.generation += 1
        except Exception:  # noqa: BLE001 - the worker is gone already; its nanny restarts it
            pass
        # until the scheduler has seen it go, it would hand the dying worker the next task (which then fails
        # KilledWorker: seen in CI)
        deadline = time.monotonic() + 30
        while address in self.client.nthreads() and time.monotonic() < deadline:
            time.sleep(0.1)

    def _pump(self, timeout: float) -> None:
        from dask.distributed import wait

        if not self._futures:
            return
        try:
            done, _ = wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        for f in done:
            if f in self._futures:
                self._collect(f)
        self._overruns()
        self._orphans()

    def _orphans(self) -> None:
        """Jobs on a cluster that has had no worker at all for WORKER_WAIT_SECONDS fail with WorkerDied, instead
        of waiting for ever (a nanny that could not restart its worker, a cluster whose workers all left)."""
        if not self._futures:
            self._no_worker_since = None
            return
        now = time.monotonic()
        if now - self._workers_checked < 2.0:  # asking the scheduler costs a round trip; twice a second is plenty
            return
        self._workers_checked = now
        if self.client.nthreads():  # asks the scheduler now (scheduler_info() may be a cached copy)
            self._no_worker_since = None
            return
        if self._no_worker_since is None:
            self._no_worker_since = now
        elif now - self._no_worker_since > WORKER_WAIT_SECONDS:
            self._no_worker_since = None
            self.generation += 1
            for f, jobs in list(self._futures.items()):
                f.cancel()
                for j in jobs:
                    self._finish(j, failure=Failure(WORKER_DIED, f"{WORKER_DIED}: the cluster has had no worker for "
                                                    f"{WORKER_WAIT_SECONDS:g} s"))
            self._futures.clear()
            self._seen_processing.clear()

    def poll(self, timeout: float) -> list[Job]:
        if not self._done:
            self._pump(timeout)
        out = list(self._done.values())
        self._done.clear()
        return out

    def wait(self, jobs: list[Job], timeout: float | None = None) -> list[Job]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not all(j.done for j in jobs):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{sum(not j.done for j in jobs)} jobs still running")
            self._pump(0.5)
        for j in jobs:
            self._done.pop(j.id, None)
        return jobs

    def withdraw(self) -> None:
        """Tasks no worker has started are cancelled (``Withdrawn``); running ones go on."""
        running = {k for keys in self.client.processing().values() for k in keys}
        for f in [f for f in self._futures if f.key not in running]:
            jobs = self._futures.pop(f)
            f.cancel()
            for j in jobs:
                self._finish(j, failure=Failure(WITHDRAWN, f"{WITHDRAWN}: not started"))

    def cancel(self) -> None:
        for f, jobs in list(self._futures.items()):
            f.cancel()
            for j in jobs:
                self._finish(j, failure=Failure(CANCELLED, f"{CANCELLED}: stopped by the caller"))
        self._futures.clear()

    def close(self, kill: bool = False) -> None:
        self.cancel()
        self.closed = True
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
