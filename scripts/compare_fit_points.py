"""Fit and hold-out RMSE (sd units, model/record_fit.py) of the record-2005 rounds' SMM points and the registry, on the
same 10 fresh seeds (101-110) of the 2005 hindcast at scale 200 (docs/record.md).

    python scripts/compare_fit_points.py
"""
import sys
import numpy as np, pandas as pd
from experiments.validate import run_hindcast
from model import record_fit

def point(path):
    t = pd.read_csv(path).set_index("param")
    return {n: float(v) for n, v in t.smm.items()}

def main():
  obs = record_fit.observed()
  seeds = list(range(101, 111))
  cands = {"registry": {}, "round1": point("docs/record-fit/round1/posterior.csv"),
           "round2": point("docs/record-fit/round2/posterior.csv"),
           "round3": {**point("docs/record-fit/round3/posterior.csv"), "in_migration_elasticity": 1.5}}
  rows = []
  for name, pt in cands.items():
      sims = run_hindcast(seeds, {"scale": 200, **pt}, workers=2, scenario="hindcast-2005", until=2020)
      vals = np.array([obs.merge(record_fit.simulated(a.drop(columns="seed")), on=["moment", "year"], how="left",
                                 suffixes=("", "_s")).value_s.to_numpy() for a in sims])
      mean = vals.mean(axis=0)
      z = (mean - obs.value.to_numpy()) / obs.sd.to_numpy()
      for split in ("fit", "holdout"):
          m = (obs.split == split).to_numpy()
          rows.append((name, split, float(np.sqrt(np.mean(z[m] ** 2)))))
      pd.DataFrame({"moment": obs.moment, "year": obs.year, "split": obs.split, "z": z}).to_csv(f"/tmp/cmp_{name}.csv", index=False)
  print(pd.DataFrame(rows, columns=["point", "split", "rmse_sd"]).pivot(index="point", columns="split", values="rmse_sd").round(3))


if __name__ == "__main__":
    main()
