"""``python -m experiments bench --calibration``: calibration-grade throughput, hindcast runs per hour.

The runs are those of the shipped calibration's design stage (experiments/calibrations/hindcast.toml): a Latin
hypercube over its priors with common random numbers, the hindcast from 2010 through 2019 at the calibration's
scale, on ``--workers`` local processes, through ``python -m experiments sweep`` exactly as a user runs it. Beside
it, in the same sitting and on the same machine, the same sweep runs on the code of an earlier commit (``--vs``,
by default the last landing before the one-executor work), unpacked from git into a temporary folder and run with
this virtualenv's libraries; each side first runs one short warm-up run so that numba's compilation is not timed.
Then every run's annual table is compared between the two sides, design point by design point and seed by seed:
faster must not mean different.

Printed: runs, wall seconds, runs per minute and per hour on each side, the ratio, and how many runs have the same
bytes. ``--json FILE`` also writes the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from model.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT / "experiments" / "calibrations" / "hindcast.toml"
REFERENCE_COMMIT = "1eb9804"  # the last landing before issue 24 (one executor, the start cache)
UNTIL = 2019


def sweep_text(runs: int, replications: int) -> str:
    """The calibration's design stage as a sweep file, ``runs`` runs in all (points x replications)."""
    from experiments.calibrate.config import read

    cs = read(CALIBRATION)
    points = max(1, runs // replications)
    lines = [f'name = "bench-{cs.name}"', 'description = "calibration throughput benchmark"',
             f'scenario = "{cs.scenario}"', 'design = "lhs"', f"samples = {points}", f"replications = {replications}",
             f"until = {UNTIL}", f"scale = {cs.scale}", f"root_seed = {cs.root_seed}", 'seeds = "common"', "",
             "[params]"]
    lines += [f"{p.name} = {{ min = {p.lo!r}, max = {p.hi!r} }}" for p in cs.priors]
    return "\n".join(lines) + "\n"


def _warm_up(cwd: Path, env: dict[str, str]) -> None:
    """One short hindcast run, so that the kernels are compiled (and cached) before anything is timed."""
    code = "from model import CZTModel; CZTModel('hindcast-2010', seed=1, overrides={'scale': 2000}).run_until(2010)"
    subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True, capture_output=True, timeout=900)


def time_sweep(cwd: Path, env: dict[str, str], spec: Path, out: Path, workers: int) -> dict:
    _warm_up(cwd, env)
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "experiments", "sweep", str(spec), "--out", str(out), "--workers",
                          str(workers)], cwd=cwd, env=env, capture_output=True, text=True, timeout=24 * 3600)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        last = (res.stderr.strip() or res.stdout.strip() or str(res.returncode)).splitlines()[-1]
        raise RuntimeError(f"the sweep in {cwd} failed: {last}")
    n = len(pd.read_parquet(out / "runs.parquet").query("status == 'ok'"))
    return {"runs": n, "wall_s": wall, "runs_per_min": 60 * n / wall, "runs_per_hour": 3600 * n / wall}


def _tables(folder: Path) -> dict[tuple, pd.DataFrame]:
    """Each ok run's annual table, keyed by (design point, replication)."""
    design = pd.read_parquet(folder / "design.parquet")[["run_id", "point", "rep"]]
    runs = pd.read_parquet(folder / "runs.parquet")
    ok = set(runs.loc[runs.status == "ok", "run_id"])
    cities = pd.read_parquet(folder / "cities.parquet")
    out = {}
    for r in design.itertuples():
        if r.run_id in ok:
            t = cities[cities.run_id == r.run_id].drop(columns="run_id")
            out[(int(r.point), int(r.rep))] = t.sort_values(["year", "city"]).reset_index(drop=True)
    return out


def same_runs(a: Path, b: Path) -> tuple[int, int]:
    """(runs with identical annual tables, runs present on both sides)."""
    ta, tb = _tables(a), _tables(b)
    common = sorted(set(ta) & set(tb))
    return sum(ta[k].equals(tb[k]) for k in common), len(common)


def _unpack(ref: str, dest: Path) -> None:
    """The code of commit ``ref`` in ``dest`` (git archive: no worktree bookkeeping is left behind)."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref], capture_output=True,
                                 check=True, timeout=300).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ConfigError("--vs", ref, f"a commit of this repository's history ({exc})") from None
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True, timeout=300)


def cmd(runs: int, workers: int, vs: str | None, json_out: str | None, replications: int = 2) -> int:
    if runs < 2 or workers < 1:
        raise ConfigError("--runs" if runs < 2 else "--workers", runs if runs < 2 else workers, "at least 2 runs and 1 worker")
    tmp = Path(tempfile.mkdtemp(prefix="czt-bench-calibration."))
    try:
        spec = tmp / "bench.toml"
        spec.write_text(sweep_text(runs, replications), encoding="utf-8")
        load = os.getloadavg()[0]
        print(f"calibration throughput: {runs} hindcast runs 2010-{UNTIL} at the calibration's scale "
              f"({CALIBRATION.relative_to(ROOT)}), {workers} local processes; load average {load:.1f} at the start")
        env = dict(os.environ)
        rows = {}
        if vs:
            ref_root = tmp / "reference"
            _unpack(vs, ref_root)
            ref_env = {**env, "PYTHONPATH": str(ref_root)}  # the old tree was not a package
            rows[f"commit {vs}"] = time_sweep(ref_root, ref_env, spec, tmp / "old", workers)
        rows["this code"] = time_sweep(ROOT, env, spec, tmp / "new", workers)
        print(f"{'':>18} {'runs':>6} {'wall s':>8} {'runs/min':>9} {'runs/hour':>10}")
        for name, r in rows.items():
            print(f"{name:>18} {r['runs']:>6} {r['wall_s']:>8.1f} {r['runs_per_min']:>9.1f} {r['runs_per_hour']:>10.0f}")
        result = {"runs": runs, "workers": workers, "until": UNTIL, "load_at_start": load, "sides": rows}
        if vs:
            same, both = same_runs(tmp / "old", tmp / "new")
            ratio = rows["this code"]["runs_per_hour"] / rows[f"commit {vs}"]["runs_per_hour"]
            print(f"speed-up {ratio:.2f}x; runs with the same annual table on both sides: {same} of {both}")
            result.update(speedup=ratio, same_bytes=same, compared=both)
        if json_out:
            from experiments.io import write_json

            write_json(result, Path(json_out))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
