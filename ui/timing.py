"""Policy timing: a lever set from a chosen quarter on, and (optionally) back to its earlier value from a later one.

A planner asks "what if the enclave tax share is 0.5 from 2026 Q1 on?" or "... only from 2026 Q1 to 2030 Q4?". The
model already runs dated changes: a scenario's ``[[timeline]]`` entries (model/scenarios.py, model/phases.py: each
entry is a logged phase switch from its quarter on). A timed lever is one more such entry, and "back" a second one
that restores the value the lever would have had; both are added to the scenario the run is built from, so the
model runs exactly as it would from a scenario file with those entries (the export bundle writes that file).

A change from the run's first quarter is not timed: it is the lever's value for the whole run (an app override),
which is also what the calibration must not see (model/czt_model.py calibrates 2019 under 2019 institutions).

Text form (links, exports): ``name:value@2026Q1`` or ``name:value@2026Q1-2031Q1`` (the second quarter is the first
one back under the earlier value).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from model.errors import ConfigError
from model.params import BY_NAME
from model.scenarios import Scenario, TimelineEntry, load

_QUARTER = re.compile(r"^([0-9]{4})Q([1-4])$")
MAX_TIMED = 24  # timed changes in one run: more than a planner types, few enough for a link


def quarter_text(yq: tuple[int, int]) -> str:
    return f"{yq[0]}Q{yq[1]}"


def parse_quarter(text: str, field: str = "quarter") -> tuple[int, int]:
    """``2026Q1`` as (2026, 1); ConfigError naming ``field`` otherwise."""
    m = _QUARTER.match(text) if isinstance(text, str) else None
    if not m:
        raise ConfigError(field, text, "a calendar quarter such as 2026Q1")
    return int(m.group(1)), int(m.group(2))


def quarter_index(yq: tuple[int, int], start_year: int) -> int:
    """Quarters from the run's first quarter (start_year Q1 = 0)."""
    return (yq[0] - start_year) * 4 + yq[1] - 1


@dataclass(frozen=True)
class TimedLever:
    """Lever ``name`` takes ``value`` from quarter ``start`` on; from ``end`` on (if given) it is back to the value
    it would have had without this change."""

    name: str
    value: Any
    start: tuple[int, int]
    end: tuple[int, int] | None = None

    def text(self) -> str:
        v = self.value
        shown = ("true" if v else "false") if isinstance(v, bool) else repr(v) if isinstance(v, float) else str(v)
        return f"{self.name}:{shown}@{quarter_text(self.start)}" + (f"-{quarter_text(self.end)}" if self.end else "")

    @classmethod
    def parse(cls, text: str) -> TimedLever:
        """The text form back (see the module docstring); ConfigError naming the lever or the quarter."""
        if not isinstance(text, str) or ":" not in text or "@" not in text:
            raise ConfigError("timing", text, "name:value@2026Q1 or name:value@2026Q1-2031Q1")
        head, _, when = text.rpartition("@")
        name, _, raw = head.partition(":")
        p = BY_NAME.get(name)
        if p is None or not p.lever:
            raise ConfigError(name, raw, "a policy lever", kind="unknown lever")
        start_text, _, end_text = when.partition("-")
        start = parse_quarter(start_text, f"{name} from")
        end = parse_quarter(end_text, f"{name} until") if end_text else None
        value: Any = raw
        if p.kind is bool:
            if raw not in ("true", "false"):
                raise ConfigError(name, raw, "true or false")
            value = raw == "true"
        elif p.kind in (int, float):
            try:
                value = float(raw) if p.kind is float else int(raw)
            except ValueError:
                raise ConfigError(name, raw, p.allowed()) from None
        return cls(name, p.coerce(value), start, end)

    def checked(self, start_year: int, last: tuple[int, int]) -> TimedLever:
        """This change, its value coerced, its quarters after the run's first one and not after ``last``; the way
        back after the change. ConfigError (one line) otherwise."""
        p = BY_NAME.get(self.name)
        if p is None or not p.lever:
            raise ConfigError(self.name, self.value, "a policy lever", kind="unknown lever")
        value = p.coerce(self.value)
        first = (start_year, 1)
        if not first < self.start <= last:
            raise ConfigError(f"{self.name} from", quarter_text(self.start),
                              f"a quarter after {quarter_text(first)} and not after {quarter_text(last)} "
                              "(a change from the first quarter is the lever's value for the whole run)")
        if self.end is not None and not self.start < self.end <= last:
            raise ConfigError(f"{self.name} until", quarter_text(self.end),
                              f"a quarter after {quarter_text(self.start)} and not after {quarter_text(last)}")
        return dataclasses.replace(self, value=value)


def timing_entries(scenario: Scenario, overrides: dict[str, Any],
                   timing: tuple[TimedLever, ...]) -> list[TimelineEntry]:
    """The timeline entries of these timed changes, with the app's notes: one per change and one per way back
    (the value the lever would have had then, ``Scenario.value_at``)."""
    added = []
    for t in timing:
        added.append(TimelineEntry(t.start[0], t.start[1], {t.name: t.value},
                                   note=f"set in the app: {t.name} = {t.value} from {quarter_text(t.start)}",
                                   note_zh=f"应用中设定：自{t.start[0]}年第{t.start[1]}季度起"))
        if t.end is not None:
            back = scenario.value_at(t.name, t.end, overrides)
            added.append(TimelineEntry(t.end[0], t.end[1], {t.name: back},
                                       note=f"set in the app: {t.name} back to {back} from {quarter_text(t.end)}",
                                       note_zh=f"应用中设定：自{t.end[0]}年第{t.end[1]}季度起恢复"))
    return added


def with_timing(scenario: str | Scenario, overrides: dict[str, Any], timing: tuple[TimedLever, ...]) -> Scenario:
    """The scenario a run with these timed changes is built from: the scenario's own timeline plus
    ``timing_entries``, after the scenario's entries of the same quarter (so the app's value wins). Without
    timing, the scenario unchanged."""
    sc = load(scenario) if isinstance(scenario, str) else scenario
    if not timing:
        return sc
    return sc.with_timeline(timing_entries(sc, overrides, timing))


def merge(timing: tuple[TimedLever, ...], new: TimedLever) -> tuple[TimedLever, ...]:
    """The timed changes with ``new`` added; an earlier change of the same lever is replaced (one timing per lever,
    so "from 2026, and back from 2031" stays readable), at most MAX_TIMED."""
    out = tuple(t for t in timing if t.name != new.name) + (new,)
    if len(out) > MAX_TIMED:
        raise ConfigError("timing", len(out), f"at most {MAX_TIMED} timed lever changes in one run")
    return tuple(sorted(out, key=lambda t: (t.start, t.name)))


def parse_all(texts: list[str] | tuple[str, ...]) -> tuple[TimedLever, ...]:
    """Several text forms (a link, a saved run); one timing per lever, at most MAX_TIMED."""
    if len(texts) > MAX_TIMED:
        raise ConfigError("timing", len(texts), f"at most {MAX_TIMED} timed lever changes")
    out: tuple[TimedLever, ...] = ()
    seen = set()
    for text in texts:
        t = TimedLever.parse(text)
        if t.name in seen:
            raise ConfigError(t.name, text, "one timed change per lever", kind="repeated timed lever")
        seen.add(t.name)
        out = merge(out, t)
    return out
