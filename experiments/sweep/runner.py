"""Run the missing runs of a sweep on an executor, record each as it finishes, retry failures.

Executors share one small interface (``capacity``, ``submit``, ``poll``, ``in_flight``, ``close``):

* :class:`InProcess` - sequential in this process (``--workers 0``; debugging, reference results);
* :class:`LocalPool` - N worker processes (forkserver), one run at a time each; a worker that dies
  (killed, out of memory) or overruns the timeout is noticed through its process sentinel, its run is
  recorded as a failed attempt and retried, and a fresh worker takes its place;
* :class:`DaskPool` - a dask.distributed cluster (``tcp://host:port``) or a LocalCluster on loopback.

Only this coordinating process writes to the results folder. Ctrl-C once: no new runs start, runs in
flight finish and are recorded; Ctrl-C again (or SIGTERM): stop now. Either way ``resume`` runs only
what is missing or failed.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import multiprocessing.connection
import os
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from experiments.sweep import spec as spec_mod
from experiments.sweep.design import code_version, plan
from experiments.sweep.store import Store
from experiments.sweep.worker import METRICS, VERDICTS, execute
from model.errors import ConfigError


def _failed(task: dict, error: str) -> dict[str, Any]:
    return {"run_id": task["run_id"], "attempt": task.get("attempt", 1), "status": "failed", "error": error,
            "traceback": "", "pid": None, "host": None, "started_at": None, "wall_seconds": None}


class InProcess:
    name = "in-process (sequential)"

    def __init__(self) -> None:
        self.pending: deque = deque()
        self.capacity = 1

    def in_flight(self) -> int:
        return len(self.pending)

    def submit(self, task: dict) -> None:
        self.pending.append(task)

    def poll(self, timeout: float) -> list[tuple[dict, dict]]:
        if not self.pending:
            return []
        t = self.pending.popleft()
        return [(t, execute(t))]

    def close(self, kill: bool = False) -> None:
        self.pending.clear()


def _serve(conn) -> None:
    """Worker process loop: receive a task, send back its result; ``None`` or a closed pipe ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides how to stop
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(execute(task))


@dataclass
class _Worker:
    proc: Any
    conn: Any
    task: dict | None = None
    started: float = 0.0


class LocalPool:
    def __init__(self, n: int, timeout: float | None = None) -> None:
        self.ctx = mp.get_context("forkserver")
        self.ctx.set_forkserver_preload(["experiments.sweep.worker", "experiments.runner", "model"])
        self.timeout = timeout
        self.capacity = n
        self.name = f"{n} local process{'es' if n > 1 else ''}"
        self.workers = [self._start() for _ in range(n)]

    def _start(self) -> _Worker:
        parent, child = self.ctx.Pipe()
        p = self.ctx.Process(target=_serve, args=(child,), daemon=True, name="czt-sweep-worker")
        p.start()
        child.close()
        return _Worker(p, parent)

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers]

    def in_flight(self) -> int:
        return sum(w.task is not None for w in self.workers)

    def submit(self, task: dict) -> None:
        w = next(w for w in self.workers if w.task is None)
        w.task, w.started = task, time.time()
        try:
            w.conn.send(task)
        except (BrokenPipeError, OSError):
            pass  # the worker is dead; poll() notices through its sentinel

    def _replace(self, w: _Worker) -> None:
        try:
            w.conn.close()
        except OSError:
            pass
        w.proc.join(timeout=1)
        i = self.workers.index(w)
        self.workers[i] = self._start()

    def poll(self, timeout: float) -> list[tuple[dict, dict]]:
        busy = [w for w in self.workers if w.task is not None]
        if not busy:
            return []
        mp.connection.wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout)
        out = []
        for w in busy:
            task = w.task
            try:
                if w.conn.poll():
                    res = w.conn.recv()
                    w.task = None
                    out.append((task, res))
                    continue
            except (EOFError, OSError):
                pass
            if not w.proc.is_alive():
                code = w.proc.exitcode
                why = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
                out.append((task, _failed(task, f"WorkerDied: worker process {w.proc.pid} died during the run ({why})")))
                w.task = None
                self._replace(w)
            elif self.timeout and time.time() - w.started > self.timeout:
                w.proc.kill()
                out.append((task, _failed(task, f"Timeout: run took over {self.timeout:g} s; its worker was killed")))
                w.task = None
                self._replace(w)
        return out

    def close(self, kill: bool = False) -> None:
        for w in self.workers:
            if kill:
                w.proc.kill()
            else:
                try:
                    w.conn.send(None)
                except (BrokenPipeError, OSError):
                    pass
        for w in self.workers:
            w.proc.join(timeout=5)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(timeout=5)
            try:
                w.conn.close()
            except OSError:
                pass


class DaskPool:
    """``address``: 'tcp://host:port' of a running scheduler, 'local' (LocalCluster of processes on
    127.0.0.1) or 'local-threads' (one in-process worker with ``n`` threads)."""

    def __init__(self, address: str, n: int) -> None:
        import logging

        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if address in ("local", "local-threads"):
            import dask

            procs = address == "local"
            dask.config.set({"distributed.worker.profile.enabled": False})  # its sampling slows the runs
            self.cluster = LocalCluster(n_workers=n if procs else 1, threads_per_worker=1 if procs else n,
                                        processes=procs, protocol="tcp://", host="127.0.0.1",
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout="20s")
            except Exception as exc:  # noqa: BLE001 - unreachable, refused, malformed address
                raise ConfigError("--dask", address, f"a reachable Dask scheduler address ({exc})",
                                  kind="cannot connect") from None
        threads = sum(self.client.nthreads().values()) or 1
        self.capacity = 2 * threads  # keep every thread busy while results come back
        self.name = f"Dask {address} ({threads} thread{'s' if threads > 1 else ''})"
        self.futures: dict = {}

    def in_flight(self) -> int:
        return len(self.futures)

    def submit(self, task: dict) -> None:
        fut = self.client.submit(execute, task, key=f"czt-run-{task['run_id']}-{task['attempt']}", pure=False)
        self.futures[fut] = task

    def poll(self, timeout: float) -> list[tuple[dict, dict]]:
        from dask.distributed import wait

        if not self.futures:
            return []
        try:
            done, _ = wait(list(self.futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        out = []
        for f in done:
            task = self.futures.pop(f)
            if f.status == "finished":
                out.append((task, f.result()))
            else:
                try:
                    exc = f.exception(timeout=5)
                    msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
                except Exception as e:  # noqa: BLE001
                    msg = f"{type(e).__name__}: {e}"
                out.append((task, _failed(task, msg)))
        return out

    def close(self, kill: bool = False) -> None:
        for f in list(self.futures):
            f.cancel()
        self.futures.clear()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _provenance(spec: spec_mod.SweepSpec) -> dict[str, Any]:
    from experiments.runner import git_commit, versions

    return {"digest": spec.digest(), "code_version": code_version(), "git_commit": git_commit(),
            "versions": versions(), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "root_seed": str(spec.root_seed)}


def prepare(out: str | Path, spec_path: str | Path | None = None,
            spec: spec_mod.SweepSpec | None = None) -> Store:
    """Validate the sweep file and create (or check) the results folder; nothing runs yet."""
    store = Store(out)
    if spec_path is not None:
        spec = spec_mod.read(spec_path)
    if spec is None:
        if not store.exists():
            raise ConfigError("DIR", str(out), "a sweep results folder (made by 'python -m experiments sweep')",
                              kind="not a sweep folder")
        return store
    if store.exists():
        have = store.info()["digest"]
        if have != spec.digest():
            raise ConfigError("--out", str(out), "a new folder, or the folder of this same sweep "
                              f"(it holds sweep {store.info()['spec']['name']!r}, digest {have})",
                              kind="folder holds a different sweep")
        return store
    leftovers = {".lock", "sweep.toml", "design.parquet", "parts", ".sweep.toml.tmp"}  # a creation cut short
    if store.root.exists() and (any(p.name not in leftovers for p in store.root.iterdir())
                                or any((store.root / "parts").rglob("*.parquet"))):
        raise ConfigError("--out", str(out), "a new or empty folder, or the folder of this same sweep",
                          kind="folder not empty")
    design = plan(spec)
    store.create(spec, design, Path(spec_path) if spec_path else None, _provenance(spec))
    return store


def _open_executor(workers: int, dask: str | None, n_todo: int, timeout: float | None):
    if dask:
        return DaskPool(dask, max(1, workers))
    if workers == 0:
        return InProcess()
    return LocalPool(max(1, min(workers, n_todo)), timeout)


def run(out: str | Path, spec_path: str | Path | None = None, spec: spec_mod.SweepSpec | None = None,
        workers: int | None = None, dask: str | None = None, retries: int | None = None,
        timeout: float | None = None, progress: bool = True, executor=None, stream=None) -> dict[str, Any]:
    """Run every planned run of the sweep in ``out`` that has not finished ok. Returns counts and throughput.

    ``spec_path``/``spec`` start (or continue) a sweep; neither: resume the sweep already in ``out``.
    """
    stream = stream or sys.stderr
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 0:
        raise ConfigError("--workers", workers, "0 (in this process) or a positive number of worker processes")
    store = prepare(out, spec_path, spec)
    store.lock()
    try:
        return _run_locked(store, workers, dask, retries, timeout, progress, executor, stream)
    finally:
        store.unlock()


def _run_locked(store: Store, workers, dask, retries, timeout, progress, executor, stream) -> dict[str, Any]:
    from tqdm import tqdm

    info = store.info()
    spec = store.spec()
    if store.clean_temp():
        print("note: removed temporary files left by an interrupted write", file=stream)
    retries = spec.retries if retries is None else retries
    timeout = spec.timeout_seconds if timeout is None else timeout
    planned, now = info["code_version"], code_version()
    if planned.rpartition("+src.")[2] != now.rpartition("+src.")[2]:  # model sources differ, results may too
        print(f"warning: the model code changed since this sweep was planned ({planned} -> {now}); new runs use "
              "the current code and each run records the version it ran with", file=stream)
    elif planned != now:
        print(f"note: new commit since this sweep was planned, model sources unchanged ({now})", file=stream)
    design = store.design()
    names = [f.name for f in spec.factors]
    unique = design.drop_duplicates("run_id").sort_values("order")
    ok = store.ok_ids()
    todo = unique[~unique.run_id.isin(ok)]
    total = len(unique)
    hook = os.environ.get("CZT_SWEEP_HOOK")
    queue: deque = deque(
        {"run_id": r.run_id, "scenario": getattr(r, "scenario", spec.scenario),  # a scenarios design: per row
         "seed": int(r.seed), "until": spec.until,
         "overrides": json.loads(r.overrides), "outputs": spec.outputs, "attempt": 1, "hook": hook,
         "rep": int(r.rep), "point": int(r.point), "values": {n: _py(getattr(r, n)) for n in names}}
        for r in todo.itertuples())
    counts = {"total": total, "ok_before": len(ok), "ok": 0, "failed": 0, "retried": 0, "executed": 0}
    if not queue:
        runs, _ = store.consolidate()
        return {**counts, "pending": 0, "interrupted": False, "wall_seconds": 0.0, "runs_per_minute": None,
                "executor": None, "failed_total": int((runs.status == "failed").sum())}
    ex = executor or _open_executor(workers, dask, len(queue), timeout)
    meta = store.meta({"sweep": spec.name, "digest": info["digest"], "code_version": info["code_version"],
                       "git_commit": info.get("git_commit", ""), "root_seed": str(spec.root_seed)})
    store.log("start", executor=ex.name, todo=len(queue), total=total, pid=os.getpid())
    bar = tqdm(total=total, initial=len(ok), desc=spec.name, unit="run", file=stream, disable=not progress,
               dynamic_ncols=True, smoothing=0.1)
    bar.set_postfix(failed=0, refresh=False)
    state = {"sigints": 0}
    interrupted = False

    def on_signal(signum, frame):
        state["sigints"] += 1
        if signum == signal.SIGTERM or state["sigints"] > 1:
            raise KeyboardInterrupt
        print("\nstopping: no new runs; runs in flight finish and are kept (Ctrl-C again to stop now)",
              file=stream, flush=True)

    in_main = _is_main_thread()
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)} if in_main else {}
    t0 = time.time()

    def record(task: dict, res: dict) -> None:
        stopping = state["sigints"] > 0
        row = {"run_id": task["run_id"], "scenario": task["scenario"], "status": res["status"],
               "error": res.get("error", ""),
               "attempts": task["attempt"], "seed": task["seed"], "rep": task["rep"], "point": task["point"],
               **task["values"], "init_seconds": res.get("init_seconds"), "run_seconds": res.get("run_seconds"),
               "wall_seconds": res.get("wall_seconds"), "started_at": res.get("started_at"),
               "finished_at": time.time(), "pid": res.get("pid"), "host": res.get("host"),
               "executor": ex.name, "code_version": info["code_version"],
               "code_version_run": res.get("code_version_run", "")}
        if res["status"] == "ok":
            m = res["metrics"]
            row.update({k: m.get(k) for k in METRICS + VERDICTS})
            store.write_run(row, res["annual"], meta)
            store.log("ok", run_id=task["run_id"], attempt=task["attempt"], seconds=res.get("wall_seconds"))
            counts["ok"] += 1
            bar.update(1)
            return
        if str(res.get("error", "")).startswith("OutputsError"):
            raise ConfigError("outputs", spec.outputs, res["error"].split(": ", 1)[-1], kind="unknown output")
        if stopping:
            store.log("interrupted", run_id=task["run_id"], attempt=task["attempt"], error=res.get("error"))
            return
        if task["attempt"] <= retries:
            store.log("retry", run_id=task["run_id"], attempt=task["attempt"], error=res.get("error"))
            counts["retried"] += 1
            queue.append({**task, "attempt": task["attempt"] + 1})
            return
        row["traceback"] = res.get("traceback", "")
        store.write_run(row, None, meta)
        store.log("failed", run_id=task["run_id"], attempt=task["attempt"], error=res.get("error"))
        counts["failed"] += 1
        bar.update(1)
        bar.set_postfix(failed=counts["failed"], refresh=True)

    try:
        while True:
            while queue and state["sigints"] == 0 and ex.in_flight() < ex.capacity:
                ex.submit(queue.popleft())
            if ex.in_flight() == 0:
                break
            for task, res in ex.poll(0.5):
                counts["executed"] += 1
                record(task, res)
        ex.close()
    except KeyboardInterrupt:
        ex.close(kill=True)
        interrupted = True
    except BaseException:
        ex.close(kill=True)
        raise
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        bar.close()
    interrupted = interrupted or state["sigints"] > 0
    wall = time.time() - t0
    runs, _ = store.consolidate()
    pending = int((runs.status == "pending").sum())
    rpm = counts["executed"] / wall * 60 if wall > 0 else None
    store.log("interrupted" if interrupted else "end", executed=counts["executed"], ok=counts["ok"],
              failed=counts["failed"], wall_seconds=round(wall, 3), runs_per_minute=rpm, executor=ex.name)
    return {**counts, "pending": pending, "interrupted": interrupted, "wall_seconds": wall, "runs_per_minute": rpm,
            "executor": ex.name, "failed_total": int((runs.status == "failed").sum())}


def _is_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
