"""The governments' game, understood (issue 26, item 4): do the city governments' yearly choices reach a rest point
or cycle, why, and which of the study's findings depend on the objective, the caps and the policy inertia?

The baseline scenario (registry defaults, ``government_regime = compete``), seeds 1-4, scale 200, 2019-2035, and the
same under the governance parameters that shape the game (``CONDITIONS``). Two parts:

1. The yearly dynamics. Each city's chosen instruments per year (the decision log, ``CZTModel.decisions_frame``:
   incentive intensity, talent subsidy, extra park land), and a class per path (``classify``): converged (changes
   below 1% of the instrument's cap from some year on), cycle (a period of 2-6 years), irregular (bounded switching
   without a period) or drifting (a trend that has not settled).
2. The stage game, at every year's decision of the baseline (seeds ``STAGE_SEEDS``), on the state the governments
   saw: every pure-strategy rest point of the talent-subsidy game on the decision grid (full enumeration of the
   21^3 profiles), whether the best-response dynamics on that frozen state reach it (simultaneous or one city at a
   time, full step or ``policy_adjustment`` 0.5), each city's best response if the subsidy were not also paid to the
   talent already eligible (``TalentGame.eligible_persons`` set to 0), the rest points under a relative-growth
   objective (own objective less the rivals' mean; an analysis of the stage game only: the model has no such option),
   and the incentive game's rest point (``model.governance.equilibrium``).

    python scripts/government_game.py --out docs/government-game     # about 8 minutes on 2 cores

Writes paths.csv, classes.csv, findings.csv, contrasts.csv and stage.csv (experiments.io.atomic) and the figure
talent_subsidy_paths.{pdf,png} (experiments.report.style.save); docs/government-game.md reads them.
"""

from __future__ import annotations

import argparse
import dataclasses
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

SEEDS = (1, 2, 3, 4)
STAGE_SEEDS = (1, 2)
SCALE = 200
UNTIL = 2035
TOL = 0.01  # a change below 1% of the instrument's cap is no change
CYCLE_TOL = 0.05  # a period holds if the path repeats within 5% of the cap
MAX_PERIOD = 6
INSTRUMENTS = (("incentive_intensity", "subsidy_cap"), ("talent_subsidy_yuan", "talent_subsidy_cap"),
               ("land_release_share", "land_release_max"))

# (name, overrides, what it varies); the first is the reference
CONDITIONS: tuple[tuple[str, dict, str], ...] = (
    ("baseline", {}, "registry defaults: compete, policy_adjustment 0.5, caps 1 and 30,000 yuan, gdp_weight 0.46"),
    ("myopic", {"policy_adjustment": 1.0}, "no inertia: each government moves all the way to its best response"),
    ("slow", {"policy_adjustment": 0.25}, "more inertia: a quarter of the gap a year"),
    ("talent_cap_2000", {"talent_subsidy_cap": 2000.0}, "talent subsidies capped at 2,000 yuan"),
    ("talent_cap_10000", {"talent_subsidy_cap": 10000.0}, "talent subsidies capped at 10,000 yuan"),
    ("no_incentives", {"subsidy_cap": 0.0}, "no incentive offers for arriving firms (subsidy_cap 0)"),
    ("gdp_tournament", {"gdp_weight": 0.97}, "objective almost all GDP growth (gdp_weight 0.97)"),
    ("revenue_first", {"gdp_weight": 0.2}, "objective mostly revenue growth (gdp_weight 0.2)"),
    ("provincial", {"government_regime": "provincial"}, "the province chooses for the cluster (reference)"),
    ("fixed", {"government_regime": "fixed"}, "no decisions: the levers' values (reference)"),
)


# ------------------------------------------------------------------------------------------------ classification
def classify(x: np.ndarray, cap: float) -> tuple[str, int, float]:
    """(class, period or settling index, rest value) of a yearly path ``x`` on an instrument capped at ``cap``."""
    x = np.asarray(x, float)
    scale = max(cap, 1e-12)
    step = np.abs(np.diff(x)) <= TOL * scale
    # converged: every change from some index on (the last four at least) is below the tolerance
    if cap <= 0 or step.all():
        return "converged", 0, float(x[-1])
    last_move = int(np.flatnonzero(~step)[-1]) + 1  # index of the first value of the flat tail
    if len(x) - last_move >= 5:
        return "converged", last_move, float(x[-1])
    tail = x[-12:]
    t = np.arange(len(tail))
    slope = np.polyfit(t, tail, 1)[0]
    if abs(slope) * (len(tail) - 1) > 0.5 * (tail.max() - tail.min()):  # the trend is most of the movement
        return "drifting", -1, float(tail[-1])
    turns = int((np.diff(np.sign(np.diff(tail))) != 0).sum())
    for p in range(2, MAX_PERIOD + 1):
        d = np.abs(tail[p:] - tail[:-p])
        if (d <= CYCLE_TOL * scale).all() and tail.max() - tail.min() > 2 * CYCLE_TOL * scale and \
                turns >= len(tail) // p - 1:
            return "cycle", p, float(tail.mean())
    return "irregular", -1, float(tail.mean())


# ------------------------------------------------------------------------------------------------ the stage game
def talent_stage(m):
    """The talent-subsidy stage game as ``decide`` sets it up: effects, current profile, grid, budget."""
    from model import governance as gv

    p, G = m.p, m.governance
    budget = p["outlay_budget_share"] * 4 * np.maximum(m.fiscal.tax_after_sharing, 0.0)
    fg, tg = gv.firm_game(m), gv.talent_game(m)
    s_now = np.minimum(G.incentive, p["subsidy_cap"])
    t_now = np.minimum(G.talent_subsidy, p["talent_subsidy_cap"])
    s_out = gv.firm_effects(m, fg, s_now[None, :])[2][0]
    grid = np.linspace(0.0, p["talent_subsidy_cap"], gv.TALENT_STEPS)
    return tg, t_now, grid, np.maximum(budget - s_out, 0.0)


def payoffs(m, effects, grid: np.ndarray, budget: np.ndarray, relative: bool = False) -> np.ndarray:
    """Every city's objective at every profile of the grid, (n, n, n, cities); -inf where its outlay exceeds its
    budget. ``relative``: own objective less the mean of the rivals' (a relative-growth objective)."""
    from model import governance as gv

    n, C = len(grid), 3
    idx = np.stack(np.meshgrid(*[np.arange(n)] * C, indexing="ij"), -1).reshape(-1, C)
    J = np.empty((len(idx), C))
    ok = np.empty((len(idx), C), bool)
    chunk = n * n
    for a in range(0, len(idx), chunk):
        d_gdp, d_rev, out = effects(grid[idx[a:a + chunk]])
        J[a:a + chunk] = gv.objective(m, d_gdp, d_rev)
        ok[a:a + chunk] = out <= budget[None]
    if relative:
        J = J - (J.sum(axis=1, keepdims=True) - J) / (C - 1)
    return np.where(ok, J, -np.inf).reshape(n, n, n, C)


def rest_points(J: np.ndarray, grid: np.ndarray) -> list[tuple[float, ...]]:
    """Pure-strategy rest points: profiles where no city gains by moving alone to another grid value (1e-10)."""
    ne = np.ones(J.shape[:-1], bool)
    for c in range(J.shape[-1]):
        Jc = J[..., c]
        best = Jc.max(axis=c, keepdims=True)
        ne &= Jc >= best - 1e-10 * np.abs(best)
    return [tuple(float(grid[i]) for i in k) for k in np.argwhere(ne)]


def dynamics(m, effects, start: np.ndarray, grid: np.ndarray, budget: np.ndarray, theta: float = 1.0,
             sequential: bool = False, rounds: int = 40) -> tuple[np.ndarray, int | None, int]:
    """Best-response dynamics on a frozen state: each round every city (``sequential``: one after another, each
    seeing the others' new choices) closes ``theta`` of the gap to its best response. Returns the last profile,
    the first round after which every later profile lies within TOL of the cap of it (None: never) and the period
    the path ends on (1: a rest point; 0: none up to 4 rounds)."""
    from model import governance as gv

    x, path = start.astype(float).copy(), [start.astype(float).copy()]
    for _ in range(rounds):
        if sequential:
            for c in range(len(x)):
                y, _ = gv.best_responses(m, effects, x, grid, budget)
                x[c] += theta * (y[c] - x[c])
        else:
            y, _ = gv.best_responses(m, effects, x, grid, budget)
            x = x + theta * (y - x)
        path.append(x.copy())
    path = np.array(path)
    near = (np.abs(path - path[-1]).max(axis=1) <= TOL * grid[-1])
    far = np.flatnonzero(~near)
    settled = int(far[-1]) + 1 if len(far) else 0
    period = next((k for k in range(1, 5) if np.abs(path[-1 - k] - path[-1]).max() <= TOL * grid[-1]
                   and np.abs(path[-2 - k] - path[-2]).max() <= TOL * grid[-1]), 0)
    return path[-1], (settled if settled < rounds - 5 else None), period


def stage_rows(m) -> list[dict]:
    """The stage games the governments face at this year's decision (before ``decide`` runs)."""
    from model import governance as gv

    tg, t_now, grid, budget = talent_stage(m)
    effects = lambda t: gv.talent_effects(m, tg, t)  # noqa: E731
    br, _ = gv.best_responses(m, effects, t_now, grid, budget)
    J = payoffs(m, effects, grid, budget)
    ne = rest_points(J, grid)
    ne_rel = rest_points(payoffs(m, effects, grid, budget, relative=True), grid)
    no_stock = dataclasses.replace(tg, eligible_persons=np.zeros_like(tg.eligible_persons))
    br_free, _ = gv.best_responses(m, lambda t: gv.talent_effects(m, no_stock, t), t_now, grid, budget)
    dyn = {f"{'seq' if seq else 'sim'}_{th:g}": dynamics(m, effects, t_now, grid, budget, th, seq)
           for th, seq in ((1.0, False), (0.5, False), (1.0, True))}
    # the incentive game's rest point (model.governance.equilibrium) from the current intensities
    p = m.p
    fg = gv.firm_game(m)
    s_grid = np.linspace(0.0, p["subsidy_cap"], gv.INCENTIVE_STEPS)
    s_budget = p["outlay_budget_share"] * 4 * np.maximum(m.fiscal.tax_after_sharing, 0.0)
    s_rest, s_rounds = gv.equilibrium(m, lambda s: gv.firm_effects(m, fg, s), m.governance.incentive, s_grid, s_budget)
    rows = []
    profiles = "; ".join("/".join(f"{v:.0f}" for v in r) for r in ne)
    profiles_rel = "; ".join("/".join(f"{v:.0f}" for v in r) for r in ne_rel)
    for c, city in enumerate(m.cities):
        row = {"year": m.year, "city": city, "rest_point_profiles": profiles,
               "rest_point_profiles_relative_objective": profiles_rel, "talent_subsidy_now": round(float(t_now[c]), 1),
               "best_response": float(br[c]), "best_response_without_stock": float(br_free[c]),
               "eligible_talent_persons": round(float(tg.eligible_persons[c])),
               "rest_points": len(ne), "rest_point": ne[0][c] if len(ne) == 1 else np.nan,
               "rest_points_relative_objective": len(ne_rel),
               "rest_point_relative_objective": ne_rel[0][c] if len(ne_rel) == 1 else np.nan,
               "incentive_rest_point": float(s_rest[c]), "incentive_rest_rounds": s_rounds}
        for k, (last, settled, period) in dyn.items():
            row[f"frozen_{k}_end"] = round(float(last[c]), 1)
            row[f"frozen_{k}_settled_round"] = settled
            row[f"frozen_{k}_period"] = period
            row[f"frozen_{k}_at_rest_point"] = len(ne) == 1 and abs(float(last[c]) - ne[0][c]) <= TOL * grid[-1]
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------------------ one run
def run_one(name: str, overrides: dict, seed: int, stage: bool) -> tuple[list[dict], dict, list[dict]]:
    """One run: its decision log (city rows), its findings, and (``stage``) the stage games of every year."""
    from model import CZTModel

    m = CZTModel("baseline", seed=seed, overrides={"scale": SCALE, **overrides})
    stages: list[dict] = []
    if stage:
        def watched(st):
            def run(mm):
                if st.name == "government_decisions" and mm.year <= UNTIL:
                    stages.extend({"seed": seed, **r} for r in stage_rows(mm))
                st.run(mm)
            return dataclasses.replace(st, run=run)
        m.year_stages = tuple(watched(s) for s in type(m).year_stages)
    m.run_until(UNTIL)
    d = m.decisions_frame()
    d = d[(d.kind == "city") & (d.year <= UNTIL)]
    paths = [{"condition": name, "seed": seed, **{k: r[k] for k in ("year", "city", "incentive_intensity",
                                                                      "talent_subsidy_yuan", "land_release_share",
                                                                      "predicted_gain")}}
             for r in d.to_dict("records")]
    a = m.annual_frame()
    a = a[a.year == UNTIL].set_index("city")
    found = {"condition": name, "seed": seed,
             **{f"{c}_gdp_share_{UNTIL}_pct": 100 * float(a.at[c, "gdp_share"]) for c in m.cities},
             **{f"{c}_residents_{UNTIL}_10k": float(a.at[c, "population_10k"]) for c in m.cities[1:]},
             f"periphery_residents_{UNTIL}_10k": float(a.loc[list(m.cities[1:]), "population_10k"].sum()),
             **outlays(m.annual_frame())}
    found.update({k: m.p[k] for _, k in INSTRUMENTS})
    return paths, found, stages


def outlays(annual: pd.DataFrame) -> dict[str, float]:
    """The cluster's outlays 2019-2035 (100 million yuan): firm incentives, and talent subsidies (subsidies paid less
    incentives, training and land development: ``model.fiscal``'s sum)."""
    a = annual[annual.year <= UNTIL]
    talent = a.subsidies_100m_yuan - a.incentives_100m_yuan - a.training_cost_100m_yuan - a.land_cost_100m_yuan
    return {"incentives_2019_2035_100m_yuan": float(a.incentives_100m_yuan.sum()),
            "talent_subsidies_2019_2035_100m_yuan": float(talent.sum())}


# ------------------------------------------------------------------------------------------------ tables
def classes(paths: pd.DataFrame, caps: dict[str, dict[str, float]]) -> pd.DataFrame:
    rows = []
    for (cond, seed, city), g in paths.groupby(["condition", "seed", "city"], sort=False):
        g = g.sort_values("year")
        for col, cap_name in INSTRUMENTS:
            cls, k, rest = classify(g[col].to_numpy(), caps[cond][cap_name])
            rows.append({"condition": cond, "seed": seed, "city": city, "instrument": col, "class": cls,
                         "period": k if cls == "cycle" else None,
                         "settled_year": int(g.year.iloc[k]) if cls == "converged" else None,
                         "rest_or_mean": round(rest, 4), "min": round(float(g[col].min()), 4),
                         "max": round(float(g[col].max()), 4)})
    return pd.DataFrame(rows)


def contrasts(found: pd.DataFrame) -> pd.DataFrame:
    """Each condition against the baseline: mean over seeds, the paired (same seed) difference and the baseline's
    seed spread (max - min over seeds); ``beyond_spread``: |mean difference| exceeds the spread;
    ``same_sign_every_seed``: the paired difference has one sign in every seed."""
    metrics = [c for c in found.columns if c.endswith(("_pct", "_10k"))]
    base = found[found.condition == CONDITIONS[0][0]].set_index("seed")
    rows = []
    for cond, g in found.groupby("condition", sort=False):
        g = g.set_index("seed")
        for k in metrics:
            diff = g[k] - base[k].reindex(g.index)
            spread = float(base[k].max() - base[k].min())
            rows.append({"condition": cond, "metric": k, "mean": round(float(g[k].mean()), 3),
                         "seed_min": round(float(g[k].min()), 3), "seed_max": round(float(g[k].max()), 3),
                         "baseline_spread": round(spread, 3), "mean_difference": round(float(diff.mean()), 3),
                         "difference_min": round(float(diff.min()), 3), "difference_max": round(float(diff.max()), 3),
                         "beyond_spread": bool(abs(diff.mean()) > spread),
                         "same_sign_every_seed": bool(cond != CONDITIONS[0][0] and ((diff > 0).all() or (diff < 0).all()))})
    return pd.DataFrame(rows)


def figure(paths: pd.DataFrame, stage: pd.DataFrame, out: Path) -> list[Path]:
    """Talent subsidies by year: the baseline's seeds (solid; seed 1 bold) and the myopic rule's seed 1 (dotted),
    the stage game's rest point of each year where it is unique (dots, seed 1), one panel per city."""
    from experiments.report import style

    style.setup(want_chinese=False)
    import matplotlib.pyplot as plt

    cities = list(dict.fromkeys(paths.city))
    fig, axes = plt.subplots(1, len(cities), figsize=(style.DOUBLE_COLUMN_IN, 2.2), sharey=True)
    for ax, city in zip(axes, cities):
        colour = style.CITY_COLOURS.get(city, "k")
        for cond, ls, seeds in (("baseline", "-", SEEDS), ("myopic", ":", SEEDS[:1])):
            mine = paths[(paths.condition == cond) & (paths.city == city) & paths.seed.isin(seeds)]
            for seed, g in mine.groupby("seed"):
                ax.plot(g.year, g.talent_subsidy_yuan / 1000, ls, color=colour, alpha=0.35 if seed > 1 else 1.0,
                        lw=1.2 if seed == 1 else 0.8, label=f"{cond}, seed 1" if seed == 1 else None)
        s = stage[(stage.city == city) & (stage.seed == 1)]
        ax.plot(s.year, s.rest_point / 1000, "o", ms=2.5, color="k", label="stage-game rest point (seed 1)")
        ax.set_title(city)
        ax.set_xlabel("year")
    axes[0].set_ylabel("talent subsidy (1,000 yuan a year)")
    axes[0].legend(loc="upper left", fontsize=6)
    return style.save(fig, out / "talent_subsidy_paths")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder to write the tables and the figure into")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--conditions", nargs="*", default=[c[0] for c in CONDITIONS],
                    help="names from CONDITIONS (default: all)")
    ap.add_argument("--reuse", action="store_true", help="rebuild classes, contrasts and the figure from the "
                    "paths, findings and stage CSVs already in --out (no runs)")
    ap.add_argument("--stage-only", action="store_true", help="rerun only the baseline's stage games (seeds "
                    f"{', '.join(map(str, STAGE_SEEDS))}) and rewrite stage.csv; the other CSVs as --reuse")
    args = ap.parse_args()
    chosen = [c for c in CONDITIONS if c[0] in args.conditions]
    if not chosen or chosen[0][0] != CONDITIONS[0][0]:
        ap.error(f"the conditions must include {CONDITIONS[0][0]!r}, the reference")
    from experiments.io import write_csv

    out = Path(args.out)
    if args.reuse or args.stage_only:  # the tables and the figure again from the runs' CSVs of an earlier call
        paths, found, stage = (pd.read_csv(out / f"{n}.csv") for n in ("paths", "findings", "stage"))
    if args.stage_only:  # the baseline's stage games again; its paths must be those already written
        name, ov, _ = CONDITIONS[0]
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(run_one, [name] * len(STAGE_SEEDS), [ov] * len(STAGE_SEEDS), STAGE_SEEDS,
                                    [True] * len(STAGE_SEEDS)))
        again = pd.DataFrame([r for p, _, _ in results for r in p])
        before = paths[(paths.condition == name) & paths.seed.isin(STAGE_SEEDS)]
        assert np.allclose(again.talent_subsidy_yuan.to_numpy(), before.talent_subsidy_yuan.to_numpy(), rtol=1e-9), \
            "the baseline's paths differ from paths.csv"
        stage = pd.DataFrame([r for _, _, s in results for r in s])
        write_csv(stage, out / "stage.csv")
    if not (args.reuse or args.stage_only):
        with ProcessPoolExecutor(args.workers) as pool:
            jobs = [pool.submit(run_one, name, ov, seed, name == CONDITIONS[0][0] and seed in STAGE_SEEDS)
                    for name, ov, _ in chosen for seed in SEEDS]
            results = [j.result() for j in jobs]
        paths = pd.DataFrame([r for p, _, _ in results for r in p])
        found = pd.DataFrame([f for _, f, _ in results])
        stage = pd.DataFrame([r for _, _, s in results for r in s])
        for name, df in (("paths", paths), ("findings", found), ("stage", stage)):
            write_csv(df, out / f"{name}.csv")
    caps = {r["condition"]: {k: r[k] for _, k in INSTRUMENTS} for r in found.to_dict("records")}
    write_csv(classes(paths, caps), out / "classes.csv")
    write_csv(contrasts(found), out / "contrasts.csv")
    cls, con = pd.read_csv(out / "classes.csv"), pd.read_csv(out / "contrasts.csv")
    figure(paths, stage, out)
    pd.set_option("display.width", 200)
    print(cls.pivot_table(index=["condition", "instrument", "city"], columns="class", values="seed",
                          aggfunc="count", fill_value=0).to_string())
    print(con[con.beyond_spread | con.same_sign_every_seed].to_string(index=False))
    print(stage.groupby("seed")[["rest_points", "frozen_sim_1_at_rest_point", "frozen_sim_0.5_at_rest_point",
                                 "frozen_seq_1_at_rest_point"]].agg(["min", "mean"]).to_string())


if __name__ == "__main__":
    main()
