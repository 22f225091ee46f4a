"""Sub-commands ``sweep``, ``status``, ``resume`` and ``analyze`` of ``python -m experiments``."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from model.errors import ConfigError


def _summary_line(r: dict, out: str) -> str:
    unit = "attempts/min" if r["retried"] or r["failed"] else "runs/min"
    rate = f"{r['runs_per_minute']:.1f} {unit}" if r.get("runs_per_minute") else "-"
    head = "interrupted" if r["interrupted"] else "done"
    return (f"{head}: {r['ok_before'] + r['ok']}/{r['total']} ok, {r['failed_total']} failed, {r['pending']} pending; "
            f"this time {r['executed']} attempts ({r['retried']} retried) in {r['wall_seconds']:.1f} s, {rate}"
            f"{' on ' + r['executor'] if r.get('executor') else ''} -> {out}")


def _finish(r: dict, a: argparse.Namespace, resume_hint: bool = True) -> int:
    print(_summary_line(r, a.out))
    if r["interrupted"]:
        print(f"resume with: python -m experiments resume {a.out}", file=sys.stderr)
        return 130
    return 1 if r["failed_total"] else 0


MAX_BATCH = 1000


def max_workers() -> int:
    """Most worker processes a command starts on this machine (4 per core: more only thrash)."""
    import os

    return 4 * (os.cpu_count() or 1)


def check_workers(workers: int | None, lo: int = 0) -> None:
    if workers is not None and not lo <= workers <= max_workers():
        raise ConfigError("--workers", workers, f"{'0 (in this process) or ' if lo == 0 else ''}a number of worker "
                          f"processes up to {max_workers()} (4 per core of this machine)")


def _check(a: argparse.Namespace) -> None:
    check_workers(a.workers)
    if a.retries is not None and not 0 <= a.retries <= 100:
        raise ConfigError("--retries", a.retries, "an integer from 0 to 100 (as retries in a sweep file)")
    if a.dask is not None and a.dask not in ("local", "local-threads") and "://" not in a.dask:
        raise ConfigError("--dask", a.dask, "'local', 'local-threads' or a scheduler address such as tcp://127.0.0.1:8786")
    if a.timeout is not None and not (math.isfinite(a.timeout) and a.timeout > 0):
        raise ConfigError("--timeout", a.timeout, "a positive, finite number of seconds (e.g. 900)")
    if a.batch is not None and not 1 <= a.batch <= MAX_BATCH:
        raise ConfigError("--batch", a.batch, f"an integer from 1 to {MAX_BATCH} (runs per task)")


def cmd_sweep(a: argparse.Namespace) -> int:
    from experiments.sweep.runner import run

    _check(a)
    if not Path(a.file).exists():
        raise ConfigError("FILE", a.file, "an existing sweep file (e.g. experiments/sweeps/smoke.toml)",
                          kind="no such sweep file")
    r = run(a.out, spec_path=a.file, workers=a.workers, dask=a.dask, retries=a.retries, timeout=a.timeout,
            progress=not a.no_progress, allow_mixed_platforms=a.allow_mixed_platforms, batch=a.batch)
    return _finish(r, a)


def cmd_resume(a: argparse.Namespace) -> int:
    from experiments.sweep.runner import run

    _check(a)
    a.out = a.dir
    r = run(a.dir, workers=a.workers, dask=a.dask, retries=a.retries, timeout=a.timeout, progress=not a.no_progress,
            allow_mixed_platforms=a.allow_mixed_platforms, batch=a.batch)
    if r["executed"] == 0 and not r["interrupted"]:
        print(f"nothing to do: {r['ok_before']}/{r['total']} runs ok, {r['failed_total']} failed -> {a.dir}")
        return 0
    return _finish(r, a)


def cmd_status(a: argparse.Namespace) -> int:
    from experiments.sweep.status import status

    print(status(a.dir))
    return 0


def cmd_analyze(a: argparse.Namespace) -> int:
    from experiments.sweep.analyze import analyze_dir

    res = analyze_dir(a.dir, metrics=a.metric or None, conf_level=a.conf, resamples=a.resamples, stream=sys.stderr)
    print(res["text"])
    print(f"-> {res['csv']}\n-> {res['png']}")
    return 0


def _exec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: number of cores; 0 = run in this process); with --dask local: "
                        "number of Dask workers")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run on Dask: tcp://host:port of a running scheduler, 'local' (LocalCluster of processes on "
                        "127.0.0.1) or 'local-threads'")
    p.add_argument("--retries", type=int, default=None, help="retries of a failed run (default from the sweep file)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds a run may take before its worker is killed (default from the sweep file)")
    p.add_argument("--batch", type=int, default=None, metavar="N",
                   help="runs sent to a worker as one task (default 1: local workers already hold their next run; "
                        "more pays off where a round trip is long against a run, e.g. a remote Dask scheduler)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--allow-mixed-platforms", action="store_true",
                   help="accept runs on a platform fingerprint other than the sweep's (model/platform.py): their "
                        "results are not bit-identical, only ensemble statistics agree; recorded in the manifest")


def register(sub) -> None:
    s = sub.add_parser("sweep", help="run a parameter sweep (crash-safe, resumable)",
                       description="Plan the runs of a sweep file (design x replications), give each a content-hash "
                                   "id, and run those not already finished in --out. Each run's results are written "
                                   "atomically as they finish; Ctrl-C stops cleanly and 'resume' continues.")
    s.add_argument("file", help="sweep file (TOML), e.g. experiments/sweeps/smoke.toml")
    s.add_argument("--out", required=True, help="results folder (created; re-using it runs only what is missing)")
    _exec_args(s)
    s.set_defaults(func=cmd_sweep)
    r = sub.add_parser("resume", help="run what is missing or failed in a sweep folder")
    r.add_argument("dir", help="sweep results folder")
    _exec_args(r)
    r.set_defaults(func=cmd_resume)
    st = sub.add_parser("status", help="progress, failures and throughput of a sweep folder")
    st.add_argument("dir", help="sweep results folder")
    st.set_defaults(func=cmd_status)
    an = sub.add_parser("analyze", help="sensitivity indices (Sobol, Morris, ...) of a sweep, CSV table and PNG plot")
    an.add_argument("dir", help="sweep results folder")
    an.add_argument("--metric", action="append", default=[],
                    help="run-level metric to analyse, repeatable (default: the sweep file's metrics or a standard set)")
    an.add_argument("--conf", type=float, default=0.95, help="confidence level of the intervals (default 0.95)")
    an.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples for the intervals (10 to 100,000)")
    an.set_defaults(func=cmd_analyze)
