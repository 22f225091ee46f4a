"""One run of a sweep, executed in a worker (local process, Dask worker or in-process).

``execute(task)`` never raises for a model error: it returns a result dict with ``status`` "ok"
(annual table and scalar metrics) or "failed" (error text and traceback), so the coordinator
records it and decides about retries. Every result carries ``platform_id``, the fingerprint of the
process that ran it (model/platform.py), which the coordinator checks against the sweep's (the executor
probes every worker before its first run: experiments/executor). A test-only hook,
``CZT_SWEEP_HOOK=module:function``, is called with the task before the model runs (fault injection in tests).
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from typing import Any

from experiments.sweep.metrics import metrics


class OutputsError(KeyError):
    """A requested output is not a column of the annual table (a mistake in the sweep file)."""


def _hook(task: dict) -> None:
    spec = task["hook"] if "hook" in task else os.environ.get("CZT_SWEEP_HOOK")  # the coordinator's, not a stale forkserver's
    if spec:
        mod, _, fn = spec.rpartition(":")
        if mod.endswith(".py"):  # a file path: load it without needing it on sys.path
            import importlib.util

            s = importlib.util.spec_from_file_location("czt_sweep_hook", mod)
            module = importlib.util.module_from_spec(s)
            s.loader.exec_module(module)
        else:
            module = importlib.import_module(mod)
        getattr(module, fn)(task)


def _platform_id() -> str | None:
    try:
        from model.platform import fingerprint_id

        return fingerprint_id()
    except Exception:  # noqa: BLE001 - the result is then refused as from an unknown platform
        return None


def _base(task: dict, t0: float) -> dict[str, Any]:
    return {"run_id": task["run_id"], "attempt": task.get("attempt", 1), "pid": os.getpid(),
            "host": socket.gethostname(), "started_at": t0}


def _failure(base: dict[str, Any], exc: Exception, t0: float) -> dict[str, Any]:
    base.setdefault("platform_id", _platform_id())
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    msg = f"{type(exc).__name__}: {text}".strip().splitlines()[0][:500]
    return {**base, "status": "failed", "error": msg, "traceback": traceback.format_exc()[-4000:],
            "wall_seconds": time.time() - t0}


def result_of(model, task: dict, base: dict[str, Any], timing: dict[str, float | None], t0: float) -> dict[str, Any]:
    """The ok result of a run from its model, simulated at least through the end of ``task["until"]``: scalar
    metrics and the annual table (the task's outputs). A model that has gone further (a run the app holds) is read
    as it stood at that year's end: its complete years up to ``until`` and their flows."""
    from experiments.sweep.design import code_version
    from model.summary import summarize

    until = int(task["until"])
    annual = model.annual_frame()
    if not annual.empty and annual.year.max() > until:
        annual = annual[annual.year <= until].reset_index(drop=True)
        flows = model.flows_frame()
        summary = summarize(annual, flows[flows.year <= until], model.start_year)
    else:
        summary = model.summary()
    m = metrics(summary, annual)
    outputs = list(task.get("outputs") or [])
    missing = [c for c in outputs if c not in annual.columns]
    if missing:
        raise OutputsError(f"{missing[0]!r} is not a column of the annual table; columns: "
                           + ", ".join(c for c in annual.columns if c not in ("year", "city")))
    keep = ["year", "city"] + [c for c in (outputs or annual.columns) if c not in ("year", "city")]
    return {**base, "status": "ok", "error": "", "metrics": m, "annual": annual[keep].reset_index(drop=True),
            "init_seconds": timing["init_seconds"], "run_seconds": timing["run_seconds"],
            "wall_seconds": time.time() - t0, "code_version_run": code_version()}


def execute(task: dict) -> dict[str, Any]:
    """Run one task: {run_id, scenario, seed, until, overrides, outputs, attempt}."""
    t0 = time.time()
    base = _base(task, t0)
    try:
        from experiments.runner import run_model

        _hook(task)
        base["platform_id"] = _platform_id()  # after the hook: tests play another platform through it
        model, timing = run_model(task.get("source", task["scenario"]), int(task["seed"]), int(task["until"]),
                                  dict(task["overrides"]))
        return result_of(model, task, base, timing, t0)
    except Exception as exc:  # noqa: BLE001 - every model error becomes a recorded failure
        return _failure(base, exc, t0)


def held_result(model, task: dict) -> dict[str, Any]:
    """The result of ``task`` from a model simulated elsewhere with the task's configuration and seed (the app's
    runs, for its export): as :func:`execute` would give it, without running again (no init or run seconds)."""
    t0 = time.time()
    base = _base(task, t0)
    try:
        base["platform_id"] = _platform_id()
        if model.steps < 4 * (int(task["until"]) - model.start_year + 1):
            raise ValueError(f"the model has simulated {model.steps} quarters, not through {task['until']}")
        return result_of(model, task, base, {"init_seconds": None, "run_seconds": None}, t0)
    except Exception as exc:  # noqa: BLE001 - as execute: a recorded failure
        return _failure(base, exc, t0)
