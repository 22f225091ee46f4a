"""The app's state in its URL: a link rebuilds the same view.

Plain Python (no Solara). The query string holds the scenario, seed, scale, ensemble size, the calendar quarter
reached, the lever values set in the app and the pinned runs, e.g.
``?scenario=enclave&seed=7&scale=500&seeds=8&draws=4&q=2024Q3&lv=enclave_tax_share:0.5,talent_recognition:1&pinA=...``
(``draws``: the parameter ensemble's posterior draws, absent when off),
and the view's choices: the charts' view, the map's choropleth (``map=gdp_share``), the map's zoom and centre
(``zoom=4,0.52,0.61``: the zoom, then the centre's place across and down the map as fractions of its width and
height) and the language.
A pinned run is its RunSpec as compact JSON. ``decode`` checks every field and raises ConfigError naming the field,
the value and what is allowed; ``apply`` rebuilds a Session from a decoded state.

Links come from anyone, so ``decode`` reads only what ``encode`` writes: ASCII digits, each key once (REPEATABLE
names the exceptions), no unknown key (inside a pinned run neither), JSON of the right types, at most MAX_QUERY
characters; whatever else goes wrong while parsing is a ConfigError too, never another exception.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from model.errors import ConfigError
from model.params import BY_NAME
from model.scenarios import available
from ui.ensemble import MAX_SEEDS, RunSpec

_QUARTER = re.compile(r"([0-9]{4})Q([1-4])", re.ASCII)
_DIGITS = re.compile(r"[0-9]{1,20}", re.ASCII)  # ASCII only: int() would also read "٣", " 3", "+3" and "1_0"
# a lever's number as encode writes it (repr of a float, str of an int); no nan, inf, underscores or other scripts
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?", re.ASCII)
KEYS = ("scenario", "seed", "scale", "seeds", "draws", "q", "lv", "tm", "pinA", "pinB", "run", "view", "map", "zoom", "lang")
VIEWS = ("off", "overlay", "diff")
# the map's zoom as ui/map_view.vue keeps it: zoom from 1 to ZOOM_MAX, centre as fractions of the map's width and height;
# at most 6 decimals each (the page writes 4), ASCII digits only
ZOOM_MAX = 8
_ZOOM = re.compile(r"([0-9](?:\.[0-9]{1,6})?),([01](?:\.[0-9]{1,6})?),([01](?:\.[0-9]{1,6})?)", re.ASCII)
ZOOM_ALLOWED = (f"the map's zoom and centre as zoom,x,y: a zoom from 1 to {ZOOM_MAX}, then the centre's place across "
                "and down the map as fractions from 0 to 1 (e.g. 2,0.5,0.5)")
# keys a link may hold more than once, with the most it may hold: one "run" per named saved run (ui.session.MAX_SAVED)
REPEATABLE: dict[str, int] = {"run": 12}
# the longest link encode writes is twelve saved runs and two pins, each with every lever, about 40 kB; browsers and
# servers cap URLs near 64 kB. Anything longer is not a link the app made, and is refused before it is parsed.
MAX_QUERY = 48 * 1024


def _lever_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)  # repr: a float comes back exactly


def parse_zoom(text: str, field: str = "zoom") -> tuple[float, float, float]:
    """The map's zoom and centre from ``zoom,x,y`` (see ZOOM_ALLOWED); anything else is a ConfigError naming
    ``field``."""
    m = _ZOOM.fullmatch(text)
    if not m:
        raise ConfigError(field, text, ZOOM_ALLOWED)
    z, x, y = (float(g) for g in m.groups())
    if not (1 <= z <= ZOOM_MAX and 0 <= x <= 1 and 0 <= y <= 1):
        raise ConfigError(field, text, ZOOM_ALLOWED)
    return z, x, y


def zoom_text(z: float, x: float, y: float) -> str:
    """The link's form of a zoom: 4 decimals at most, as ui/map_view.vue writes it; "" for the full map (zoom 1)."""
    if z <= 1:
        return ""
    return ",".join(f"{round(v, 4):.4f}".rstrip("0").rstrip(".") for v in (z, x, y))


def encode(sess, view: str = "off", lang: str = "en", fill: str = "none", zoom: str = "") -> str:
    """The query string (without '?') of a Session's state and the view's choices (charts' view, the map's
    choropleth ``fill`` and ``zoom`` (zoom_text), language); keys in a fixed order, so equal states give equal
    links."""
    m = sess.model
    year, quarter = m.start_year + m.steps // 4, m.steps % 4 + 1  # the next quarter to simulate
    q: list[tuple[str, str]] = [("scenario", sess.scenario), ("seed", str(sess.seed)), ("scale", str(sess.scale))]
    if sess.n_seeds > 1:
        q.append(("seeds", str(sess.n_seeds)))
    if getattr(sess, "n_draws", 0):
        q.append(("draws", str(sess.n_draws)))
    q.append(("q", f"{year}Q{quarter}"))
    if sess.overrides:
        q.append(("lv", ",".join(f"{k}:{_lever_text(v)}" for k, v in sorted(sess.overrides.items()))))
    if sess.timing:  # levers set from a later quarter (ui/timing.py): name:value@2026Q1[-2031Q1]
        q.append(("tm", ",".join(t.text() for t in sess.timing)))
    for slot in ("A", "B"):
        if slot in sess.pins:
            q.append((f"pin{slot}", json.dumps(sess.pins[slot].spec.to_dict(), separators=(",", ":"),
                                               sort_keys=True)))
    for name, e in getattr(sess, "saved", {}).items():  # named saved runs, one "run" key each, in saving order
        if name not in ("A", "B"):
            q.append(("run", json.dumps({"name": name, **e.spec.to_dict()}, separators=(",", ":"), sort_keys=True,
                                        ensure_ascii=False)))
    if view != "off" and "A" in sess.pins:
        q.append(("view", view))
    if fill != "none":
        q.append(("map", fill))
    if zoom:
        q.append(("zoom", zoom))
    if lang != "en":
        q.append(("lang", lang))
    return urlencode(q, safe=":,{}[]\"@")


def _int(field: str, text: str, lo: int, hi: int) -> int:
    if not _DIGITS.fullmatch(text):
        raise ConfigError(field, text, f"an integer from {lo} to {hi} (ASCII digits)")
    v = int(text)
    if not lo <= v <= hi:
        raise ConfigError(field, v, f"an integer from {lo} to {hi}")
    return v


def decode(query: str | None) -> dict[str, Any]:
    """A query string as a state: {scenario, seed, scale, seeds, year, quarter, levers, pins, view, map, zoom,
    lang}; absent keys are absent. Strict: a link the app did not write is refused with a one-line ConfigError naming
    the key and value (an unknown or repeated key, also inside a pinned run; digits other than ASCII; a query over
    MAX_QUERY characters; JSON nested too deeply or a number too long to read). Only ConfigError escapes."""
    try:
        return _decode(query or "")
    except ConfigError:
        raise
    except (ValueError, RecursionError, MemoryError, TypeError) as exc:  # a parse the checks above did not foresee
        raise ConfigError("link", type(exc).__name__, "a link made by the app (share it again from the app)",
                          kind="unreadable link") from None


def _pairs(query: str) -> list[tuple[str, str]]:
    """The query's key=value pairs, each key at most once; percent escapes must decode to UTF-8."""
    if len(query) > MAX_QUERY:
        raise ConfigError("link", f"{len(query):,} characters", f"a link of at most {MAX_QUERY:,} characters",
                          kind="link too long")
    most = len(KEYS) + sum(n - 1 for n in REPEATABLE.values())
    fields = query.count("&") + 1
    if fields > most:
        raise ConfigError("link", f"{fields} fields", f"at most {most} fields, each key once", kind="link too long")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise ConfigError("link", exc.object[exc.start:exc.start + 4], "percent escapes of UTF-8 text",
                          kind="unreadable link") from None
    seen: dict[str, int] = {}
    for key, value in pairs:
        if key not in KEYS:
            raise ConfigError(key, value, "one of the link's keys: " + ", ".join(KEYS), kind="unknown link key")
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > REPEATABLE.get(key, 1):
            allowed = f"at most {REPEATABLE[key]} of them" if key in REPEATABLE else "each key once in a link"
            raise ConfigError(key, value, allowed, kind="repeated link key")
    return pairs


@lru_cache(maxsize=1)
def pin_keys() -> tuple[str, ...]:
    """The keys of a pinned run as RunSpec.to_dict writes them (so a key added there is read, and no other)."""
    return tuple(RunSpec.make(available()[0], {}, 1, [0]).to_dict())


def _pin(key: str, value: str, extra: tuple[str, ...] = ()):
    """A pinned run from its compact JSON: an object of exactly RunSpec.to_dict's keys (and ``extra``, which the
    caller reads and removes), each of its JSON type."""
    def no_constant(name: str):
        raise ValueError(f"{name} is not a number")

    repeated: list[tuple[str, Any]] = []

    def each_key_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:  # json.loads keeps the last of a repeated key
        seen: set[str] = set()
        for k, v in pairs:
            if k in seen:
                repeated.append((k, v))
            seen.add(k)
        return dict(pairs)

    try:
        d = json.loads(value, parse_constant=no_constant, object_pairs_hook=each_key_once)
    except (ValueError, RecursionError):  # not JSON, nested thousands deep, a number of thousands of digits, NaN
        raise ConfigError(key, value, "a pinned run as JSON (scenario, levers, scale, seeds)") from None
    if repeated:
        raise ConfigError(f"{key}.{repeated[0][0]}", repeated[0][1], "each key once in a pinned run",
                          kind="repeated link key")
    if not isinstance(d, dict):
        raise ConfigError(key, d, "a pinned run as a JSON object (scenario, levers, scale, seeds)")
    for k in d:
        if k not in pin_keys() + extra:
            raise ConfigError(f"{key}.{k}", d[k], "the keys " + ", ".join(pin_keys() + extra), kind="unknown link key")
    if "name" in extra:  # a saved run's name, by the rule the app's save button follows
        from ui.session import Session

        Session.check_name(d.get("name"), f"{key}.name")
    d = {k: v for k, v in d.items() if k not in extra}
    levers = d.get("levers", {})
    if not isinstance(levers, dict) or not all(
            isinstance(v, (bool, int, float, str)) for v in levers.values()):
        raise ConfigError(f"{key}.levers", levers, "a table of lever = value (true/false, a number or a choice)")
    for name, v in levers.items():
        p = BY_NAME.get(name)
        kind_ok = p is None or (isinstance(v, bool) if p.kind is bool else isinstance(v, str) if p.kind is str
                                else isinstance(v, (int, float)) and not isinstance(v, bool))
        if not kind_ok:  # a number as a string, true for a share: what encode never writes
            raise ConfigError(f"{key}.levers.{name}", v, p.allowed())
    return RunSpec.from_dict(d)


def _decode(query: str) -> dict[str, Any]:
    from ui.session import APP_SCALE_HI, APP_SCALE_LO

    out: dict[str, Any] = {}
    for key, value in _pairs(query):
        if key == "scenario":
            if value not in available():
                raise ConfigError("scenario", value, "one of " + ", ".join(available()))
            out["scenario"] = value
        elif key == "seed":
            out["seed"] = _int("seed", value, 0, 2**32 - MAX_SEEDS)  # seed + seeds - 1 stays below 2**32
        elif key == "scale":
            out["scale"] = _int("scale", value, APP_SCALE_LO, APP_SCALE_HI)
        elif key == "seeds":
            out["seeds"] = _int("seeds", value, 1, MAX_SEEDS)
        elif key == "draws":
            from ui.session import MAX_DRAWS

            out["draws"] = _int("draws", value, 0, MAX_DRAWS)
        elif key == "q":
            mq = _QUARTER.fullmatch(value)
            if not mq:
                raise ConfigError("q", value, "a calendar quarter such as 2024Q3")
            out["year"], out["quarter"] = int(mq.group(1)), int(mq.group(2))
        elif key == "lv":
            levers = {}
            for item in filter(None, value.split(",")):
                name, _, text = item.partition(":")
                if name not in BY_NAME or not BY_NAME[name].lever:
                    raise ConfigError(name, text, "a policy lever", kind="unknown lever")
                if name in levers:
                    raise ConfigError(name, text, "each lever once in a link", kind="repeated lever")
                p = BY_NAME[name]
                raw: Any = text
                if p.kind is bool:
                    if text not in ("true", "false"):
                        raise ConfigError(name, text, "true or false")
                    raw = text == "true"
                elif p.kind in (int, float):
                    if not (_NUMBER if p.kind is float else _DIGITS).fullmatch(text):
                        raise ConfigError(name, text, p.allowed())
                    raw = float(text) if p.kind is float else int(text)
                levers[name] = p.coerce(raw)
            out["levers"] = levers
        elif key == "tm":
            from ui.timing import parse_all

            out["timing"] = parse_all([x for x in value.split(",") if x])
        elif key in ("pinA", "pinB"):
            spec = _pin(key, value)
            if not APP_SCALE_LO <= spec.scale <= APP_SCALE_HI:
                raise ConfigError(f"{key}.scale", spec.scale, f"an integer from {APP_SCALE_LO} to {APP_SCALE_HI}")
            out.setdefault("pins", {})[key[-1]] = spec
        elif key == "run":
            spec = _pin("run", value, extra=("name",))
            d = json.loads(value)  # read strictly by _pin just now; only its name is taken here
            if not APP_SCALE_LO <= spec.scale <= APP_SCALE_HI:
                raise ConfigError("run.scale", spec.scale, f"an integer from {APP_SCALE_LO} to {APP_SCALE_HI}")
            out.setdefault("saved", []).append((d["name"], spec))
        elif key == "view":
            if value not in VIEWS:
                raise ConfigError("view", value, "one of " + ", ".join(VIEWS))
            out["view"] = value
        elif key == "map":
            from ui.mapfill import FILLS

            if value not in FILLS:
                raise ConfigError("map", value, "one of " + ", ".join(FILLS))
            out["map"] = value
        elif key == "zoom":
            out["zoom"] = zoom_text(*parse_zoom(value))  # "" for zoom 1: the full map
        elif key == "lang":
            if value not in ("en", "zh"):
                raise ConfigError("lang", value, "en or zh")
            out["lang"] = value
    if out.get("draws"):
        from ui.session import check_param_runs

        check_param_runs("draws", out["draws"], out["draws"], out.get("seeds", 1))
    return out


def apply(sess, state: dict[str, Any]) -> None:
    """Rebuild ``sess`` as the state says: settings, levers, ensemble size, pins, then the quarter. Checked before
    anything changes (``decode``); a model that rejects a value raises ConfigError and the old run stays."""
    from model.scenarios import load
    from ui.session import END_YEAR

    scenario = state.get("scenario", sess.scenario)
    target = None
    if "year" in state:
        start = load(scenario).resolved({})["start_year"]
        target = (state["year"] - start) * 4 + state["quarter"] - 1
        if not 0 <= target <= (END_YEAR + 1 - start) * 4:
            raise ConfigError("q", f"{state['year']}Q{state['quarter']}", f"a quarter from {start}Q1 to {END_YEAR + 1}Q1")
    sess.configure(scenario=scenario, seed=state.get("seed", sess.seed), scale=state.get("scale", sess.scale),
                   keep_quarter=False)
    if state.get("levers"):
        sess.set_levers(state["levers"])
    if state.get("timing"):
        sess.set_timing(state["timing"])
    draws = state.get("draws", 0)
    if draws < sess.n_draws:  # fewer draws first, so that the new seeds fit under the tab's limit
        sess.set_draws(draws)
    sess.set_seeds(state.get("seeds", 1))
    sess.set_draws(draws)
    for slot in ("A", "B"):
        if slot in state.get("pins", {}):
            sess.pin(slot, state["pins"][slot])
        else:
            sess.unpin(slot)
    for name, spec in state.get("saved", []):
        sess.save_run(name, spec)
    if target is not None and target > sess.steps:
        sess.step(target - sess.steps)
