"""Read a sweep results folder for the report: ok runs and their city-by-year rows, grouped for comparison; or the
folder of an answer over the calibration's posterior (a posterior study, a spillover verdict: ``folder_kind``).

A group is what a figure panel or table row compares: a scenario (design "scenarios"; with [params], a scenario
and its parameter values), a design point (other designs with at most ``MAX_POINT_GROUPS`` points), or all runs
together (larger designs, whose comparison is the sensitivity analysis).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.sweep.spec import SweepSpec, value_text
from experiments.sweep.store import Store, mixed_platform_warning, read_provenance
from model.errors import ConfigError

MAX_POINT_GROUPS = 12
_EXPECT = "a sweep results folder (spec.json, design.parquet, runs.parquet, cities.parquet; made by " \
          "'python -m experiments sweep')"


@dataclass
class SweepData:
    root: Path
    spec: SweepSpec
    info: dict[str, Any]
    design: pd.DataFrame
    runs_all: pd.DataFrame          # every planned run: status ok, failed or pending
    runs: pd.DataFrame              # ok runs, with ``group``
    cities: pd.DataFrame            # city-by-year rows of ok runs, with ``group``
    groups: list[str]               # display order
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> group -> label
    provenance: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # damaged parts left out, platforms pooled
    platform_counts: dict[str, int] = field(default_factory=dict)  # ok runs per platform id

    @property
    def counts(self) -> dict[str, int]:
        s = self.runs_all.status.value_counts()
        return {"planned": len(self.runs_all), "ok": int(s.get("ok", 0)), "failed": int(s.get("failed", 0)),
                "pending": int(s.get("pending", 0))}

    def label(self, group: str, lang: str) -> str:
        return self.labels.get(lang, {}).get(group, group)


def read(root: str | Path) -> SweepData:
    root = Path(root)
    store = Store(root)
    if not store.exists() or not root.is_dir():  # exists() first: it names a path the system refuses
        raise ConfigError("DIR", str(root), _EXPECT, kind="not a sweep folder")
    info = store.info()
    spec = store.spec()
    design = store.design()
    if store.runs_dir.is_dir():  # fresh from the per-run parts (a stopped sweep's tables may lag)
        runs_all, cities = store.consolidate(write="if-possible")
    else:
        try:
            runs_all, cities = pd.read_parquet(root / "runs.parquet"), pd.read_parquet(root / "cities.parquet")
        except (OSError, ValueError):  # missing, or damaged (pyarrow's ArrowInvalid is a ValueError)
            raise ConfigError("DIR", str(root), _EXPECT, kind="not a sweep folder") from None
    warnings = [store.damaged_note()] if store.damaged else []
    pcounts = store.platform_counts(runs_all) if "status" in runs_all else {}
    mixed = mixed_platform_warning(pcounts, store.platform_id())
    if mixed:
        warnings.append(mixed.removeprefix("warning: "))
    if "scenario" not in runs_all:  # folders planned before runs recorded their scenario
        runs_all = runs_all.assign(scenario=spec.scenario)
    runs = runs_all[runs_all.status == "ok"].copy()
    if runs.empty:
        raise ConfigError("DIR", str(root), f"a sweep folder with at least one ok run ({len(runs_all)} planned, "
                          f"0 ok; run 'python -m experiments resume {root}')", kind="no finished runs")
    from experiments.sweep.spec import sweep_home

    with sweep_home(root):  # scenario files named relative to the sweep are found inside it
        groups, labels = _groups(spec, design, runs)
    runs["group"] = runs.run_id.map(groups)
    cities = cities[cities.run_id.isin(runs.run_id)].copy()
    cities["group"] = cities.run_id.map(groups)
    order = list(dict.fromkeys(g for g in _design_order(spec, design, groups) if g in set(runs.group)))
    try:
        prov = read_provenance(root / "runs.parquet") if (root / "runs.parquet").exists() else {}
    except (OSError, ValueError):  # a damaged consolidated table (it could not be rewritten): spec.json has it
        prov = {}
    return SweepData(root=root, spec=spec, info=info, design=design, runs_all=runs_all, runs=runs, cities=cities,
                     groups=order, labels=labels, provenance=prov, warnings=warnings, platform_counts=pcounts)


def _scenario_titles(names: list[str]) -> dict[str, tuple[str, str]]:
    from experiments.sweep.spec import load_scenario

    out = {}
    for n in names:
        try:
            sc = load_scenario(n)
            out[n] = (sc.name, sc.title_zh or sc.name)
        except ConfigError:  # a scenario file moved since the sweep ran: keep its name
            out[n] = (str(n), str(n))
    return out


def _values(row: pd.Series, names: list[str]) -> str:
    def fmt(v: Any) -> str:  # a level as the sweep file writes it: true/false, a choice, a number
        return f"{v:.3g}" if isinstance(v, float) else value_text(v)

    return ", ".join(f"{n}={fmt(row[n])}" for n in names)


def _groups(spec: SweepSpec, design: pd.DataFrame, runs: pd.DataFrame) -> tuple[dict[str, str], dict]:
    """Map run id -> group key, and the group labels in each language."""
    names = [f.name for f in spec.factors]
    first = design.drop_duplicates("run_id").set_index("run_id")
    if "scenario" not in first:
        first = first.assign(scenario=spec.scenario)
    labels: dict[str, dict[str, str]] = {"en": {}, "zh": {}}
    if spec.design == "scenarios":
        titles = _scenario_titles(list(dict.fromkeys(first.scenario)))
        key = {}
        for rid, row in first.iterrows():
            en, zh = titles[row.scenario]
            extra = _values(row, names) if names else ""
            g = f"{en} | {extra}" if extra else en
            key[rid] = g
            labels["en"][g], labels["zh"][g] = g, (f"{zh} | {extra}" if extra else zh)
        return key, labels
    n_points = first.point.nunique()
    if n_points <= MAX_POINT_GROUPS:
        key = {}
        for rid, row in first.iterrows():
            g = _values(row, names)
            key[rid] = g
            labels["en"][g] = labels["zh"][g] = g
        return key, labels
    labels["en"]["all"], labels["zh"]["all"] = "all runs", "全部模拟"
    return {rid: "all" for rid in first.index}, labels


def _design_order(spec: SweepSpec, design: pd.DataFrame, groups: dict[str, str]) -> list[str]:
    d = design.sort_values(["point", "rep"])
    return [groups[r] for r in d.run_id if r in groups]


# ---- folders of the answers over the posterior: a posterior study, a spillover verdict ------------------------------

POSTERIOR_JSON, SPILLOVER_JSON = "posterior_study.json", "spillover.json"
_POSTERIOR_EXPECT = ("a posterior-study folder (posterior_study.json, summary.csv, contrasts.csv, runs.csv; made by "
                     "'python -m experiments posterior')")
_SPILLOVER_EXPECT = ("a spillover folder (spillover.json, verdict.csv, channels.csv with --channels; made by "
                     "'python -m experiments spillover')")
_POSTERIOR_COLUMNS = {"summary.csv": ("scenario", "outcome", "median", "q05", "q95", "parameter_band", "seed_band"),
                      "contrasts.csv": ("scenario", "outcome", "median", "q05", "q95", "p_raises", "parameter_band",
                                        "draws")}
_SPILLOVER_COLUMNS = {"verdict.csv": ("city", "elasticity", "low", "high", "call"),
                      "channels.csv": ("channel", "city", "contribution", "low", "high"),
                      "elasticity_by_draw.csv": ("draw", "city", "elasticity"),
                      "drivers.csv": ("city", "param", "spearman")}


def folder_kind(root: str | Path) -> str:
    """What a results folder holds, by the file its command writes last: "posterior" (posterior_study.json),
    "spillover" (spillover.json) or "sweep" (anything else: the sweep reader says what is missing)."""
    p = Path(root)
    try:
        if (p / POSTERIOR_JSON).is_file():
            return "posterior"
        if (p / SPILLOVER_JSON).is_file():
            return "spillover"
    except OSError:  # a path the system refuses (too long, ...): the sweep reader's one line names it
        pass
    return "sweep"


def _json(path: Path, expect: str, kind: str) -> dict[str, Any]:
    import json

    try:
        out = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError("DIR", str(path.parent), expect + f" ({path.name} cannot be read)", kind=kind) from None
    if not isinstance(out, dict):
        raise ConfigError("DIR", str(path.parent), expect + f" ({path.name} is not an object)", kind=kind)
    return out


def _csv(root: Path, name: str, columns: tuple[str, ...], expect: str, kind: str,
         required: bool = True) -> pd.DataFrame | None:
    path = root / name
    if not required and not path.exists():
        return None
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError):  # missing, empty or damaged
        raise ConfigError("DIR", str(root), expect + f" ({name} is missing or cannot be read)", kind=kind) from None
    lack = [c for c in columns if c not in df]
    if lack:
        raise ConfigError("DIR", str(root), expect + f" ({name} lacks the column {lack[0]})", kind=kind)
    return df


@dataclass
class PosteriorData:
    """A posterior study (experiments/posterior.py): scenarios x parameter draws x seeds."""

    root: Path
    info: dict[str, Any]              # posterior_study.json
    summary: pd.DataFrame             # summary.csv: per scenario and outcome
    contrasts: pd.DataFrame           # contrasts.csv: per lever and outcome, minus the baseline
    runs: pd.DataFrame | None         # runs.csv (draw, scenario, seed, outcomes...), None if absent
    titles: dict[str, tuple[str, str]]  # scenario -> (English, Chinese) title
    warnings: list[str] = field(default_factory=list)

    @property
    def scenarios(self) -> list[str]:
        return list(dict.fromkeys(self.summary.scenario))

    @property
    def levers(self) -> list[str]:
        return list(dict.fromkeys(self.contrasts.scenario))

    def title(self, scenario: str, lang: str) -> str:
        en, zh = self.titles.get(scenario, (scenario, scenario))
        return zh if lang == "zh" else en


def read_posterior(root: str | Path) -> PosteriorData:
    root = Path(root)
    kind = "not a posterior-study folder"
    info = _json(root / POSTERIOR_JSON, _POSTERIOR_EXPECT, kind)
    summary, contrasts = (_csv(root, n, c, _POSTERIOR_EXPECT, kind) for n, c in _POSTERIOR_COLUMNS.items())
    warnings = []
    try:
        runs = pd.read_csv(root / "runs.csv")
        if not {"draw", "scenario", "seed"} <= set(runs):
            raise ValueError
    except (OSError, ValueError):
        runs = None
        warnings.append("runs.csv missing or unreadable: no band ends and no figures (the tables are complete)")
    return PosteriorData(root=root, info=info, summary=summary, contrasts=contrasts, runs=runs,
                         titles=_scenario_titles(list(dict.fromkeys([*summary.scenario, *contrasts.scenario]))),
                         warnings=warnings)


@dataclass
class SpilloverData:
    """A causal spillover verdict (experiments/spillover.py), over seed pairs or over posterior draws too."""

    root: Path
    info: dict[str, Any]                  # spillover.json
    verdict: pd.DataFrame                 # verdict.csv: per periphery city
    channels: pd.DataFrame | None         # channels.csv (with --channels)
    per_draw: pd.DataFrame | None         # elasticity_by_draw.csv (with --posterior)
    drivers: pd.DataFrame | None          # drivers.csv (with --posterior)

    @property
    def posterior(self) -> bool:
        return bool(self.info.get("posterior"))


def read_spillover(root: str | Path) -> SpilloverData:
    root = Path(root)
    kind = "not a spillover folder"
    info = _json(root / SPILLOVER_JSON, _SPILLOVER_EXPECT, kind)
    t = {name: _csv(root, name, cols, _SPILLOVER_EXPECT, kind, required=name == "verdict.csv")
         for name, cols in _SPILLOVER_COLUMNS.items()}
    return SpilloverData(root=root, info=info, verdict=t["verdict.csv"], channels=t["channels.csv"],
                         per_draw=t["elasticity_by_draw.csv"], drivers=t["drivers.csv"])
