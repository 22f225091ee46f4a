"""The app's state in its URL: a link rebuilds the same view.

Plain Python (no Solara). The query string holds the scenario, seed, scale, ensemble size, the calendar quarter
reached, the lever values set in the app and the pinned runs, e.g.
``?scenario=enclave&seed=7&scale=500&seeds=8&q=2024Q3&lv=enclave_tax_share:0.5,talent_recognition:1&pinA=...``.
A pinned run is its RunSpec as compact JSON. ``decode`` checks every field and raises ConfigError naming the field,
the value and what is allowed; ``apply`` rebuilds a Session from a decoded state.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from model.errors import ConfigError
from model.params import BY_NAME
from model.scenarios import available
from ui.ensemble import MAX_SEEDS, RunSpec

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
KEYS = ("scenario", "seed", "scale", "seeds", "q", "lv", "tm", "pinA", "pinB", "run", "view", "lang")
VIEWS = ("off", "overlay", "diff")


def _lever_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)  # repr: a float comes back exactly


def encode(sess, view: str = "off", lang: str = "en") -> str:
    """The query string (without '?') of a Session's state; keys in a fixed order, so equal states give equal
    links."""
    m = sess.model
    year, quarter = m.start_year + m.steps // 4, m.steps % 4 + 1  # the next quarter to simulate
    q: list[tuple[str, str]] = [("scenario", sess.scenario), ("seed", str(sess.seed)), ("scale", str(sess.scale))]
    if sess.n_seeds > 1:
        q.append(("seeds", str(sess.n_seeds)))
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
    if lang != "en":
        q.append(("lang", lang))
    return urlencode(q, safe=":,{}[]\"@")


def _int(field: str, text: str, lo: int, hi: int) -> int:
    try:
        v = int(text)
    except ValueError:
        raise ConfigError(field, text, f"an integer from {lo} to {hi}") from None
    if not lo <= v <= hi:
        raise ConfigError(field, v, f"an integer from {lo} to {hi}")
    return v


def decode(query: str | None) -> dict[str, Any]:
    """A query string as a state: {scenario, seed, scale, seeds, year, quarter, levers, pins, view, lang}; absent
    keys are absent. ConfigError (one line) on an unknown key or a bad value."""
    from ui.session import APP_SCALE_HI, APP_SCALE_LO

    out: dict[str, Any] = {}
    for key, value in parse_qsl(query or "", keep_blank_values=True):
        if key not in KEYS:
            raise ConfigError(key, value, "one of the link's keys: " + ", ".join(KEYS), kind="unknown link key")
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
        elif key == "q":
            mq = _QUARTER.match(value)
            if not mq:
                raise ConfigError("q", value, "a calendar quarter such as 2024Q3")
            out["year"], out["quarter"] = int(mq.group(1)), int(mq.group(2))
        elif key == "lv":
            levers = {}
            for item in filter(None, value.split(",")):
                name, _, text = item.partition(":")
                if name not in BY_NAME or not BY_NAME[name].lever:
                    raise ConfigError(name, text, "a policy lever", kind="unknown lever")
                p = BY_NAME[name]
                raw: Any = text
                if p.kind is bool:
                    if text not in ("true", "false"):
                        raise ConfigError(name, text, "true or false")
                    raw = text == "true"
                elif p.kind in (int, float):
                    try:
                        raw = float(text) if p.kind is float else int(text)
                    except ValueError:
                        raise ConfigError(name, text, p.allowed()) from None
                levers[name] = p.coerce(raw)
            out["levers"] = levers
        elif key == "tm":
            from ui.timing import parse_all

            out["timing"] = parse_all([x for x in value.split(",") if x])
        elif key in ("pinA", "pinB"):
            try:
                d = json.loads(value)
            except json.JSONDecodeError:
                raise ConfigError(key, value[:60], "a pinned run as JSON (scenario, levers, scale, seeds)") from None
            spec = RunSpec.from_dict(d)
            if not APP_SCALE_LO <= spec.scale <= APP_SCALE_HI:
                raise ConfigError(f"{key}.scale", spec.scale, f"an integer from {APP_SCALE_LO} to {APP_SCALE_HI}")
            out.setdefault("pins", {})[key[-1]] = spec
        elif key == "run":
            try:
                d = json.loads(value)
            except json.JSONDecodeError:
                raise ConfigError("run", value[:60], "a saved run as JSON (name, scenario, levers, scale, seeds)") from None
            if not isinstance(d, dict) or not isinstance(d.get("name"), str):
                raise ConfigError("run", value[:60], "a saved run as JSON with its name")
            name = d.pop("name")
            spec = RunSpec.from_dict(d)
            if not APP_SCALE_LO <= spec.scale <= APP_SCALE_HI:
                raise ConfigError("run.scale", spec.scale, f"an integer from {APP_SCALE_LO} to {APP_SCALE_HI}")
            out.setdefault("saved", []).append((name, spec))
        elif key == "view":
            if value not in VIEWS:
                raise ConfigError("view", value, "one of " + ", ".join(VIEWS))
            out["view"] = value
        elif key == "lang":
            if value not in ("en", "zh"):
                raise ConfigError("lang", value, "en or zh")
            out["lang"] = value
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
    sess.set_seeds(state.get("seeds", 1))
    for slot in ("A", "B"):
        if slot in state.get("pins", {}):
            sess.pin(slot, state["pins"][slot])
        else:
            sess.unpin(slot)
    for name, spec in state.get("saved", []):
        sess.save_run(name, spec)
    if target is not None and target > sess.steps:
        sess.step(target - sess.steps)
