"""At the record-2005 fitted point: the baseline's 2035 GDP shares at scale 200 and 100 (seeds 1-4), and the 2005
hindcast's GDP shares in 2010, 2015 and 2019 at both scales (docs/record.md, "Scale").

    python scripts/scale_check.py
"""
import numpy as np, pandas as pd
from experiments.validate import run_hindcast

def main():
    out = {}
    for scale in (200, 100):
        runs = run_hindcast([1, 2, 3, 4], {"scale": scale}, workers=2, scenario="experiments/calibrations/fit2005/baseline.toml", until=2035)
        sh = [a[a.year == 2035].set_index("city").gdp_share for a in runs]
        out[scale] = pd.concat(sh, axis=1).mean(axis=1) * 100
        h = run_hindcast([1, 2, 3, 4], {"scale": scale}, workers=2, scenario="experiments/calibrations/fit2005/hindcast-2005.toml", until=2019)
        hs = [a[a.year.isin([2010, 2015, 2019])].pivot(index="year", columns="city", values="gdp_share") for a in h]
        out[f"h{scale}"] = (sum(hs) / len(hs) * 100).round(2)
    print("baseline 2035 GDP share %, mean of 4 seeds:\n", pd.DataFrame({200: out[200], 100: out[100]}).round(2))
    print("hindcast-2005 GDP share % at 200:\n", out["h200"], "\nat 100:\n", out["h100"])

if __name__ == "__main__":
    main()
