"""Sub-command ``calibrate`` of ``python -m experiments``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.errors import ConfigError


def cmd_calibrate(a: argparse.Namespace) -> int:
    from experiments.calibrate import config, pipeline, report

    from experiments.sweep.cli import check_workers

    check_workers(a.workers)
    if a.dask is not None and a.dask not in ("local", "local-threads") and "://" not in a.dask:
        raise ConfigError("--dask", a.dask, "'local', 'local-threads' or a scheduler address such as tcp://127.0.0.1:8786")
    if not Path(a.file).exists():
        raise ConfigError("FILE", a.file, "an existing calibration file (e.g. experiments/calibrations/hindcast.toml)",
                          kind="no such calibration file")
    cs = config.read(a.file)
    from experiments.io import writable_folder

    writable_folder(a.out)  # before the first run, not after the design sweep
    try:
        res = pipeline.calibrate(cs, a.out, workers=a.workers, dask=a.dask, progress=not a.no_progress,
                                 source=Path(a.file), allow_mixed_platforms=a.allow_mixed_platforms)
    except pipeline.Interrupted as exc:
        print(f"interrupted in {exc}; rerun the same command to resume", file=sys.stderr)
        return 130
    except pipeline.CalibrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.text(res))
    print(f"-> {a.out}/posterior.csv, fit.csv, accepted.parquet, calibration.json, posterior.png")
    if res["failed_runs"]:
        print(f"warning: {res['failed_runs']} runs failed for good and were left out (python -m experiments status "
              f"{a.out}/sweep)", file=sys.stderr)
        return 1
    return 0


def register(sub) -> None:
    c = sub.add_parser("calibrate", help="fit free parameters: ABC posterior and SMM estimate (resumable)",
                       description="Latin hypercube sweep over the calibration file's uniform priors, ABC rejection "
                                   "with regression adjustment, a response-surface SMM point estimate, and validation "
                                   "runs at the default and SMM values; all runs go through the sweep runner, so "
                                   "rerunning the same command into the same --out resumes.")
    c.add_argument("file", help="calibration file (TOML), e.g. experiments/calibrations/hindcast.toml")
    c.add_argument("--out", required=True, help="results folder (sweeps in sub-folders; result files at the top)")
    c.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: number of cores; 0 = in this process); with --dask local: "
                        "number of Dask workers")
    c.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run on Dask: tcp://host:port, 'local' (LocalCluster on 127.0.0.1) or 'local-threads'")
    c.add_argument("--no-progress", action="store_true", help="no progress bars")
    c.add_argument("--allow-mixed-platforms", action="store_true",
                   help="accept runs on another platform fingerprint than each stage's sweep (see "
                        "experiments/sweep/README.md): not bit-identical, only ensemble statistics agree")
    c.set_defaults(func=cmd_calibrate)
