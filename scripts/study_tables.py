"""The worked study's tables over the posterior, as Markdown (docs/study-integration.md pastes them).

    python scripts/study_tables.py --posterior docs/posterior-study --spillover docs/spillover/posterior \
        --channels docs/spillover/posterior-channels

--posterior: a folder of ``python -m experiments posterior`` (summary.csv, contrasts.csv, runs.csv);
--spillover: a folder holding one ``python -m experiments spillover --posterior N`` output folder per scenario
(verdict.csv, drivers.csv); --channels: the same with --channels (channels.csv). Twins (a lever compared with its own twin
rather than the baseline) are read from the integration study's sweep file.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CITIES = ("zhuzhou", "xiangtan")


def critical_rho(n: int) -> float:
    """|Spearman rho| above which a correlation over n draws differs from 0 at about the 5 % level (two-sided,
    the normal approximation 1.96 / sqrt(n - 1): 0.45 for 20 draws, 0.65 for 10)."""
    return 1.96 / (n - 1) ** 0.5


def fmt(x: float, sign: bool = True, nd: int = 1) -> str:
    return f"{x:+.{nd}f}" if sign else f"{x:.{nd}f}"


def lever_table(folder: Path) -> str:
    s = pd.read_csv(folder / "summary.csv")
    c = pd.read_csv(folder / "contrasts.csv")
    core = s[s.outcome == "core_gdp_share_pp"].set_index("scenario")
    rows = ["| scenario | Changsha's 2035 GDP share, median [90 %] | lever on Changsha's share, pp [90 %] | "
            "P(raises): Zhuzhou share / GDP / residents | P(raises): Xiangtan share / GDP / residents |",
            "|---|---|---|---|---|"]
    for sc in core.index:
        r = core.loc[sc]
        head = f"| {sc} | {r['median']:.1f} % [{r.q05:.1f}, {r.q95:.1f}] |"
        if sc == "baseline":
            rows.append(head + " – | – | – |")
            continue
        cc = c[c.scenario == sc].set_index("outcome")
        eff = cc.loc["core_gdp_share_pp"]
        ps = ["/".join(f"{cc.loc[f'{city}_{o}'].p_raises:.2f}" for o in ("gdp_share_pp", "gdp_100m_yuan",
                                                                            "residents_10k")) for city in CITIES]
        rows.append(head + f" {fmt(eff['median'])} [{fmt(eff.q05)}, {fmt(eff.q95)}] | {ps[0]} | {ps[1]} |")
    return "\n".join(rows)


def twin_table(folder: Path, twins: dict[str, str]) -> str:
    """Each lever against its own twin (same draw and seed): the median effect and P(raises) over draws."""
    runs = pd.read_csv(folder / "runs.csv")
    rows = ["| lever (against its twin) | outcome | effect, median [90 %] | P(raises) |", "|---|---|---|---|"]
    for lever, twin in twins.items():
        a = runs[runs.scenario == lever].set_index(["draw", "seed"])
        b = runs[runs.scenario == twin].set_index(["draw", "seed"])
        for col, unit in (("xiangtan_gdp_share_pp", "pp"), ("xiangtan_gdp_100m_yuan", "100m yuan"),
                          ("xiangtan_residents_10k", "10k"), ("zhuzhou_gdp_share_pp", "pp")):
            d = (a[col] - b[col]).dropna()
            per = d.groupby(level="draw").mean()
            rows.append(f"| {lever} (vs {twin}) | {col} ({unit}) | {d.median():+.2f} [{d.quantile(0.05):+.2f}, "
                        f"{d.quantile(0.95):+.2f}] | {(per > 0).mean():.2f} |")
    return "\n".join(rows)


def lever_drivers(folder: Path, min_spread: float = 1.0) -> str:
    """For each lever whose per-draw effect on a periphery city's GDP share spans more than ``min_spread`` pp over
    the draws (5-95 %): the drawn parameters its effect turns on most (Spearman over the draws)."""
    runs = pd.read_csv(folder / "runs.csv")
    outcome = [c for c in runs.columns if c.endswith(("_pp", "_100m_yuan", "_10k"))]
    params = [c for c in runs.columns if c not in ("draw", "scenario", "seed", "point", *outcome)]
    base = runs[runs.scenario == "baseline"].set_index(["draw", "seed"])
    drawn = base.groupby(level="draw")[params].first()
    drawn = drawn.loc[:, drawn.nunique() > 1]
    rows = ["| lever | city | per-draw effect on its GDP share, 5-95 % (pp) | turns most on (Spearman over draws, "
            "significant ones only) |",
            "|---|---|---|---|"]
    for sc in [s for s in runs.scenario.unique() if s != "baseline"]:
        lev = runs[runs.scenario == sc].set_index(["draw", "seed"])
        for city in CITIES:
            col = f"{city}_gdp_share_pp"
            per = (lev[col] - base[col]).groupby(level="draw").mean()
            lo, hi = per.quantile(0.05), per.quantile(0.95)
            if hi - lo <= min_spread:
                continue
            rho = {p: per.corr(drawn[p], method="spearman") for p in drawn.columns}
            top = [kv for kv in sorted(rho.items(), key=lambda kv: -abs(kv[1]))[:3]
                   if abs(kv[1]) >= critical_rho(len(per))]
            rows.append(f"| {sc} | {city} | {lo:+.1f} to {hi:+.1f} | "
                        + (", ".join(f"{k} {v:+.2f}" for k, v in top) or "none significant") + " |")
    return "\n".join(rows)


def verdict_table(folder: Path) -> str:
    rows = ["| scenario | city | elasticity, median [90 % over draws] | P(siphon) | P(spillover) | verdict | "
            "turns most on (Spearman over draws, significant ones only) |", "|---|---|---|---|---|---|---|"]
    for sub in sorted(p for p in folder.iterdir() if (p / "verdict.csv").exists()):
        v = pd.read_csv(sub / "verdict.csv")
        d = pd.read_csv(sub / "drivers.csv")
        for r in v.itertuples():
            sig = d[(d.city == r.city) & (d.spearman.abs() >= critical_rho(int(r.draws)))]
            top = ", ".join(f"{x.param} {x.spearman:+.2f}" for x in sig.head(2).itertuples()) or "none significant"
            rows.append(f"| {sub.name} | {r.city} | {r.elasticity:+.2f} [{r.low:+.2f}, {r.high:+.2f}] | "
                        f"{r.p_siphon:.2f} | {r.p_spillover:.2f} | {r.call} | {top} |")
    return "\n".join(rows)


def channel_table(folder: Path) -> str:
    rows = ["| scenario | city | channel | contribution, median [90 % over draws] | P(carries siphon) |",
            "|---|---|---|---|---|"]
    for sub in sorted(p for p in folder.iterdir() if (p / "channels.csv").exists()):
        ch = pd.read_csv(sub / "channels.csv")
        for r in ch.sort_values(["city", "contribution"], key=lambda c: c if c.name == "city" else c.abs(),
                                ascending=[True, False]).itertuples():
            rows.append(f"| {sub.name} | {r.city} | {r.channel} | {r.contribution:+.2f} [{r.low:+.2f}, "
                        f"{r.high:+.2f}] | {r.p_siphon:.2f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posterior", type=Path, default=ROOT / "docs/posterior-study")
    ap.add_argument("--spillover", type=Path, default=ROOT / "docs/spillover/posterior")
    ap.add_argument("--channels", type=Path, default=ROOT / "docs/spillover/posterior-channels")
    a = ap.parse_args(argv)
    for flag, path, need in (("--posterior", a.posterior, "summary.csv"), ("--spillover", a.spillover, None),
                             ("--channels", a.channels, None)):
        if not path.is_dir() or (need and not (path / need).exists()):
            print(f"study_tables: {flag} {path}: not a folder of its command's output (see --help)", file=sys.stderr)
            return 2
    twins = tomllib.loads((ROOT / "experiments/sweeps/integration-study.toml").read_text())["twins"]
    print("## Levers over the posterior\n\n" + lever_table(a.posterior))
    print("\n## Levers against their twins\n\n" + twin_table(a.posterior, twins))
    print("\n## What the levers' effects turn on\n\n" + lever_drivers(a.posterior))
    print("\n## Causal verdict over the posterior\n\n" + verdict_table(a.spillover))
    print("\n## Channels over the posterior\n\n" + channel_table(a.channels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
