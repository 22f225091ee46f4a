"""Scenario files (TOML in ``scenarios/``): named parameter sets plus the enclave-park list.

A scenario may ``extends`` another; its ``[params]`` override the parent's and its
``[[enclave]]`` entries are added to the parent's (same park: the child wins).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.errors import ConfigError
from model.params import CITIES, resolve

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
_KEYS = {"name", "title", "title_zh", "description", "extends", "params", "enclave"}


@dataclass(frozen=True)
class Enclave:
    """An enclave park 飞地园区: production in ``host``, promoted and partly credited to ``sponsor``."""

    park: str
    host: str
    sponsor: str


@dataclass
class Scenario:
    name: str
    title: str = ""
    title_zh: str = ""
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    enclaves: list[Enclave] = field(default_factory=list)

    def resolved(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        return resolve(overrides, base=self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description,
                "params": dict(self.params), "enclaves": [vars(e) for e in self.enclaves]}


def available() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "malformed TOML", f"valid TOML ({exc})", kind="unreadable scenario file") from None
    except OSError as exc:
        raise ConfigError(str(path), exc.strerror, "a readable scenario file", kind="unreadable scenario file") from None


def load(name_or_path: str | Path, _seen: tuple[str, ...] = ()) -> Scenario:
    """Load a shipped scenario by name, or a TOML file by path; validate everything it names."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.toml"
        if not path.exists():
            raise ConfigError("scenario", str(name_or_path), "one of " + ", ".join(available()), kind="unknown scenario")
    raw = _read(path)
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{path.name}: {unknown[0]}", raw[unknown[0]], "keys " + ", ".join(sorted(_KEYS)),
                          kind="unknown key")
    name = str(raw.get("name", path.stem))
    if name in _seen:
        raise ConfigError(f"{path.name}: extends", name, "a chain without cycles", kind="circular scenario")
    parent = load(raw["extends"], _seen + (name,)) if "extends" in raw else Scenario(name="")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(f"{path.name}: params", params, "a table of parameter = value")
    merged = {**parent.params, **params}
    resolve(merged)  # validates names and ranges now, naming the field
    enclaves = {e.park: e for e in parent.enclaves}
    for i, entry in enumerate(raw.get("enclave", [])):
        e = parse_enclave(entry, f"{path.name}: enclave[{i}]")
        enclaves[e.park] = e
    return Scenario(name=name, title=str(raw.get("title", parent.title)), title_zh=str(raw.get("title_zh", parent.title_zh)),
                    description=str(raw.get("description", "")), params=merged, enclaves=list(enclaves.values()))


def parse_enclave(entry: Any, where: str = "enclave") -> Enclave:
    from model.calibration import park_table  # late import: calibration data loads lazily

    parks = park_table()
    if not isinstance(entry, dict) or "park" not in entry or "sponsor" not in entry:
        raise ConfigError(where, entry, "a table with park, sponsor and optionally host")
    park = entry["park"]
    if park not in parks.index:
        raise ConfigError(f"{where}.park", park, "one of " + ", ".join(parks.index[parks.level != "urban"]))
    if parks.at[park, "level"] == "urban":
        raise ConfigError(f"{where}.park", park, "an industrial park, not an urban area")
    host = entry.get("host", parks.at[park, "city"])
    sponsor = entry["sponsor"]
    for key, city in (("host", host), ("sponsor", sponsor)):
        if city not in CITIES:
            raise ConfigError(f"{where}.{key}", city, "one of " + ", ".join(CITIES))
    if host != parks.at[park, "city"]:
        raise ConfigError(f"{where}.host", host, f"the park's own city ({parks.at[park, 'city']})")
    if host == sponsor:
        raise ConfigError(f"{where}.sponsor", sponsor, f"a city other than the host ({host})",
                          kind="impossible enclave (host and sponsor are the same city)")
    return Enclave(park=park, host=host, sponsor=sponsor)
