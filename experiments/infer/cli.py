"""Sub-command ``infer`` of ``python -m experiments``: neural posterior estimation from a calibration's bank, with
SBC / coverage on held-out runs, a misspecification check and a posterior predictive check (docs/inference.md)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
NPE_STEP = Path(__file__).resolve().parent / "npe_step.py"
SETUP_HINT = "create it with 'bash scripts/setup-sbi.sh' (the optional extra: Python 3.11, CPU torch, sbi 0.27)"


def sbi_python(venv: str | Path) -> Path:
    """The interpreter of the sbi extra, or a one-line error naming the script that makes it."""
    py = Path(venv) / "bin" / "python"
    if not py.is_file():
        raise ConfigError("--sbi-venv", str(venv), f"a virtual environment with torch and sbi; {SETUP_HINT}",
                          kind="sbi extra not installed")
    return py


def check_args(a: argparse.Namespace) -> None:
    """One-line errors naming the field, the value and what is allowed; nothing runs before they pass."""
    from experiments.sweep.cli import check_workers

    check_workers(a.workers, lo=1)
    if not 0 <= a.seed < 2**32:
        raise ConfigError("--seed", a.seed, "an integer from 0 to 2**32 - 1")
    if not 1 <= a.components <= 60:
        raise ConfigError("--components", a.components, "a number of principal components from 1 to 60")
    if not 0.05 <= a.holdout <= 0.5:
        raise ConfigError("--holdout", a.holdout, "a share of the bank's design points from 0.05 to 0.5")
    if not 1000 <= a.samples <= 100_000:
        raise ConfigError("--samples", a.samples, "posterior draws at the record, from 1000 to 100000")
    if not 100 <= a.sbc_samples <= 10_000:
        raise ConfigError("--sbc-samples", a.sbc_samples, "posterior draws per held-out run, from 100 to 10000")
    if not 0 <= a.draws <= 1000:
        raise ConfigError("--draws", a.draws, "posterior predictive runs, from 0 (no check) to 1000")
    bank = Path(a.bank)
    if not (bank / "calibration.toml").is_file() or not (bank / "sweep" / "cities.parquet").is_file():
        raise ConfigError("BANK", str(bank), "a finished calibration folder (calibration.toml and sweep/, as "
                          "python -m experiments calibrate writes them)")


def _bank_key(bank: Path, a: argparse.Namespace) -> dict[str, Any]:
    from experiments.sweep.store import Store

    info = Store(bank / "sweep").info()  # spec.json as strictly as the sweep wrote it (checked by check_bank)
    st = (bank / "sweep" / "cities.parquet").stat()
    return {"bank": str(bank.resolve()), "sweep_digest": info["digest"], "cities_bytes": st.st_size,
            "components": a.components, "holdout": a.holdout, "seed": a.seed}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def step_trainset(bank: Path, out: Path, a: argparse.Namespace, stream) -> dict[str, Any]:
    from experiments.infer import trainset

    key = _bank_key(bank, a)
    meta = _read_json(out / "trainset.json")
    if meta is not None and meta.get("key") == key and (out / "trainset.npz").is_file():
        print(f"training set: done ({out / 'trainset.npz'})", file=stream)
        return meta
    t = time.time()
    print(f"training set: reading the bank {bank} ...", file=stream)
    ts, info = trainset.from_bank(bank, a.components, a.holdout, a.seed)
    meta = trainset.save(ts, out, {"key": key, "sweep_digest": info["digest"], "scenario": info["scenario"],
                                   "until": info["until"], "scale": info["scale"], "seconds": time.time() - t})
    return meta


def step_npe(py: Path, out: Path, meta: dict[str, Any], a: argparse.Namespace, stream) -> dict[str, Any]:
    request = {"trainset_sha256": meta["sha256"], "seed": a.seed, "samples": a.samples, "sbc_samples": a.sbc_samples}
    done = _read_json(out / "npe" / "npe.json")
    if done is not None and done.get("request") == request:
        print(f"NPE: done ({out / 'npe'})", file=stream)
        return done
    print(f"NPE: training and diagnostics in {py} ... (log: {out / 'npe.log'})", file=stream)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    cmd = [str(py), str(NPE_STEP), str(out / "trainset.npz"), str(out / "npe"), "--seed", str(a.seed),
           "--samples", str(a.samples), "--sbc-samples", str(a.sbc_samples), "--request", json.dumps(request)]
    with open(out / "npe.log", "w", encoding="utf-8") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT).returncode
    if rc != 0:
        lines = [ln for ln in (out / "npe.log").read_text(errors="replace").splitlines() if ln.strip()]
        raise StepFailed(f"the NPE step failed (exit {rc}): {lines[-1] if lines else 'no output'} (see {out / 'npe.log'})")
    done = _read_json(out / "npe" / "npe.json")
    if done is None:
        raise StepFailed(f"the NPE step wrote no npe.json (see {out / 'npe.log'})")
    return done


def scenario_check(bank: Path, cs) -> str | None:
    """Whether the predictive runs would run the bank's scenario as the bank ran it: the resolved parameters its
    design sweep recorded (sweep/spec.json ``scenario_params``) against the scenario file and parameter registry now,
    the fitted parameters aside (every draw sets them). A difference is a one-line ConfigError naming each parameter
    (bank -> now); a bank made before the record returns the warning to print (None when they agree)."""
    from experiments.infer import ppc
    from experiments.sweep.design import scenario_params
    from experiments.sweep.store import Store

    store = Store(bank / "sweep")
    spec = store.spec()
    recorded = store.info().get("scenario_params")
    if not isinstance(recorded, dict) or not isinstance(recorded.get(spec.scenario), dict):
        return (f"warning: {bank / 'sweep' / 'spec.json'} does not record the resolved parameters of the bank's "
                f"scenario {spec.scenario!r} (a bank made before they were recorded), so it cannot be checked that the "
                "posterior predictive runs use the scenario as the bank ran it: they use the scenario file and the "
                "parameter registry as they are now")
    changed = ppc.scenario_changes(recorded[spec.scenario], scenario_params(spec)[spec.scenario], set(cs.names))
    if changed:
        shown = "; ".join(changed[:8]) + (f"; and {len(changed) - 8} more" if len(changed) > 8 else "")
        raise ConfigError(f"{bank / 'sweep' / 'spec.json'}: scenario {spec.scenario}", f"{len(changed)} parameters "
                          f"changed since the bank was made", f"the scenario as the bank ran it, but these parameters "
                          f"differ (bank -> now): {shown}; restore the scenario file (or the parameter registry) as the "
                          "bank ran it, make a new bank with 'python -m experiments calibrate', or pass --draws 0 to "
                          "skip the posterior predictive check", kind="bank's scenario changed")
    return None


class StepFailed(RuntimeError):
    pass


def step_ppc(out: Path, meta: dict[str, Any], a: argparse.Namespace, obs: pd.DataFrame, provider, stream
             ) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    from experiments.calibrate import moments as mom
    from experiments.infer import ppc
    from experiments.io import write_csv

    if a.draws == 0:
        return None, {"runs": 0}
    samples = pd.read_csv(out / "npe" / "posterior_samples.csv")
    draws = samples.iloc[:a.draws]
    run_seeds = ppc.seeds(a.seed, len(draws))
    spec = ppc.sweep_spec(draws, run_seeds, meta["scenario"], int(meta["until"]), meta["scale"], meta["lo"], meta["hi"],
                          a.seed)
    t = time.time()
    info = ppc.simulate(spec, out / "ppc", a.workers, stream)
    info["seconds_this_call"] = time.time() - t
    if info.pop("interrupted"):
        raise KeyboardInterrupt  # finished runs are kept in the sweep folder: rerunning the command resumes
    cities, run_ids = ppc.read_runs(spec, out / "ppc")
    if cities.empty:
        raise StepFailed(f"every posterior predictive run failed (first: {info['failed'][0]['error'] if info['failed'] else '?'}; "
                         f"see python -m experiments status {info['folder']})")
    sim = mom.simulated(provider, cities, obs)
    sim = sim.loc[[r for r in dict.fromkeys(run_ids) if r in sim.index]]  # in draw order
    table = ppc.table(obs, sim.to_numpy())
    write_csv(table, out / "ppc.csv")
    write_csv(ppc.summary(table), out / "ppc_summary.csv")
    draws_used = draws.assign(seed=run_seeds, run_id=run_ids.to_numpy())
    write_csv(draws_used, out / "ppc" / "draws.csv")
    info["ok_runs"] = int(sim.shape[0])
    return table, info


def cmd_infer(a: argparse.Namespace) -> int:
    from experiments.calibrate import config, moments as mom
    from experiments.infer import report, trainset
    from experiments.io import writable_folder, write_csv, write_json

    check_args(a)
    py = sbi_python(a.sbi_venv)
    bank, out = Path(a.bank), Path(a.out)
    cs, cal = trainset.check_bank(bank)  # every bank file read here, checked now: a damaged one is one line
    scenario_warning = scenario_check(bank, cs) if a.draws > 0 else None  # refused now, before any step runs
    writable_folder(a.out)
    out.mkdir(parents=True, exist_ok=True)
    stream = sys.stderr
    timings: dict[str, float] = {}
    try:
        t = time.time()
        meta = step_trainset(bank, out, a, stream)
        timings["trainset_seconds"] = time.time() - t
        t = time.time()
        npe = step_npe(py, out, meta, a, stream)
        timings["npe_seconds"] = time.time() - t
        provider = config.load_provider(cs.moments)
        obs = mom.observed(provider)
        t = time.time()
        if scenario_warning:
            print(scenario_warning, file=stream)
        table, pinfo = step_ppc(out, meta, a, obs, provider, stream)
        if a.draws > 0:
            pinfo["scenario_check"] = "not recorded in the bank" if scenario_warning else "the bank's scenario"
        timings["ppc_seconds"] = time.time() - t
    except StepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    # report: tables, figures, infer.json last
    d = np.load(out / "trainset.npz")
    lo, hi = d["lo"], d["hi"]
    samples = pd.read_csv(out / "npe" / "posterior_samples.csv")
    ptab = report.posterior_table(samples, lo, hi, cal)
    corr = report.correlation(samples)
    write_csv(ptab, out / "posterior_table.csv")
    write_csv(samples, out / "posterior_samples.csv")
    write_csv(corr, out / "correlation.csv")
    mis = report.misspecification(meta, d["x"], d["x_obs"], d["test"].astype(bool), d["z"], npe)
    report.fig_pairs(samples, ptab, out / "posterior_pairs.png")
    report.fig_correlation(corr, out / "correlation.png")
    if (out / "npe" / "sbc_ranks.csv").is_file():
        report.fig_sbc(pd.read_csv(out / "npe" / "sbc_ranks.csv"), a.sbc_samples, out / "sbc_ranks.png")
        report.fig_coverage(pd.read_csv(out / "npe" / "tarp.csv"), pd.read_csv(out / "npe" / "coverage.csv"),
                            out / "coverage.png")
        cov = pd.read_csv(out / "npe" / "coverage.csv")
        write_csv(cov, out / "coverage.csv")
    if table is not None:
        shares = [m for m in dict.fromkeys(table.moment) if m.startswith("gdp_share")]
        report.fig_ppc(table, out / "ppc_gdp_share.png", shares,
                       f"GDP shares: posterior predictive 90 % band and median ({pinfo['ok_runs']} draws x 1 seed) "
                       "against the record (dots; open: 2019, held out)")
        report.fig_ppc(table, out / "ppc_all.png")
    bank_runs = int(meta["runs"])
    budget = {"bank_simulations": bank_runs, "train_runs": meta["train_runs"], "held_out_runs": meta["test_runs"],
              "ppc_simulations": int(pinfo.get("runs", 0)), "total_simulations": bank_runs + int(pinfo.get("runs", 0))}
    res = {"bank": str(bank), "out": str(out), "seed": a.seed, "budget": budget, "trainset": {k: v for k, v in meta.items() if k != "moments"},
           "npe": npe, "misspecification": mis, "ppc": pinfo, "strongest_correlations": report.strongest_pairs(corr).to_dict("records"),
           "timings_this_call": timings}
    write_json(res, out / "infer.json")
    print(text(ptab, npe, mis, budget, table))
    print(f"-> {out}/posterior_table.csv, posterior_samples.csv, correlation.csv, coverage.csv, ppc.csv, "
          "ppc_summary.csv, *.png, infer.json")
    return 1 if pinfo.get("failed") else 0


def text(ptab: pd.DataFrame, npe: dict[str, Any], mis: dict[str, Any], budget: dict[str, Any], table) -> str:
    lines = [f"budget: {budget['bank_simulations']} bank simulations ({budget['train_runs']} training, "
             f"{budget['held_out_runs']} held out) + {budget['ppc_simulations']} posterior predictive"]
    lines.append(f"{'parameter':26s}{'prior':>17s}{'SMM':>9s}{'ABC rej':>9s}{'NPE med':>9s}{'90 % interval':>20s}  bound")
    for r in ptab.itertuples():
        lines.append(f"{r.param:26s}{r.prior_lo:>8.3g}-{r.prior_hi:<8.3g}{r.smm:>9.3g}{r.abc_rejection_mean:>9.3g}"
                     f"{r.npe_median:>9.3g}{r.npe_q05:>10.3g}-{r.npe_q95:<9.3g}  {r.piles_at_bound}")
    if "sbc" in npe:
        ks = npe["sbc"]["ks_pvals"]
        lines.append(f"SBC ({npe['sbc']['cases']} held-out runs): KS p < 0.05 for "
                     f"{sum(v < 0.05 for v in ks.values())} of {len(ks)} parameters; TARP ATC {npe['tarp']['atc']:+.3f} "
                     f"(KS p {npe['tarp']['ks_pval']:.2f})")
    m = mis["mahalanobis"]
    lines.append(f"misspecification: record's squared Mahalanobis distance in the {mis['components']} components "
                 f"{m['record']:.0f} (held-out runs: median {m['held_out_runs_q50']:.0f}, max {m['held_out_runs_max']:.0f}); "
                 f"outside them {mis['residual']['record']:.0f} (runs: max {mis['residual']['runs_q50_q99_max'][2]:.2f}); "
                 f"MMD test p = {mis['mmd']['p_value']:.3f}")
    if table is not None:
        fit = table[table.split == "fit"]
        lines.append(f"PPC: record inside the predictive 90 % band for {fit.inside.mean():.0%} of fit moment-years, "
                     f"{table[table.split == 'holdout'].inside.mean():.0%} of held-out ones")
    return "\n".join(lines)


def register(sub) -> None:
    c = sub.add_parser("infer", help="neural posterior estimation from a calibration's bank, with diagnostics "
                                     "(needs the sbi extra: bash scripts/setup-sbi.sh)",
                       description="Trains sbi's NPE on a finished calibration's design runs (the bank), gives the "
                                   "posterior at the record with SBC / TARP / coverage on held-out runs, a "
                                   "misspecification check and a posterior predictive check; resumable (rerun the "
                                   "same command into the same --out: finished steps are kept). docs/inference.md.")
    c.add_argument("bank", help="a finished calibration folder (python -m experiments calibrate --out)")
    c.add_argument("--out", required=True, help="results folder")
    c.add_argument("--seed", type=int, default=20260126, help="seed of the hold-out, torch and the predictive runs")
    c.add_argument("--components", type=int, default=16, help="principal components of the standardised moments "
                   "the NPE sees (default 16)")
    c.add_argument("--holdout", type=float, default=0.2, help="share of design points held out for the diagnostics")
    c.add_argument("--samples", type=int, default=10_000, help="posterior draws at the record")
    c.add_argument("--sbc-samples", type=int, default=1000, help="posterior draws per held-out run (SBC, TARP)")
    c.add_argument("--draws", type=int, default=40, help="posterior predictive runs (one seed each; 0: none)")
    c.add_argument("--workers", type=int, default=2, help="worker processes of the predictive runs")
    c.add_argument("--sbi-venv", default=str(ROOT / ".venv-sbi"), help="the sbi extra's venv (default .venv-sbi)")
    c.set_defaults(func=cmd_infer)
