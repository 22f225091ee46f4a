"""Local worker processes (``LocalProcesses``): N warm processes on this machine, one thread each.

Each worker is started with one numba/BLAS/OpenMP thread (the workers already fill the cores; threads on top of
them oversubscribe: 8 app seeds, a year, 2 cores: 0.89 s with default threads, 0.61 s with one), imports its
``preload`` modules once and says hello with its probe (platform fingerprint, code version) before it is given a
job. Unpinned batches go to the least busy worker, at most ``depth`` batches per worker (the next one waits in the
worker, so it never idles while this process records a result); pinned jobs go to their worker in order.

Policy: a worker that dies fails its current job with ``WorkerDied`` (and the jobs pinned to it: their state is
gone), puts the unpinned jobs it had not started back at the head of the queue, is replaced at once, and
``generation`` goes up; a job that overruns its timeout fails with ``Timeout`` and its worker is killed and
replaced the same way. The start method is ``forkserver`` (one warm server forks the workers: a replacement starts
in milliseconds) or ``spawn`` (a threaded web server, whose state a child must not inherit). Thread-safe: several
threads may submit and wait at once (the app's background thread and an export).
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from experiments.executor.jobs import (CANCELLED, CANNOT_IMPORT, ERROR, TIMEOUT, WITHDRAWN, WORKER_DIED, Failure, Job,
                                       group_platforms)
from experiments.executor.worker import serve

# BLAS and OpenMP read these when they load, so a worker must be started with them. Numba's thread count is not
# here: numba re-reads NUMBA_* variables at every compilation, and this process's own numba refuses to compile
# once the count it launched its threads with changes under it (seen in CI: a test compiled a kernel while a pool
# was starting workers). Workers take one numba thread with numba.set_num_threads instead (jobs.one_numba_thread).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
PRELOAD = ("model",)  # numpy, pandas, numba's kernels, mesa: the imports every job needs
HELLO_SECONDS = 180.0  # a spawned worker imports everything first; on a loaded machine that takes a while
_ENV_LOCK = threading.Lock()  # executors starting workers from two threads must not interleave environment edits
_batches = iter(range(1, 2**62))


@contextmanager
def one_thread_environment():
    """Set ONE_THREAD in this process's environment while a worker (or the forkserver) starts, then restore it:
    children read the variables when their libraries load; this process's libraries are loaded already."""
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in ONE_THREAD}
        os.environ.update(ONE_THREAD)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@dataclass(eq=False)
class _Slot:
    """One worker process: its pipe, its probe once it said hello, the jobs sent to it in order (the first is
    running), and jobs pinned to it that wait for its hello."""
    proc: Any
    conn: Any
    probe: dict[str, Any] | None = None
    sent: deque = field(default_factory=deque)
    backlog: list = field(default_factory=list)
    withdrawing: set = field(default_factory=set)

    @property
    def ready(self) -> bool:
        return self.probe is not None and bool(self.probe.get("ok"))

    def batches(self) -> int:
        return len({j.batch for j in self.sent if j.worker is None})


class LocalProcesses:
    """``workers`` local processes; ``timeout``: default seconds a job may run (None: no limit)."""

    def __init__(self, workers: int, timeout: float | None = None, start: str = "forkserver",
                 preload: Iterable[str] = PRELOAD, name: str | None = None, depth: int = 2) -> None:
        if workers < 1:
            raise ValueError("LocalProcesses needs at least one worker")
        self.n = workers
        self.timeout = timeout
        self.preload = tuple(dict.fromkeys(preload))
        self.depth = depth
        self.capacity = depth * workers  # batches in flight that keep every worker busy
        self.name = name or f"{workers} local process{'es' if workers > 1 else ''}"
        self.generation = 0
        self.closed = False
        self.ctx = mp.get_context(start)
        if start == "forkserver":
            self.ctx.set_forkserver_preload(list(self.preload))
        self._slots: list[_Slot] = []
        self._queue: deque[list[Job]] = deque()  # unpinned batches not yet sent
        self._open: dict[int, int] = {}  # batch -> jobs not finished
        self._done: dict[int, Job] = {}  # finished, not yet handed out by poll or wait
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ workers
    def _spawn(self) -> _Slot:
        parent, child = self.ctx.Pipe()
        with one_thread_environment():
            p = self.ctx.Process(target=serve, args=(child, self.preload), daemon=True, name="czt-worker")
            p.start()
        child.close()
        return _Slot(p, parent)

    def _ensure_started(self) -> None:
        if self.closed:
            raise RuntimeError("the worker processes have been stopped (the executor is closed)")
        if not self._slots:
            self._slots = [self._spawn() for _ in range(self.n)]

    @property
    def started(self) -> bool:
        return bool(self._slots)

    def pids(self) -> list[int]:
        """The worker processes' ids, by worker index (empty before the first use)."""
        return [s.proc.pid for s in self._slots]

    def probes(self) -> list[dict[str, Any]]:
        """What each worker said at hello (waits for them)."""
        with self._lock:
            self._ensure_started()
            deadline = time.monotonic() + HELLO_SECONDS
            while any(s.probe is None for s in self._slots) and time.monotonic() < deadline:
                self._pump(0.1)
            return [s.probe for s in self._slots if s.probe is not None]

    def platforms(self) -> dict[str, dict[str, Any]]:
        """Every worker's platform, probed before its first job: {id: {"platform": record, "workers": n}}."""
        probes = self.probes()
        bad = [p for p in probes if not p.get("ok")]
        if bad:
            from experiments.executor.errors import cannot_import

            raise cannot_import("workers", self.name, bad[0], len(bad), len(probes))
        return group_platforms(probes)

    def _replace(self, s: _Slot) -> None:
        try:
            s.conn.close()
        except OSError:
            pass
        s.proc.join(timeout=1)
        self.generation += 1
        i = self._slots.index(s)
        self._slots[i] = self._spawn()

    # ------------------------------------------------------------------ jobs
    def submit(self, fn: Callable[[Any], Any], args: Iterable[Any], worker: int | None = None,
               tags: Iterable[Any] | None = None, timeout: float | None = None) -> list[Job]:
        """One task of ``fn(arg)`` for each arg, run in order by one worker (``worker``: pinned to that one)."""
        args = list(args)
        tags = list(tags) if tags is not None else [None] * len(args)
        if not args:
            return []
        with self._lock:
            self._ensure_started()
            if worker is not None and not 0 <= worker < self.n:
                raise ValueError(f"worker {worker}: this executor has workers 0 to {self.n - 1}")
            batch = next(_batches)
            jobs = [Job(fn, a, worker, t, timeout if timeout is not None else self.timeout, batch)
                    for a, t in zip(args, tags)]
            for j in jobs:
                j.payload = pickle.dumps((fn, j.arg))  # here, so an object that cannot travel fails the caller
            self._open[batch] = len(jobs)
            if worker is None:
                self._queue.append(jobs)
            else:
                self._slots[worker].backlog.extend(jobs)
            self._dispatch()
            return jobs

    def in_flight(self) -> int:
        """Tasks (batches) submitted and not finished."""
        return len(self._open)

    def poll(self, timeout: float) -> list[Job]:
        """Jobs finished since the last poll (waiting up to ``timeout`` seconds for one)."""
        with self._lock:
            if not self._done and self._open:
                self._pump(timeout)
            out = list(self._done.values())
            self._done.clear()
            return out

    def wait(self, jobs: list[Job], timeout: float | None = None) -> list[Job]:
        """Block until every job in ``jobs`` is done (TimeoutError after ``timeout`` seconds); returns them."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                if all(j.done for j in jobs):
                    for j in jobs:
                        self._done.pop(j.id, None)
                    return jobs
                left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
                if left <= 0:
                    raise TimeoutError(f"{sum(not j.done for j in jobs)} jobs still running")
                self._pump(left)  # short slices: another thread may want the lock

    def withdraw(self) -> None:
        """Jobs not yet started (unpinned) are not run: they finish as ``Withdrawn``; running ones go on."""
        with self._lock:
            for batch in self._queue:
                for j in batch:
                    self._finish(j, failure=Failure(WITHDRAWN, f"{WITHDRAWN}: not started"))
            self._queue.clear()
            for s in self._slots:
                waiting = [j.id for j in list(s.sent)[1:] if j.worker is None and j.id not in s.withdrawing]
                if waiting:
                    s.withdrawing.update(waiting)
                    self._send(s, ("withdraw", waiting))

    def cancel(self) -> None:
        """Stop now: jobs not started are withdrawn, workers with a running job are killed (and replaced)."""
        with self._lock:
            self.withdraw()
            for s in list(self._slots):
                if s.sent or s.backlog:
                    s.proc.kill()
                    s.proc.join(timeout=5)
                    for j in list(s.sent) + s.backlog:
                        self._finish(j, failure=Failure(CANCELLED, f"{CANCELLED}: stopped by the caller"))
                    s.sent.clear()
                    s.backlog.clear()
                    self._replace(s)

    def close(self, kill: bool = False) -> None:
        """Stop the workers for good (``kill``: now, else after their current job); unfinished jobs are cancelled.
        Idle workers are always stopped by message, never killed: a killed worker leaves the semaphores its
        libraries made registered, and Python warns of "leaked semaphore objects" at exit."""
        self.closed = True  # first: a thread waiting for the lock then cannot start new workers
        with self._lock:
            for s in self._slots:
                if kill and s.sent:
                    s.proc.kill()
                else:
                    self._send(s, ("stop",))
            for s in self._slots:
                s.proc.join(timeout=5)
                if s.proc.is_alive():
                    s.proc.kill()
                    s.proc.join(timeout=5)
                try:
                    s.conn.close()
                except OSError:
                    pass
                for j in list(s.sent) + s.backlog:
                    self._finish(j, failure=Failure(CANCELLED, f"{CANCELLED}: the executor was closed"))
            for batch in self._queue:
                for j in batch:
                    self._finish(j, failure=Failure(CANCELLED, f"{CANCELLED}: the executor was closed"))
            self._queue.clear()
            if self._slots:
                self.generation += 1
            self._slots = []

    # ------------------------------------------------------------------ the coordinator's loop
    @staticmethod
    def _send(s: _Slot, msg: tuple) -> None:
        try:
            s.conn.send(msg)
        except (BrokenPipeError, OSError):
            pass  # the worker is dead: the next pump notices through its sentinel

    def _finish(self, j: Job, value: Any = None, failure: Failure | None = None) -> None:
        if j.done:
            return
        j.done, j.value, j.failure = True, value, failure
        j.payload = None
        self._done[j.id] = j
        left = self._open.get(j.batch, 1) - 1
        if left <= 0:
            self._open.pop(j.batch, None)
        else:
            self._open[j.batch] = left

    def _deliver(self, s: _Slot, jobs: list[Job]) -> None:
        if not s.sent:
            jobs[0].started = time.monotonic()
        s.sent.extend(jobs)
        self._send(s, ("run", [(j.id, j.payload) for j in jobs]))

    def _dispatch(self) -> None:
        broken = [s for s in self._slots if s.probe is not None and not s.ready]
        if broken and len(broken) == len(self._slots):  # no worker can run anything: fail instead of waiting
            text = f"{CANNOT_IMPORT}: worker processes cannot import what their jobs need ({broken[0].probe.get('error')})"
            for s in broken:
                for j in s.backlog:
                    self._finish(j, failure=Failure(CANNOT_IMPORT, text))
                s.backlog.clear()
            for batch in self._queue:
                for j in batch:
                    self._finish(j, failure=Failure(CANNOT_IMPORT, text))
            self._queue.clear()
        for s in self._slots:
            if s.ready and s.backlog:
                jobs, s.backlog = s.backlog, []
                self._deliver(s, jobs)
        while self._queue:
            ready = [s for s in self._slots if s.ready and s.batches() < self.depth]
            if not ready:
                return
            s = min(ready, key=lambda x: (x.batches(), len(x.sent)))
            self._deliver(s, self._queue.popleft())

    def _on_message(self, s: _Slot, msg: tuple) -> None:
        kind = msg[0]
        if kind == "hello":
            s.probe = msg[1]
            if not s.ready:  # it cannot import what its jobs need: they fail here, nothing waits for it for ever
                text = f"{CANNOT_IMPORT}: worker process {s.proc.pid}: {s.probe.get('error')}"
                for j in s.backlog:
                    self._finish(j, failure=Failure(CANNOT_IMPORT, text))
                s.backlog.clear()
        elif kind == "done":
            _, job_id, ok, value, tb, exc = msg
            j = next((x for x in s.sent if x.id == job_id), None)
            if j is None:
                return
            s.sent.remove(j)
            j.pid = s.proc.pid
            if ok:
                self._finish(j, value)
            else:
                reason = CANNOT_IMPORT if str(value).startswith(CANNOT_IMPORT) else ERROR
                self._finish(j, failure=Failure(reason, value, tb, exc))
            if s.sent and s.sent[0].started is None:
                s.sent[0].started = time.monotonic()
        elif kind == "withdrawn":
            for job_id in msg[1]:
                j = next((x for x in s.sent if x.id == job_id), None)
                if j is not None:
                    s.sent.remove(j)
                    self._finish(j, failure=Failure(WITHDRAWN, f"{WITHDRAWN}: not started"))
            s.withdrawing.difference_update(msg[1])

    def _lost(self, s: _Slot, why: str, reason: str, text: str) -> None:
        """A worker gone (died, or killed for a timeout): fail what it ran and what was pinned to it, requeue the
        unpinned jobs it had not started, replace it."""
        current = s.sent[0] if s.sent else None
        requeue: dict[int, list[Job]] = {}
        for j in list(s.sent) + s.backlog:
            j.pid = s.proc.pid
            if j is current:
                self._finish(j, failure=Failure(reason, text))
            elif j.worker is not None:
                self._finish(j, failure=Failure(WORKER_DIED, f"{WORKER_DIED}: worker process {s.proc.pid} died "
                                                f"({why}) before the job started; the state it kept is gone"))
            else:
                j.started = None
                requeue.setdefault(j.batch, []).append(j)
        for jobs in reversed(list(requeue.values())):
            self._queue.appendleft(jobs)
        s.sent.clear()
        s.backlog.clear()
        if not self.closed:
            self._replace(s)

    def _pump(self, timeout: float) -> None:
        """Send what can be sent, wait up to ``timeout`` for a message or a death, handle both and overruns."""
        self._dispatch()
        if not self._slots:
            return
        try:
            mp.connection.wait([s.conn for s in self._slots] + [s.proc.sentinel for s in self._slots],
                               max(0.0, timeout))
        except OSError:
            pass
        now = time.monotonic()
        for s in list(self._slots):
            try:
                while s.conn.poll():
                    self._on_message(s, s.conn.recv())
            except (EOFError, OSError):
                pass
            if not s.proc.is_alive():
                code = s.proc.exitcode
                why = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
                self._lost(s, why, WORKER_DIED, f"{WORKER_DIED}: worker process {s.proc.pid} died during the job "
                                                f"({why})")
                continue
            head = s.sent[0] if s.sent else None
            limit = head.timeout if head is not None else None
            if limit and head.started is not None and now - head.started > limit:
                s.proc.kill()
                s.proc.join(timeout=5)
                self._lost(s, "killed for overrunning its timeout", TIMEOUT,
                           f"{TIMEOUT}: job took over {limit:g} s; its worker was killed")
        self._dispatch()
