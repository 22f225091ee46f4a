"""Does the cluster tip when the cities stop bidding for firms? The baseline with and without incentive offers
(``subsidy_cap`` 0: 不再开展招商补贴竞争), at the registry's calibration and at the record-2005 fitted point
(experiments/calibrations/fit2005/baseline.toml), seeds 1-3, scale 200, 2019-2035.

    python scripts/tipping.py --out docs/record/tipping.csv     # about 40 s on 2 cores

Writes one row per run: GDP shares (%) of the three cities in 2019, 2027 and 2035 and the governments' incentive
intensity in 2030 (share of the cap). docs/record.md reads the table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
FITTED = str(ROOT / "experiments" / "calibrations" / "fit2005" / "baseline.toml")
CASES = [("registry", "baseline", ()), ("registry", "baseline", ("subsidy_cap=0",)),
         ("fitted", FITTED, ()), ("fitted", FITTED, ("subsidy_cap=0",))]
SEEDS = (1, 2, 3)
YEARS = (2019, 2027, 2035)


def run_one(calibration: str, scenario: str, sets: tuple[str, ...], seed: int, folder: Path) -> dict:
    out = folder / f"{calibration}-{'-'.join(sets) or 'bids'}-{seed}"
    cmd = [sys.executable, "-m", "experiments", "run", "--scenario", scenario, "--seed", str(seed), "--scale", "200",
           "--out", str(out)]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    a = pd.read_parquet(out / "annual.parquet")
    share = a.pivot(index="year", columns="city", values="gdp_share")
    row = {"calibration": calibration, "incentive_offers": "none (subsidy_cap 0)" if sets else "chosen", "seed": seed}
    for y in YEARS:
        for c in ("changsha", "zhuzhou", "xiangtan"):
            row[f"{c}_gdp_share_{y}_pct"] = round(100 * float(share.at[y, c]), 2)
    inc = a[a.year == 2030].set_index("city").incentive_intensity
    row["incentive_intensity_2030"] = " / ".join(f"{inc[c]:.2f}" for c in ("changsha", "zhuzhou", "xiangtan"))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="CSV file to write")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.workers) as pool:
        jobs = [pool.submit(run_one, cal, sc, sets, s, Path(tmp)) for cal, sc, sets in CASES for s in SEEDS]
        rows = [j.result() for j in jobs]
    out = Path(args.out)
    tmp_file = out.with_suffix(".tmp")
    pd.DataFrame(rows).to_csv(tmp_file, index=False)
    tmp_file.replace(out)  # atomically
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
