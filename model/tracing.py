"""Observe which component fields each stage of the quarter and of the year reads and writes, on a running model.

``trace(model, quarters)`` steps the model through ``model.quarter.QUARTER`` (and, when a year begins within those
quarters, ``model.year.YEAR``) with every component behind a proxy that records attribute reads and assignments,
and compares each field's bytes before and after the stage (writes made in place, e.g. ``F.z[slots] *= ...``, change
the bytes without an assignment; the column was read to get at it, so an in-place write also counts as a read).
tests/test_stages.py holds the observed table against the declarations in ``QUARTER`` and ``YEAR``;
``python -m model.tracing`` prints it. Fields are named ``component.field``: the dataclass fields of the
components, the columns of the worker and firm tables (``workers.*``, ``firms.*``), ``workers.log`` (the move log),
``recorder.flows`` and ``recorder.rows`` (the recorded quarters: written by recording, read for last year's GDP).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from model.stages import Stage

if TYPE_CHECKING:
    from model.czt_model import CZTModel

COMPONENTS = ("geography", "labour", "production", "supply", "knowledge", "land", "fiscal", "governance", "residence",
              "migration", "workers", "firms")
_RECORDER_WRITES = {"flow_people": "flows", "flow_firms": "flows", "flow_firms_many": "flows", "reset_flows": "flows",
                    "record_state": "rows"}
_RECORDER_READS = {"last_year_gdp": "rows", "rows": "rows"}
_BOOKKEEPING = {"n", "next_wid"}  # table sizes: their effect shows in the columns' bytes


def fields(model: CZTModel, name: str) -> list[str]:
    obj = getattr(model, name)
    if dataclasses.is_dataclass(obj):
        return [f.name for f in dataclasses.fields(obj)]
    cols = list(obj.__dict__["_cols"])
    return cols + (["log"] if name == "workers" else [])


def _digest(value: Any) -> str:
    h = hashlib.sha1()
    if isinstance(value, np.ndarray):
        h.update(str(value.dtype).encode() + str(value.shape).encode())
        h.update(np.ascontiguousarray(value).tobytes())
    else:
        h.update(repr(value).encode())
    return h.hexdigest()


def snapshot(model: CZTModel) -> dict[str, str]:
    """A digest of every field's value."""
    out = {}
    for name in COMPONENTS:
        obj = getattr(model, name)
        for f in fields(model, name):
            if f == "log":
                value: Any = len(obj._log) and sum(len(c) for c in obj._log)
            else:
                value = getattr(obj, f)
            out[f"{name}.{f}"] = _digest(value)
    return out


class _Log:
    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.writes: set[str] = set()


class _Proxy:
    """Stands in for one component during a traced stage; records what is read and assigned."""

    def __init__(self, name: str, obj: Any, log: _Log, columns: set[str]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_log", log)
        object.__setattr__(self, "_columns", columns)

    def __getattr__(self, attr: str) -> Any:
        name, obj, log = self._name, self._obj, self._log
        if name == "recorder":
            if attr in _RECORDER_WRITES:
                log.writes.add(f"recorder.{_RECORDER_WRITES[attr]}")
            if attr in _RECORDER_READS:
                log.reads.add(f"recorder.{_RECORDER_READS[attr]}")
            return getattr(obj, attr)
        if attr in self._columns:
            log.reads.add(f"{name}.{attr}")
            return getattr(obj, attr)
        if attr.startswith("_") or attr in _BOOKKEEPING:
            return getattr(obj, attr)
        member = getattr(type(obj), attr, None)
        if isinstance(member, property):  # evaluated on the proxy, so the fields it reads are recorded
            return member.fget(self)
        if callable(member):
            return member.__get__(self)
        raise AttributeError(f"{name}.{attr}: not a declared field of the component")

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr in self._columns:
            self._log.writes.add(f"{self._name}.{attr}")
        elif not (attr.startswith("_") or attr in _BOOKKEEPING):
            raise AttributeError(f"{self._name}.{attr}: not a declared field of the component")
        setattr(self._obj, attr, value)


def trace(model: CZTModel, quarters: int = 1) -> dict[str, tuple[set[str], set[str]]]:
    """Run ``quarters`` quarters (through Mesa's clock, so timeline events and the year's stages fire as usual) with
    every stage of the quarter and of the year watched; return {stage name: (fields read, fields written)},
    accumulated over the quarters. A field read and written by a stage is in both sets."""
    seen: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    real = {name: getattr(model, name) for name in COMPONENTS + ("recorder",)}

    def watched(stage: Stage):
        def run(m: CZTModel) -> None:
            log = _Log()
            before = snapshot(m)
            for name, obj in real.items():
                cols = set(fields(m, name)) if name != "recorder" else set()
                object.__setattr__(m, name, _Proxy(name, obj, log, cols))
            try:
                stage.run(m)
            finally:
                for name in real:  # a stage may have replaced a component's object (it may not: check below)
                    object.__setattr__(m, name, real[name])
            after = snapshot(m)
            reads, writes = seen[stage.name]
            writes |= log.writes | {k for k in after if after[k] != before.get(k)}
            reads |= log.reads
        return run

    model.stages = tuple(dataclasses.replace(s, run=watched(s)) for s in type(model).stages)
    model.year_stages = tuple(dataclasses.replace(s, run=watched(s)) for s in type(model).year_stages)
    try:
        for _ in range(quarters):
            model.run_for(1)
    finally:
        del model.stages, model.year_stages  # back to the class's QUARTER and YEAR
    return dict(seen)


def expand(names: frozenset[str] | set[str], model: CZTModel) -> set[str]:
    """Declared names with the table wildcards (``firms.*``, ``workers.*``) spelled out."""
    out = set()
    for n in names:
        comp, _, f = n.partition(".")
        out |= {f"{comp}.{c}" for c in fields(model, comp)} if f == "*" else {n}
    return out


def check(observed: dict[str, tuple[set[str], set[str]]], stages, model: CZTModel) -> list[str]:
    """Problems, one line each: a field a stage touched without declaring it, or declared but never touched.

    A declared write that is only a table wildcard may go unseen (compaction happens when a fifth of the worker
    rows are dead, not every quarter)."""
    problems = []
    for st in stages:
        reads, writes = observed.get(st.name, (set(), set()))
        dr, dw = expand(st.reads, model), expand(st.writes, model)
        problems += [f"{st.name}: reads {f} without declaring it" for f in sorted(reads - dr)]
        problems += [f"{st.name}: writes {f} without declaring it" for f in sorted(writes - dw)]
        problems += [f"{st.name}: declares reading {f}, never read" for f in sorted(dr - reads)]
        if not all(w.endswith(".*") for w in st.writes):
            problems += [f"{st.name}: declares writing {f}, never written" for f in sorted(dw - writes)]
    return problems


if __name__ == "__main__":
    import sys

    from model import CZTModel

    scenario = sys.argv[1] if len(sys.argv) > 1 else "integration"
    m = CZTModel(scenario, seed=1, overrides={"scale": 2000})
    for stage, (r, w) in trace(m, 8).items():
        print(f"{stage}\n  reads:  {' '.join(sorted(r))}\n  writes: {' '.join(sorted(w))}")
