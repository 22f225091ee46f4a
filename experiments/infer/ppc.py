"""Posterior predictive check: posterior draws simulated through the record's years, set against the record.

Each draw is one run of the bank's scenario, scale and last year with the draw's parameters and its own seed (a
``SeedSequence`` child of the command's seed: the predictive spread holds both the parameters' and the seeds'),
built as the sweep runner builds a run from a design row (``experiments.sweep.worker.execute`` on a task of the
same shape) and run on the shared executor. Every finished run is written at once to ``runs/<run id>.parquet``
(atomically), so an interrupted check resumes where it stopped; the run id is a digest of the run's scenario,
seed, year and parameters, so changed draws never reuse a stale run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.params import BY_NAME

LEVEL = 0.90


def param_value(name: str, v: float) -> float | int:
    """A draw's value as a run takes it: an integer parameter rounded, a float to 6 significant digits (stable run
    ids; far below the posterior's resolution)."""
    if BY_NAME[name].kind is int:
        return round(float(v))
    return float(f"{float(v):.6g}")


def seeds(seed: int, n: int) -> list[int]:
    """One fresh seed per draw, from the command's seed."""
    return [int(s) for s in np.random.SeedSequence([seed, 2]).generate_state(n, dtype=np.uint32)]


def tasks(draws: pd.DataFrame, run_seeds: list[int], scenario: str, until: int, scale: int | None) -> list[dict]:
    """One sweep-worker task per draw (the shape experiments.sweep.runner queues)."""
    from experiments.sweep.spec import scenario_source

    out = []
    for i, (row, seed) in enumerate(zip(draws.itertuples(index=False), run_seeds)):
        values = {n: param_value(n, v) for n, v in zip(draws.columns, row)}
        overrides = {**({"scale": scale} if scale is not None else {}), **values}
        key = json.dumps([scenario, seed, until, overrides], sort_keys=True)
        rid = hashlib.sha256(key.encode()).hexdigest()[:20]
        out.append({"run_id": rid, "scenario": scenario, "source": scenario_source(scenario), "seed": seed,
                    "until": until, "overrides": overrides, "outputs": [], "attempt": 1, "rep": 0, "point": i,
                    "values": values})
    return out


def simulate(task_list: list[dict], folder: Path, workers: int, stream=None) -> dict[str, Any]:
    """Run every task whose ``runs/<run id>.parquet`` is missing; return counts and failures."""
    import sys

    from experiments.executor import shared
    from experiments.io import write_parquet
    from experiments.sweep.runner import PRELOAD
    from experiments.sweep.worker import execute

    stream = stream or sys.stderr
    runs = folder / "runs"
    todo = [t for t in task_list if not (runs / f"{t['run_id']}.parquet").is_file()]
    failed: list[dict] = []
    if todo:
        print(f"posterior predictive runs: {len(todo)} to simulate ({len(task_list) - len(todo)} done) -> {runs}",
              file=stream)
        ex = shared(workers, preload=PRELOAD)
        jobs = []
        for t in todo:
            jobs += ex.submit(execute, [t], tags=[t["run_id"]])
        pending = {j.id for j in jobs}
        done = 0
        while pending:
            for j in ex.poll(1.0):
                if j.id not in pending:
                    continue
                pending.discard(j.id)
                res = j.value if j.failure is None else {"status": "failed", "error": j.failure.text}
                if res.get("status") == "ok":
                    annual = res["annual"].assign(run_id=res["run_id"])
                    write_parquet(annual, runs / f"{res['run_id']}.parquet")
                    done += 1
                else:
                    failed.append({"run_id": j.tag, "error": res.get("error", "")})
                if (done + len(failed)) % 10 == 0 or not pending:
                    print(f"  {done + len(failed)}/{len(todo)} runs finished", file=stream)
    return {"runs": len(task_list), "simulated_now": len(todo), "failed": failed}


def read_runs(task_list: list[dict], folder: Path) -> pd.DataFrame:
    """The annual city tables of the finished runs (a run_id column), in task order."""
    frames = [pd.read_parquet(folder / "runs" / f"{t['run_id']}.parquet") for t in task_list
              if (folder / "runs" / f"{t['run_id']}.parquet").is_file()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def table(obs: pd.DataFrame, sim: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Per moment and year: the record against the predictive sample ``sim`` (runs x moments, columns in ``obs``
    order, as experiments.calibrate.moments.simulated gives them).

    Columns: moment, year, split, observed, sd, runs, mean, median, lo, hi (the central ``level`` band),
    signed_error (predictive median - record, in the moment's unit), signed_error_sd (in sd units), record_quantile
    (the share of runs below the record, ties half: 0 or 1 means the record lies outside every run), inside."""
    s = np.asarray(sim, float)
    if s.shape[1] != len(obs):
        raise ValueError(f"{s.shape[1]} simulated moments for {len(obs)} observed")
    q = (1 - level) / 2
    o = obs.value.to_numpy()
    lo, med, hi = np.quantile(s, [q, 0.5, 1 - q], axis=0)
    below = (s < o).mean(0) + 0.5 * (s == o).mean(0)
    out = pd.DataFrame({"moment": obs.moment.to_numpy(), "year": obs.year.to_numpy(), "split": obs.split.to_numpy(),
                        "observed": o, "sd": obs.sd.to_numpy(), "runs": len(s), "mean": s.mean(0), "median": med,
                        "lo": lo, "hi": hi})
    out["signed_error"] = out["median"] - out.observed
    out["signed_error_sd"] = out.signed_error / out.sd
    out["record_quantile"] = below
    out["inside"] = (out.observed >= out.lo) & (out.observed <= out.hi)
    return out


def summary(t: pd.DataFrame) -> pd.DataFrame:
    """Per moment (over its years) and split: years, mean signed error in sd units, mean absolute error in sd
    units, the share of years with the record inside the band, and the shares above and below it."""
    g = t.groupby(["moment", "split"], sort=False)
    return pd.DataFrame({
        "years": g.size(), "first_year": g.year.min(), "last_year": g.year.max(),
        "mean_signed_error_sd": g.signed_error_sd.mean(), "mean_abs_error_sd": g.signed_error_sd.apply(lambda v: v.abs().mean()),
        "share_inside": g.inside.mean(), "share_record_above": g.apply(lambda d: (d.observed > d.hi).mean(), include_groups=False),
        "share_record_below": g.apply(lambda d: (d.observed < d.lo).mean(), include_groups=False),
    }).reset_index()
