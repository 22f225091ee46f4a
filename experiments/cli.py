"""Command line: ``python -m experiments {run,scenarios,params,bench,sweep,...,calibrate,report,validate}``.

User mistakes (unknown parameter, value out of range, bad scenario file) print one line naming the
field, the value and what is allowed, and exit with status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from model.errors import ConfigError
from model.params import PARAMS


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line on stderr (``error: ...``), exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        from model.errors import one_line

        self.exit(2, f"error: {one_line(message, 500)} (see '{self.prog} --help')\n")


def _parse_sets(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError("--set", item, "NAME=VALUE, e.g. enclave_tax_share=0.5")
        k, v = item.split("=", 1)
        k = k.strip()
        if k in out:
            raise ConfigError(f"--set {k}", v.strip(), f"each parameter once (already --set {k}={out[k]})",
                              kind="parameter set twice")
        out[k] = v.strip()
    return out


def scale_once(overrides: dict[str, Any], scale: int | None) -> dict[str, Any]:
    """``overrides`` with ``--scale`` added; a ConfigError if ``--set scale=`` gives it too (one would be ignored)."""
    if scale is None:
        return overrides
    if "scale" in overrides:
        from model.params import BY_NAME

        BY_NAME["scale"].coerce(overrides["scale"])  # a value that is wrong anyway is named as such first
        raise ConfigError("--set scale", overrides["scale"], f"the scale given once: --scale {scale} or "
                          f"--set scale={overrides['scale']}, not both", kind="scale set twice")
    return {**overrides, "scale": scale}


def cmd_run(a: argparse.Namespace) -> int:
    from experiments.io import output_folder
    from experiments.runner import run_to_folder
    from model.scenarios import load

    overrides = scale_once(_parse_sets(a.set), a.scale)
    if a.until < 2010 or a.until > 2100:
        raise ConfigError("--until", a.until, "a year from the scenario's start year (2019; 2010 for the hindcast) to 2100")
    if a.seed < 0 or a.seed > 2**63 - 1:
        raise ConfigError("--seed", a.seed, "a non-negative integer below 2**63")
    cfg = load(a.scenario).resolved(overrides)  # every name and value checked before anything runs
    if a.until < cfg["start_year"]:
        raise ConfigError("--until", a.until, f"a year from the scenario's start year ({cfg['start_year']}) to 2100")
    t = time.perf_counter()
    with output_folder(a.out):
        info = run_to_folder(a.scenario, a.seed, a.until, Path(a.out), overrides)
    from experiments.report.labels import CORE_EN

    s = info["summary"]
    print(f"{a.scenario} seed {a.seed} scale {info['config']['scale']}: {info['config']['start_year']}-{a.until} in "
          f"{time.perf_counter() - t:.1f} s -> {a.out}")
    print(f"  {CORE_EN} GDP share {s['core_share']['gdp_100m_yuan']['first']:.3f} -> "
          f"{s['core_share']['gdp_100m_yuan']['last']:.3f}; theta {s['theta']['theta']:+.2f} (se {s['theta']['se']:.2f})")
    for city, c in s["cities"].items():
        f = c["net_flows_from_core"]
        print(f"  {city:9s} {c['verdict']:9s} share {c['gdp_share_change_pp']:+.2f} pp, net from {CORE_EN}: "
              f"talent {f['talent_persons'] / 1e4:+.1f} 10k, firms/branches {f['firms_and_branches']:+.0f}")
    return 0


def cmd_scenarios(a: argparse.Namespace) -> int:
    from model.scenarios import available, load

    from model.params import BY_NAME

    for name in available():
        sc = load(name)
        changed = ", ".join(f"{k}={v}" for k, v in sc.params.items() if v != BY_NAME[k].default) or "2019 defaults"
        parks = ", ".join(f"{e.park} ({e.sponsor} -> {e.host})" for e in sc.enclaves)
        print(f"{name}: {sc.title} ({sc.title_zh})\n    levers: {changed}\n    enclave parks: {parks or '-'}")
    return 0


def cmd_params(a: argparse.Namespace) -> int:
    from experiments.sweep.spec import value_text

    for p in PARAMS:
        if a.levers and not p.lever:
            continue
        tag = f"[{p.lever}] " if p.lever else ""
        default = value_text(p.default) if p.kind in (bool, str) else str(p.default)  # as --set writes it
        print(f"{p.name:30s} {default:>8}  {tag}{p.en} ({p.zh}); {p.allowed()}")
    return 0


def _bench_one(a: argparse.Namespace) -> int:
    from experiments.runner import run_model

    t0 = time.perf_counter()
    model, timing = run_model("baseline", a.seed, a.until, {"scale": a.scale})
    years = a.until - 2019 + 1
    agent_steps = (model.workers.n_alive + int(model.firms.alive.sum())) * model.steps
    print(json.dumps({"scale": a.scale, "workers": model.workers.n_alive, "firms": int(model.firms.alive.sum()),
                      "init_s": timing["init_seconds"], "run_s": timing["run_seconds"],
                      "s_per_year": timing["run_seconds"] / years, "total_s": time.perf_counter() - t0,
                      "agent_steps_per_s": agent_steps / timing["run_seconds"],
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


def _bench_args(a: argparse.Namespace) -> list[int]:
    """Check every bench option before the first (long) run: scales, end year, seed, plot file."""
    from experiments.io import writable_folder
    from model.params import BY_NAME

    items = [s.strip() for s in a.scales.split(",")]
    if not any(items):
        raise ConfigError("--scales", a.scales, "comma-separated scales, e.g. 1000,200,100")
    scales = []
    for s in items:
        try:
            scales.append(BY_NAME["scale"].coerce(s))
        except ConfigError as exc:
            raise ConfigError("--scales", s, exc.allowed_text + "; comma-separated, e.g. 1000,200,100") from None
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
    if plot.is_dir():
        raise ConfigError("--plot", a.plot, "a file name (this path is a folder)")
    writable_folder(plot.parent, "--plot")
    return scales


def cmd_bench(a: argparse.Namespace) -> int:
    scales = _bench_args(a)
    print(f"baseline 2019-{a.until}, one process per scale (peak memory is that process's maximum RSS)")
    print(f"{'scale':>7} {'workers':>9} {'firms':>7} {'init s':>7} {'s/year':>7} {'total s':>8} {'agent-steps/s':>14} {'peak MB':>8}")
    rows = []
    for s in scales:
        out = subprocess.run([sys.executable, "-m", "experiments", "_bench_one", "--scale", str(s), "--until",
                              str(a.until), "--seed", str(a.seed)], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{s:>7} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(f"{r['scale']:>7} {r['workers']:>9} {r['firms']:>7} {r['init_s']:>7.2f} {r['s_per_year']:>7.3f} "
              f"{r['total_s']:>8.1f} {r['agent_steps_per_s']:>14.3g} {r['peak_rss_mb']:>8.0f}")
    if len(rows) >= 2:
        per_agent = [r["s_per_year"] / (r["workers"] + r["firms"]) * 1e6 for r in rows]
        print("cost per simulated year per 1k agents (ms): " + ", ".join(f"{x:.2f}" for x in per_agent)
              + "  (constant = linear scaling)")
        _scaling_plot(rows, Path(a.plot))
    return 0


def _scaling_plot(rows: list[dict], path: Path) -> None:
    """Cost per simulated year against agents, with a straight-line fit; the title says whether it is linear."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    x = np.array([r["workers"] + r["firms"] for r in rows], dtype=float)
    y = np.array([r["s_per_year"] for r in rows])
    b, c = np.polyfit(x, y, 1)
    r2 = 1 - ((y - (b * x + c)) ** 2).sum() / max(((y - y.mean()) ** 2).sum(), 1e-12)
    verdict = "linear" if r2 >= 0.98 else "not linear"
    fig, ax = plt.subplots(figsize=(6, 4), dpi=150)
    ax.plot(x, y, "o", label="measured")
    xs = np.linspace(0, x.max() * 1.05, 50)
    ax.plot(xs, b * xs + c, "-", label=f"fit: {b * 1e6:.2f} s per million agents, R²={r2:.3f}")
    for r, xi, yi in zip(rows, x, y):
        ax.annotate(f"1:{r['scale']}", (xi, yi), textcoords="offset points", xytext=(4, -10), fontsize=8)
    ax.set_xlabel("agents (workers + firms)")
    ax.set_ylabel("seconds per simulated year")
    ax.set_title(f"CZT-Sim baseline: cost grows {verdict} in the number of agents")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    print(f"scaling plot: {path} ({verdict}, R²={r2:.3f})")


def build_parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="python -m experiments", description="CZT-Sim: runs, scenarios, benchmarks.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run one scenario and write cities.parquet, flows.parquet, annual.parquet, run.json",
                       description="Run one scenario from its start year (2019; 2010 for hindcast-2010) through the end of "
                                   "--until. Outputs in real units: money in 100 million yuan (start-year prices), "
                                   "people in 10k persons.")
    r.add_argument("--scenario", default="baseline", help="a shipped scenario name (see 'scenarios') or a TOML path")
    r.add_argument("--seed", type=int, default=0, help="random seed (non-negative integer); same seed, same results on the same platform "
                        "fingerprint (python -m model.platform)")
    r.add_argument("--until", type=int, default=2035, help="last statistical year simulated (default 2035)")
    r.add_argument("--scale", type=int, default=None, help="residents per worker agent (default from the scenario: 200)")
    r.add_argument("--out", required=True, help="output folder (created; files written atomically)")
    r.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override one parameter, repeatable; 'python -m experiments params' lists them")
    r.set_defaults(func=cmd_run)
    s = sub.add_parser("scenarios", help="list the shipped scenarios")
    s.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("params", help="list every parameter with default, unit and allowed range")
    p.add_argument("--levers", action="store_true", help="policy levers only")
    p.set_defaults(func=cmd_params)
    b = sub.add_parser("bench", help="time and memory of the baseline at several scales")
    b.add_argument("--scales", default="1000,200,100", help="comma-separated scales (residents per worker agent)")
    b.add_argument("--until", type=int, default=2035)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--plot", default="runs/bench_scaling.png", help="where to write the scaling plot (PNG)")
    b.set_defaults(func=cmd_bench)
    o = sub.add_parser("_bench_one")
    o.add_argument("--scale", type=int, required=True)
    o.add_argument("--until", type=int, default=2035)
    o.add_argument("--seed", type=int, default=1)
    o.set_defaults(func=_bench_one)
    from experiments.sweep.cli import register; register(sub)  # noqa: E702
    from experiments.calibrate.cli import register as reg_calibrate; reg_calibrate(sub)  # noqa: E702
    from experiments.report.cli import register as reg_report; reg_report(sub)  # noqa: E702
    from experiments.validate import register as reg_validate; reg_validate(sub)  # noqa: E702
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        out = getattr(args, "out", None)
        try:
            is_file = out is not None and Path(out).exists() and not Path(out).is_dir()
        except OSError as exc:  # a name too long, a loop of links: the command's own check says more
            raise ConfigError("--out", str(out), f"a usable folder path ({exc.strerror or exc})",
                              kind="unusable output folder") from None
        if is_file:
            raise ConfigError("--out", str(out), "a folder (new or existing); this path is a file")
        return args.func(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted; finished files are complete, nothing partial was written", file=sys.stderr)
        return 130
