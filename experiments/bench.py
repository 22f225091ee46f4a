"""``python -m experiments bench``: time and memory of the baseline at several scales, beside the reference kernel.

Each scale runs in its own process (its peak memory is that process's maximum RSS). With the reference kernel found
(``--reference``, by default ../shared/bench next to the repository: a minimal vectorized numpy labour market), it
runs in the same sitting with the same number of worker agents and quarterly steps, and the table shows the model's
whole run (initialization included) over the kernel's run time: at most 1 is the target. A plot shows the cost per
simulated year against the number of agents with a straight-line fit.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from model.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = ROOT.parent / "shared" / "bench"


def register(sub) -> None:
    b = sub.add_parser("bench", help="time and memory of the baseline at several scales, beside the reference kernel",
                       description=__doc__.splitlines()[0])
    b.add_argument("--scales", default="2000,200,10", help="comma-separated scales (residents per worker agent); "
                   "1 is the whole population (about 4 minutes, 2 GB)")
    b.add_argument("--until", type=int, default=2035)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--plot", default="runs/bench_scaling.png", help="where to write the scaling plot (PNG)")
    b.add_argument("--reference", default=str(DEFAULT_REFERENCE),
                   help="folder of the reference kernel (run_one.py labor_numpy); 'none' to skip it")
    b.add_argument("--calibration", action="store_true",
                   help="instead: hindcast runs per hour as the calibration makes them, beside an earlier commit's "
                   "figure measured in the same sitting (experiments/bench_calibration.py)")
    b.add_argument("--runs", type=int, default=80, help="with --calibration: runs on each side")
    b.add_argument("--workers", type=int, default=2, help="with --calibration: local processes")
    b.add_argument("--vs", default=None, help="with --calibration: the commit to compare with (default: the last "
                   "landing before the one-executor work); 'none' to skip")
    b.add_argument("--json", default=None, help="with --calibration: also write the figures to this JSON file")
    b.set_defaults(func=cmd_bench)
    o = sub.add_parser("_bench_one")
    o.add_argument("--scale", type=int, required=True)
    o.add_argument("--until", type=int, default=2035)
    o.add_argument("--seed", type=int, default=1)
    o.set_defaults(func=bench_one)


def bench_one(a: argparse.Namespace) -> int:
    """One scale in this process: a JSON line with timings, agents and peak memory."""
    from experiments.runner import run_model

    t0 = time.perf_counter()
    model, timing = run_model("baseline", a.seed, a.until, {"scale": a.scale})
    years = a.until - 2019 + 1
    agent_steps = (model.workers.n_alive + int(model.firms.alive.sum())) * model.steps
    print(json.dumps({"scale": a.scale, "workers": model.workers.n_alive, "firms": int(model.firms.alive.sum()),
                      "steps": model.steps, "init_s": timing["init_seconds"], "run_s": timing["run_seconds"],
                      "s_per_year": timing["run_seconds"] / years, "total_s": time.perf_counter() - t0,
                      "agent_steps_per_s": agent_steps / timing["run_seconds"],
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


def _args(a: argparse.Namespace) -> tuple[list[int], Path | None]:
    """Check every bench option before the first (long) run: scales, end year, seed, plot file, reference."""
    from experiments.io import writable_folder
    from model.params import BY_NAME

    items = [s.strip() for s in a.scales.split(",")]
    if not any(items):
        raise ConfigError("--scales", a.scales, "comma-separated scales, e.g. 2000,200,10")
    scales = []
    for s in items:
        try:
            scales.append(BY_NAME["scale"].coerce(s))
        except ConfigError as exc:
            raise ConfigError("--scales", s, exc.allowed_text + "; comma-separated, e.g. 2000,200,10") from None
    if not 2019 <= a.until <= 2100:
        raise ConfigError("--until", a.until, "a year from 2019 (the baseline's start year) to 2100")
    if not 0 <= a.seed <= 2**63 - 1:
        raise ConfigError("--seed", a.seed, "a non-negative integer below 2**63")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = plt.gcf().canvas.get_supported_filetypes()
    plt.close("all")
    plot = Path(a.plot)
    if plot.suffix.lstrip(".").lower() not in kinds:
        raise ConfigError("--plot", a.plot, "an image file name ending in one of " + ", ".join(f".{k}" for k in sorted(kinds)))
    try:
        is_dir = plot.is_dir()
    except OSError:  # a name the system refuses: the folder check below says why, naming --plot
        is_dir = False
    if is_dir:
        raise ConfigError("--plot", a.plot, "a file name (this path is a folder)")
    writable_folder(plot.parent, "--plot")
    ref = None if a.reference == "none" else Path(a.reference)
    if ref is not None and not (ref / "run_one.py").is_file():
        if a.reference != str(DEFAULT_REFERENCE):
            raise ConfigError("--reference", a.reference, "a folder holding run_one.py and labor_numpy.py, or 'none'")
        ref = None  # the default place has no kernel on this machine: the table goes without it
    return scales, ref


def _reference(ref: Path, workers: int, steps: int) -> float | None:
    """run_s of the reference kernel for this many workers and steps (its own process, from its folder)."""
    out = subprocess.run([sys.executable, "run_one.py", "labor_numpy", str(workers), str(steps)], cwd=ref,
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return float(json.loads(out.stdout.strip().splitlines()[-1])["run_s"])


def cmd_bench(a: argparse.Namespace) -> int:
    if a.calibration:
        from experiments import bench_calibration

        vs = bench_calibration.REFERENCE_COMMIT if a.vs is None else (None if a.vs == "none" else a.vs)
        return bench_calibration.cmd(a.runs, a.workers, vs, a.json)
    scales, ref = _args(a)
    print(f"baseline 2019-{a.until}, one process per scale (peak memory is that process's maximum RSS)"
          + (f"; reference kernel: {ref}" if ref else "; no reference kernel"))
    print(f"{'scale':>7} {'workers':>9} {'firms':>7} {'init s':>7} {'run s':>7} {'s/year':>7} {'total s':>8} "
          f"{'peak MB':>8} {'ref s':>7} {'model/ref':>9}")
    rows = []
    for s in scales:
        out = subprocess.run([sys.executable, "-m", "experiments", "_bench_one", "--scale", str(s), "--until",
                              str(a.until), "--seed", str(a.seed)], capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(f"{s:>7} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["ref_s"] = _reference(ref, r["workers"], r["steps"]) if ref else None
        rows.append(r)
        ref_cells = f"{r['ref_s']:>7.1f} {r['total_s'] / r['ref_s']:>9.2f}" if r["ref_s"] else f"{'-':>7} {'-':>9}"
        print(f"{r['scale']:>7} {r['workers']:>9} {r['firms']:>7} {r['init_s']:>7.2f} {r['run_s']:>7.2f} "
              f"{r['s_per_year']:>7.3f} {r['total_s']:>8.1f} {r['peak_rss_mb']:>8.0f} {ref_cells}")
    if len(rows) >= 2:
        per_agent = [r["s_per_year"] / (r["workers"] + r["firms"]) * 1e6 for r in rows]
        print("cost per simulated year per 1k agents (ms): " + ", ".join(f"{x:.2f}" for x in per_agent)
              + "  (constant = linear scaling)")
        _scaling_plot(rows, Path(a.plot))
    return 0


def _scaling_plot(rows: list[dict], path: Path) -> None:
    """Cost per simulated year against agents with a straight-line fit, a fixed cost per year plus a cost per agent
    (least squares on relative errors, so that small runs count as much as large ones); the title says whether the
    cost is linear in the agents: every run within 20% of the line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    x = np.array([r["workers"] + r["firms"] for r in rows], dtype=float)
    y = np.array([r["s_per_year"] for r in rows])
    b, c = np.polyfit(x, y, 1, w=1 / y)
    dev = np.abs(y / (b * x + c) - 1)
    verdict = "linearly" if dev.max() <= 0.2 else "not linearly"
    fig, (ax, lg) = plt.subplots(1, 2, figsize=(10, 4), dpi=150)
    xs = np.linspace(0, x.max() * 1.05, 50)
    for a_, xx, fit in ((ax, xs, b * xs + c), (lg, np.geomspace(x.min() * 0.7, x.max() * 1.4, 50), None)):
        a_.plot(x / 1e6, y, "o", label="measured")
        xx_fit = xx if fit is not None else xx
        a_.plot(xx_fit / 1e6, b * xx_fit + c, "-", label=f"fit: {c:.3f} s + {b * 1e6:.2f} s per million agents "
                f"(largest deviation {dev.max():.0%})")
        for r, xi, yi in zip(rows, x, y):
            a_.annotate(f"1:{r['scale']}", (xi / 1e6, yi), textcoords="offset points", xytext=(4, -10), fontsize=8)
        a_.set_xlabel("agents (worker agents + firm cohorts), millions")
        a_.set_ylabel("seconds per simulated year")
    lg.set_xscale("log")
    lg.set_yscale("log")
    lg.set_title("the same, log scales: the fixed cost per year dominates the small runs", fontsize=9)
    ax.set_title(f"CZT-Sim baseline: cost grows {verdict} in the number of agents", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    from experiments.io import atomic

    try:
        atomic(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:].lower()))  # a failed write leaves no file
    finally:
        plt.close(fig)
    print(f"scaling plot: {path} (cost {verdict} in agents: {c:.3f} s + {b * 1e6:.2f} s per million agents a year, "
          f"largest deviation {dev.max():.0%})")
