"""The NPE training set from a calibration's simulation bank (its design sweep): θ, x, the record's x, a hold-out.

x is built from the ABC's own standardisation: every fit moment as ``z = (sim - obs) / sd`` (experiments.calibrate),
so the record sits at z = 0. Unlike the ABC, which averages a design point's replications, every *run* is a
training pair (NPE learns p(θ | one realisation), and the record is one realisation). The fit moments are many
(128 for record-2005) and strongly correlated (yearly series of the same share), against a few hundred points, so
z is reduced to its leading principal components, fitted on the training runs only and whitened (unit variance on
the training runs). What the reduction drops is kept as a diagnostic: the squared distance of the record from the
components' subspace against the training runs' (``residual``), which measures how much of the record's deviation
from the simulations lies in directions no simulation moves in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.errors import ConfigError

VARIANCE_NOTE = "share of the training runs' variance of z kept by the components"


@dataclass
class TrainingSet:
    names: list[str]  # parameters in prior order
    lo: np.ndarray
    hi: np.ndarray
    theta: np.ndarray  # runs x parameters (natural units)
    z: np.ndarray  # runs x fit moments, (sim - obs) / sd
    x: np.ndarray  # runs x components (whitened principal components of z)
    x_obs: np.ndarray  # the record's components (z = 0)
    point: np.ndarray  # design point of each run
    test: np.ndarray  # bool per run: held out (its whole design point) for the diagnostics
    mean: np.ndarray  # training mean of z
    basis: np.ndarray  # components x moments (unit rows)
    scale: np.ndarray  # sd of each component over the training runs
    explained: float  # VARIANCE_NOTE
    residual_obs: float  # squared distance of the record's z from the components' subspace
    residual_runs: np.ndarray  # the same for every run
    moments: list[str]  # "moment|year" of each fit moment

    def arrays(self) -> dict[str, np.ndarray]:
        return {"theta": self.theta, "x": self.x, "x_obs": self.x_obs, "point": self.point, "test": self.test,
                "lo": self.lo, "hi": self.hi, "z": self.z, "mean": self.mean, "basis": self.basis, "scale": self.scale,
                "residual_runs": self.residual_runs}


def split_points(points: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Bool per run: the runs of a ``share`` of the distinct design points, drawn from ``seed`` (both replications
    of a point on the same side, so a test case's θ was never seen in training)."""
    uniq = np.unique(points)
    n_test = int(round(share * len(uniq)))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    held = rng.permutation(uniq)[:n_test]
    return np.isin(points, held)


def build(theta: np.ndarray, z: np.ndarray, points: np.ndarray, names: list[str], lo: np.ndarray, hi: np.ndarray,
          moments: list[str], components: int, holdout: float, seed: int) -> TrainingSet:
    """The training set from per-run θ and standardised fit moments z (the record at z = 0)."""
    theta, z = np.asarray(theta, float), np.asarray(z, float)
    if theta.shape[0] != z.shape[0] or theta.shape[1] != len(names):
        raise ValueError(f"theta {theta.shape} and z {z.shape} do not match {len(names)} parameters")
    test = split_points(np.asarray(points), holdout, seed)
    train = ~test
    mean = z[train].mean(0)
    _, sv, vt = np.linalg.svd(z[train] - mean, full_matrices=False)
    k = min(components, len(sv))
    basis = vt[:k]
    scale = sv[:k] / np.sqrt(max(train.sum() - 1, 1))
    scale = np.where(scale > 0, scale, 1.0)
    explained = float((sv[:k] ** 2).sum() / max((sv**2).sum(), 1e-300))

    def project(zz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = (np.atleast_2d(zz) - mean) @ basis.T
        r = ((np.atleast_2d(zz) - mean) - c @ basis) ** 2
        return c / scale, r.sum(1)

    x, res = project(z)
    x_obs, res_obs = project(np.zeros(z.shape[1]))
    return TrainingSet(names=list(names), lo=np.asarray(lo, float), hi=np.asarray(hi, float), theta=theta, z=z, x=x,
                       x_obs=x_obs[0], point=np.asarray(points), test=test, mean=mean, basis=basis, scale=scale,
                       explained=explained, residual_obs=float(res_obs[0]), residual_runs=res, moments=list(moments))


def standardised(sim: np.ndarray, obs: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The ABC's standardisation of the fit moments: ``(sim - obs) / sd`` (runs x fit moments, in obs order)."""
    fit = (obs.split == "fit").to_numpy()
    z = (np.asarray(sim, float) - obs.value.to_numpy()) / obs.sd.to_numpy()
    return z[:, fit], [f"{m}|{y}" for m, y in zip(obs.moment[fit], obs.year[fit])]


BANK_HINT = "a finished calibration folder (calibration.toml and sweep/, as python -m experiments calibrate writes them)"
POSTERIOR_COLUMNS = ("param", "smm", "rejection_mean")


def open_bank(folder: Path):
    """The calibration file, the design sweep's store and its design, each read as strictly as experiments.calibrate
    wrote it (calibration.toml, sweep/spec.json, sweep/design.parquet: a damaged one is a one-line ConfigError naming
    it), and the sweep checked to be that calibration's design."""
    from experiments.calibrate import config
    from experiments.calibrate.pipeline import design_spec
    from experiments.sweep.store import Store

    toml, sweep = folder / "calibration.toml", folder / "sweep"
    if not toml.is_file() or not (sweep / "cities.parquet").is_file():
        raise ConfigError("BANK", str(folder), BANK_HINT)
    cs = config.read(str(toml))
    store = Store(sweep)
    design = store.design()
    have, want = store.spec(), design_spec(cs)
    if have.digest() != want.digest():
        raise ConfigError(str(sweep / "spec.json"), f"sweep {have.name!r} (digest {have.digest()})",
                          f"the design sweep of {toml} (digest {want.digest()})", kind="calibration folder mismatch")
    return cs, store, design


def calibration_table(folder: Path, names: list[str]) -> pd.DataFrame | None:
    """The bank's posterior.csv (the SMM point and ABC rejection mean per parameter), or None if the bank has none;
    a file that does not read, lacks a column or names other parameters than the calibration's ``names`` is a
    one-line ConfigError naming it."""
    import os

    from experiments.io import open_regular

    path = folder / "posterior.csv"
    if not os.path.lexists(path):
        return None
    fix = (f"the posterior.csv of this calibration (columns {', '.join(POSTERIOR_COLUMNS)}, one row per fitted "
           "parameter); restore it from a copy, or rerun the calibration command that made the bank (a finished "
           "calibration rewrites its result files without simulating again)")
    try:
        with os.fdopen(open_regular(path), "rb") as fh:
            cal = pd.read_csv(fh)
    except (OSError, ValueError) as exc:  # empty, not UTF-8, not CSV, a FIFO or a folder under that name
        why = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        raise ConfigError(str(path), why, fix, kind="damaged calibration file") from None
    missing = [c for c in POSTERIOR_COLUMNS if c not in cal.columns]
    if missing:
        raise ConfigError(str(path), f"no column {missing[0]}", fix, kind="damaged calibration file")
    params = cal.param.astype(str).tolist()
    if sorted(params) != sorted(names):
        raise ConfigError(str(path), f"parameters {', '.join(params)}", f"{fix}; calibration.toml fits "
                          f"{', '.join(names)}", kind="damaged calibration file")
    for c in POSTERIOR_COLUMNS[1:]:
        vals = pd.to_numeric(cal[c], errors="coerce")
        if vals.isna().any():
            raise ConfigError(str(path), f"{c} = {cal[c][vals.isna()].iloc[0]!r}", fix, kind="damaged calibration file")
        cal[c] = vals.astype(float)
    return cal.assign(param=params)


def check_bank(folder: Path):
    """Every file of the bank the infer command reads, checked before anything runs (one line naming a damaged
    one): calibration.toml, sweep/spec.json, sweep/design.parquet, the footer of sweep/cities.parquet (read whole
    later by :func:`read_bank`) and posterior.csv. Returns the calibration spec and posterior.csv (or None)."""
    cs, store, _ = open_bank(folder)
    store.check_cities()
    return cs, calibration_table(folder, cs.names)


def read_bank(folder: Path) -> dict[str, Any]:
    """A finished calibration folder (calibration.toml, sweep/), read as strictly as experiments.calibrate writes it:
    the calibration file, the observed moments, the design and every ok run's simulated moments."""
    from experiments.calibrate import config, moments as mom

    cs, store, design = open_bank(folder)
    have = store.spec()
    cities = store.cities(design)
    provider = config.load_provider(cs.moments)
    obs = mom.observed(provider)
    sim = mom.simulated(provider, cities, obs)  # run_id x moments, obs order
    rows = design.drop_duplicates("run_id").set_index("run_id").loc[sim.index]
    return {"spec": cs, "obs": obs, "sim": sim, "runs": rows, "digest": have.digest(),
            "scenario": have.scenario, "until": have.until, "scale": have.scale}


def from_bank(folder: Path, components: int, holdout: float, seed: int) -> tuple[TrainingSet, dict[str, Any]]:
    bank = read_bank(folder)
    cs = bank["spec"]
    z, moments = standardised(bank["sim"].to_numpy(), bank["obs"])
    if components > len(moments):
        raise ConfigError("--components", components, f"at most the {len(moments)} fit moments of {folder}")
    ts = build(bank["runs"][cs.names].to_numpy(float), z, bank["runs"].point.to_numpy(), cs.names,
               np.array([p.lo for p in cs.priors]), np.array([p.hi for p in cs.priors]), moments, components, holdout,
               seed)
    return ts, bank


def digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def save(ts: TrainingSet, out: Path, info: dict[str, Any]) -> dict[str, Any]:
    """trainset.npz, then trainset.json (last: it marks the step done, with the digest of the arrays)."""
    import io

    from experiments.io import atomic, write_json

    buf = io.BytesIO()
    np.savez(buf, **ts.arrays())
    data = buf.getvalue()
    atomic(out / "trainset.npz", lambda tmp: Path(tmp).write_bytes(data))
    meta = {**info, "names": ts.names, "lo": ts.lo.tolist(), "hi": ts.hi.tolist(), "moments": ts.moments,
            "runs": int(len(ts.theta)), "train_runs": int((~ts.test).sum()), "test_runs": int(ts.test.sum()),
            "train_points": int(len(np.unique(ts.point[~ts.test]))), "test_points": int(len(np.unique(ts.point[ts.test]))),
            "components": int(len(ts.scale)), "explained": ts.explained, "explained_note": VARIANCE_NOTE,
            "residual_obs": ts.residual_obs,
            "residual_runs_q50_q99_max": [float(np.quantile(ts.residual_runs, q)) for q in (0.5, 0.99, 1.0)],
            "sha256": hashlib.sha256(data).hexdigest()}
    write_json(meta, out / "trainset.json")
    return meta
