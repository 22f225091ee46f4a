"""The sweep file: read, validate, normalise. Every mistake is a ConfigError naming the field."""

from __future__ import annotations

import hashlib
import json
import math
import tomllib  # noqa: F401 - tests parse sweep text with spec.tomllib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ConfigError
from model.params import BY_NAME, Param

DESIGNS = ("factorial", "lhs", "sobol", "morris", "scenarios", "points")
SEED_MODES = ("common", "independent")
_TOP = {"name", "description", "scenario", "design", "replications", "until", "scale", "root_seed", "samples",
        "morris_levels", "retries", "timeout_seconds", "outputs", "seeds", "params", "fixed", "metrics",
        "all_levers", "scenarios", "twins", "points"}
_RANGE = {"min", "max", "levels"}


@dataclass
class Factor:
    """One varied parameter: discrete ``levels`` or a continuous ``[lo, hi]`` range."""

    name: str
    levels: list[Any] | None = None
    lo: float | None = None
    hi: float | None = None
    n_levels: int | None = None  # grid size of a range in a factorial design

    @property
    def discrete(self) -> bool:
        return self.levels is not None

    def grid(self) -> list[Any]:
        """Values for a full factorial design."""
        if self.levels is not None:
            return list(self.levels)
        vals = np.linspace(self.lo, self.hi, self.n_levels)
        return [self.coerce_num(v) for v in vals]

    def from_unit(self, u: float) -> Any:
        """Map a point of [0, 1] (what SALib samples) to a value of this parameter."""
        if self.levels is not None:
            k = len(self.levels)
            return self.levels[min(int(u * k), k - 1)]
        return self.coerce_num(self.lo + u * (self.hi - self.lo))

    def coerce_num(self, v: float) -> Any:
        p = BY_NAME[self.name]
        if p.kind is int:
            return int(round(float(v)))
        return float(v)

    def admits(self, value: Any) -> bool:
        """Whether ``value`` can be this factor's value in a design: one of its levels (compared as a sweep file
        writes them, so true is not 1 and 0.5 is not "0.5"), or a finite number within its range."""
        if self.levels is not None:
            return value_text(value) in {value_text(v) for v in self.levels}
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            return False
        slack = 1e-9 * (abs(self.hi - self.lo) + 1)
        return bool(np.isfinite(value)) and self.lo - slack <= float(value) <= self.hi + slack

    def describe(self) -> str:
        """Its values as a sweep file writes them: the levels (``true, false``; ``separate, unified``) or the range."""
        if self.levels is not None:
            return ", ".join(value_text(v) for v in self.levels)
        return f"{value_text(self.lo)} to {value_text(self.hi)}"


def value_text(v: Any) -> str:
    """A parameter value as a sweep file or --set writes it: true/false, a number in short form, a choice."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    return str(v)


@dataclass(kw_only=True)
class RunSettings:
    """What a sweep file and a calibration file both say: labels, the scenario the runs start from, the last
    simulated year, the scale, the points of a sampled design, replications per point and the root of every
    seed (all but ``samples`` read by ``run_settings``)."""

    name: str
    scenario: str
    until: int = 2035
    scale: int | None = None
    samples: int = 0
    replications: int = 1
    root_seed: int = 0
    description: str = ""


@dataclass(kw_only=True)
class SweepSpec(RunSettings):
    design: str
    factors: list[Factor]
    morris_levels: int = 4
    retries: int = 1
    timeout_seconds: float = 900.0
    outputs: list[str] = field(default_factory=list)
    seeds: str | list[int] = "common"  # or an explicit list, one seed per replicate (the app's export bundle)
    fixed: dict[str, Any] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)  # design "scenarios": the named scenarios compared
    # design "scenarios": {scenario: its twin}, a scenario to compare with another than the first (report only)
    twins: dict[str, str] = field(default_factory=dict)
    # design "points": the design points as given, each {"seed": its run's seed, "values": {factor: value}} (runs
    # chosen elsewhere, e.g. posterior draws, run with the sweep's bookkeeping); replications 1
    points: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Any, where: str = "spec.json: spec") -> "SweepSpec":
        """The spec as :meth:`to_dict` wrote it (a results folder's spec.json), every field checked as strictly as
        the sweep file it came from: a hand-edited value (a count given as a string, an unknown parameter, a
        timeout of NaN) is a one-line ConfigError naming ``where`` and the field. Fields added to the spec after
        a folder was made take their defaults."""
        return stored_spec(d, where)

    def digest(self) -> str:
        """Hash of everything that decides which runs the sweep holds (not retries or timeouts)."""
        return digest_of(self.to_dict())

    def base_overrides(self) -> dict[str, Any]:
        out = dict(self.fixed)
        if self.scale is not None:
            out["scale"] = self.scale
        return out


def digest_of(d: dict[str, Any]) -> str:
    """:meth:`SweepSpec.digest` of a spec as :meth:`SweepSpec.to_dict` gives it (or as spec.json holds it)."""
    d = dict(d)
    for k in ("retries", "timeout_seconds", "description", "twins"):  # twins change the report, not the runs
        d.pop(k, None)
    for k in ("scenarios", "points"):  # sweeps planned before these designs existed keep their digest
        if not d.get(k):
            d.pop(k, None)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


_HOME: ContextVar[Path | None] = ContextVar("sweep_home", default=None)


@contextmanager
def sweep_home(folder: str | Path):
    """``with sweep_home(folder):`` a sweep's relative scenario paths are looked up in ``folder`` first (see
    :func:`scenario_source`)."""
    token = _HOME.set(Path(folder))
    try:
        yield
    finally:
        _HOME.reset(token)


def scenario_source(name: str) -> str:
    """The file a sweep's scenario entry names. A relative TOML path is looked up beside the sweep first (the sweep
    file's folder while it is read, the results folder while a sweep is resumed or reported), so a folder moved to
    another machine or working folder (an export bundle) still finds the scenario files inside it; otherwise the
    name is used as given (a shipped scenario, an absolute path, a path from the working folder)."""
    home = _HOME.get()
    if home is not None and name.endswith(".toml") and not Path(name).is_absolute():
        try:
            if (home / name).is_file():
                return str(home / name)
        except OSError:  # a name the system refuses: load() says so
            pass
    return name


def load_scenario(name: str):
    """:func:`model.scenarios.load` of a sweep's scenario entry (:func:`scenario_source`)."""
    from model.scenarios import load

    return load(scenario_source(name))


def no_unknown_keys(raw: dict, allowed: set[str], where: str) -> None:
    """A one-line ConfigError naming the first key of ``raw`` that is not in ``allowed``."""
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]}", raw[unknown[0]], "keys " + ", ".join(sorted(allowed)),
                          kind="unknown key")


def text_field(raw: dict, key: str, default: str, where: str, allowed: str = "a string") -> str:
    """``raw[key]`` (or ``default``) if it is a string, or a one-line ConfigError naming ``where: key``."""
    v = raw.get(key, default)
    if not isinstance(v, str):
        raise ConfigError(f"{where}: {key}", v, allowed)
    return v


def run_settings(raw: dict, where: str, name: str, scenario: str, first_year: int,
                 max_replications: int) -> dict[str, Any]:
    """The :class:`RunSettings` fields of a sweep or calibration file, each checked (``name``: the default name;
    ``scenario``: already checked by the caller; ``first_year``: the earliest allowed ``until``)."""
    scale = raw.get("scale")
    return {"name": text_field(raw, "name", name, where), "description": text_field(raw, "description", "", where),
            "scenario": scenario, "scale": None if scale is None else BY_NAME["scale"].coerce(scale),
            "until": int_field(raw, "until", 2035, first_year, 2100, where),
            "replications": int_field(raw, "replications", 1, 1, max_replications, where),
            "root_seed": int_field(raw, "root_seed", 0, 0, 2**63 - 1, where)}


def int_field(raw: dict, key: str, default: int, lo: int, hi: int, where: str) -> int:
    """``raw[key]`` (or ``default``) as an integer in [lo, hi], or a one-line ConfigError naming ``where: key``."""
    v = raw.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ConfigError(f"{where}: {key}", v, f"an integer from {lo} to {hi}")
    return v


def known_param(name: str, where: str) -> Param:
    """The registry entry of ``name``, or a one-line ConfigError naming ``where: params.name``."""
    if name not in BY_NAME:
        raise ConfigError(f"{where}: params.{name}", name, "a known parameter (python -m experiments params lists them)",
                          kind="unknown parameter")
    return BY_NAME[name]


def levels_only(p: Param, value: Any) -> str:
    """What a sweep allows for an on/off or categorical parameter: a list of its levels, never a range."""
    why = "has no range" if isinstance(value, dict) else "varies over a list; one value for every run goes in [fixed]"
    if p.kind is bool:
        return f"a list of levels, e.g. [true, false] (an on/off parameter {why})"
    example = ", ".join(f'"{c}"' for c in p.choices[:2])
    return f"a list of levels from {', '.join(p.choices)}, e.g. [{example}] (a categorical parameter {why})"


def _factor(name: str, value: Any, where: str) -> Factor:
    p = known_param(name, where)
    if not isinstance(value, list) and p.kind in (bool, str):
        raise ConfigError(f"{where}: params.{name}", value, levels_only(p, value))
    if isinstance(value, list):
        if not value:
            raise ConfigError(f"{where}: params.{name}", value, "a non-empty list of values")
        levels = []
        for v in value:
            try:
                c = p.coerce(v)
            except ConfigError as exc:
                raise ConfigError(f"{where}: params.{name}", v, exc.allowed_text) from None
            if c in levels:
                raise ConfigError(f"{where}: params.{name}", v, "each value once (a repeated level would make "
                                  "identical design points)", kind="duplicate level")
            levels.append(c)
        return Factor(name=name, levels=levels)
    if isinstance(value, dict):
        extra = sorted(set(value) - _RANGE)
        if extra or "min" not in value or "max" not in value:
            raise ConfigError(f"{where}: params.{name}", value, "a list of values or a table {min, max[, levels]}")
        lo, hi = (p.coerce(value[k]) for k in ("min", "max"))
        if not lo < hi:
            raise ConfigError(f"{where}: params.{name}.max", value["max"], f"a value above min ({lo})")
        n = value.get("levels")
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_RUNS):
            raise ConfigError(f"{where}: params.{name}.levels", n, f"an integer from 2 to {MAX_RUNS:,}")
        return Factor(name=name, lo=float(lo), hi=float(hi), n_levels=n)
    raise ConfigError(f"{where}: params.{name}", value, "a list of values or a table {min, max[, levels]}")


MAX_RUNS = 1_000_000  # design points x replications: beyond this the plan alone takes hours and gigabytes


def n_points(spec: SweepSpec) -> int:
    """Design points the spec makes, computed without building them (exact Python integers)."""
    k = len(spec.factors)
    if spec.design in ("factorial", "scenarios"):
        n = 1
        for f in spec.factors:
            n *= len(f.levels) if f.levels is not None else int(f.n_levels or 0)
        return n * (len(spec.scenarios) if spec.design == "scenarios" else 1)
    if spec.design == "points":
        return len(spec.points)
    return spec.samples * {"lhs": 1, "sobol": k + 2, "morris": k + 1}[spec.design]


def _grid_share(f: Factor, p: int) -> list[int]:
    """Points of a ``p``-level Morris grid (u = j / (p - 1)) that fall on each level of a discrete factor."""
    values = [f.from_unit(j / (p - 1)) for j in range(p)]
    return [values.count(v) for v in f.levels]


def advice(spec: SweepSpec) -> list[str]:
    """Notes on a valid design that serves a discrete factor badly: a Morris grid that shares a factor's levels
    out unevenly (3 levels on 4 grid points: one level gets two points, and two of the levels are never compared
    by a Morris step). Empty when there is nothing to say."""
    discrete = [f for f in spec.factors if f.discrete and len(f.levels) > 1]
    if spec.design != "morris" or not discrete:
        return []
    even = [q for q in range(2, 101, 2) if all(len(set(_grid_share(f, q))) == 1 for f in discrete)]
    hint = f"morris_levels = {even[0]} gives each level the same number" if even else "no grid up to 100 levels is even"
    out = []
    for f in discrete:
        share = _grid_share(f, spec.morris_levels)
        if len(set(share)) > 1:
            per = ", ".join(f"{value_text(v)} {n}" for v, n in zip(f.levels, share))
            out.append(f"morris_levels = {spec.morris_levels} shares the {len(f.levels)} levels of {f.name} out "
                       f"unevenly (grid points per level: {per}); {hint}")
    return out


def check_size(spec: SweepSpec, where: str = "sweep") -> None:
    """A one-line ConfigError, before anything is built, if the design has more than MAX_RUNS runs."""
    pts = n_points(spec)
    runs = pts * spec.replications
    if runs > MAX_RUNS:
        how = {"factorial": "fewer levels", "scenarios": "fewer scenarios or levels", "lhs": "fewer samples",
               "sobol": "a smaller samples (N x (k+2) points)", "morris": "fewer trajectories",
               "points": "fewer points"}[spec.design]
        raise ConfigError(f"{where}: design", runs, f"at most {MAX_RUNS:,} runs (design points x replications); this "
                          f"{spec.design} design has {pts:,} points x {spec.replications:,} replications = {runs:,} "
                          f"runs: use {how} or replications", kind="design too large")


def parse(raw: dict[str, Any], where: str = "sweep") -> SweepSpec:
    """A checked, normalised sweep spec from a parsed sweep file; each helper checks one part of it."""
    no_unknown_keys(raw, _TOP, where)
    design, scenario, scenarios = _design(raw, where)
    params = raw.get("params", {})
    if not isinstance(params, dict) or (not params and design != "scenarios"):
        raise ConfigError(f"{where}: params", params, "a table naming at least one parameter to vary")
    factors = [_factor(k, v, where) for k, v in params.items()]
    fixed = _fixed(raw, params, where)
    factors += _all_levers(raw, set(params) | set(fixed), where)
    settings = run_settings(raw, where, "sweep", scenario, first_year=2019, max_replications=100_000)
    _runs_start(settings["scale"], params, fixed, scenarios or [scenario], where)
    points = _points(raw.get("points"), factors, design, settings["replications"], where)
    spec = SweepSpec(
        **settings, design=design, factors=factors, samples=_samples(raw, design, factors, where),
        morris_levels=int_field(raw, "morris_levels", 4, 2, 100, where), retries=int_field(raw, "retries", 1, 0, 100, where),
        timeout_seconds=_timeout(raw, where), outputs=_outputs(raw, where), seeds=_seeds(raw, where),
        fixed={k: BY_NAME[k].coerce(v) for k, v in fixed.items()}, metrics=_metrics(raw, where), scenarios=scenarios,
        twins=_twins(raw, scenarios, where), points=points)
    check_size(spec, where)
    return spec


def _points(value: Any, factors: list[Factor], design: str, replications: int, where: str) -> list[dict[str, Any]]:
    """The ``points`` of a points design: a non-empty list of ``{seed, values}``, ``values`` naming every factor once
    with a value the factor admits (its levels or range), each seed an integer from 0 to 2**32-1; empty (and
    refused if given) for the other designs."""
    if design != "points":
        if value not in (None, []):
            raise ConfigError(f"{where}: points", value, 'only with design = "points"')
        return []
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: points", value, "a non-empty list of tables {seed, values}, one per design point")
    if replications != 1:
        raise ConfigError(f"{where}: replications", replications, "1 in a points design (each point gives the seed "
                          "of its one run)")
    if len(value) > MAX_RUNS:
        raise ConfigError(f"{where}: points", len(value), f"at most {MAX_RUNS:,} points", kind="design too large")
    by_name = {f.name: f for f in factors}
    out = []
    for i, pt in enumerate(value):
        at = f"{where}: points[{i}]"
        if not isinstance(pt, dict) or set(pt) != {"seed", "values"}:
            raise ConfigError(at, pt, "a table {seed, values}")
        seed, vals = pt["seed"], pt["values"]
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise ConfigError(f"{at}.seed", seed, "an integer from 0 to 2**32-1")
        if not isinstance(vals, dict) or set(vals) != set(by_name):
            raise ConfigError(f"{at}.values", vals, "a table of a value for each varied parameter: "
                              + ", ".join(by_name))
        checked = {}
        for name, f in by_name.items():
            v = stored_value(BY_NAME[name], vals[name], f"{at}.values.{name}")
            if not f.admits(v):
                raise ConfigError(f"{at}.values.{name}", vals[name], f"a value of the factor ({f.describe()})")
            checked[name] = v
        out.append({"seed": seed, "values": checked})
    return out


def _twins(raw: dict[str, Any], scenarios: list[str], where: str) -> dict[str, str]:
    """``twins = {scenario = "its twin"}``: both must be among the compared scenarios, and differ."""
    twins = raw.get("twins", {})
    if not isinstance(twins, dict) or (twins and not scenarios):
        raise ConfigError(f"{where}: twins", twins, "a table of scenario = \"twin scenario\" in a scenarios design")
    for k, v in twins.items():
        if k not in scenarios:
            raise ConfigError(f"{where}: twins", k, "a scenario listed in scenarios = [...]")
        if v not in scenarios or v == k:
            raise ConfigError(f"{where}: twins.{k}", v, "another scenario listed in scenarios = [...]")
    return dict(twins)


def _design(raw: dict[str, Any], where: str) -> tuple[str, str, list[str]]:
    """The design, the base scenario (loadable) and, for a scenarios design, the scenarios compared."""

    scenario = text_field(raw, "scenario", "baseline", where, "a scenario name or path")
    design = raw.get("design", "factorial")
    if design not in DESIGNS:
        raise ConfigError(f"{where}: design", design, "one of " + ", ".join(DESIGNS))
    scenarios = _scenarios(raw, design, where)
    if scenarios:
        if "scenario" in raw:
            raise ConfigError(f"{where}: scenario", scenario, "no base scenario in a scenarios design "
                              "(list every scenario in scenarios = [...])")
        scenario = scenarios[0]
    load_scenario(scenario)  # raises a ConfigError naming the scenario
    return design, scenario, scenarios


def _fixed(raw: dict[str, Any], params: dict[str, Any], where: str) -> dict[str, Any]:
    """The ``[fixed]`` table as given, each value checked on its own (the error names the sweep file's field)."""
    fixed = raw.get("fixed", {})
    if not isinstance(fixed, dict):
        raise ConfigError(f"{where}: fixed", fixed, "a table of parameter = value")
    for k, v in fixed.items():
        try:
            known_param(k, where).coerce(v)
        except ConfigError as exc:
            if exc.field.startswith(where):
                raise ConfigError(exc.field.replace(": params.", ": fixed."), k, exc.allowed_text,
                                  kind="unknown parameter") from None
            raise ConfigError(f"{where}: fixed.{k}", v, exc.allowed_text) from None
    clash = sorted(set(fixed) & set(params))
    if clash:
        raise ConfigError(f"{where}: fixed.{clash[0]}", fixed[clash[0]], "a parameter not also varied in [params]")
    return fixed


def _all_levers(raw: dict[str, Any], named: set[str], where: str) -> list[Factor]:
    """With ``all_levers = true``: every policy lever not ``named`` in [params] or [fixed], over its whole range
    (an on/off lever over both states, a categorical one over all its choices)."""
    from model.params import PARAMS

    all_levers = raw.get("all_levers", False)
    if not isinstance(all_levers, bool):
        raise ConfigError(f"{where}: all_levers", all_levers, "true or false")
    if not all_levers:
        return []
    out = []
    for p in PARAMS:
        if p.lever and p.name not in named:
            if p.kind is bool:
                out.append(Factor(name=p.name, levels=[False, True]))
            elif p.kind is str:
                out.append(Factor(name=p.name, levels=list(p.choices)))
            else:
                out.append(Factor(name=p.name, lo=float(p.lo), hi=float(p.hi), n_levels=2))
    return out


def _runs_start(scale: int | None, params: dict[str, Any], fixed: dict[str, Any], scenarios: list[str],
                where: str) -> None:
    """Scale given once, and [fixed] (with the scale) valid on top of every scenario the runs start from."""

    if scale is not None and ("scale" in params or "scale" in fixed):
        raise ConfigError(f"{where}: scale", scale, "set scale once (top level, [fixed] or [params])")
    for name in scenarios:
        load_scenario(name).resolved({**fixed, **({"scale": scale} if scale is not None else {})})


def _samples(raw: dict[str, Any], design: str, factors: list[Factor], where: str) -> int:
    """Points of a sampled design (a power of 2 for Sobol); a factorial needs a grid size for every range."""
    if design == "points":  # the points give every value
        return int_field(raw, "samples", 0, 0, 1_000_000, where)
    if design in ("factorial", "scenarios"):  # scenarios: crossed with the full grid of any [params]
        for f in factors:
            if not f.discrete and not f.n_levels:
                raise ConfigError(f"{where}: params.{f.name}.levels", None,
                                  "an integer of at least 2 (a factorial design needs a grid for a range)")
        # unused by a grid, but a word or a fraction here is a mistake to name, not to carry into spec.json
        return int_field(raw, "samples", 0, 0, 1_000_000, where)
    samples = int_field(raw, "samples", 0, 1, 1_000_000, where)
    if design == "sobol" and samples & (samples - 1):
        raise ConfigError(f"{where}: samples", samples, "a power of 2 for a Sobol design (e.g. 64, 128, 256)")
    return samples


def _outputs(raw: dict[str, Any], where: str) -> list[str]:
    """Columns of the annual city table to keep, each once (empty: all)."""
    from model.recorder import annual_columns

    outputs = raw.get("outputs", [])
    if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
        raise ConfigError(f"{where}: outputs", outputs, "a list of annual-table column names (empty = all)")
    columns = [c for c in annual_columns() if c not in ("year", "city")]
    for i, o in enumerate(outputs):
        if o not in columns and o not in ("year", "city"):
            raise ConfigError(f"{where}: outputs", o, "columns of the annual city table: " + ", ".join(columns),
                              kind="unknown output")
        if o in outputs[:i]:
            raise ConfigError(f"{where}: outputs", o, "each column once", kind="duplicate output")
    return list(outputs)


def _metrics(raw: dict[str, Any], where: str) -> list[str]:
    """Run-level metrics ``analyze`` uses by default."""
    from experiments.sweep.metrics import METRICS

    metrics = raw.get("metrics", [])
    if not isinstance(metrics, list) or not all(isinstance(o, str) for o in metrics):
        raise ConfigError(f"{where}: metrics", metrics, "a list of run-level metric names")
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise ConfigError(f"{where}: metrics", bad[0], "one of " + ", ".join(METRICS))
    return list(metrics)


def _seeds(raw: dict[str, Any], where: str) -> str | list[int]:
    seeds = raw.get("seeds", "common")
    if isinstance(seeds, list):  # explicit replicate seeds, common to every point: a run made elsewhere, redone
        reps = raw.get("replications", 1)
        if (not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**32 for s in seeds)
                or len(set(seeds)) != len(seeds) or reps != len(seeds)):
            raise ConfigError(f"{where}: seeds", seeds, "distinct integers from 0 to 2**32-1, as many as replications "
                              f"({reps})")
        return list(seeds)
    if seeds not in SEED_MODES:
        raise ConfigError(f"{where}: seeds", seeds, "common (same seeds at every design point), independent, or a "
                          "list of one seed per replication")
    return seeds


def _timeout(raw: dict[str, Any], where: str) -> float:
    timeout = raw.get("timeout_seconds", 900.0)
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout)
            or timeout <= 0):
        raise ConfigError(f"{where}: timeout_seconds", timeout, "a positive, finite number of seconds (e.g. 900)")
    return float(timeout)


def _scenarios(raw: dict[str, Any], design: str, where: str) -> list[str]:
    """The ``scenarios`` list of a scenarios design, each loadable; empty for the other designs."""
    from model.scenarios import available

    names = raw.get("scenarios")
    if design != "scenarios":
        if names is not None:
            raise ConfigError(f"{where}: scenarios", names, 'only with design = "scenarios"')
        return []
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{where}: scenarios", names, "a non-empty list of scenario names or TOML paths, from "
                          + ", ".join(available()))
    seen: set[str] = set()
    for n in names:
        try:
            sc = load_scenario(n)
        except ConfigError as exc:
            allowed = (f"a valid scenario file ({exc})" if Path(n).suffix
                       else "one of " + ", ".join(available()) + " (or a scenario TOML path)")
            raise ConfigError(f"{where}: scenarios", n, allowed, kind="unknown scenario") from None
        if sc.name in seen:
            raise ConfigError(f"{where}: scenarios", n, "each scenario once (two entries name scenario "
                              f"{sc.name!r})")
        seen.add(sc.name)
    return list(names)


def stored_value(p: Param, v: Any, field_: str) -> Any:
    """A parameter value as a results folder recorded it: of its own JSON type (true/false for an on/off parameter,
    a choice for a categorical one, a number otherwise; no strings that merely read as one), then checked."""
    ok = (isinstance(v, bool) if p.kind is bool else isinstance(v, str) if p.kind is str
          else isinstance(v, (int, float)) and not isinstance(v, bool))
    if not ok:
        raise ConfigError(field_, v, p.allowed())
    try:
        return p.coerce(v)
    except ConfigError as exc:
        raise ConfigError(field_, v, exc.allowed_text) from None


def _stored_factor(f: Any, where: str) -> Factor:
    keys = {"name", "levels", "lo", "hi", "n_levels"}
    if not isinstance(f, dict) or not isinstance(f.get("name"), str):
        raise ConfigError(f"{where}.factors", f, "a table {name, levels} or {name, lo, hi[, n_levels]}")
    no_unknown_keys(f, keys, f"{where}.factors")
    name = f["name"]
    p = known_param(name, where)
    at = f"{where}.factors.{name}"
    levels, lo, hi, n = f.get("levels"), f.get("lo"), f.get("hi"), f.get("n_levels")
    if levels is not None:
        if not isinstance(levels, list) or not levels or lo is not None or hi is not None:
            raise ConfigError(f"{at}.levels", levels, "a non-empty list of values (and no range)")
        vals = []
        for v in levels:
            c = stored_value(p, v, f"{at}.levels")
            if c in vals:
                raise ConfigError(f"{at}.levels", v, "each value once", kind="duplicate level")
            vals.append(c)
        return Factor(name=name, levels=vals)
    if p.kind in (bool, str):
        raise ConfigError(f"{at}", f, levels_only(p, f))
    lo, hi = (stored_value(p, v, f"{at}.{k}") for k, v in (("lo", lo), ("hi", hi)))
    if not lo < hi:
        raise ConfigError(f"{at}.hi", hi, f"a value above lo ({lo})")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_RUNS):
        raise ConfigError(f"{at}.n_levels", n, f"an integer from 2 to {MAX_RUNS:,}")
    return Factor(name=name, lo=float(lo), hi=float(hi), n_levels=n)


def _names(d: dict[str, Any], key: str, where: str) -> list[str]:
    """A recorded list of column or metric names: distinct strings (which names exist was checked when the sweep
    was planned, and the digest covers them; a later version may have renamed one, which reading must survive)."""
    v = d.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v) or len(set(v)) != len(v):
        raise ConfigError(f"{where}.{key}", v, "a list of distinct names")
    return list(v)


def stored_spec(d: Any, where: str = "spec.json: spec") -> SweepSpec:
    """A :class:`SweepSpec` from its recorded form (see :meth:`SweepSpec.from_dict`)."""
    import dataclasses

    if not isinstance(d, dict):
        raise ConfigError(where, d, "a table of the sweep's settings (as the sweep wrote it)")
    no_unknown_keys(d, {f.name for f in dataclasses.fields(SweepSpec)}, where)
    for key in ("name", "scenario", "design", "factors"):
        if key not in d:
            raise ConfigError(f"{where}.{key}", None, "present (as the sweep wrote it)", kind="missing field")
    design = d["design"]
    if design not in DESIGNS:
        raise ConfigError(f"{where}.design", design, "one of " + ", ".join(DESIGNS))
    if not isinstance(d["factors"], list):
        raise ConfigError(f"{where}.factors", d["factors"], "a list of factors")
    scale = d.get("scale")
    fixed = d.get("fixed", {})
    if not isinstance(fixed, dict):
        raise ConfigError(f"{where}.fixed", fixed, "a table of parameter = value")
    scenarios = d.get("scenarios", [])
    if not isinstance(scenarios, list) or not all(isinstance(n, str) and n for n in scenarios):
        raise ConfigError(f"{where}.scenarios", scenarios, "a list of scenario names or TOML paths")
    if (design == "scenarios") != bool(scenarios):
        raise ConfigError(f"{where}.scenarios", scenarios, "a non-empty list exactly when design is 'scenarios'")
    twins = d.get("twins", {})
    if not isinstance(twins, dict) or not all(isinstance(k, str) and v in scenarios and k in scenarios
                                              for k, v in twins.items()):
        raise ConfigError(f"{where}.twins", twins, "a table of scenario = twin, both among scenarios")
    seeds = d.get("seeds", "common")
    raw = {**d, "seeds": seeds}
    spec = SweepSpec(
        name=text_field(d, "name", "", where), description=text_field(d, "description", "", where),
        scenario=text_field(d, "scenario", "", where), design=design,
        factors=[_stored_factor(f, where) for f in d["factors"]],
        scale=None if scale is None else stored_value(BY_NAME["scale"], scale, f"{where}.scale"),
        until=int_field(d, "until", 2035, 2010, 2100, where), samples=int_field(d, "samples", 0, 0, 1_000_000, where),
        replications=int_field(d, "replications", 1, 1, 100_000, where),
        root_seed=int_field(d, "root_seed", 0, 0, 2**63 - 1, where),
        morris_levels=int_field(d, "morris_levels", 4, 2, 100, where), retries=int_field(d, "retries", 1, 0, 100, where),
        timeout_seconds=_timeout(d, where), outputs=_names(d, "outputs", where), seeds=_seeds(raw, where),
        fixed={k: stored_value(known_param(k, where), v, f"{where}.fixed.{k}") for k, v in fixed.items()},
        metrics=_names(d, "metrics", where), scenarios=list(scenarios), twins=dict(twins))
    spec.points = _points(d.get("points"), spec.factors, design, spec.replications, where)
    if spec.design in ("sobol", "lhs", "morris") and spec.samples < 1:
        raise ConfigError(f"{where}: samples", spec.samples, f"an integer from 1 to 1,000,000 for a {design} design")
    names = [f.name for f in spec.factors]
    if len(set(names)) != len(names) or set(names) & set(spec.fixed):
        raise ConfigError(f"{where}.factors", names, "each parameter once, not also in fixed")
    check_size(spec, where)
    return spec


def read(path: str | Path) -> SweepSpec:
    from model.scenarios import read_toml

    path = Path(path)
    raw = read_toml(path, "sweep file")  # one-line ConfigError: unreadable, not UTF-8, malformed, too deep
    with sweep_home(path.parent):  # its scenario files beside it, wherever the command runs
        return parse(raw, path.name)
