"""Command line: ``python -m experiments {run,scenarios,params,bench,sweep,...,calibrate,report,validate,spillover,infer}``.

User mistakes (unknown parameter, value out of range, bad scenario file) print one line naming the
field, the value and what is allowed, and exit with status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from experiments.options import parse_sets, scale_once
from model.errors import ConfigError
from model.params import PARAMS


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line on stderr (``error: ...``), exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        from model.errors import one_line

        self.exit(2, f"error: {one_line(message, 500)} (see '{self.prog} --help')\n")


def cmd_run(a: argparse.Namespace) -> int:
    from experiments.io import output_folder
    from experiments.runner import run_to_folder
    from model.scenarios import load

    overrides = scale_once(parse_sets(a.set), a.scale)
    if a.until < 2005 or a.until > 2100:
        raise ConfigError("--until", a.until, "a year from the scenario's start year (2019; 2010 or 2005 for the "
                          "hindcasts) to 2100")
    if a.seed < 0 or a.seed > 2**63 - 1:
        raise ConfigError("--seed", a.seed, "a non-negative integer below 2**63")
    cfg = load(a.scenario).resolved(overrides)  # every name and value checked before anything runs
    if a.until < cfg["start_year"]:
        raise ConfigError("--until", a.until, f"a year from the scenario's start year ({cfg['start_year']}) to 2100")
    if a.spillover is not None and not 0 < a.spillover <= 1:
        raise ConfigError("--spillover", a.spillover, "a share above 0 and at most 1 (0.05 = Changsha's productivity "
                          "+5 %)")
    if a.spillover is not None and "core_productivity_shock" in overrides:
        raise ConfigError("--set", "core_productivity_shock", "any other parameter when --spillover is given")
    if a.spillover is not None and a.until <= cfg["start_year"]:
        raise ConfigError("--until", a.until, f"a year after the start ({cfg['start_year']}) with --spillover")
    post = check_posterior(a, cfg, overrides)
    check_run_folder(Path(a.out))
    t = time.perf_counter()
    with output_folder(a.out, last=("run.json",)) as dest:  # all four files or none; run.json marks a whole run
        info = run_to_folder(a.scenario, a.seed, a.until, dest, overrides, a.spillover)
    from experiments.report.labels import CORE_EN
    from model.summary import RunSummary

    s = RunSummary.from_dict(info["summary"])  # what run.json holds, read back strictly
    print(f"{a.scenario} seed {a.seed} scale {info['config']['scale']}: {info['config']['start_year']}-{a.until} in "
          f"{time.perf_counter() - t:.1f} s -> {a.out}")
    gdp = s.core_share.gdp_100m_yuan
    print(f"  {CORE_EN} GDP share {gdp.first:.3f} -> {gdp.last:.3f}; theta {s.theta.theta:+.2f} (se {s.theta.se:.2f})")
    for city, c in s.cities.items():
        f = c.net_flows_from_core
        print(f"  {city:9s} {c.verdict:9s} share {c.gdp_share_change_pp:+.2f} pp, net from {CORE_EN}: "
              f"talent {f.talent_persons / 1e4:+.1f} 10k, firms/branches {f.firms_and_branches:+.0f}")
    if "spillover" in info:
        r = info["spillover"]["responses_log"]
        print(f"  causal response to {CORE_EN} productivity +{a.spillover:.0%} (one seed pair): {CORE_EN} GDP "
              f"{100 * r['changsha']['gdp']:+.2f} %; " + ", ".join(f"{c} elasticity {v['elasticity']:+.3f}"
                                                               for c, v in r.items() if "elasticity" in v))
    if post is not None:
        run_posterior(a, info, overrides, post)
    return 0


def check_posterior(a: argparse.Namespace, cfg: dict, overrides: dict) -> Path | None:
    """The calibration folder of ``--posterior N`` (None without it), every value checked before anything runs."""
    from experiments.posterior import calibration_folder, check_sizes, draws, refuse_drawn
    from experiments.sweep.cli import max_workers

    if a.posterior is None:
        for flag, value, default in (("--seeds", a.seeds, None), ("--posterior-from", a.posterior_from, None),
                                     ("--workers", a.workers, None)):
            if value is not default:
                raise ConfigError(flag, value, "only with --posterior N (the seeds and folder of the posterior "
                                  "draws)", kind="option without --posterior")
        return None
    seeds = 2 if a.seeds is None else a.seeds
    check_sizes("--posterior", a.posterior, seeds)
    workers = 2 if a.workers is None else a.workers
    if not 1 <= workers <= max_workers():
        raise ConfigError("--workers", workers, f"1 to {max_workers()} processes")
    if a.seed + seeds - 1 > 2**63 - 1:
        raise ConfigError("--seeds", seeds, "seeds --seed to --seed + seeds - 1 below 2**63")
    cal = calibration_folder(a.posterior_from or _default_calibration())
    draws(cal, 1, field="--posterior-from")  # a folder without the ABC sample: one line, before any run
    refuse_drawn(cal, overrides)
    return cal


def _default_calibration() -> str:
    from experiments.posterior import DEFAULT_CALIBRATION

    return DEFAULT_CALIBRATION


def run_posterior(a: argparse.Namespace, info: dict, overrides: dict, cal: Path) -> None:
    """The run's forecast over the posterior, added to its run.json (``posterior``) with posterior_runs.csv. The
    run's own files are complete before it starts: an interruption or a failure here leaves them as they are."""
    from experiments.io import write_csv, write_json
    from experiments.posterior import forecast_block

    seeds = list(range(a.seed, a.seed + (2 if a.seeds is None else a.seeds)))
    scale = int(info["config"]["scale"])
    fixed = {k: info["config"][k] for k in overrides if k != "scale"}  # the values as resolved (checked, typed)
    block, runs = forecast_block(a.scenario, cal, a.posterior, seeds, a.until, scale,
                                 2 if a.workers is None else a.workers, fixed)
    block["calibration"] = a.posterior_from or _default_calibration()  # as given (portable), not the resolved path
    out = Path(a.out)
    write_csv(runs, out / "posterior_runs.csv", float_format="%.6g")
    write_json({**info, "posterior": block}, out / "run.json")  # atomic: the old run.json until the new one is whole
    print(f"  over the posterior ({block['calibration']}): {a.posterior} draws x {len(seeds)} seeds in "
          f"{block['seconds']:.0f} s -> run.json 'posterior', posterior_runs.csv")
    for name, o in block["outcomes"].items():
        if name.endswith("_gdp_share_pp"):
            print(f"    {name:24s} {a.until}: {o['median']:.2f} pp [90 %: {o['q05']:.2f}, {o['q95']:.2f}]; parameter "
                  f"band {o['parameter_band']:.2f} pp, seed band {o['seed_band']:.2f} pp")


OTHER_FOLDERS = {"spec.json": "a sweep", "design.parquet": "a sweep", "manifest.jsonl": "a sweep",
                 "calibration.toml": "a calibration", "report.md": "a report"}


def check_run_folder(out: Path) -> None:
    """A run writes into a new folder or over an earlier run, never into the folder of a sweep, a calibration or a
    report (its cities.parquet would replace a sweep's table)."""
    for name, kind in OTHER_FOLDERS.items():
        try:
            there = (out / name).exists()
        except OSError:
            return  # an unusable path: the folder check says why
        if there:
            raise ConfigError("--out", str(out), f"a new folder or one holding an earlier run; this one holds {kind} "
                              f"({name})", kind="folder holds other results")


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


def build_parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="python -m experiments", description="CZT-Sim: runs, scenarios, benchmarks.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run one scenario and write cities.parquet, flows.parquet, annual.parquet, run.json",
                       description="Run one scenario from its start year (2019; 2010 or 2005 for the hindcasts) through the end of "
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
    r.add_argument("--spillover", type=float, default=None, metavar="SHOCK",
                   help="also run the seed's twin with Changsha's productivity raised by SHOCK (e.g. 0.05) and write the "
                   "causal response to run.json 'spillover' (model/spillover.py)")
    r.add_argument("--posterior", type=int, default=None, metavar="N",
                   help="also run N parameter sets drawn from a calibration's ABC sample x --seeds seeds and add the "
                   "forecast (median, 90 %% interval, parameter band apart from seed band) to run.json 'posterior'")
    r.add_argument("--posterior-from", default=None, metavar="DIR",
                   help="calibration folder of the draws, with accepted.parquet and posterior.csv (default "
                   "docs/record-fit)")
    r.add_argument("--seeds", type=int, default=None, help="with --posterior: seeds per draw, --seed and the ones "
                   "after it (default 2)")
    r.add_argument("--workers", type=int, default=None, help="with --posterior: processes (default 2)")
    r.set_defaults(func=cmd_run)
    s = sub.add_parser("scenarios", help="list the shipped scenarios")
    s.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("params", help="list every parameter with default, unit and allowed range")
    p.add_argument("--levers", action="store_true", help="policy levers only")
    p.set_defaults(func=cmd_params)
    from experiments.bench import register as reg_bench; reg_bench(sub)  # noqa: E702
    from experiments.sweep.cli import register; register(sub)  # noqa: E702
    from experiments.calibrate.cli import register as reg_calibrate; reg_calibrate(sub)  # noqa: E702
    from experiments.calibrate.coverage import register as reg_coverage; reg_coverage(sub)  # noqa: E702
    from experiments.report.cli import register as reg_report; reg_report(sub)  # noqa: E702
    from experiments.validate import register as reg_validate; reg_validate(sub)  # noqa: E702
    from experiments.outofsample import register as reg_oos; reg_oos(sub)  # noqa: E702
    from experiments.spillover import register as reg_spill; reg_spill(sub)  # noqa: E702
    from experiments.posterior import register as reg_post; reg_post(sub)  # noqa: E702
    from experiments.infer.cli import register as reg_infer; reg_infer(sub)  # noqa: E702
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
    except OSError as exc:  # a path the system refuses where no check named it (too long, gone, full): one line
        from experiments.io import path_error

        print(f"error: {path_error(exc)}", file=sys.stderr)
        return 2
