"""The calibration run: LHS sweep -> moments -> ABC posterior and SMM estimate -> validation sweeps -> files.

Every simulation goes through the sweep runner (experiments.sweep.runner.run), so each stage is resumable,
parallel on local processes and Dask-capable; rerunning the same command into the same folder reruns nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from experiments.calibrate import abc as abc_mod
from experiments.calibrate import moments as mom
from experiments.calibrate import smm as smm_mod
from experiments.calibrate.config import CalibSpec, load_provider
from experiments.sweep.spec import Factor, SweepSpec
from model.params import BY_NAME


class CalibrationError(RuntimeError):
    """The runs finished but cannot support an estimate (e.g. too many failed)."""


class Interrupted(RuntimeError):
    """A sweep stage was interrupted; rerunning the command resumes it."""


def validation_seed(root_seed: int) -> int:
    """Root seed of the validation runs: a SeedSequence child of the calibration's, so validation seeds are
    fresh (not the seeds the design was fitted on) and shared by the default and the SMM point."""
    return int(np.random.SeedSequence(root_seed).spawn(2)[1].generate_state(1, dtype=np.uint32)[0])


def design_spec(cs: CalibSpec) -> SweepSpec:
    """Latin hypercube over the uniform priors, common random numbers across points."""
    return SweepSpec(name=f"{cs.name}-design", description=f"calibration design of {cs.name}", scenario=cs.scenario,
                     design="lhs", factors=[Factor(name=p.name, lo=p.lo, hi=p.hi) for p in cs.priors],
                     replications=cs.replications, until=cs.until, scale=cs.scale, root_seed=cs.root_seed,
                     samples=cs.samples, seeds="common")


def point_spec(cs: CalibSpec, values: dict[str, Any], label: str) -> SweepSpec:
    """A one-point factorial: ``validation_replications`` fresh seeds at ``values``."""
    return SweepSpec(name=f"{cs.name}-{label}", description=f"validation of {cs.name} at the {label} values",
                     scenario=cs.scenario, design="factorial",
                     factors=[Factor(name=n, levels=[values[n]]) for n in cs.names],
                     replications=cs.validation_replications, until=cs.until, scale=cs.scale,
                     root_seed=validation_seed(cs.root_seed), seeds="common")


def _as_param(name: str, v: float) -> float | int:
    if BY_NAME[name].kind is int:
        return round(v)
    return float(f"{v:.6g}")  # readable, stable run ids; far below the posterior's resolution


def _sweep(out: Path, spec: SweepSpec, workers: int | None, dask: str | None, progress: bool,
           stream: TextIO, allow_mixed_platforms: bool = False, executor=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run (or resume) one sweep stage; return its design, its cities table and the runner's counts."""
    from experiments.sweep.runner import run

    r = run(out, spec=spec, workers=workers, dask=dask, progress=progress, stream=stream,
            allow_mixed_platforms=allow_mixed_platforms, executor=executor)
    if r["interrupted"]:
        raise Interrupted(str(out))
    design = pd.read_parquet(out / "design.parquet")
    cities = pd.read_parquet(out / "cities.parquet")
    return design, cities, r


def design_point_means(provider, cities: pd.DataFrame, design: pd.DataFrame, obs: pd.DataFrame
           ) -> tuple[pd.DataFrame, pd.Series]:
    """Moments averaged over ok replications per design point (rows: point; columns: obs order)."""
    sim = mom.simulated(provider, cities, obs)
    rows = design[design.run_id.isin(sim.index)]
    per_row = sim.loc[rows.run_id].to_numpy()
    frame = pd.DataFrame(per_row, columns=sim.columns)
    frame["point"] = rows.point.to_numpy()
    g = frame.groupby("point")
    return g.mean(), g.size()


def _rmse(obs: pd.DataFrame, sim: np.ndarray) -> dict[str, Any]:
    """RMSE per split: in sd units over all its moments, and in natural units per moment name."""
    out: dict[str, Any] = {}
    for split in mom.SPLITS:
        m = (obs.split == split).to_numpy()
        if not m.any():
            continue
        z = (sim[m] - obs.value.to_numpy()[m]) / obs.sd.to_numpy()[m]
        err = pd.Series(sim[m] - obs.value.to_numpy()[m]).groupby(obs.moment.to_numpy()[m])
        out[split] = {"rmse_sd": float(np.sqrt(np.mean(z**2))), "n_moments": int(m.sum()),
                      "rmse_natural": {k: float(np.sqrt(np.mean(v**2))) for k, v in err}}
    return out


def calibrate(cs: CalibSpec, out: str | Path, workers: int | None = None, dask: str | None = None,
              progress: bool = True, stream: TextIO | None = None, source: Path | None = None,
              allow_mixed_platforms: bool = False) -> dict[str, Any]:
    """Run every stage (resuming what exists) and write the result files into ``out``."""
    stream = stream or sys.stderr
    out = Path(out)
    provider = load_provider(cs.moments)
    obs = mom.observed(provider)

    # local processes: one warm pool for every stage (started at the first stage with runs to do); Dask and
    # in-process runs open their executor per stage, as the runner does
    pool = stage_pool(workers) if dask is None else None

    def sweep(folder: Path, spec: SweepSpec):
        return _sweep(folder, spec, workers, dask, progress, stream, allow_mixed_platforms, pool)

    try:
        return _stages(cs, out, provider, obs, sweep, source, stream)
    finally:
        if pool is not None:
            pool.close()


def stage_pool(workers: int | None):
    """The local processes every stage of a calibration shares (None for in-process runs, ``workers`` 0)."""
    import os

    from experiments.executor import LocalProcesses
    from experiments.sweep.runner import PRELOAD

    n = (os.cpu_count() or 1) if workers is None else workers
    return LocalProcesses(n, preload=PRELOAD) if n > 0 else None


def _stages(cs: CalibSpec, out: Path, provider, obs: pd.DataFrame, sweep, source: Path | None,
            stream: TextIO) -> dict[str, Any]:
    """The design sweep, the estimates, the validation sweeps and the result files."""
    from experiments.calibrate.report import write_all

    timings: dict[str, float] = {}
    t = time.time()
    dspec = design_spec(cs)
    print(f"design: {cs.samples} LHS points x {cs.replications} replications -> {out / 'sweep'}", file=stream)
    design, cities, r_design = sweep(out / "sweep", dspec)
    timings["design_sweep_seconds"] = time.time() - t

    t = time.time()
    est = _estimate(cs, provider, obs, design, cities, out)
    timings["estimation_seconds"] = time.time() - t

    t = time.time()
    val = {label: _validation(cs, provider, obs, label, values, out, sweep, stream)
           for label, values in (("default", cs.defaults), ("smm", est["smm_values"]))}
    timings["validation_seconds"] = time.time() - t

    result = _result(cs, out, obs, dspec, design, r_design, est, val, timings)
    write_all(result, out, source)
    return result


def _estimate(cs: CalibSpec, provider, obs: pd.DataFrame, design: pd.DataFrame, cities: pd.DataFrame,
              out: Path) -> dict[str, Any]:
    """Moments per design point, the ABC posterior and the SMM estimate (on the fit moments)."""
    fit = (obs.split == "fit").to_numpy()
    means, n_ok = design_point_means(provider, cities, design, obs)
    pts = design.drop_duplicates("point").set_index("point").loc[means.index]
    lo = np.array([p.lo for p in cs.priors])
    hi = np.array([p.hi for p in cs.priors])
    theta = pts[cs.names].to_numpy(dtype=float)
    n_acc = min(cs.n_accept, len(means))
    if n_acc < cs.min_accepted:
        raise CalibrationError(f"only {len(means)} of {cs.samples} design points have an ok run; at least "
                               f"{cs.min_accepted} accepted points are needed (see {out / 'sweep'}, "
                               "python -m experiments status)")
    sims = means.to_numpy()
    o, sd = obs.value.to_numpy(), obs.sd.to_numpy()
    post = abc_mod.abc(theta, sims[:, fit], o[fit], sd[fit], lo, hi, n_acc)
    sm = smm_mod.estimate((theta - lo) / (hi - lo), sims[:, fit], o[fit], sd[fit], post.distances, n_acc)
    return {"means": means, "n_ok": n_ok, "theta": theta, "lo": lo, "hi": hi, "abc": post, "smm": sm,
            "smm_values": {n: _as_param(n, v) for n, v in zip(cs.names, lo + sm.u * (hi - lo))}}


def _validation(cs: CalibSpec, provider, obs: pd.DataFrame, label: str, values: dict[str, Any], out: Path,
                sweep, stream: TextIO) -> dict[str, Any]:
    """Fresh seeds at ``values`` (a one-point sweep in its own folder): simulated moments and their RMSE."""
    vspec = point_spec(cs, values, label)
    folder = out / f"validate-{label}-{vspec.digest()[:8]}"  # a new estimate gets a new folder
    print(f"validation at {label}: {cs.validation_replications} replications -> {folder}", file=stream)
    _, vcities, vr = sweep(folder, vspec)
    if vcities.empty:
        raise CalibrationError(f"every validation run at the {label} values failed (see {folder})")
    vsim = mom.simulated(provider, vcities, obs)  # one point: every row is one of its replications
    mean = vsim.mean().to_numpy()
    return {"folder": folder.name, "digest": vspec.digest(), "values": values, "n_ok": len(vsim),
            "failed": int(vr["failed_total"]), "simulated": mean,
            "simulated_sd": vsim.std(ddof=1).to_numpy() if len(vsim) > 1 else np.full(len(mean), np.nan),
            "rmse": _rmse(obs, mean)}


def _result(cs: CalibSpec, out: Path, obs: pd.DataFrame, dspec: SweepSpec, design: pd.DataFrame, r_design: dict,
            est: dict[str, Any], val: dict[str, dict], timings: dict[str, float]) -> dict[str, Any]:
    """Everything the result files are written from (experiments/calibrate/report.py)."""
    from experiments.sweep.design import code_version

    failed = int(r_design["failed_total"]) + sum(v["failed"] for v in val.values())
    return {
        "name": cs.name, "description": cs.description, "spec": cs.to_dict(), "out": str(out),
        "code_version": code_version(), "observed": obs, "obs_fit_mask": (obs.split == "fit").to_numpy(),
        "design": {"folder": "sweep", "digest": dspec.digest(), "points": int(cs.samples),
                   "points_with_ok_runs": len(est["means"]), "runs_ok": int(est["n_ok"].sum()),
                   "runs_failed": int(r_design["failed_total"]), "root_seed": cs.root_seed,
                   "seeds": sorted(int(s) for s in design.seed.unique())},
        "validation_root_seed": validation_seed(cs.root_seed), "theta": est["theta"],
        "points": est["means"].index.to_numpy(), "n_ok": est["n_ok"].to_numpy(), "abc": est["abc"],
        "smm": est["smm"], "smm_values": est["smm_values"], "lo": est["lo"], "hi": est["hi"],
        "validation": val, "failed_runs": failed, "timings": timings,
    }
