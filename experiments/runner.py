"""One run: build the model from a scenario, seed and overrides, run it, write outputs with provenance."""

from __future__ import annotations

import json
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from experiments.io import write_json, write_parquet
from model import CZTModel
from model.scenarios import load

ROOT = Path(__file__).resolve().parent.parent


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("mesa", "numpy", "pandas", "pyarrow"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "missing"
    return out


def run_model(scenario: str, seed: int, until: int, overrides: dict[str, Any] | None = None) -> tuple[CZTModel, dict]:
    sc = load(scenario)
    t0 = time.perf_counter()
    model = CZTModel(sc, seed=seed, overrides=overrides)
    t1 = time.perf_counter()
    model.run_until(until)
    t2 = time.perf_counter()
    return model, {"init_seconds": t1 - t0, "run_seconds": t2 - t1}


def spillover_block(scenario: str, seed: int, until: int, overrides: dict[str, Any] | None, annual, shock: float
                    ) -> dict[str, Any]:
    """The causal response of one seed pair (model/spillover.py): the same run with Changsha's productivity raised by
    ``shock``, against ``annual`` (the run as is), in ``until``."""
    from model import spillover as sp

    twin, _ = run_model(scenario, seed, until, {**(overrides or {}), "core_productivity_shock": shock})
    resp = sp.response(annual, twin.annual_frame(), until)
    return {"shock": shock, "year": until, "responses_log": resp,
            "note": "one seed pair (common random numbers): an elasticity without an interval; 'python -m experiments "
                    "spillover' gives the verdict over several seeds and by channel"}


def run_to_folder(scenario: str, seed: int, until: int, out: Path, overrides: dict[str, Any] | None = None,
                  spillover: float | None = None) -> dict:
    """Run and write cities.parquet, flows.parquet, annual.parquet and run.json into ``out``; with ``spillover`` (a
    shock), also the twin run's causal response (run.json ``spillover``)."""
    from model import platform as czt_platform

    model, timing = run_model(scenario, seed, until, overrides)
    summary = model.summary()
    plat = czt_platform.record()  # bit-identical results need the same configuration, seed, code and platform
    info = {
        "scenario": model.scenario_def.to_dict(),
        "overrides": dict(overrides or {}),
        "config": model.phases[1].params.to_dict(),  # the resolved configuration at the start of the simulation
        "phases": [ph.to_dict() for ph in model.phases],  # calibration, policy, and every timeline switch
        "enclaves": [vars(e) for e in model.enclave_list],
        "seed": seed,
        "until": until,
        "versions": versions(),
        "platform": plat,
        "git_commit": git_commit(),
        "timing": timing,
        "policy_timeline": model.policy_log,
        "governments": model.governance.decisions,  # each year's choices per city and enclave agreement (model/governance/)
        "units": {"money": f"100 million yuan ({model.start_year} prices)", "people": "10k persons", "firms": "establishments",
                  "wages": "yuan per year", "flows.count": "persons, firms or 100m yuan (see unit column)"},
        "summary": summary.to_dict(),
        "verdict": getattr(summary, "verdict", {}),  # none before a complete statistical year
    }
    if spillover:
        info["spillover"] = spillover_block(scenario, seed, until, overrides, model.annual_frame(), spillover)
    meta = {"czt_sim.seed": str(seed), "czt_sim.scenario": model.scenario_def.name, "czt_sim.git": info["git_commit"],
            "czt_sim.platform": json.dumps(plat, sort_keys=True)}
    out = Path(out)
    write_parquet(model.cities_frame(), out / "cities.parquet", meta)
    write_parquet(model.flows_frame(), out / "flows.parquet", meta)
    write_parquet(model.annual_frame(), out / "annual.parquet", meta)
    write_json(info, out / "run.json")  # last: its presence marks a complete run
    return info
