"""Run the missing runs of a sweep on an executor, record each as it finishes, retry failures.

Runs go through the project's executor layer (experiments/executor): in this process (``--workers 0``;
debugging, reference results), N warm local processes, or Dask (a scheduler address or a LocalCluster on
loopback), ``batch`` runs per task. A worker that dies (killed, out of memory) or a run over the timeout is a
failed attempt (``WorkerDied``, ``Timeout``), retried at the end of the queue; the executor replaces the worker.

Only this coordinating process writes to the results folder. Ctrl-C once: no new runs start, runs waiting in a
worker are withdrawn, runs in flight finish and are recorded; Ctrl-C again (or SIGTERM): stop now. Either way
``resume`` runs only what is missing or failed.

Platforms (model/platform.py): before the first run, every executor says which platform fingerprints its
workers have (``platforms()``: this process, a probe of each local worker, ``client.run`` on each Dask
worker). A new folder records its sweep's platform; a resume whose workers differ from it, a Dask cluster
of mixed platforms, and any result whose ``platform_id`` differs from the sweep's are refused (one line,
exit status 2, finished runs kept, the mismatching result not recorded) unless ``allow_mixed_platforms``.
A results folder that stops being writable mid-sweep stops the sweep the same way.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from experiments.executor import CANNOT_IMPORT, WITHDRAWN, Executor, open_executor
from experiments.executor.errors import install_hint
from experiments.sweep import spec as spec_mod
from experiments.sweep.design import code_version, plan, scenario_params
from experiments.sweep.store import DamagedFile, Store
from experiments.sweep.metrics import METRICS, VERDICTS
from experiments.sweep.worker import execute
from model.errors import ConfigError


def _failed(task: dict, error: str) -> dict[str, Any]:
    """The result of a run whose job failed in the executor (its worker died, a timeout, a cancelled job)."""
    return {"run_id": task["run_id"], "attempt": task.get("attempt", 1), "status": "failed", "error": error,
            "traceback": "", "pid": None, "host": None, "started_at": None, "wall_seconds": None}


WORKER_IMPORT_ERROR = CANNOT_IMPORT
PRELOAD = ("model", "experiments.sweep.worker", "experiments.runner")  # what every sweep worker imports once
BATCH = 1  # runs per task by default: measured on 2 cores (calib40, 3 s runs), 4 per task was no faster on local
# processes (each already holds its next run) nor on a LocalCluster; larger batches pay off where a round trip is
# long against a run (a remote scheduler, tiny runs): --batch


def _provenance(spec: spec_mod.SweepSpec) -> dict[str, Any]:
    from experiments.runner import git_commit, versions

    return {"digest": spec.digest(), "code_version": code_version(), "git_commit": git_commit(),
            "versions": versions(), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "root_seed": str(spec.root_seed), "scenario_params": scenario_params(spec)}


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
    with spec_mod.sweep_home(Path(spec_path).parent if spec_path is not None else Path(out)):
        spec, design = _validate(store, out, spec_path, spec)
    if spec is not None:
        store.create(spec, design, Path(spec_path) if spec_path else None,
                     {**_provenance(spec), "platform": platform.record()})
    return store


def _open_executor(workers: int, dask: str | None, n_todo: int, timeout: float | None) -> Executor:
    return open_executor(workers if dask or workers == 0 else max(1, min(workers, n_todo)), dask, timeout, PRELOAD)


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
        timeout: float | None = None, progress: bool = True, executor: Executor | None = None, stream=None,
        allow_mixed_platforms: bool = False, batch: int | None = None) -> dict[str, Any]:
    # scenario files named by a relative path: beside the sweep file, or inside the results folder on a resume
    with spec_mod.sweep_home(Path(spec_path).parent if spec_path is not None else Path(out)):
        return _run(out, spec_path, spec, workers, dask, retries, timeout, progress, executor, stream,
                    allow_mixed_platforms, batch)


def _run(out: str | Path, spec_path: str | Path | None = None, spec: spec_mod.SweepSpec | None = None,
         workers: int | None = None, dask: str | None = None, retries: int | None = None,
         timeout: float | None = None, progress: bool = True, executor: Executor | None = None, stream=None,
         allow_mixed_platforms: bool = False, batch: int | None = None) -> dict[str, Any]:
    """Run every planned run of the sweep in ``out`` that has not finished ok. Returns counts and throughput.

    ``spec_path``/``spec`` start (or continue) a sweep; neither: resume the sweep already in ``out``.
    Everything is checked (sweep file, design size, outputs, folder writable, workers' platforms) before the
    folder is created or any run starts. ``executor``: one the caller owns and keeps (its workers stay warm for
    the caller's next sweep; it is not closed here); else one is opened from ``workers``/``dask``/``timeout`` and
    closed at the end. ``batch``: runs per task (default BATCH).
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
                           allow_mixed=allow_mixed_platforms, batch=batch)
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
                allow_mixed: bool, batch: int | None) -> dict[str, Any]:
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
    own = executor is None
    ex = executor or _open_executor(workers, dask, len(queue), timeout)
    batch = batch or BATCH
    try:
        plats, sweep_rec, info, mixed_logged = _check_platforms(
            ex, store, info, allow_mixed, dask, new=(spec, design, source) if new_spec is not None else None)
        _note_dask_code(ex, dask, stream)
        meta = store.meta({"sweep": spec.name, "digest": info["digest"], "code_version": info["code_version"],
                           "git_commit": info.get("git_commit", ""), "root_seed": str(spec.root_seed),
                           "platform_id": sweep_rec["id"]})
        store.log("start", executor=ex.name, todo=len(queue), total=counts["total"], pid=os.getpid(),
                  platform_ids=sorted(plats))
    except OSError as exc:
        _stop(ex, own)
        raise _not_writable(store, exc, len(ok)) from None
    except BaseException:
        _stop(ex, own)
        raise
    session = _Session(store, spec, ex, queue, counts, len(ok), info["code_version"], meta, sweep_rec, plats,
                       retries, allow_mixed, mixed_logged, dask, stream, own, batch, timeout)
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
         "source": spec_mod.scenario_source(getattr(r, "scenario", spec.scenario)),  # the file a worker loads
         "seed": int(r.seed), "until": spec.until,
         "overrides": json.loads(r.overrides), "outputs": spec.outputs, "attempt": 1, "hook": hook,
         "rep": int(r.rep), "point": int(r.point), "values": {n: _py(getattr(r, n)) for n in names}}
        for r in unique[~unique.run_id.isin(ok)].itertuples())


def _check_platforms(ex, store: Store, info: dict[str, Any], allow_mixed: bool, dask, new=None):
    """Which platforms will run this, checked before the first run is sent; a new sweep's folder is created
    with its platform. Returns (platforms, the sweep's platform record, provenance, mixing logged)."""
    from model import platform as platform_mod

    plats = ex.platforms()
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


def _note_dask_code(ex: Executor, dask, stream) -> None:
    """Dask: say if workers import another version of the project than this process."""
    if dask:
        now = code_version()
        vers = sorted({p.get("code_version") for p in ex.probes()} - {now})
        if vers:
            print(f"warning: Dask workers run code version {', '.join(map(str, vers))} (this process: {now}); "
                  "each run records the version it ran with", file=stream)


class _Session:
    """One session of runs: sends the queue to the executor, records each result as it comes (ok, retry, failed
    for good, refused from another platform), and stops cleanly on Ctrl-C, SIGTERM or a refusal."""

    def __init__(self, store: Store, spec: spec_mod.SweepSpec, ex, queue: deque, counts: dict[str, int],
                 n_ok_before: int, code: str, meta: dict[str, str], sweep_rec: dict[str, Any], plats: dict,
                 retries: int, allow_mixed: bool, mixed_logged: bool, dask, stream, own: bool = True,
                 batch: int = 1, timeout: float | None = None) -> None:
        self.store, self.spec, self.ex, self.queue, self.counts = store, spec, ex, queue, counts
        self.n_ok_before, self.code, self.meta, self.sweep_rec, self.plats = n_ok_before, code, meta, sweep_rec, plats
        self.retries, self.allow_mixed, self.mixed_logged, self.dask, self.stream = (retries, allow_mixed,
                                                                                     mixed_logged, dask, stream)
        self.own, self.batch = own, max(1, batch)  # whether this session closes the executor; runs per task
        self.timeout = timeout  # seconds a run may take, given with every run (a caller's executor has its own)
        self.sigints = 0
        self.withdrawn = False  # runs sent ahead withdrawn once stopping
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
            if self.own:
                self.ex.close()
        except KeyboardInterrupt:
            _stop(self.ex, self.own)
            interrupted = True
        except _NotWritable as exc:
            _stop(self.ex, self.own)
            _restore(old)
            self.bar.close()
            raise _not_writable(self.store, exc.exc, self.counts["ok"] + self.n_ok_before) from None
        except BaseException:
            _stop(self.ex, self.own)
            raise
        finally:
            _restore(old)
            self.bar.close()
        return interrupted or self.sigints > 0

    def _loop(self) -> None:
        ex = self.ex
        while True:
            stopping = self.sigints > 0 or self.refusal is not None
            if stopping and not self.withdrawn:  # here, not in the signal handler: the executor is not mid-update
                ex.withdraw()  # runs waiting in a worker do not start; running ones finish and are kept
                self.withdrawn = True
                if self.sigints:  # said once the withdrawal is on its way: from now on no waiting run starts
                    print("\nstopping: no new runs; runs in flight finish and are kept (Ctrl-C again to stop now)",
                          file=self.stream, flush=True)
            while self.queue and not stopping and ex.in_flight() < ex.capacity:
                tasks = [self.queue.popleft() for _ in range(min(self.batch, len(self.queue)))]
                ex.submit(execute, tasks, tags=tasks, timeout=self.timeout)
            if ex.in_flight() == 0:
                break
            for job in ex.poll(0.5):
                task = job.tag
                if job.failure is not None and job.failure.reason == WITHDRAWN:
                    continue  # never started: still pending, resume runs it
                self.counts["executed"] += 1
                self.record(task, job.value if job.failure is None else _failed(task, str(job.failure)))

    def on_signal(self, signum, frame) -> None:
        self.sigints += 1
        if signum == signal.SIGTERM or self.sigints > 1:
            raise KeyboardInterrupt
        # the rest happens in _loop (withdraw, then this note): a handler may run while the executor is mid-update

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
                               f"the start cannot: {res['error'].split(': ', 1)[-1][:200]}); {install_hint()}, then "
                               "resume", kind="Dask workers cannot import the project")
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


def _stop(ex: Executor, own: bool) -> None:
    """Stop what runs now: close an executor this sweep opened; cancel this sweep's jobs on a caller's."""
    if own:
        ex.close(kill=True)
    else:
        ex.cancel()


def _restore(old: dict) -> None:
    for s, h in old.items():
        signal.signal(s, h)
    old.clear()


def _is_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
