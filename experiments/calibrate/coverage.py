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
    """Coverage of a finished calibration folder (its design sweep and calibration file)."""
    from experiments.calibrate import config, moments as mom
    from experiments.calibrate.pipeline import design_point_means

    toml = folder / "calibration.toml"
    if not toml.exists() or not (folder / "sweep" / "cities.parquet").exists():
        raise ConfigError("RESULTS", str(folder), "a finished calibration folder (calibration.toml and sweep/, as "
                          "python -m experiments calibrate writes them)")
    cs = config.read(str(toml))
    provider = config.load_provider(cs.moments)
    obs = mom.observed(provider)
    design = pd.read_parquet(folder / "sweep" / "design.parquet")
    cities = pd.read_parquet(folder / "sweep" / "cities.parquet")
    means, _ = design_point_means(provider, cities, design, obs)
    pts = design.drop_duplicates("point").set_index("point").loc[means.index]
    theta = pts[cs.names].to_numpy(dtype=float)
    fit = (obs.split == "fit").to_numpy()
    lo = np.array([p.lo for p in cs.priors])
    hi = np.array([p.hi for p in cs.priors])
    table = coverage(theta, means.to_numpy()[:, fit], obs.sd.to_numpy()[fit], lo, hi, cs.n_accept)
    table["parameter"] = [cs.names[j] for j in table.parameter]
    info = {"level": LEVEL, "points": int(len(theta)), "accepted_per_case": int(min(cs.n_accept, len(theta) - 2)),
            "fit_moments": int(fit.sum()), "reference": "Prangle, Blum, Popovic & Sisson (2014)"}
    return table, info


def cmd_coverage(a: argparse.Namespace) -> int:
    from experiments.io import write_csv, write_json

    folder = Path(a.results)
    table, info = from_results(folder)
    write_csv(table, folder / "coverage.csv")
    write_json({**info, "coverage": table.to_dict(orient="records")}, folder / "coverage.json")
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
