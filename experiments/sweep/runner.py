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

Platforms (model/platform.py): before the first run, every executor says which platform fingerprints its
workers have (``platforms()``: this process, a probe of each local worker, ``client.run`` on each Dask
worker). A new folder records its sweep's platform; a resume whose workers differ from it, a Dask cluster
of mixed platforms, and any result whose ``platform_id`` differs from the sweep's are refused (one line,
exit status 2, finished runs kept, the mismatching result not recorded) unless ``allow_mixed_platforms``.
A results folder that stops being writable mid-sweep stops the sweep the same way.
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
from experiments.sweep.store import DamagedFile, Store
from experiments.sweep.metrics import METRICS, VERDICTS
from experiments.sweep.worker import execute
from model.errors import ConfigError


def _failed(task: dict, error: str) -> dict[str, Any]:
    return {"run_id": task["run_id"], "attempt": task.get("attempt", 1), "status": "failed", "error": error,
            "traceback": "", "pid": None, "host": None, "started_at": None, "wall_seconds": None}


def _group(probes: list[dict]) -> dict[str, dict[str, Any]]:
    """Worker probes grouped by platform id: {id: {"platform": record, "workers": n}}."""
    out: dict[str, dict[str, Any]] = {}
    for pr in probes:
        rec = pr["platform"]
        g = out.setdefault(rec["id"], {"platform": rec, "workers": 0})
        g["workers"] += 1
    return out


class InProcess:
    name = "in-process (sequential)"

    def __init__(self) -> None:
        self.pending: deque = deque()
        self.capacity = 1

    def platforms(self) -> dict[str, dict[str, Any]]:
        from experiments.sweep.worker import probe

        return _group([probe()])

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
        if task.get("probe"):
            from experiments.sweep.worker import probe

            conn.send(probe())
            continue
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

    def platforms(self) -> dict[str, dict[str, Any]]:
        """Ask every (idle) worker process for its platform: they inherit the forkserver's environment, which
        need not be this process's."""
        probes = []
        for w in self.workers:
            try:
                w.conn.send({"probe": True})
                if w.conn.poll(120):
                    probes.append(w.conn.recv())
            except (EOFError, OSError):
                pass  # a worker that died at start; poll() replaces it when it is given a run
        if not probes:
            from experiments.sweep.worker import probe

            probes = [probe()]
        return _group(probes)

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
        self.futures: dict = {}
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
        try:
            self.probes = self._probe(address)
        except BaseException:
            self.close()
            raise
        threads = sum(self.client.nthreads().values()) or 1
        self.capacity = 2 * threads  # keep every thread busy while results come back
        self.name = f"Dask {address} ({threads} thread{'s' if threads > 1 else ''})"

    def _probe(self, address: str) -> list[dict]:
        """Ask every worker, before any run, whether it can import the project and which platform it is on."""
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except Exception:  # noqa: BLE001 - TimeoutError (its type moved between versions)
            raise ConfigError("--dask", address, f"a scheduler with workers (none connected within "
                              f"{WORKER_WAIT_SECONDS:g} s; start them first, see experiments/sweep/README.md)",
                              kind="no Dask workers") from None
        try:
            answers = self.client.run(_remote_probe())
        except Exception as exc:  # noqa: BLE001
            raise ConfigError("--dask", address, f"workers that answer a probe ({type(exc).__name__}: {exc})",
                              kind="Dask workers do not answer") from None
        bad = {w: r for w, r in answers.items() if not r.get("ok")}
        if bad:
            w, r = sorted(bad.items())[0]
            raise ConfigError("--dask", address, f"workers that can import CZT-Sim: {len(bad)} of {len(answers)} "
                              f"cannot ({w}: {r.get('error')}; its cwd {r.get('cwd')}); start each worker with "
                              f"this repository on its path and the same virtualenv: PYTHONPATH={ROOT} "
                              f"{ROOT}/.venv/bin/dask worker {address} (experiments/sweep/README.md)",
                              kind="Dask workers cannot import the project")
        return list(answers.values())

    def platforms(self) -> dict[str, dict[str, Any]]:
        return _group(self.probes)

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
                if "deserializ" in msg.lower():  # a worker (joined after the probe) cannot import the project
                    msg = f"{WORKER_IMPORT_ERROR}: {msg}"
                out.append((task, _failed(task, msg)))
        return out

    def close(self, kill: bool = False) -> None:
        for f in list(self.futures):
            f.cancel()
        self.futures.clear()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


WORKER_WAIT_SECONDS = 60.0
WORKER_IMPORT_ERROR = "WorkerCannotImport"
ROOT = Path(__file__).resolve().parents[2]

# The Dask probe is sent by value (cloudpickle copies a function whose module is not importable), so that a
# worker which cannot import the project can still run it and say so, instead of failing to deserialize.
_PROBE_SOURCE = '''
def czt_probe():
    import os
    import sys
    try:
        from experiments.sweep.worker import probe
        return probe()
    except BaseException as exc:
        return {"ok": False, "error": (type(exc).__name__ + ": " + str(exc)).splitlines()[0][:300],
                "cwd": os.getcwd(), "python": sys.executable}
'''


def _remote_probe():
    ns: dict[str, Any] = {"__name__": "czt_dask_probe"}
    exec(compile(_PROBE_SOURCE, "<czt_dask_probe>", "exec"), ns)  # noqa: S102 - our own constant source
    return ns["czt_probe"]


def _provenance(spec: spec_mod.SweepSpec) -> dict[str, Any]:
    from experiments.runner import git_commit, versions

    return {"digest": spec.digest(), "code_version": code_version(), "git_commit": git_commit(),
            "versions": versions(), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "root_seed": str(spec.root_seed)}


def _validate(store: Store, out, spec_path, spec) -> tuple[spec_mod.SweepSpec | None, Any]:
    """Check the sweep file and the folder's state without writing anything.

    Returns (spec, design) for a new folder (planned, not yet created), (None, None) for an existing sweep.
    """
    if spec_path is not None:
        spec = spec_mod.read(spec_path)
    if spec is None:
        if not store.exists():
            raise ConfigError("DIR", str(out), "a sweep results folder (made by 'python -m experiments sweep')",
                              kind="not a sweep folder")
        return None, None
    if store.exists():
        have = store.info()["digest"]
        if have != spec.digest():
            raise ConfigError("--out", str(out), "a new folder, or the folder of this same sweep "
                              f"(it holds sweep {store.info()['spec']['name']!r}, digest {have})",
                              kind="folder holds a different sweep")
        return None, None
    leftovers = {".lock", "sweep.toml", "design.parquet", "parts", ".sweep.toml.tmp"}  # a creation cut short
    try:
        busy = store.root.exists() and (any(p.name not in leftovers for p in store.root.iterdir())
                                        or any((store.root / "parts").rglob("*.parquet")))
    except OSError:
        busy = False  # not a folder we can list: writable_folder says why
    if busy:
        raise ConfigError("--out", str(out), "a new or empty folder, or the folder of this same sweep",
                          kind="folder not empty")
    return spec, plan(spec)


def prepare(out: str | Path, spec_path: str | Path | None = None,
            spec: spec_mod.SweepSpec | None = None) -> Store:
    """Validate the sweep file and create (or check) the results folder; nothing runs yet. A new folder
    records this process's platform as the sweep's."""
    from model import platform

    store = Store(out)
    spec, design = _validate(store, out, spec_path, spec)
    if spec is not None:
        store.create(spec, design, Path(spec_path) if spec_path else None,
                     {**_provenance(spec), "platform": platform.record()})
    return store


def _open_executor(workers: int, dask: str | None, n_todo: int, timeout: float | None):
    if dask:
        return DaskPool(dask, max(1, workers))
    if workers == 0:
        return InProcess()
    return LocalPool(max(1, min(workers, n_todo)), timeout)


class _NotWritable(Exception):
    """Writing into the results folder failed (read-only, full, gone): the sweep stops, finished runs stay."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(str(exc))
        self.exc = exc


def _not_writable(store: Store, exc: OSError, n_ok: int) -> ConfigError:
    what = exc.strerror or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename else ""
    return ConfigError("DIR", str(store.root), f"a writable results folder ({what}{where}); the sweep stopped, the "
                       f"{n_ok} runs finished ok are kept: make the folder writable and run "
                       f"'python -m experiments resume {store.root}'", kind="results folder not writable")


def _mismatch(field: str, value: str, sweep: dict[str, Any] | None, other: dict[str, Any] | None,
              tail: str = "") -> ConfigError:
    from model.platform import differences

    diff = f"; differs in {differences(sweep, other)}" if sweep and other else ""
    return ConfigError(field, value, f"the sweep's platform {(sweep or {}).get('id')}{diff}{tail}: results on another "
                       "platform are not bit-identical to the sweep's; run on a machine or workers with the same "
                       "fingerprint, or pass --allow-mixed-platforms to pool them (across platforms only ensemble "
                       "statistics agree)", kind="platform mismatch")


def run(out: str | Path, spec_path: str | Path | None = None, spec: spec_mod.SweepSpec | None = None,
        workers: int | None = None, dask: str | None = None, retries: int | None = None,
        timeout: float | None = None, progress: bool = True, executor=None, stream=None,
        allow_mixed_platforms: bool = False) -> dict[str, Any]:
    """Run every planned run of the sweep in ``out`` that has not finished ok. Returns counts and throughput.

    ``spec_path``/``spec`` start (or continue) a sweep; neither: resume the sweep already in ``out``.
    Everything is checked (sweep file, design size, outputs, folder writable, workers' platforms) before the
    folder is created or any run starts.
    """
    from experiments.io import remove_empty_folders, writable_folder

    stream = stream or sys.stderr
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 0:
        raise ConfigError("--workers", workers, "0 (in this process) or a positive number of worker processes")
    store = Store(out)
    new_spec, design = _validate(store, out, spec_path, spec)
    created = writable_folder(store.root, "--out" if new_spec is not None else "DIR")
    for note in spec_mod.advice(new_spec) if new_spec is not None else ():
        print("note: " + note, file=stream)
    store.lock()
    try:
        return _run_locked(store, workers, dask, retries, timeout, progress, executor, stream,
                           new=(new_spec, design, Path(spec_path) if spec_path else None),
                           allow_mixed=allow_mixed_platforms)
    except ConfigError:
        if new_spec is not None and not store.exists():  # refused before the folder was made: leave nothing
            store.unlock()
            (store.root / ".lock").unlink(missing_ok=True)
            remove_empty_folders(created)
        raise
    finally:
        store.unlock()


def _rebuild_design(store: Store, spec: spec_mod.SweepSpec, info: dict[str, Any], stream):
    """Re-plan a damaged design.parquet from spec.json at the recorded code version, if the finished runs fit."""
    from experiments.io import write_parquet

    design = plan(spec, info["code_version"])
    done = set(store.finished().run_id)
    stray = done - set(design.run_id)
    if stray:
        raise ConfigError(str(store.root / "design.parquet"), "damaged", f"an intact design.parquet: re-planning "
                          f"from spec.json gives other run ids ({len(stray)} finished runs are not in it; the "
                          "scenario files changed since the sweep was planned); restore design.parquet from a copy",
                          kind="damaged sweep file")
    prov = {k: info[k] for k in ("digest", "code_version", "git_commit", "versions", "created", "root_seed",
                                 "platform") if k in info}
    write_parquet(design, store.root / "design.parquet", store.meta(prov))
    print(f"note: design.parquet was damaged; rebuilt from spec.json ({design.run_id.nunique()} runs, "
          f"{len(done)} already finished)", file=stream)
    return design


def _run_locked(store: Store, workers, dask, retries, timeout, progress, executor, stream, new,
                allow_mixed: bool) -> dict[str, Any]:
    """Run what is missing, holding the folder's lock: load or plan, check platforms, run and record, close."""
    new_spec, new_design, source = new
    spec, design, info, ok = _load(store, new_spec, new_design, stream)
    retries = spec.retries if retries is None else retries
    timeout = spec.timeout_seconds if timeout is None else timeout
    _note_code_change(info["code_version"], stream)
    queue = _queue(spec, design, ok)
    counts = {"total": design.run_id.nunique(), "ok_before": len(ok), "ok": 0, "failed": 0, "retried": 0,
              "executed": 0}
    if not queue:
        try:
            runs, _ = store.consolidate()
        except OSError as exc:
            raise _not_writable(store, exc, len(ok)) from None
        return {**counts, "pending": 0, "interrupted": False, "wall_seconds": 0.0, "runs_per_minute": None,
                "executor": None, "failed_total": int((runs.status == "failed").sum())}
    ex = executor or _open_executor(workers, dask, len(queue), timeout)
    try:
        plats, sweep_rec, info, mixed_logged = _check_platforms(
            ex, store, info, allow_mixed, dask, new=(spec, design, source) if new_spec is not None else None)
        _note_dask_code(ex, stream)
        meta = store.meta({"sweep": spec.name, "digest": info["digest"], "code_version": info["code_version"],
                           "git_commit": info.get("git_commit", ""), "root_seed": str(spec.root_seed),
                           "platform_id": sweep_rec["id"]})
        store.log("start", executor=ex.name, todo=len(queue), total=counts["total"], pid=os.getpid(),
                  platform_ids=sorted(plats))
    except OSError as exc:
        ex.close(kill=True)
        raise _not_writable(store, exc, len(ok)) from None
    except BaseException:
        ex.close(kill=True)
        raise
    session = _Session(store, spec, ex, queue, counts, len(ok), info["code_version"], meta, sweep_rec, plats,
                       retries, allow_mixed, mixed_logged, dask, stream)
    t0 = time.time()
    interrupted = session.drive(progress)
    return _close_session(store, session, interrupted, time.time() - t0)


def _load(store: Store, new_spec, new_design, stream):
    """(spec, design, provenance, ids finished ok): a new sweep's plan, or what the folder holds (temporary files
    of an interrupted write removed, a damaged design rebuilt)."""
    if new_spec is not None:  # planned, created once the workers' platform is known
        return new_spec, new_design, {**_provenance(new_spec), "spec": new_spec.to_dict()}, set()
    info = store.info()
    spec = store.spec()
    try:
        if store.clean_temp():
            print("note: removed temporary files left by an interrupted write", file=stream)
    except OSError as exc:
        raise _not_writable(store, exc, 0) from None
    try:
        design = store.design()
    except DamagedFile:
        design = _rebuild_design(store, spec, info, stream)
    ok = store.ok_ids()
    if store.damaged:
        print("note: " + store.damaged_note(), file=stream)
    return spec, design, info, ok


def _note_code_change(planned: str, stream) -> None:
    """Say when the code differs from the code the sweep was planned with (model sources, or only the commit)."""
    now = code_version()
    if planned.rpartition("+src.")[2] != now.rpartition("+src.")[2]:  # model sources differ, results may too
        print(f"warning: the model code changed since this sweep was planned ({planned} -> {now}); new runs use "
              "the current code and each run records the version it ran with", file=stream)
    elif planned != now:
        print(f"note: new commit since this sweep was planned, model sources unchanged ({now})", file=stream)


def _queue(spec: spec_mod.SweepSpec, design, ok: set[str]) -> deque:
    """A task for every planned run not finished ok, in execution order."""
    names = [f.name for f in spec.factors]
    unique = design.drop_duplicates("run_id").sort_values("order")
    hook = os.environ.get("CZT_SWEEP_HOOK")
    return deque(
        {"run_id": r.run_id, "scenario": getattr(r, "scenario", spec.scenario),  # a scenarios design: per row
         "seed": int(r.seed), "until": spec.until,
         "overrides": json.loads(r.overrides), "outputs": spec.outputs, "attempt": 1, "hook": hook,
         "rep": int(r.rep), "point": int(r.point), "values": {n: _py(getattr(r, n)) for n in names}}
        for r in unique[~unique.run_id.isin(ok)].itertuples())


def _check_platforms(ex, store: Store, info: dict[str, Any], allow_mixed: bool, dask, new=None):
    """Which platforms will run this, checked before the first run is sent; a new sweep's folder is created
    with its platform. Returns (platforms, the sweep's platform record, provenance, mixing logged)."""
    from model import platform as platform_mod

    plats = ex.platforms() if hasattr(ex, "platforms") else _group([{"platform": platform_mod.record()}])
    here = platform_mod.fingerprint_id()
    if new is not None:
        if len(plats) > 1 and not allow_mixed:
            ids = ", ".join(f"{k} ({v['workers']} workers)" for k, v in sorted(plats.items()))
            first, second = sorted(plats)[:2]
            raise _mismatch("workers", ids, plats[first]["platform"], plats[second]["platform"],
                            tail=" (the workers differ among themselves)")
        sweep_rec = plats[here]["platform"] if here in plats else plats[sorted(plats)[0]]["platform"]
        spec, design, source = new
        store.create(spec, design, source, {**{k: v for k, v in info.items() if k != "spec"}, "platform": sweep_rec})
        store.log("platform", platform=sweep_rec, note="the sweep's platform, recorded when the folder was made")
        info = store.info()
    else:
        sweep_rec = store.platform()
        if sweep_rec is None:  # planned before platforms were recorded: this session's becomes the sweep's
            sweep_rec = plats[here]["platform"] if here in plats else plats[sorted(plats)[0]]["platform"]
            store.log("platform", platform=sweep_rec, note="folder planned before platform fingerprints; "
                      "the first resume's platform is the sweep's from now on")
    others = sorted(set(plats) - {sweep_rec["id"]})
    if others and not allow_mixed:
        raise _mismatch("platform", others[0], sweep_rec, plats[others[0]]["platform"],
                        tail=f" (this {'Dask cluster' if dask else 'machine'}: {', '.join(others)})")
    if others:
        store.log("platforms", mixed_platforms_allowed=True, sweep_platform_id=sweep_rec["id"],
                  platform_ids=sorted(plats))
    return plats, sweep_rec, info, bool(others)


def _note_dask_code(ex, stream) -> None:
    """Dask: say if workers import another version of the project than this process."""
    if hasattr(ex, "probes"):
        now = code_version()
        vers = sorted({p.get("code_version") for p in ex.probes} - {now})
        if vers:
            print(f"warning: Dask workers run code version {', '.join(map(str, vers))} (this process: {now}); "
                  "each run records the version it ran with", file=stream)


class _Session:
    """One session of runs: sends the queue to the executor, records each result as it comes (ok, retry, failed
    for good, refused from another platform), and stops cleanly on Ctrl-C, SIGTERM or a refusal."""

    def __init__(self, store: Store, spec: spec_mod.SweepSpec, ex, queue: deque, counts: dict[str, int],
                 n_ok_before: int, code: str, meta: dict[str, str], sweep_rec: dict[str, Any], plats: dict,
                 retries: int, allow_mixed: bool, mixed_logged: bool, dask, stream) -> None:
        self.store, self.spec, self.ex, self.queue, self.counts = store, spec, ex, queue, counts
        self.n_ok_before, self.code, self.meta, self.sweep_rec, self.plats = n_ok_before, code, meta, sweep_rec, plats
        self.retries, self.allow_mixed, self.mixed_logged, self.dask, self.stream = (retries, allow_mixed,
                                                                                     mixed_logged, dask, stream)
        self.sigints = 0
        self.refusal: ConfigError | None = None
        self.seen: set[str] = set()  # platform ids of the results recorded
        self.bar = None

    def drive(self, progress: bool) -> bool:
        """Run the queue to its end (or a stop); True if interrupted. Writing failures raise ConfigError."""
        from tqdm import tqdm

        self.bar = tqdm(total=self.counts["total"], initial=self.n_ok_before, desc=self.spec.name, unit="run",
                        file=self.stream, disable=not progress, dynamic_ncols=True, smoothing=0.1)
        self.bar.set_postfix(failed=0, refresh=False)
        old = {s: signal.signal(s, self.on_signal) for s in (signal.SIGINT, signal.SIGTERM)} if _is_main_thread() else {}
        interrupted = False
        try:
            self._loop()
            self.ex.close()
        except KeyboardInterrupt:
            self.ex.close(kill=True)
            interrupted = True
        except _NotWritable as exc:
            self.ex.close(kill=True)
            _restore(old)
            self.bar.close()
            raise _not_writable(self.store, exc.exc, self.counts["ok"] + self.n_ok_before) from None
        except BaseException:
            self.ex.close(kill=True)
            raise
        finally:
            _restore(old)
            self.bar.close()
        return interrupted or self.sigints > 0

    def _loop(self) -> None:
        ex = self.ex
        while True:
            while self.queue and self.sigints == 0 and self.refusal is None and ex.in_flight() < ex.capacity:
                ex.submit(self.queue.popleft())
            if ex.in_flight() == 0:
                break
            for task, res in ex.poll(0.5):
                self.counts["executed"] += 1
                self.record(task, res)

    def on_signal(self, signum, frame) -> None:
        self.sigints += 1
        if signum == signal.SIGTERM or self.sigints > 1:
            raise KeyboardInterrupt
        print("\nstopping: no new runs; runs in flight finish and are kept (Ctrl-C again to stop now)",
              file=self.stream, flush=True)

    @staticmethod
    def write(fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except OSError as exc:
            raise _NotWritable(exc) from None

    def refuse(self, task: dict, res: dict, err: ConfigError) -> None:
        """Stop the sweep: no new runs; runs in flight finish (matching ones are kept); then the error."""
        if self.refusal is None:
            self.refusal = err
        self.write(self.store.log, "refused", run_id=task["run_id"], attempt=task["attempt"], error=str(err),
                   platform_id=res.get("platform_id"), host=res.get("host"))

    def _platform_refusal(self, task: dict, res: dict) -> ConfigError | None:
        """A result from another platform (refused unless mixing is allowed, then logged once), or from a Dask
        worker that cannot import the project: the error that stops the sweep, else None."""
        pid_ = res.get("platform_id")
        if "platform_id" in res or res["status"] == "ok":  # a dead worker's or a timeout's result has none
            if pid_ != self.sweep_rec["id"]:
                if not self.allow_mixed:
                    host = f" on {res.get('host')} (pid {res.get('pid')})" if res.get("host") else ""
                    return _mismatch(f"run {task['run_id']}{host}", str(pid_), self.sweep_rec, None,
                                     tail=f"; the result was not recorded, the {self.counts['ok'] + self.n_ok_before}"
                                          " runs finished ok are kept")
                if not self.mixed_logged:
                    self.write(self.store.log, "platforms", mixed_platforms_allowed=True,
                               sweep_platform_id=self.sweep_rec["id"], platform_ids=sorted(set(self.plats) | {str(pid_)}))
                    self.mixed_logged = True
            self.seen.add(str(pid_))
        if str(res.get("error", "")).startswith(WORKER_IMPORT_ERROR):
            return ConfigError("--dask", str(self.dask), "workers that can import CZT-Sim (a worker that joined after "
                               f"the start cannot: {res['error'].split(': ', 1)[-1][:200]}); start each worker with "
                               f"PYTHONPATH={ROOT} and the same virtualenv (experiments/sweep/README.md), then resume",
                               kind="Dask workers cannot import the project")
        return None

    def record(self, task: dict, res: dict) -> None:
        """Record one result: ok, a retry at the end of the queue, failed for good, interrupted, or refused."""
        stopping = self.sigints > 0
        err = self._platform_refusal(task, res)
        if err is not None:
            return self.refuse(task, res, err)
        row = {"run_id": task["run_id"], "scenario": task["scenario"], "status": res["status"],
               "error": res.get("error", ""),
               "attempts": task["attempt"], "seed": task["seed"], "rep": task["rep"], "point": task["point"],
               **task["values"], "init_seconds": res.get("init_seconds"), "run_seconds": res.get("run_seconds"),
               "wall_seconds": res.get("wall_seconds"), "started_at": res.get("started_at"),
               "finished_at": time.time(), "pid": res.get("pid"), "host": res.get("host"),
               "executor": self.ex.name, "code_version": self.code,
               "code_version_run": res.get("code_version_run", ""), "platform_id": res.get("platform_id") or ""}
        if res["status"] == "ok":
            m = res["metrics"]
            row.update({k: m.get(k) for k in METRICS + VERDICTS})
            self.write(self.store.write_run, row, res["annual"], self.meta)
            self.write(self.store.log, "ok", run_id=task["run_id"], attempt=task["attempt"],
                       seconds=res.get("wall_seconds"), platform_id=res.get("platform_id"))
            self.counts["ok"] += 1
            self.bar.update(1)
            return
        if str(res.get("error", "")).startswith("OutputsError"):
            raise ConfigError("outputs", self.spec.outputs, res["error"].split(": ", 1)[-1], kind="unknown output")
        if stopping or self.refusal is not None:
            self.write(self.store.log, "interrupted", run_id=task["run_id"], attempt=task["attempt"],
                       error=res.get("error"))
            return
        if task["attempt"] <= self.retries:
            self.write(self.store.log, "retry", run_id=task["run_id"], attempt=task["attempt"], error=res.get("error"))
            self.counts["retried"] += 1
            self.queue.append({**task, "attempt": task["attempt"] + 1})
            return
        row["traceback"] = res.get("traceback", "")
        self.write(self.store.write_run, row, None, self.meta)
        self.write(self.store.log, "failed", run_id=task["run_id"], attempt=task["attempt"], error=res.get("error"))
        self.counts["failed"] += 1
        self.bar.update(1)
        self.bar.set_postfix(failed=self.counts["failed"], refresh=True)


def _close_session(store: Store, session: _Session, interrupted: bool, wall: float) -> dict[str, Any]:
    """Consolidate the tables, log how the session ended, raise a refusal; the counts and throughput."""
    counts, ex = session.counts, session.ex
    try:
        runs, _ = store.consolidate()
        pending = int((runs.status == "pending").sum())
        rpm = counts["executed"] / wall * 60 if wall > 0 else None
        event = "refused" if session.refusal is not None else "interrupted" if interrupted else "end"
        store.log(event, executed=counts["executed"], ok=counts["ok"], failed=counts["failed"],
                  wall_seconds=round(wall, 3), runs_per_minute=rpm, executor=ex.name, platform_ids=sorted(session.seen))
    except OSError as exc:
        raise _not_writable(store, exc, counts["ok"] + session.n_ok_before) from None
    if session.refusal is not None:
        raise session.refusal
    return {**counts, "pending": pending, "interrupted": interrupted, "wall_seconds": wall, "runs_per_minute": rpm,
            "executor": ex.name, "failed_total": int((runs.status == "failed").sum())}


def _restore(old: dict) -> None:
    for s, h in old.items():
        signal.signal(s, h)
    old.clear()


def _is_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
