"""The calibration file: read, validate, normalise. Every mistake is a one-line ConfigError naming the field."""

from __future__ import annotations

import importlib
import importlib.util
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from experiments.sweep.spec import RunSettings, int_field, known_param, no_unknown_keys, run_settings, text_field
from model.errors import ConfigError

_TOP = {"name", "description", "scenario", "until", "scale", "moments", "samples", "replications", "root_seed",
        "accept", "validation_replications", "params"}
_NOT_CALIBRATED = {"scale", "start_year"}  # run settings, not behaviour


@dataclass
class Prior:
    """Uniform prior of one parameter on [lo, hi]."""

    name: str
    lo: float
    hi: float


@dataclass(kw_only=True)
class CalibSpec(RunSettings):
    moments: str
    priors: list[Prior]
    accept: float = 0.2
    validation_replications: int = 4
    defaults: dict[str, float] = field(default_factory=dict)  # the scenario's value of each calibrated parameter

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.priors]

    @property
    def n_accept(self) -> int:
        return n_accept(self.samples, self.accept)

    @property
    def min_accepted(self) -> int:
        """The fewest accepted points ABC works with: the regression adjustment fits an intercept and one slope
        per parameter."""
        return min_accepted(len(self.priors))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def min_accepted(n_params: int) -> int:
    """Accepted points the regression adjustment needs: an intercept and a slope per parameter, plus one."""
    return n_params + 2


def n_accept(samples: int, accept: float) -> int:
    """Accepted design points: the closest ``accept`` fraction, rounded up."""
    return min(samples, max(1, math.ceil(accept * samples - 1e-9)))


def _prior(name: str, value: Any, where: str) -> Prior:
    p = known_param(name, where)
    if name in _NOT_CALIBRATED or p.kind not in (int, float):
        raise ConfigError(f"{where}: params.{name}", name, "a numeric behavioural parameter (not scale or start_year; "
                          "an on/off or categorical parameter has no prior range: set it in the scenario)")
    if not isinstance(value, dict) or set(value) != {"min", "max"}:
        raise ConfigError(f"{where}: params.{name}", value, "a table {min = a, max = b} (a uniform prior)")
    bounds = []
    for k in ("min", "max"):
        try:
            bounds.append(float(p.coerce(value[k])))
        except ConfigError:
            raise ConfigError(f"{where}: params.{name}.{k}", value[k], f"inside the allowed range: {p.allowed()}",
                              kind="prior range outside allowed range") from None
    lo, hi = bounds
    if not lo < hi:
        raise ConfigError(f"{where}: params.{name}.max", value["max"], f"a value above min ({lo:g})")
    return Prior(name, lo, hi)


def load_provider(moments: str) -> ModuleType:
    """Import the moments provider: a module path (model.history) or a .py file path."""
    allowed = "a module path or .py file with observed() and simulated(annual), e.g. model.history"
    try:
        if moments.endswith(".py"):
            path = Path(moments)
            spec = importlib.util.spec_from_file_location(f"czt_moments_{path.stem}", path)
            if spec is None or not path.exists():
                raise ModuleNotFoundError(f"no file {moments}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(moments)
    except Exception as exc:  # noqa: BLE001 - missing module or an error inside it: one line either way
        why = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise ConfigError("moments", moments, f"{allowed} ({why})", kind="cannot import moments provider") from None
    missing = [f for f in ("observed", "simulated") if not callable(getattr(module, f, None))]
    if missing:
        raise ConfigError("moments", moments, f"{allowed} (it has no {missing[0]}())", kind="not a moments provider")
    return module


def parse(raw: dict[str, Any], where: str = "calibration") -> CalibSpec:
    from model.scenarios import load

    no_unknown_keys(raw, _TOP, where)
    scenario = text_field(raw, "scenario", "baseline", where, "a scenario name or path")
    sc = load(scenario)  # a ConfigError naming the scenario if it does not exist or is malformed
    settings = run_settings(raw, where, "calibration", scenario, first_year=2010, max_replications=1000)
    moments = raw.get("moments")
    if not isinstance(moments, str) or not moments:
        raise ConfigError(f"{where}: moments", moments, "a module path with observed() and simulated(), e.g. model.history")
    params = raw.get("params")
    if not isinstance(params, dict) or not params:
        raise ConfigError(f"{where}: params", params, "a table naming at least one parameter: name = {min, max}")
    priors = [_prior(k, v, where) for k, v in params.items()]
    samples = int_field(raw, "samples", 100, 2, 1_000_000, where)
    accept = raw.get("accept", 0.2)
    if isinstance(accept, bool) or not isinstance(accept, (int, float)) or not 0 < accept <= 1:
        raise ConfigError(f"{where}: accept", accept, "a fraction in (0, 1] of design points to accept")
    need = min_accepted(len(priors))
    if n_accept(samples, float(accept)) < need:
        raise ConfigError(f"{where}: accept", accept, f"a fraction that keeps at least {need} of the {samples} "
                          f"samples (parameters + 2, for the regression adjustment)", kind="too few accepted points")
    base = sc.resolved({"scale": settings["scale"]} if settings["scale"] is not None else {})
    spec = CalibSpec(**settings, moments=moments, priors=priors, samples=samples, accept=float(accept),
                     validation_replications=int_field(raw, "validation_replications", 4, 1, 1000, where),
                     defaults={p.name: base[p.name] for p in priors})
    provider = load_provider(moments)  # fail now, before any run, if the provider cannot be imported
    _check_years(provider, scenario, base["start_year"], spec.until, where)
    return spec


def _check_years(provider: ModuleType, scenario: str, start: int, until: int, where: str) -> None:
    """The runs must simulate every year the observed moments name (a 2019 scenario cannot be fitted to 2010 data:
    its simulated table has no such year), checked before any run."""
    from experiments.calibrate.moments import observed

    years = observed(provider, f"{where}: moments").year
    lo, hi = int(years.min()), int(years.max())
    if lo < start or hi > until:
        raise ConfigError(f"{where}: scenario", scenario, f"a scenario and until that simulate the moments' years "
                          f"{lo}-{hi} (this one runs {start}-{until}; e.g. scenario = \"hindcast-2010\", until = {hi})",
                          kind="moments outside the simulated years")


def read(path: str | Path) -> CalibSpec:
    from model.scenarios import read_toml

    path = Path(path)
    raw = read_toml(path, "calibration file")  # one-line ConfigError: unreadable, not UTF-8, malformed, too deep
    return parse(raw, path.name)
