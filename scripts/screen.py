"""Morris screen of every non-policy parameter on the headline answers (issue 25, Deliver 3).

Two steps:

    python scripts/screen.py spec --out results/screen            # writes baseline.toml and integration.toml
    python -m experiments sweep results/screen/baseline.toml --out results/screen/baseline --workers 2
    python -m experiments sweep results/screen/integration.toml --out results/screen/integration --workers 2
    python scripts/screen.py report results/screen --docs docs/screen

``spec --point FILE`` centres the screen on a fitted point instead of the registry: the ``[params]`` of a scenario
file (e.g. experiments/calibrations/fit2005/baseline.toml) give the centre of every parameter they set, and the
seed spread is measured there (docs/screen-fit2005/ is the screen at the 2005 fit's point).

The two sweeps share one Morris design (same root seed, common random numbers), so each design point's lever
contrast is the integration package's run minus the baseline's. Each parameter varies over half to one and a half
times its registry value (a parameter at 0 over the bottom tenth of its allowed range), within its allowed range.
Outputs ranked: Changsha's 2035 share of CZT GDP (pp), the periphery's 2035 residents (10k persons), and the
integration package's effect on Changsha's 2035 share (pp). ``mu_star`` is compared with the seed spread of the
same output (sd over the replications of the default point, ``seed_sd``): a parameter whose mu_star exceeds it
moves the answer by more than the noise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.sweep.analyze import sensitivity
from experiments.sweep.design import problem
from experiments.sweep.store import Store
from model.params import PARAMS

SKIP = {"scale", "start_year", "burn_in_quarters", "core_productivity_shock"}  # run settings and the experiment's treatment
TRAJECTORIES = 4
LEVELS = 4
ROOT_SEED = 20251207
UNTIL = 2035
SCALE = 200
SEED_REPLICATIONS = 10


def point_values(path: Path | None) -> dict[str, float]:
    """The numeric ``[params]`` of a scenario file (the point a screen is centred on); {} for the registry."""
    if path is None:
        return {}
    from model.scenarios import read_toml

    return {k: float(v) for k, v in read_toml(path).get("params", {}).items() if isinstance(v, (int, float))}


def screened(point: dict[str, float] | None = None) -> list[tuple[str, float, float]]:
    """(name, lo, hi) of every numeric parameter without a policy lever, around the registry value or the
    ``point``'s."""
    out = []
    point = point or {}
    for p in PARAMS:
        if p.lever is not None or p.kind not in (float, int) or p.name in SKIP:
            continue
        d, lo, hi = float(point.get(p.name, p.default)), float(p.lo), float(p.hi)
        a, b = (max(lo, 0.5 * d), min(hi, 1.5 * d)) if d > 0 else (lo, lo + 0.1 * (hi - lo))
        if p.kind is int:
            a, b = np.floor(a), np.ceil(b)
        if b > a:
            out.append((p.name, a, b))
    return out


CALIBRATION = Path(__file__).resolve().parent.parent / "experiments" / "calibrations" / "record-2005.toml"


def fitted_at(point: Path | None) -> frozenset[str]:
    """The parameters fitted at a point: those the point sets that the calibration file fits (none at the registry,
    whose source texts say it themselves)."""
    if point is None:
        return frozenset()
    from model.scenarios import read_toml

    return frozenset(read_toml(CALIBRATION, "calibration file")["params"]) & set(point_values(point))


def status(name: str, fitted: frozenset[str] = frozenset()) -> str:
    """``fitted`` (to the long record), ``assumption`` or ``sourced``, read from the registry's source text; at a
    point off the registry, the parameters the point's calibration fitted (``fitted``) count as fitted."""
    from model.params import BY_NAME

    if name in fitted:
        return "fitted"

    src = BY_NAME[name].source.lower()
    if src.startswith("fitted to the long record") or "fitted to the long record" in src[:200]:
        return "fitted"
    if "assumption" in src:
        return "assumption"
    return "sourced"


def write_spec(out: Path, point: Path | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    centre = point_values(point)
    params = "\n".join(f"{n} = {{min = {float(a)!r}, max = {float(b)!r}}}" for n, a, b in screened(centre))
    # the scenarios the runs start from: the package's, or the point's files beside it (baseline.toml and
    # integration.toml in the point's folder), so the seed spread is measured at the point too
    base = {sc: (sc if point is None else str((point.parent / f"{sc}.toml").resolve()))
            for sc in ("baseline", "integration")}
    (out / "point.txt").write_text(f"{point or 'registry'}\n", encoding="utf-8")
    for scenario in ("baseline", "integration"):
        text = (f'name = "screen-{scenario}"\ndescription = "Morris screen of the non-policy parameters, {scenario}"\n'
                f'scenario = "{base[scenario]}"\ndesign = "morris"\nsamples = {TRAJECTORIES}\nmorris_levels = {LEVELS}\n'
                f'replications = 1\nseeds = "common"\nroot_seed = {ROOT_SEED}\nuntil = {UNTIL}\nscale = {SCALE}\n'
                f'retries = 1\ntimeout_seconds = 900\n'
                f'outputs = ["gdp_100m_yuan", "gdp_share", "population_10k"]\n\n[params]\n{params}\n')
        (out / f"{scenario}.toml").write_text(text, encoding="utf-8")
    seeds = (f'name = "screen-seeds"\ndescription = "seed spread at the {"registry values" if point is None else "point"}"\n'
             f'design = "scenarios"\n'
             f'scenarios = ["{base["baseline"]}", "{base["integration"]}"]\nreplications = {SEED_REPLICATIONS}\nseeds = "common"\n'
             f'root_seed = {ROOT_SEED}\nuntil = {UNTIL}\nscale = {SCALE}\n'
             f'outputs = ["gdp_100m_yuan", "gdp_share", "population_10k"]\n')
    (out / "seeds.toml").write_text(seeds, encoding="utf-8")
    print(f"{len(screened(centre))} parameters around {point or 'the registry'}; specs in {out}")


def _runs(folder: Path) -> pd.DataFrame:
    """The ok runs of a sweep folder, one row per design row (point, replication; identical configurations share a
    run), in design order."""
    store = Store(folder)
    runs, _ = store.consolidate(write="if-possible")
    ok = runs[runs.status == "ok"].drop(columns=["rep", "seed", "scenario"], errors="ignore")
    design = store.design()[["point", "rep", "run_id", "scenario"]]
    return design.merge(ok, on="run_id", how="inner").sort_values(["point", "rep"]).reset_index(drop=True)


def report(root: Path, docs: Path) -> None:
    store = Store(root / "baseline")
    spec = store.spec()
    prob = problem(spec)
    pts = store.design().drop_duplicates("point").sort_values("point")
    X = pts[["u_" + n for n in prob["names"]]].to_numpy(dtype=float)
    base, integ = _runs(root / "baseline"), _runs(root / "integration")
    if len(base) != len(X) or len(integ) != len(X):
        sys.exit(f"screen: {len(base)} and {len(integ)} ok runs of {len(X)} design points; resume the sweeps first")
    outputs = {
        "core_share_2035_pp": base.core_gdp_share_last.to_numpy() * 100,
        "periphery_residents_2035_10k": base.periphery_population_last_10k.to_numpy(),
        "integration_effect_core_share_pp": (integ.core_gdp_share_last.to_numpy()
                                             - base.core_gdp_share_last.to_numpy()) * 100,
    }
    seeds = _runs(root / "seeds")
    kind = seeds.scenario.map(lambda sc: Path(str(sc)).stem)  # a package name, or the point's file
    sb = seeds[kind == "baseline"].sort_values("rep")
    si = seeds[kind == "integration"].sort_values("rep")
    seed_sd = {"core_share_2035_pp": float(np.std(sb.core_gdp_share_last * 100, ddof=1)),
               "periphery_residents_2035_10k": float(np.std(sb.periphery_population_last_10k, ddof=1)),
               "integration_effect_core_share_pp": float(np.std((si.core_gdp_share_last.to_numpy()
                                                                  - sb.core_gdp_share_last.to_numpy()) * 100, ddof=1))}
    tables = []
    for name, y in outputs.items():
        t = sensitivity("morris", prob, X, y, num_levels=LEVELS)
        t.insert(0, "output", name)
        t["seed_sd"] = seed_sd[name]
        t["moves_answer"] = t.mu_star > t.seed_sd
        t["rank"] = t.mu_star.rank(ascending=False, method="min").astype(int)
        tables.append(t.sort_values("rank"))
    table = pd.concat(tables, ignore_index=True)
    marker = root / "point.txt"
    written = marker.read_text(encoding="utf-8").strip() if marker.exists() else "registry"
    point = None if written == "registry" else Path(written)
    ranges = {n: (a, b) for n, a, b in screened(point_values(point))}
    fitted = fitted_at(point)
    table["status"] = table.param.map(lambda n: status(n, fitted))
    table["range_lo"] = table.param.map(lambda n: ranges[n][0])
    table["range_hi"] = table.param.map(lambda n: ranges[n][1])
    docs.mkdir(parents=True, exist_ok=True)
    tmp = docs / "screen.csv.tmp"
    table.to_csv(tmp, index=False, float_format="%.6g")
    tmp.replace(docs / "screen.csv")
    _plot(table, docs / "screen.png")
    for name in outputs:
        t = table[table.output == name]
        top = t[t.moves_answer]
        counts = top.status.value_counts().to_dict()
        print(f"{name}: seed sd {seed_sd[name]:.3g}; {len(top)} parameters with mu* above it ({counts}): "
              + ", ".join(f"{r.param} {r.mu_star:.3g} [{r.status}]" for r in top.itertuples()))
    movers = table[table.moves_answer].groupby("param").agg(status=("status", "first"), outputs=("output", "size"),
                                                              best_rank=("rank", "min"))
    tmp = docs / "movers.csv.tmp"
    movers.sort_values(["best_rank"]).to_csv(tmp)
    tmp.replace(docs / "movers.csv")
    print(f"{len(movers)} parameters move at least one output beyond its seed spread: "
          f"{movers.status.value_counts().to_dict()}")


def _plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(table.output.unique())
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 7))
    for ax, name in zip(axes, names):
        t = table[table.output == name].sort_values("mu_star", ascending=False).head(20)[::-1]
        ax.barh(t.param, t.mu_star, xerr=t.mu_star_conf, color=np.where(t.moves_answer, "#c0392b", "#95a5a6"))
        ax.axvline(t.seed_sd.iloc[0], color="k", ls="--", lw=1, label="seed sd")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("Morris mu* (output unit)")
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=7)
    fig.suptitle("Morris screen of the non-policy parameters (20 largest; red: above the seed spread)")
    fig.tight_layout()
    from experiments.report.style import save

    save(fig, path.with_suffix(""))  # PNG and PDF, each written atomically; the figure closed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("spec")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--point", type=Path, help="a scenario file whose [params] centre the screen (default: the registry)")
    r = sub.add_parser("report")
    r.add_argument("root", type=Path)
    r.add_argument("--docs", type=Path, default=Path("docs/screen"))
    a = ap.parse_args(argv)
    if a.cmd == "spec":
        write_spec(a.out, a.point)
    else:
        report(a.root, a.docs)


if __name__ == "__main__":
    main()
