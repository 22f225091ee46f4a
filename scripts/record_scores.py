"""Scores of finished hindcasts from 2005 against the long record's moments (model/record_fit.py): the RMSE in sd
units of the seeds' mean, fit and hold-out, by kind of moment, and the two orders (cross-city commuters in 2018,
the firm-move rate 2010-2018) in natural units. Reads the annual tables that ``python -m experiments validate
--scenario ... --out DIR`` wrote, so rounds compare on the same seeds without simulating again:

    python scripts/record_scores.py results/record2005-r4 results/record2005-r5 --out docs/record/scores_round4_round5.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import history, record_fit  # noqa: E402


def scores(folder: Path) -> dict[str, float]:
    """RMSE (sd units) of the mean over seeds: fit, hold-out and each kind of fit moment; commuters (persons) and
    the firm-move rate (% of establishments a year) as the moments see them: the geometric mean over seeds (the
    moments are logs), so a few percent below the arithmetic mean of the annual tables."""
    annual = pd.read_parquet(folder / "annual.parquet")
    sims = [record_fit.simulated(g) for _, g in annual.groupby("seed")]
    sim = pd.concat(sims).groupby(["moment", "year"]).value.mean().reset_index()
    m = record_fit.observed().merge(sim, on=["moment", "year"], suffixes=("_obs", "_sim"))
    m["error_sd_units"] = (m.value_sim - m.value_obs) / m.sd
    out = {f"rmse_{split}": v for split, v in history.rmse_by_split(m).items()}
    fit = m[m.split == "fit"]
    kind = fit.moment.where(fit.moment.str.startswith("log_"), fit.moment.str.rsplit("_", n=1).str[0])
    out.update({f"rmse_fit_{k}": history.rmse_by_split(g)["fit"] for k, g in fit.groupby(kind)})
    logs = m.set_index("moment").value_sim
    out["commuters_2018_persons_geomean"] = float(np.exp(logs["log_commuters"]) * 1e4)
    out["firm_moves_pct_a_year_geomean"] = float(np.exp(logs["log_firm_move_rate"]) * 100)
    out["seeds"] = float(annual.seed.nunique())
    return out


def main(argv: list[str]) -> int:
    out = None
    if "--out" in argv:
        i = argv.index("--out")
        if i + 1 >= len(argv):
            print("record_scores: --out needs a CSV path", file=sys.stderr)
            return 2
        out, argv = Path(argv[i + 1]), argv[:i] + argv[i + 2:]
    if not argv:
        print("record_scores: give one or more validate folders (each with annual.parquet)", file=sys.stderr)
        return 2
    missing = [a for a in argv if not (Path(a) / "annual.parquet").exists()]
    if missing:
        print(f"record_scores: no annual.parquet in {missing[0]!r}; allowed: a folder written by "
              "'python -m experiments validate --scenario ... --out DIR'", file=sys.stderr)
        return 2
    table = pd.DataFrame({Path(a).name: scores(Path(a)) for a in argv})
    print(table.round(3).to_string())
    if out is not None:
        from experiments.io import write_csv

        write_csv(table.rename_axis("score").reset_index(), out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
