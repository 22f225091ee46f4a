"""Coverage of the ABC intervals on synthetic cases made from the calibration's own design runs.

``python -m experiments calibration-coverage RESULTS``: each design point in turn plays the "observed" data (its
simulated fit moments, seed noise included, so its true parameters are known); ABC is run on the other points with
the same acceptance share, and the test checks whether the true value lies inside the 90 % interval (weighted 5 %
and 95 % quantiles) of the rejection sample and of the regression-adjusted sample. A method whose intervals are
right covers about 90 % of the cases for every parameter; much less means overconfident intervals, much more
uninformative ones (Prangle, Blum, Popovic & Sisson 2014, "Diagnostic tools for approximate Bayesian computation
using the coverage property", Aust. N. Z. J. Stat. 56: 309-329). Writes ``coverage.csv`` (per parameter) and
``coverage.json`` into the results folder; no model run is needed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibrate import abc as abc_mod
from model.errors import ConfigError

LEVEL = 0.90


def coverage(theta: np.ndarray, sims: np.ndarray, sd: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_accept: int,
             tests: np.ndarray | None = None) -> pd.DataFrame:
    """Share of pseudo-observed cases whose true parameters fall in the 90 % intervals; one row per parameter.

    ``theta`` (points x parameters), ``sims`` (points x moments, the fit moments), ``sd`` their scales; ``tests``
    the indices of the points used as pseudo-observed data (default all)."""
    n, k = theta.shape
    tests = np.arange(n) if tests is None else np.asarray(tests)
    q = (1 - LEVEL) / 2
    inside = {"rejection": np.zeros((len(tests), k), bool), "adjusted": np.zeros((len(tests), k), bool)}
    width = {"rejection": np.zeros((len(tests), k)), "adjusted": np.zeros((len(tests), k))}
    for t, i in enumerate(tests.tolist()):
        rest = np.delete(np.arange(n), i)
        post = abc_mod.abc(theta[rest], sims[rest], sims[i], sd, lo, hi, min(n_accept, len(rest) - 1))
        for kind, sample in (("rejection", post.theta_rejection), ("adjusted", post.theta_adjusted)):
            for j in range(k):
                a = abc_mod.weighted_quantile(sample[:, j], post.weights, q)
                b = abc_mod.weighted_quantile(sample[:, j], post.weights, 1 - q)
                inside[kind][t, j] = a <= theta[i, j] <= b
                width[kind][t, j] = (b - a) / (hi[j] - lo[j])
    rows = []
    for j in range(k):
        rows.append({"parameter": j, "cases": len(tests),
                     "coverage_rejection": float(inside["rejection"][:, j].mean()),
                     "coverage_adjusted": float(inside["adjusted"][:, j].mean()),
                     "width_rejection_share_of_prior": float(width["rejection"][:, j].mean()),
                     "width_adjusted_share_of_prior": float(width["adjusted"][:, j].mean())})
    return pd.DataFrame(rows)


def from_results(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Coverage of a finished calibration folder (its design sweep and calibration file), each file read back as
    strictly as it was written: the sweep's spec.json and design.parquet (experiments.sweep.store), a
    cities.parquet that reads whole, and a sweep that is the design of this calibration file (one-line
    ConfigErrors naming the file otherwise)."""
    from experiments.calibrate import config, moments as mom
    from experiments.calibrate.pipeline import design_point_means, design_spec
    from experiments.sweep.store import Store

    toml = folder / "calibration.toml"
    sweep = folder / "sweep"
    if not toml.exists() or not (sweep / "cities.parquet").exists():
        raise ConfigError("RESULTS", str(folder), "a finished calibration folder (calibration.toml and sweep/, as "
                          "python -m experiments calibrate writes them)")
    cs = config.read(str(toml))
    store = Store(sweep)
    design = store.design()  # spec.json and design.parquet checked (a damaged one names itself)
    cities = store.cities(design)  # whole, of this design, every ok run once
    want = design_spec(cs)
    have = store.spec()
    if have.digest() != want.digest():
        raise ConfigError(str(sweep / "spec.json"), f"sweep {have.name!r} (digest {have.digest()})",
                          f"the design sweep of {toml} (digest {want.digest()}): this sweep was made from another "
                          "calibration file or another version of it; rerun the calibration into a new folder",
                          kind="calibration folder mismatch")
    provider = config.load_provider(cs.moments)
    obs = mom.observed(provider)
    means, _ = design_point_means(provider, cities, design, obs)
    pts = design.drop_duplicates("point").set_index("point").loc[means.index]
    theta = pts[cs.names].to_numpy(dtype=float)
    if len(theta) - 1 < cs.min_accepted:  # each case is fitted on the other points
        raise ConfigError(str(sweep), f"{len(theta)} design points with an ok run", f"at least {cs.min_accepted + 1} "
                          f"(the calibration needs {cs.min_accepted} accepted points, and each case leaves its own "
                          f"point out); 'python -m experiments status {sweep}' shows the failed runs",
                          kind="too few design points")
    fit = (obs.split == "fit").to_numpy()
    lo = np.array([p.lo for p in cs.priors])
    hi = np.array([p.hi for p in cs.priors])
    table = coverage(theta, means.to_numpy()[:, fit], obs.sd.to_numpy()[fit], lo, hi, cs.n_accept)
    table["parameter"] = [cs.names[j] for j in table.parameter]
    info = {"level": LEVEL, "points": int(len(theta)), "accepted_per_case": int(min(cs.n_accept, len(theta) - 2)),
            "fit_moments": int(fit.sum()), "reference": "Prangle, Blum, Popovic & Sisson (2014)"}
    return table, info


def cmd_coverage(a: argparse.Namespace) -> int:
    from experiments.io import output_folder, write_csv, write_json

    folder = Path(a.results)
    table, info = from_results(folder)
    with output_folder(folder, "RESULTS", last=("coverage.json",)) as dest:  # both files or neither
        write_csv(table, dest / "coverage.csv")
        write_json({**info, "coverage": table.to_dict(orient="records")}, dest / "coverage.json")
    print(f"coverage of the {LEVEL:.0%} ABC intervals over {info['points']} pseudo-observed design points "
          f"({info['accepted_per_case']} accepted each):")
    print(f"{'parameter':26s}{'rejection':>11s}{'adjusted':>10s}{'width rej.':>12s}{'width adj.':>12s}")
    for r in table.itertuples():
        print(f"{r.parameter:26s}{r.coverage_rejection:>11.2f}{r.coverage_adjusted:>10.2f}"
              f"{r.width_rejection_share_of_prior:>12.2f}{r.width_adjusted_share_of_prior:>12.2f}")
    print(f"-> {folder}/coverage.csv, coverage.json (widths as shares of the prior range)")
    return 0


def register(sub) -> None:
    c = sub.add_parser("calibration-coverage", help="coverage of the ABC intervals on synthetic cases from the design",
                       description=__doc__.split("\n\n")[1].replace("\n", " "))
    c.add_argument("results", help="a finished calibration folder (python -m experiments calibrate --out)")
    c.set_defaults(func=cmd_coverage)
