"""The app's export bundle: one zip with the run's data, its configuration and its comparison twin.

Inside (``README.txt`` in the zip says the same):
- ``config.json``: the run (scenario, lever values set in the app, seeds, scale), every lever's value now, the
  quarter reached, the twin, the pinned runs, the code version and the platform fingerprint;
- ``run/``: the run shown, as the app has it (every quarter simulated): cities, flows and annual tables (Parquet)
  and ``run.json`` with the settings and summary measures;
- ``twin/``: the same for its twin, the baseline with the same seed and scale, to the same quarter;
- ``sweep/``: a sweep results folder (``python -m experiments sweep``'s format, design "scenarios") holding the
  twin and the run for every seed of the ensemble through the last complete year: the app's own runs as the tab
  holds them (the run shown, its ensemble's seeds in the tab's workers, pinned runs of the same configuration),
  read at that year's end; only the runs nobody holds (the twins of the other seeds) are simulated, on the tab's
  workers. The same results as running the sweep file again on the same platform, so that
  ``python -m experiments report sweep --out report`` makes the paper tables and figures of the comparison;
  ``sweep/app-run.toml`` is the run as a scenario file and ``sweep/sweep.toml`` the sweep file. The sweep names
  the scenario file by its name inside the folder, so every command works on the unzipped bundle from any
  working folder, on any machine with CZT-Sim installed (``bash scripts/setup.sh`` in its checkout, or
  ``pip install -e CHECKOUT``; then use that environment's python):
  ``python -m experiments status sweep``, ``python -m experiments resume sweep`` (reruns a run whose files were
  lost), ``python -m experiments report sweep --out report`` and, to run it again,
  ``python -m experiments sweep sweep/sweep.toml --out again``.

Everything is written to a temporary folder and zipped in memory: a failure leaves no partial file, and a bundle
whose sweep has a failed run is not made (the error names the run and its reason).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

TWIN = "baseline"


def scenario_toml(scenario: str, levers: dict[str, Any], timing: tuple = ()) -> str:
    """The run as a scenario file (model.scenarios.to_toml): the app's scenario with the lever values set in the
    app, and the levers set from a later quarter (ui.timing) as its ``[[timeline]]`` entries."""
    from model.scenarios import load, to_toml
    from ui.timing import timing_entries

    dated = timing_entries(load(scenario), levers, tuple(timing))
    return to_toml(scenario, levers, dated, name="app-run",
                   title=f"App run: {scenario} with the levers set in the app")


def sweep_toml(scenario_file: str, seeds: list[int], until: int, scale: int, with_twin: bool) -> str:
    scen = [TWIN, scenario_file] if with_twin else [scenario_file]
    return "\n".join([
        'name = "app-bundle"',
        'description = "The app run and its twin (the baseline), for every seed of the app ensemble"',
        'design = "scenarios"',
        f"scenarios = {json.dumps(scen)}",
        f"replications = {len(seeds)}",
        f"seeds = {json.dumps(seeds)}",
        f"until = {until}",
        f"scale = {scale}",
    ]) + "\n"


def _frames(model) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return model.cities_frame(), model.flows_frame(), model.annual_frame()


def _tables(frames, folder: Path, info: dict[str, Any]) -> None:
    from experiments.io import write_json, write_parquet

    folder.mkdir(parents=True, exist_ok=True)
    for name, df in zip(("cities", "flows", "annual"), frames):
        write_parquet(df, folder / f"{name}.parquet")
    write_json(info, folder / "run.json")


def _held(ensembles, spec) -> list[tuple[str, Any]]:
    """The tab's ensembles whose members are runs of the bundle's sweep: ("run", e) for the run's configuration,
    ("twin", e) for the baseline at the same scale."""
    out = []
    for e in ensembles:
        if e.spec.scale != spec.scale:
            continue
        if (e.spec.scenario, e.spec.overrides) == (spec.scenario, spec.overrides):
            out.append(("run", e))
        elif e.spec.scenario == TWIN and not e.spec.overrides:
            out.append(("twin", e))
    return out


def _check_sweep(folder: Path, r: dict[str, Any]) -> None:
    """A bundle is made only from a whole sweep: a failed, pending or interrupted run is a one-line ConfigError
    naming the first failed run and its reason (recorded in runs.parquet), never a zip that looks complete."""
    from model.errors import ConfigError

    failed = r.get("failed_total", r["failed"])
    if failed == 0 and r["pending"] == 0 and not r["interrupted"]:
        return
    why = "interrupted" if r["interrupted"] else f"{r['pending']} runs pending"
    try:
        runs = pd.read_parquet(folder / "runs.parquet")
        bad = runs[runs.status == "failed"]
        if len(bad):
            why = f"{bad.run_id.iloc[0]}: {str(bad.error.iloc[0]).splitlines()[-1] if bad.error.iloc[0] else '?'}"
    except Exception:  # noqa: BLE001 - the count alone still says what went wrong
        pass
    raise ConfigError("bundle", f"{failed} of {r['total']} runs failed ({why})",
                      "a sweep whose runs all finished; try the export again (the runs are rerun)",
                      kind="bundle not made")


def build(sess) -> bytes:
    """The bundle of a Session, as zip bytes, from the runs the tab holds (seconds)."""
    from experiments.sweep.design import code_version
    from experiments.sweep.runner import run as run_sweep
    from model import platform
    from ui.heldruns import HeldRuns
    from ui.session import Session

    with sess.lock:  # one consistent quarter: the play loop steps the model under this lock
        spec = sess.spec()
        m = sess.model
        steps = m.steps
        settings = sess.settings()
        summary = sess.summary()
        summary = None if summary is None else summary.to_dict()
        run_frames = _frames(m)
        base = sess.base
        twin_model = base if base is not None and base.steps == steps else None
        twin_frames = _frames(twin_model) if twin_model is not None else None
        has_twin = not (spec.scenario == TWIN and not spec.overrides) and m.start_year == sess.base_start_year
        ensembles = _held([e for e in [sess.ens, *sess.saved.values()] if e is not None], spec)
        saved = {name: e.spec.to_dict() for name, e in sess.saved.items()}
        reference = sess.reference
    last_year = m.start_year + steps // 4 - 1  # the last complete year
    config = {
        "run": spec.to_dict(), "levers_now": settings["levers_now"], "start_year": m.start_year,
        "quarters_simulated": steps, "last_complete_year": last_year if steps >= 4 else None,
        "twin": {"scenario": TWIN, "levers": {}, "scale": spec.scale, "seeds": list(spec.seeds)} if has_twin else None,
        "pins": {k: e.spec.to_dict() for k, e in sorted(sess.pins.items())},
        "saved_runs": saved, "reference": reference,  # every named run kept in the tab (pins A and B among them)
        "code_version": code_version(), "platform": platform.record(),
        "read_with": "python -m experiments report sweep --out report (after unzipping)",
    }
    with tempfile.TemporaryDirectory(prefix="czt-bundle-") as tmp:
        root = Path(tmp)
        _tables(run_frames, root / "run", {**settings, "summary": summary})
        if has_twin:
            if twin_frames is None:
                twin_model = Session._build(sess, TWIN, spec.seeds[0], spec.scale, {})
                for _ in range(steps):
                    twin_model.step()
                twin_frames = _frames(twin_model)
            _tables(twin_frames, root / "twin", {"scenario": TWIN, "seed": spec.seeds[0], "scale": spec.scale,
                                                 "quarters_simulated": steps})
        if steps >= 4:
            sw = root / "sweep-spec"
            sw.mkdir()
            scen_file = sw / "app-run.toml"
            scen_file.write_text(scenario_toml(spec.scenario, spec.levers, spec.timing), encoding="utf-8")
            sweep_file = sw / "sweep.toml"
            # the scenario by its name beside the sweep file: spec.json records that name, found inside sweep/
            sweep_file.write_text(sweep_toml(scen_file.name, list(spec.seeds), last_year, spec.scale, has_twin),
                                  encoding="utf-8")
            local = {("run", spec.seeds[0]): m, **({("twin", spec.seeds[0]): twin_model} if has_twin else {})}
            held = HeldRuns(sess.pool, local, ensembles, lambda task: "twin" if task["scenario"] == TWIN else "run",
                            sess.lock)
            r = run_sweep(root / "sweep", spec_path=sweep_file, executor=held, progress=False, stream=io.StringIO())
            _check_sweep(root / "sweep", r)
            (root / "sweep" / "app-run.toml").write_text(scen_file.read_text(encoding="utf-8"), encoding="utf-8")
        (root / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                                          encoding="utf-8")
        (root / "README.txt").write_text(__doc__, encoding="utf-8")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(root.rglob("*")):
                if f.is_file() and "sweep-spec" not in f.parts and not f.name.startswith("."):
                    z.write(f, f.relative_to(root).as_posix())
    return buf.getvalue()
