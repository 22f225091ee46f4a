"""Does the cluster tip when the cities stop bidding for firms? The baseline with and without incentive offers
(``subsidy_cap`` 0: 不再开展招商补贴竞争), at the registry's calibration and at the record-2005 fitted point
(experiments/calibrations/fit2005/baseline.toml), seeds 1-3, scale 200, 2019-2035.

    python scripts/tipping.py --out docs/record/tipping.csv     # about 40 s on 2 cores

Writes one row per run: GDP shares (%) of the three cities in 2019, 2027 and 2035 and the governments' incentive
intensity in 2030 (share of the cap). Beside it (``..._entry.csv``), why: at the fitted point after 2019, what an
entrant of each sector would earn a year in each city (its best park with room; 100 million yuan) with the offers
the governments chose and with none, its profit relative to the best city's, and the entry logit's city shares from
profit alone (``rules.entry_probabilities`` with equal presence). docs/record.md reads both tables.
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


def cases(fitted: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(calibration, scenario, --set overrides) of each row: the registry and the fitted point, with offers chosen and
    with none allowed."""
    return [("registry", "baseline", ()), ("registry", "baseline", ("subsidy_cap=0",)),
            ("fitted", fitted, ()), ("fitted", fitted, ("subsidy_cap=0",))]

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


def entry_table(fitted: str) -> pd.DataFrame:
    """Entrants' profit by sector and city at the fitted point, end of 2019, offers chosen (cap 1) or none (cap 0)."""
    import numpy as np

    from model import CZTModel, rules
    from model.identity import CITIES
    from model.location import entry_values

    rows = []
    for cap in (1.0, 0.0):
        m = CZTModel(fitted, seed=1, overrides={"scale": 200, "subsidy_cap": cap})
        m.run_until(2019)
        V, _ = entry_values(m, np.arange(len(m.sectors)))
        for s, sector in enumerate(m.sectors):
            if not np.isfinite(V[s]).any():
                continue
            share = rules.entry_probabilities(np.ones(len(CITIES)), V[s], m.p["entry_logit_scale"])
            best = np.abs(V[s][np.isfinite(V[s])]).max()
            for c, city in enumerate(CITIES):
                rows.append({"subsidy_cap": cap, "incentive_intensity": round(float(m.governance.incentive[c]), 3),
                             "sector": sector, "city": city, "entrant_profit_100m_yuan_per_year": round(float(V[s, c]), 4),
                             "relative_to_best": round(float(V[s, c] / best), 4),
                             "entry_share_from_profit": round(float(share[c]), 3)})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="CSV file to write")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fitted", default=FITTED, help="the fitted point's baseline scenario file (default: %(default)s)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.workers) as pool:
        jobs = [pool.submit(run_one, cal, sc, sets, s, Path(tmp)) for cal, sc, sets in cases(args.fitted) for s in SEEDS]
        rows = [j.result() for j in jobs]
    from experiments.io import atomic

    out = Path(args.out)
    table = pd.DataFrame(rows)
    atomic(out, lambda tmp: table.to_csv(tmp, index=False))
    print(table.to_string(index=False))
    entry = entry_table(args.fitted)
    atomic(out.with_name(out.stem + "_entry.csv"), lambda tmp: entry.to_csv(tmp, index=False))
    print(entry.pivot_table(index=["subsidy_cap", "sector"], columns="city", values="relative_to_best").to_string())


if __name__ == "__main__":
    main()
