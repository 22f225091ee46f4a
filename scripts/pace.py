"""What sets the pace of Changsha's rise in the fitted hindcast, and how it goes on after 2019 (issue 25).

The record: Changsha's share of the three cities' GDP rose 63.0 -> 68.0 % in 2005-2009 and then levelled off
(67.6 % in 2011, 67.8 % in 2015, 68.8 % in 2019; model/data/city_history.csv). This runs the fitted hindcast from
2005 (``--scenario``, by default the fitted point's hindcast) through ``--until`` for several seeds, as it is and
with the cities' offers to firms (招商补贴竞争) capped from a dated year on, a dated change the way the scenario
timelines make one (``subsidy_cap``, the lever that bounds the offers):

- ``fitted``: the point as it is;
- ``cap 0.5 from 2011`` / ``cap 0.5 from 2014`` / ``no offers from 2014``: the offers halved or ended from that year
  (2014: the State Council's clean-up of local preferential policies, 国发〔2014〕62号; a what-if, not a fit);
- ``no offers from 2019`` / ``no talent subsidies from 2018``: what carries the path after the record.

Writes a table of Changsha's share by variant and seed, with the paces (pp a year) 2005-2019, 2011-2019 and
2019-``until``:

    python scripts/pace.py --out docs/record/pace_round5.csv       # 6 variants x 4 seeds to 2035, ~3 min on 2 cores
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.executor import open_executor, run_all  # noqa: E402
from experiments.io import write_csv  # noqa: E402
from model.identity import CORE_CITY  # noqa: E402
from model.scenarios import TimelineEntry, to_toml  # noqa: E402

FITTED = ROOT / "experiments" / "calibrations" / "fit2005" / "hindcast-2005.toml"
YEARS = (2005, 2009, 2011, 2014, 2019)
VARIANTS: dict[str, tuple[int, dict[str, float]] | None] = {
    "fitted": None,
    "cap 0.5 from 2011": (2011, {"subsidy_cap": 0.5}),
    "cap 0.5 from 2014": (2014, {"subsidy_cap": 0.5}),
    "no offers from 2014": (2014, {"subsidy_cap": 0.0}),
    "no offers from 2019": (2019, {"subsidy_cap": 0.0}),
    "no talent subsidies from 2018": (2018, {"talent_subsidy_cap": 0.0, "talent_subsidy_changsha": 0.0,
                                             "talent_subsidy_periphery": 0.0}),
}


def variant_file(folder: Path, base: Path, name: str) -> Path:
    """A scenario file extending ``base`` with the variant's dated change (or ``base`` itself)."""
    change = VARIANTS[name]
    if change is None:
        return base
    year, params = change
    path = folder / (name.replace(" ", "-") + ".toml")
    path.write_text(to_toml(base, {}, [TimelineEntry(year, 1, params, note=name)], name=f"pace-{path.stem}",
                            title=name, description=f"{base.name} with {name} (scripts/pace.py)"), encoding="utf-8")
    return path


def core_share(task: tuple[str, str, int, int]) -> dict:
    """Changsha's share of the cluster's GDP (%) by year in one run."""
    from model.czt_model import CZTModel

    name, scenario, seed, until = task
    m = CZTModel(scenario, seed=seed)
    m.run_until(until)
    g = m.annual_frame().pivot(index="year", columns="city", values="gdp_100m_yuan")
    share = 100 * g[CORE_CITY] / g.sum(axis=1)
    row = {"variant": name, "seed": seed, **{str(y): round(float(share.loc[y]), 3) for y in (*YEARS, until)}}
    row["pace_2005_2019_pp"] = round((share.loc[2019] - share.loc[2005]) / 14, 3)
    row["pace_2011_2019_pp"] = round((share.loc[2019] - share.loc[2011]) / 8, 3)
    row[f"pace_2019_{until}_pp"] = round((share.loc[until] - share.loc[2019]) / (until - 2019), 3)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", type=Path, default=FITTED, help="the fitted hindcast (a scenario file from 2005)")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--until", type=int, default=2035)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    for flag, value, ok, allowed in (("--until", a.until, a.until >= 2020, "a year from 2020 on"),
                                     ("--seeds", a.seeds, a.seeds >= 1, "at least 1"),
                                     ("--workers", a.workers, a.workers >= 1, "at least 1 process")):
        if not ok:
            print(f"pace: {flag} = {value!r}; allowed: {allowed}", file=sys.stderr)
            return 2
    from model.errors import ConfigError
    from model.scenarios import load

    try:
        start = load(a.scenario).resolved()["start_year"]
    except ConfigError as e:
        print(f"pace: {e}", file=sys.stderr)
        return 2
    if start != 2005:
        print(f"pace: --scenario {str(a.scenario)!r} starts in {start}; allowed: a hindcast from 2005", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        files = {n: str(variant_file(Path(tmp), a.scenario.resolve(), n)) for n in VARIANTS}
        tasks = [(n, f, s, a.until) for n, f in files.items() for s in range(1, a.seeds + 1)]
        ex = open_executor(min(a.workers, len(tasks)))
        try:
            rows = run_all(ex, core_share, tasks)
        finally:
            ex.close()
    table = pd.DataFrame(rows)
    write_csv(table, a.out)
    cols = [c for c in table.columns if c not in ("variant", "seed")]
    print(table.groupby("variant", sort=False)[cols].agg(["mean", "std"]).round(2).T.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
