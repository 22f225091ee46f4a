"""Design points (SALib samplers / a numpy grid), seeds (numpy SeedSequence) and content-hash run ids."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.sweep.spec import SweepSpec, check_size, load_scenario

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("model", "agents", "scenarios")
CODE_FILES = ("experiments/runner.py", "experiments/sweep/worker.py")


def problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem: every factor sampled on [0, 1], mapped to its values afterwards."""
    return {"num_vars": len(spec.factors), "names": [f.name for f in spec.factors],
            "bounds": [[0.0, 1.0]] * len(spec.factors)}


def unit_sample(spec: SweepSpec) -> np.ndarray:
    """Design points in [0, 1]^k (one row per point), in the order the analysis expects."""
    import warnings

    prob = problem(spec)
    seed = int(spec.root_seed % (2**32))
    if spec.design == "lhs":
        from SALib.sample import latin

        return latin.sample(prob, spec.samples, seed=seed)
    if spec.design == "sobol":
        from SALib.sample import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sobol.sample(prob, spec.samples, calc_second_order=False, scramble=True, seed=seed)
    if spec.design == "morris":
        from SALib.sample import morris

        return morris.sample(prob, spec.samples, num_levels=spec.morris_levels, seed=seed)
    raise ValueError(spec.design)


def points(spec: SweepSpec) -> pd.DataFrame:
    """One row per design point: ``point``, ``u_<name>`` (sampler coordinates, NaN for factorial) and values."""
    names = [f.name for f in spec.factors]
    if spec.design in ("factorial", "scenarios"):
        rows = list(itertools.product(*(f.grid() for f in spec.factors)))
        df = pd.DataFrame(rows, columns=names)
        # all sampler columns at once (one column at a time fragments the frame: pandas warns past 100)
        df = pd.concat([df, pd.DataFrame(np.nan, index=df.index, columns=["u_" + n for n in names])], axis=1)
        if spec.design == "scenarios":  # every scenario crossed with the grid of [params] (one point if none)
            if not names:
                df = pd.DataFrame(index=[0])
            df = pd.concat([df.assign(scenario=s) for s in spec.scenarios], ignore_index=True)
    elif spec.design == "points":  # the points as given, in order
        df = pd.DataFrame([p["values"] for p in spec.points], columns=names)
        df = pd.concat([df, pd.DataFrame(np.nan, index=df.index, columns=["u_" + n for n in names])], axis=1)
    else:
        u = unit_sample(spec)
        values = {n: [f.from_unit(x) for x in u[:, i]] for i, (n, f) in enumerate(zip(names, spec.factors))}
        df = pd.DataFrame({**values, **{"u_" + n: u[:, i] for i, n in enumerate(names)}})
    if "scenario" not in df:
        df["scenario"] = spec.scenario
    df.insert(0, "point", np.arange(len(df)))
    return df


def seeds(spec: SweepSpec, n_points: int) -> np.ndarray:
    """Seeds [point, replicate] spawned from the root seed with numpy SeedSequence (a points design: its points' own).

    A list: replicate r uses ``seeds[r]`` at every point (common random numbers with the seeds given).
    ``common``: replicate r uses the same seed at every point (common random numbers, so differences
    between points are not sampling noise); ``independent``: a fresh child sequence per run.
    """
    if spec.design == "points":  # each point gives its run's seed
        return np.array([[p["seed"]] for p in spec.points], dtype=np.int64)
    if isinstance(spec.seeds, list):  # given: replicate r has seeds[r] at every point
        return np.tile(np.array(spec.seeds, dtype=np.int64), (n_points, 1))
    root = np.random.SeedSequence(spec.root_seed)
    if spec.seeds == "common":
        per_rep = [int(c.generate_state(1, dtype=np.uint32)[0]) for c in root.spawn(spec.replications)]
        return np.tile(np.array(per_rep, dtype=np.int64), (n_points, 1))
    kids = root.spawn(n_points * spec.replications)
    return np.array([int(c.generate_state(1, dtype=np.uint32)[0]) for c in kids], dtype=np.int64).reshape(
        n_points, spec.replications)


@lru_cache(maxsize=1)
def code_version() -> str:
    """Git commit of the code, plus a hash of the model sources when the work tree differs from it."""
    from experiments.runner import git_commit

    commit = git_commit()
    h = hashlib.sha256()
    files = sorted(p for d in CODE_DIRS for p in (ROOT / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    files += [ROOT / f for f in CODE_FILES if (ROOT / f).exists()]
    for p in files:
        h.update(str(p.relative_to(ROOT)).encode())
        h.update(p.read_bytes())
    return f"{commit.removesuffix('-dirty')}+src.{h.hexdigest()[:12]}"


def run_id(resolved: dict[str, Any], scenario: dict[str, Any], until: int, seed: int, code: str,
           prefix: str = "") -> str:
    """Content hash of the fully resolved configuration, seed and code version (after ``prefix-`` if given)."""
    blob = json.dumps({"config": resolved, "scenario": scenario, "until": until, "seed": int(seed), "code": code},
                      sort_keys=True, default=str)
    h = hashlib.sha256(blob.encode()).hexdigest()[:20]
    return f"{prefix}-{h}" if prefix else h


def scenario_params(spec: SweepSpec) -> dict[str, dict[str, Any]]:
    """The parameters each scenario of the sweep starts from, resolved with the sweep's fixed values and scale
    (``model.scenarios.load(...).resolved(...)``, as JSON holds them): what every run gets before its design point's
    values. The runner records it in spec.json, so a later reader can tell whether the scenario files or the
    parameter registry changed since the sweep was planned."""
    base = spec.base_overrides()
    return {name: json.loads(json.dumps(load_scenario(name).resolved(base), sort_keys=True, default=str))
            for name in (spec.scenarios or [spec.scenario])}


def _scenario_key(sc) -> dict[str, Any]:
    """What of a scenario decides its runs (not its title or description)."""
    d = {"name": sc.name, "params": sc.params, "enclaves": [vars(e) for e in sc.enclaves]}
    if getattr(sc, "timeline", None):  # only when present, so ids of earlier sweeps stay the same
        d["timeline"] = [t.to_dict() for t in sc.timeline]
    return d


def _slug(name: str) -> str:
    """A scenario name made safe for a file name (run ids name the Parquet parts)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._-") or "scenario"


def plan(spec: SweepSpec, code: str | None = None) -> pd.DataFrame:
    """Every (point, replicate) with its scenario, overrides, seed, run id and execution order.

    Order interleaves the design: replicate by replicate, each pass visiting the points in a random
    permutation (from the root seed), so a partial sweep already covers the whole design.
    """
    check_size(spec)  # before building anything: a design of billions of points is a one-line error
    code = code or code_version()
    loaded = {n: load_scenario(n) for n in (spec.scenarios or [spec.scenario])}  # files beside the sweep first
    pts = points(spec)
    sd = seeds(spec, len(pts))
    names = [f.name for f in spec.factors]
    base = spec.base_overrides()
    perm = np.random.default_rng(np.random.SeedSequence(spec.root_seed).spawn(1)[0]).permutation(len(pts))
    rank = np.empty(len(pts), dtype=np.int64)
    rank[perm] = np.arange(len(pts))
    ids: dict[tuple, str] = {}
    rows = []
    for _, row in pts.iterrows():
        overrides = {**base, **{n: _native(row[n]) for n in names}}
        sc = loaded[row.scenario]
        key = json.dumps([row.scenario, overrides], sort_keys=True, default=str)
        resolved = sc.resolved(overrides)  # ConfigError naming the field if a point is invalid
        # a scenarios design names the scenario in the id, so parts and tables read at a glance
        prefix = _slug(sc.name) if spec.design == "scenarios" else ""
        for r in range(spec.replications):
            seed = int(sd[int(row.point), r])
            k = (key, seed)
            if k not in ids:
                ids[k] = run_id(resolved, _scenario_key(sc), spec.until, seed, code, prefix)
            rows.append({"point": int(row.point), "rep": r, "run_id": ids[k], "seed": seed,
                         "order": r * len(pts) + int(rank[int(row.point)]),
                         "overrides": json.dumps(overrides, sort_keys=True)})
    out = pd.DataFrame(rows).merge(pts, on="point")
    return out.sort_values(["point", "rep"]).reset_index(drop=True)


def _native(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
