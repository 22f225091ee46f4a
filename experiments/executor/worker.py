"""The worker side: what a worker says about itself (``probe``), the state it keeps between jobs (``state``) and
the loop of a local worker process (``serve``).

A local worker imports its ``preload`` modules once (the model's imports and numba's loading are paid once per
process, not per job), says hello with its probe, then runs the jobs it is sent in order. Between two jobs it
reads the coordinator's messages, so jobs sent ahead can be withdrawn before they start.

Messages, coordinator to worker: ``("run", [(job id, pickled (fn, arg)), ...])``, ``("withdraw", [job ids])``,
``("stop",)``; worker to coordinator: ``("hello", probe)``, ``("done", job id, ok, value or text, traceback,
exception or None)``,
``("withdrawn", [job ids it had not started])``.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import sys
from collections import deque
from typing import Any

from experiments.executor.jobs import CANNOT_IMPORT, call, one_numba_thread, portable

_STATE: dict[Any, Any] = {}


def state() -> dict[Any, Any]:
    """This worker's own dictionary, kept from one job to the next: a job pinned to a worker keeps what it builds
    here (the app's models). Gone when the worker dies; the executor's ``generation`` then changes."""
    return _STATE


def use_state(d: dict[Any, Any]) -> dict[Any, Any]:
    """Make ``d`` the state seen by jobs (the in-process back-end keeps one per executor); returns the previous."""
    global _STATE
    old, _STATE = _STATE, d
    return old


def probe() -> dict[str, Any]:
    """This worker's platform record (model/platform.py), code version, pid, host and interpreter; asked of every
    worker before its first job."""
    from experiments.sweep.design import code_version
    from model import platform

    return {"ok": True, "platform": platform.record(), "code_version": code_version(), "pid": os.getpid(),
            "host": socket.gethostname(), "python": sys.executable}


def _hello(preload: tuple[str, ...]) -> dict[str, Any]:
    import importlib

    try:
        for name in preload:
            importlib.import_module(name)
        return probe()
    except Exception as exc:  # noqa: BLE001 - said in the hello; the coordinator refuses the worker
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300], "cwd": os.getcwd(),
                "python": sys.executable, "pid": os.getpid()}


def serve(conn, preload: tuple[str, ...] = ()) -> None:
    """A local worker process: hello, then jobs until told to stop or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides how to stop
    hello = _hello(preload)
    one_numba_thread()
    conn.send(("hello", hello))
    todo: deque = deque()
    while True:
        try:
            while not todo or conn.poll():  # wait when idle; between jobs, read what has come
                msg = conn.recv()
                if msg[0] == "stop":
                    return
                if msg[0] == "run":
                    todo.extend(msg[1])
                elif msg[0] == "withdraw":
                    ids = set(msg[1])
                    gone = [j for j, _ in todo if j in ids]
                    todo = deque((j, p) for j, p in todo if j not in ids)
                    conn.send(("withdrawn", gone))
        except (EOFError, OSError):
            return
        job_id, payload = todo.popleft()
        try:
            fn, arg = pickle.loads(payload)
        except Exception as exc:  # noqa: BLE001 - a job whose function or argument this worker cannot load
            conn.send(("done", job_id, False, f"{CANNOT_IMPORT}: {type(exc).__name__}: {exc}"[:500], "", None))
            continue
        ok, value, tb, exc = call(fn, arg)
        try:
            conn.send(("done", job_id, ok, value, tb, portable(exc)))
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            conn.send(("done", job_id, False, f"TypeError: the job's value cannot be sent back ({err})"[:500], "",
                       None))
        except (BrokenPipeError, OSError):
            return
