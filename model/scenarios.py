"""Scenario files (TOML in ``scenarios/``): named parameter sets plus the enclave-park list.

A scenario may ``extends`` another; its ``[params]`` override the parent's and its
``[[enclave]]`` entries are added to the parent's (same park: the child wins). ``[[timeline]]`` entries
switch parameters at the start of a given year (and quarter) during the run, e.g. the intercity railway
opening in the hindcast; a child's entries are added to its parent's.

``to_toml`` writes such a file (a base scenario, parameter overrides, dated changes), the one writer of the format
beside its one reader: the app's export bundle and the scripts that make variants of a scenario use it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.errors import ConfigError
from model.identity import TRAVEL_NETWORKS
from model.params import BY_NAME, CITIES, resolve, travel_params

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
_KEYS = {"name", "title", "title_zh", "description", "description_zh", "extends", "params", "enclave", "timeline",
         "travel", "group"}
# what a scenario is for, in the order the app lists them (its list of 27 was one flat list): English, Chinese
GROUPS = {"reference": ("The 2019 reference", "2019年基准"),
          "history": ("History and hindcasts", "历史与回溯"),
          "package": ("Policy packages", "政策组合"),
          "people": ("People: commuting, hukou, talent, training", "人口：通勤、户籍、人才、培训"),
          "firms": ("Firms and parks: enclaves, division, markets", "企业与园区：飞地、分工、市场"),
          "government": ("Governments and the province", "政府与省级统筹"),
          "other": ("Other", "其他")}
# parameters a timeline may switch mid-run: the policy levers plus those read afresh every quarter
TIMELINE_EXTRA = ("tfp_growth", "max_commute_minutes", "park_land_growth", "talent_share_of_entrants",
                  "net_in_migration_10k", "national_growth_gap")


@dataclass(frozen=True)
class Enclave:
    """An enclave park 飞地园区: production in ``host``, promoted and partly credited to ``sponsor``."""

    park: str
    host: str
    sponsor: str


@dataclass(frozen=True)
class TimelineEntry:
    """From the start of ``year`` (quarter ``quarter``) on, ``params`` take these values (e.g. 2018: rail opens)."""

    year: int
    quarter: int
    params: dict[str, Any]
    note: str = ""
    note_zh: str = ""  # the note in Chinese, for the app's 中文 page

    def __post_init__(self) -> None:
        # an entry built in Python, not parsed from a file, is validated too: a phase switch takes its values as
        # they are, so an unchecked ``government_regime = 1`` would silently act as no regime at all
        where = f"timeline {self.year}Q{self.quarter}: params"
        params = {}
        for k, v in self.params.items():
            if k not in BY_NAME:
                raise ConfigError(f"{where}.{k}", v, "a known parameter (python -m experiments params lists them)",
                                  kind="unknown parameter")
            params[k] = BY_NAME[k].coerce(v)
        object.__setattr__(self, "params", params)

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "quarter": self.quarter, "params": dict(self.params), "note": self.note}


@dataclass
class Scenario:
    name: str
    title: str = ""
    title_zh: str = ""
    description: str = ""
    description_zh: str = ""  # the description in Chinese, for the app's 中文 mode (every shipped file has one)
    group: str = "other"  # a key of GROUPS: where the app lists it (inherited through extends)
    params: dict[str, Any] = field(default_factory=dict)
    enclaves: list[Enclave] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)

    def resolved(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The parameters in force at the start, the scenario's and ``overrides`` checked; a timeline entry dated
        before the start quarter is refused (it would be folded into the start without a word, so a scenario
        moved to a later start_year would silently begin with policies meant to take effect over time)."""
        cfg = resolve(overrides, base=self.params)
        start = cfg["start_year"]
        from model.calibration import city_table

        city_table(start)  # a start year without census-anchored data is the first thing refused (one line)
        for e in self.timeline:
            if (e.year, e.quarter) < (start, 1):
                raise ConfigError(f"{self.name}: timeline {e.year}Q{e.quarter}", f"{e.year}Q{e.quarter}",
                                  f"a quarter from the run's start, {start}Q1, on (drop the entry or start earlier)",
                                  kind="timeline entry before the start")
        return cfg

    def value_at(self, name: str, at: tuple[int, int], overrides: dict[str, Any] | None = None) -> Any:
        """The value parameter ``name`` has at quarter ``at`` (year, quarter): the scenario's (or ``overrides``')
        with the scenario's timeline entries dated up to ``at`` applied (what a change "back" restores)."""
        value = self.resolved(overrides)[name]
        for e in self.timeline:  # sorted by date (load, with_timeline)
            if (e.year, e.quarter) <= at and name in e.params:
                value = e.params[name]
        return value

    def with_timeline(self, entries: Sequence[TimelineEntry]) -> Scenario:
        """This scenario with ``entries`` added to its timeline, as a file extending it would have them."""
        return dataclasses.replace(self, timeline=_merged(self.timeline, entries))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "title_zh": self.title_zh, "description": self.description,
                "description_zh": self.description_zh, "group": self.group, "params": dict(self.params),
                "enclaves": [vars(e) for e in self.enclaves], "timeline": [t.to_dict() for t in self.timeline]}


def available() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


MAX_TOML_BYTES = 4 * 1024 * 1024  # scenario, sweep and calibration files are a few kB


def read_toml(path: str | Path, what: str = "scenario file") -> dict[str, Any]:
    """Parse a TOML file, or raise a one-line ConfigError naming it: unreadable, too large, not UTF-8, malformed,
    or nested too deeply for the parser (tomllib recurses into arrays and inline tables)."""
    path = Path(path)
    kind = f"unreadable {what}"
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        raise ConfigError(str(path), exc.strerror or type(exc).__name__, f"a readable {what}", kind=kind) from None
    except ValueError as exc:  # an embedded NUL byte in the path
        raise ConfigError(str(path), str(exc), f"a readable {what}", kind=kind) from None
    if len(data) > MAX_TOML_BYTES:
        raise ConfigError(str(path), f"over {MAX_TOML_BYTES // 2**20} MB", f"a {what} of at most "
                          f"{MAX_TOML_BYTES // 2**20} MB", kind=kind)
    try:  # utf-8-sig: a byte-order mark some editors put first (Notepad's "UTF-8 with BOM") is not TOML's, dropped
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(str(path), f"byte {data[exc.start:exc.start + 1]!r} at line {line}",
                          "UTF-8 text (TOML files are UTF-8)", kind=kind) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "malformed TOML", f"valid TOML ({exc})", kind=kind) from None
    except RecursionError:
        raise ConfigError(str(path), "arrays or inline tables nested too deeply", "valid TOML nested a few levels "
                          "deep", kind=kind) from None


def _read(path: Path) -> dict[str, Any]:
    return read_toml(path, "scenario file")


def _text(raw: dict[str, Any], key: str, default: str, where: str) -> str:
    v = raw.get(key, default)
    if not isinstance(v, str):
        raise ConfigError(f"{where}: {key}", v, "a string")
    return v


MAX_EXTENDS = 50  # a chain of scenarios extending each other, deeper than anyone writes


def load(name_or_path: str | Path, _seen: tuple[str, ...] = ()) -> Scenario:
    """Load a shipped scenario by name, or a TOML file by path; validate everything it names."""
    if not isinstance(name_or_path, (str, os.PathLike)) or not str(name_or_path).strip():  # the Python API's 3, None
        raise ConfigError("scenario", name_or_path, "a scenario name (" + ", ".join(available()) + ") or a TOML path",
                          kind="unknown scenario")
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
    where = path.name
    name = _text(raw, "name", path.stem, where)
    if name in _seen:
        raise ConfigError(f"{where}: extends", name, "a chain without cycles", kind="circular scenario")
    if len(_seen) >= MAX_EXTENDS:
        raise ConfigError(f"{where}: extends", raw.get("extends"), f"a chain of at most {MAX_EXTENDS} scenarios")
    if "extends" in raw:
        parent_name = raw["extends"]
        if not isinstance(parent_name, str) or not parent_name.strip():
            raise ConfigError(f"{where}: extends", parent_name, "the name of a shipped scenario or a TOML path, "
                              "e.g. \"baseline\"")
        parent = load(parent_name, _seen + (name,))
    else:
        parent = Scenario(name="")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: params", params, "a table of parameter = value")
    # travel = "<network>": the commuting levers from model/data/travel.csv (the file's own [params] may still
    # override a pair), so that no scenario types the table's minutes again
    merged = {**parent.params, **_travel(raw, where), **params}
    resolve(merged)  # validates names and ranges now, naming the field
    enclaves = {e.park: e for e in parent.enclaves}  # a child's entry replaces its parent's for the same park
    entries = raw.get("enclave", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: enclave", entries, "a list of [[enclave]] tables (park, sponsor, host)")
    mine: dict[str, int] = {}
    for i, entry in enumerate(entries):
        e = parse_enclave(entry, f"{where}: enclave[{i}]")
        if e.park in mine:
            raise ConfigError(f"{where}: enclave[{i}].park", e.park, f"each park once in a file (enclave[{mine[e.park]}] "
                              "already names it)", kind="duplicate enclave park")
        mine[e.park] = i
        enclaves[e.park] = e
    entries = raw.get("timeline", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: timeline", entries, "a list of [[timeline]] tables")
    timeline = _merged(parent.timeline, [parse_timeline(e, f"{where}: timeline[{i}]") for i, e in enumerate(entries)])
    return Scenario(name=name, title=_text(raw, "title", parent.title, where),
                    title_zh=_text(raw, "title_zh", parent.title_zh, where),
                    description=_text(raw, "description", "", where),
                    description_zh=_text(raw, "description_zh", "", where), group=_group(raw, parent.group, where),
                    params=merged,
                    enclaves=list(enclaves.values()), timeline=timeline)


def _merged(inherited: Sequence[TimelineEntry], added: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """Both timelines in date order; stable, so at the same quarter an added (a child's) entry applies last."""
    return sorted([*inherited, *added], key=lambda t: (t.year, t.quarter))


def _group(raw: dict, inherited: str, where: str) -> str:
    g = raw.get("group", inherited)
    if not isinstance(g, str) or g not in GROUPS:
        raise ConfigError(f"{where}: group", g, "one of " + ", ".join(GROUPS))
    return g


def parse_timeline(entry: Any, where: str = "timeline") -> TimelineEntry:
    """One ``[[timeline]]`` table: year, optional quarter (1-4, default 1), note, and a ``params`` table."""
    if not isinstance(entry, dict) or "year" not in entry or not isinstance(entry.get("params"), dict):
        raise ConfigError(where, entry, "a table with year, params = {name = value, ...} and optionally quarter, note")
    extra = sorted(set(entry) - {"year", "quarter", "params", "note", "note_zh", "travel"})
    if extra:
        raise ConfigError(f"{where}.{extra[0]}", entry[extra[0]], "keys year, quarter, params, note, note_zh, travel",
                          kind="unknown key")
    year, quarter = entry["year"], entry.get("quarter", 1)
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ConfigError(f"{where}.year", year, "a year from 2000 to 2100")
    if isinstance(quarter, bool) or not isinstance(quarter, int) or not 1 <= quarter <= 4:
        raise ConfigError(f"{where}.quarter", quarter, "1, 2, 3 or 4")
    params: dict[str, Any] = dict(_travel(entry, where))
    for k, v in entry["params"].items():
        _check_switchable(k, v, f"{where}.params.{k}")
        params[k] = BY_NAME[k].coerce(v)
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise ConfigError(f"{where}.note", note, "a string")
    note_zh = entry.get("note_zh", "")
    if not isinstance(note_zh, str):
        raise ConfigError(f"{where}.note_zh", note_zh, "a string")
    return TimelineEntry(year=year, quarter=quarter, params=params, note=note, note_zh=note_zh)


def _check_switchable(name: str, value: Any, where: str) -> None:
    if name not in BY_NAME or not (BY_NAME[name].lever or name in TIMELINE_EXTRA):
        raise ConfigError(where, value, "a policy lever or one of " + ", ".join(TIMELINE_EXTRA),
                          kind="parameter a timeline cannot switch")


def _travel(table: dict, where: str) -> dict[str, float]:
    """The commuting levers of ``table["travel"]`` (a travel network of model/data/travel.csv), or nothing."""
    if "travel" not in table:
        return {}
    network = table["travel"]
    if not isinstance(network, str) or network not in TRAVEL_NETWORKS:
        raise ConfigError(f"{where}.travel", network, "one of " + ", ".join(TRAVEL_NETWORKS) +
                          " (the travel networks of model/data/travel.csv)")
    return travel_params(network)


def parse_enclave(entry: Any, where: str = "enclave") -> Enclave:
    from model.calibration import park_table  # late import: calibration data loads lazily

    parks = park_table()
    if not isinstance(entry, dict) or "park" not in entry or "sponsor" not in entry:
        raise ConfigError(where, entry, "a table with park, sponsor and optionally host")
    park = entry["park"]
    if not isinstance(park, str) or park not in parks.index:
        raise ConfigError(f"{where}.park", park, "one of " + ", ".join(parks.index[parks.level != "urban"]))
    if parks.at[park, "level"] == "urban":
        raise ConfigError(f"{where}.park", park, "an industrial park, not an urban area")
    host = entry.get("host", parks.at[park, "city"])
    sponsor = entry["sponsor"]
    extra = sorted(set(entry) - {"park", "sponsor", "host"})
    if extra:
        raise ConfigError(f"{where}.{extra[0]}", entry[extra[0]], "keys park, sponsor, host", kind="unknown key")
    for key, city in (("host", host), ("sponsor", sponsor)):
        if not isinstance(city, str) or city not in CITIES:
            raise ConfigError(f"{where}.{key}", city, "one of " + ", ".join(CITIES))
    if host != parks.at[park, "city"]:
        raise ConfigError(f"{where}.host", host, f"the park's own city ({parks.at[park, 'city']})")
    if host == sponsor:
        raise ConfigError(f"{where}.sponsor", sponsor, f"a city other than the host ({host})",
                          kind="impossible enclave (host and sponsor are the same city)")
    return Enclave(park=park, host=host, sponsor=sponsor)


def _toml_string(text: str) -> str:
    # JSON's string escapes are TOML's; TOML alone also refuses a raw DEL in a basic string
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # a categorical member (model.choices) is a str: JSON writes its plain value
        return _toml_string(value)
    return repr(value)  # a coerced number is a Python int or float, whose repr is TOML


def to_toml(base: str | Path, overrides: dict[str, Any], dated: Sequence[TimelineEntry] = (), *, name: str,
            title: str = "", description: str = "") -> str:
    """A scenario file that ``extends`` ``base`` (a shipped scenario's name, or a file's path, written as given: a
    relative path is read from the reader's working folder), with ``overrides`` as its ``[params]`` and ``dated``
    as its ``[[timeline]]`` (in date order; at the same quarter in the order given). ``load`` reads it back as
    ``load(base).with_timeline(dated)`` with ``overrides`` in force: the same resolved parameters, the same
    timeline. A value ``load`` would refuse is refused here, a one-line ConfigError naming the field."""
    params = {k: v for k, v in resolve(overrides).items() if k in overrides}  # checked and coerced
    for e in dated:
        for k, v in e.params.items():
            _check_switchable(k, v, f"timeline {e.year}Q{e.quarter}: params.{k}")
    lines = [f"name = {_toml_string(name)}"]
    lines += [f"{key} = {_toml_string(text)}" for key, text in (("title", title), ("description", description)) if text]
    lines += [f"extends = {_toml_string(str(base))}", "", "[params]"]  # [params] even when empty: no overrides
    lines += [f"{k} = {_toml_value(v)}" for k, v in sorted(params.items())]
    for e in _merged([], dated):
        values = ", ".join(f"{k} = {_toml_value(v)}" for k, v in e.params.items())
        lines += ["", "[[timeline]]", f"year = {e.year}", f"quarter = {e.quarter}", f"note = {_toml_string(e.note)}",
                  f"note_zh = {_toml_string(e.note_zh)}", f"params = {{ {values} }}"]
    return "\n".join(lines) + "\n"
