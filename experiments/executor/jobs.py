"""What every back-end hands out and takes back: a :class:`Job` (one call ``fn(arg)`` in a worker), its
:class:`Failure` when it does not return, and the worker-side call that turns an exception into one.

A failure has one of these reasons (the first word of its text, so a results table can be filtered on it):

* ``WorkerDied`` - the worker process died while the job ran (killed, out of memory) or before a job pinned to it
  started (its state is gone); the worker has been replaced;
* ``Timeout`` - the job ran longer than its timeout; its worker was killed and replaced;
* ``Error`` - ``fn`` raised: the text is the exception's type and message, the traceback is kept;
* ``WorkerCannotImport`` - the worker could not load the job (the project is not installed where it runs);
* ``Withdrawn`` - never started: the caller withdrew the jobs not yet running (a sweep's first Ctrl-C);
* ``Cancelled`` - stopped by the caller (``cancel``, ``close``).
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

WORKER_DIED = "WorkerDied"
TIMEOUT = "Timeout"
ERROR = "Error"
CANNOT_IMPORT = "WorkerCannotImport"
WITHDRAWN = "Withdrawn"
CANCELLED = "Cancelled"

_ids = itertools.count(1)


@dataclass(frozen=True)
class Failure:
    """Why a job gave no value: ``reason`` (one of the names above) and a one-line ``text`` that starts with the
    reason, or for ``Error`` with the exception's type (``RuntimeError: ...``)."""
    reason: str
    text: str
    traceback: str = ""
    exception: BaseException | None = field(default=None, compare=False, repr=False)  # fn's own, when it travels

    def __str__(self) -> str:
        return self.text


class JobFailed(RuntimeError):
    """Raised by :meth:`Job.result` for a job that failed; ``failure`` says why."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.text)
        self.failure = failure


@dataclass(eq=False)
class Job:
    """One call ``fn(arg)`` in a worker. ``worker``: the worker it is pinned to (its process keeps state between
    jobs), None for any. ``tag``: the caller's own reference, returned untouched. Filled in when done: ``value``
    or ``failure``, and ``pid``/``host`` of the worker that ran it."""
    fn: Callable[[Any], Any]
    arg: Any
    worker: int | None = None
    tag: Any = None
    timeout: float | None = None  # seconds, None: the executor's
    batch: int = 0  # jobs submitted together share a batch and travel to one worker together
    id: int = field(default_factory=lambda: next(_ids))
    done: bool = False
    value: Any = None
    failure: Failure | None = None
    pid: int | None = None
    started: float | None = None  # time.monotonic() when it became its worker's current job
    payload: bytes | None = field(default=None, repr=False)  # (fn, arg) pickled, while on its way to a worker

    @property
    def ok(self) -> bool:
        return self.done and self.failure is None

    def result(self) -> Any:
        """The value, or :class:`JobFailed` with the failure."""
        if self.failure is not None:
            raise JobFailed(self.failure)
        if not self.done:
            raise RuntimeError(f"job {self.id} has not finished")
        return self.value


def call(fn: Callable[[Any], Any], arg: Any) -> tuple[bool, Any, str, BaseException | None]:
    """Run ``fn(arg)`` in a worker: (True, value, "", None) or (False, "Type: message", traceback, the exception).
    Never raises for an exception of ``fn`` (the worker must answer)."""
    try:
        return True, fn(arg), "", None
    except Exception as exc:  # noqa: BLE001 - every error of the job becomes its failure
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return (False, f"{type(exc).__name__}: {text}".strip().splitlines()[0][:500], traceback.format_exc()[-4000:],
                exc)


def portable(exc: BaseException | None) -> BaseException | None:
    """The exception if it survives a trip between processes (pickled and read back), else None."""
    import pickle

    if exc is None:
        return None
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - an exception holding an unpicklable object: its text is kept anyway
        return None


def one_numba_thread() -> None:
    """Make numba run its parallel kernels on one thread in the calling thread (numba's count is per thread): a
    worker is one of several processes sharing the cores. Results do not depend on it (each parallel loop's
    iterations are independent). A no-op where numba is not loaded."""
    import sys

    numba = sys.modules.get("numba")
    if numba is not None and numba.get_num_threads() != 1:
        numba.set_num_threads(1)


def call_batch(fn: Callable[[Any], Any], args: list[Any]) -> list[tuple[bool, Any, str, Any, int]]:
    """Several calls in one task, in order (the Dask back-end's unit of work): :func:`call`'s answer (the
    exception only if it can travel) and the pid of the process that ran it, for each. Runs them on one numba
    thread (a Dask worker's task thread)."""
    import os

    one_numba_thread()
    pid = os.getpid()
    out = []
    for a in args:
        ok, value, tb, exc = call(fn, a)
        out.append((ok, value, tb, portable(exc), pid))
    return out


def group_platforms(probes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Worker probes grouped by platform id: {id: {"platform": record, "workers": n}}."""
    out: dict[str, dict[str, Any]] = {}
    for pr in probes:
        rec = pr["platform"]
        g = out.setdefault(rec["id"], {"platform": rec, "workers": 0})
        g["workers"] += 1
    return out
