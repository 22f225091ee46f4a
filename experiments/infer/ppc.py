"""Posterior predictive check: posterior draws simulated through the record's years, set against the record.

Each draw is one run of the bank's scenario, scale and last year with the draw's parameters and its own seed (a
``SeedSequence`` child of the command's seed: the predictive spread holds both the parameters' and the seeds'). The
runs are a sweep (experiments/sweep, design "points": one point per draw, its values and its seed) run by the sweep
runner on the project's executor, so the check has the sweep's bookkeeping: every finished run is written at once
(atomically) into the sweep folder, an interrupted or crashed check resumes where it stopped, a failed run is
recorded and run again on the next call, progress is shown. The folder is named by the sweep's digest, so changed
draws, seeds, scenario, scale or years never reuse a stale run.
"""

from __future__ import annotations

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
    """One fresh seed per draw, from the command's seed (the first k of n are the k of a smaller n)."""
    return [int(s) for s in np.random.SeedSequence([seed, 2]).generate_state(n, dtype=np.uint32)]


def sweep_spec(draws: pd.DataFrame, run_seeds: list[int], scenario: str, until: int, scale: int | None,
               lo, hi, root_seed: int = 0):
    """The predictive runs as a sweep of design "points": point i is draw i (its values as :func:`param_value`
    gives them, kept inside the prior box ``lo``-``hi`` the factors span) with seed ``run_seeds[i]``; no retries (a
    failed run is reported, and run again by the next call)."""
    from experiments.sweep.spec import Factor, SweepSpec

    names = list(draws.columns)
    points = []
    for row, seed in zip(draws.itertuples(index=False), run_seeds):
        values = {n: min(max(param_value(n, v), lo_), hi_) for n, v, lo_, hi_ in zip(names, row, lo, hi)}
        points.append({"seed": int(seed), "values": values})
    return SweepSpec(name="ppc", description="posterior predictive runs: one run per posterior draw, with its own seed",
                     scenario=scenario, design="points",
                     factors=[Factor(name=n, lo=float(a), hi=float(b)) for n, a, b in zip(names, lo, hi)],
                     until=int(until), scale=scale, root_seed=root_seed, replications=1, retries=0, points=points)


def sweep_folder(folder: Path, spec) -> Path:
    """The folder of the predictive sweep ``spec`` inside ``folder`` (named by its digest)."""
    return Path(folder) / f"sweep-{spec.digest()[:8]}"


def simulate(spec, folder: Path, workers: int, stream=None, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) the predictive sweep in :func:`sweep_folder`: every run not yet finished ok. Returns counts,
    the failed runs and whether it was interrupted (Ctrl-C: runs in flight finish and are kept)."""
    import sys

    from experiments.sweep.runner import run

    stream = stream or sys.stderr
    out = sweep_folder(folder, spec)
    print(f"posterior predictive runs: {len(spec.points)} draws -> {out}", file=stream)
    r = run(out, spec=spec, workers=workers, stream=stream, progress=progress)
    runs = pd.read_parquet(out / "runs.parquet")
    failed = runs[runs.status == "failed"]
    return {"runs": int(r["total"]), "simulated_now": int(r["executed"]), "interrupted": bool(r["interrupted"]),
            "folder": str(out), "failed": [{"run_id": str(f.run_id), "error": str(f.error)} for f in failed.itertuples()]}


def read_runs(spec, folder: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The annual city tables of the sweep's ok runs (a run_id column) and each draw's run id (index: draw)."""
    from experiments.sweep.store import Store

    store = Store(sweep_folder(folder, spec))
    design = store.design()
    run_ids = design.sort_values("point").set_index("point").run_id.rename_axis("draw")
    return store.cities(design), run_ids


def scenario_changes(recorded: dict[str, Any], now: dict[str, Any], ignore) -> list[str]:
    """``name old -> new`` for every resolved parameter whose value differs between ``recorded`` (the bank's, as
    sweep/spec.json holds it) and ``now`` (a parameter only one has: ``(absent)``), except those in ``ignore`` (the
    parameters each draw sets). Values are compared as JSON holds them."""
    import json

    def norm(d):
        return json.loads(json.dumps(d, sort_keys=True, default=str))

    old, new = norm(recorded), norm(now)
    out = []
    for k in sorted(set(old) | set(new)):
        if k not in ignore and old.get(k, "(absent)") != new.get(k, "(absent)"):
            out.append(f"{k} {old.get(k, '(absent)')} -> {new.get(k, '(absent)')}")
    return out


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
