"""The calibrated start state (the start year's population, firms and fitted components), built once per
configuration that decides it and reused.

Building the start — drawing the population and firms, fitting the start year, burning the labour market in —
depends only on the calibration phase's parameters (model/phases.py: for a 2019 run, the baseline's levers, so a
scenario's policies never reach it), the enclave parks, the seed, the shipped data and the code. A sweep of
policy levers, the app's lever changes and pinned runs, and the tests build the same start again and again; a
process now builds it once, keeps a copy, and later models with the same key start from a copy of that copy. A
model started from the cache is the model built from scratch, field for field and draw for draw (the generator's
state is part of the start): tests/test_start_cache.py checks the digests of every component field and the tables
of runs, and scripts/behaviour_hashes.py runs each configuration both ways.

What is kept is read off the model, not listed: every attribute that building the start added to the model (the
components), the recorder's state, and the state of the model's two generators. The agents (parks, firms,
governments) are thin handles on the components' rows: they are made again, in the order the build made them,
so Mesa gives them the same ids. A component that held a reference to the model could not be copied safely:
``capture`` refuses it.

The cache holds at most ``CZT_START_CACHE_MB`` megabytes (default 512; 0 switches it off) in each process, least
recently used first out; a state at the default scale (200) takes about 10 MB.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from model.czt_model import CZTModel

HANDLES = ("parks", "firm_agents", "governments")  # mesa.Agent handles on component rows: made again, not copied
ENV_LIMIT = "CZT_START_CACHE_MB"


@dataclass(frozen=True)
class StartState:
    """A copy of a model's state right after its start was built and fitted."""

    key: str
    components: dict[str, Any]  # attribute name -> the component (never used directly: copied out)
    recorder: dict[str, Any]  # the recorder's own state (it holds the model, so it is not copied whole)
    rng_state: dict[str, Any]
    random_state: tuple
    firm_handles: tuple[bool, ...]  # which firm slots had an agent handle
    nbytes: int


def start_key(params: dict[str, Any], enclaves: list, seed: int) -> str:
    """What decides the start: every parameter of the calibration phase, the enclave parks and the seed (the data
    and the code are those of this process). Any difference gives another key."""
    blob = json.dumps({"params": params, "enclaves": [vars(e) for e in enclaves], "seed": int(seed)},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def added_attributes(before: set[str], model: CZTModel) -> list[str]:
    """The attributes building the start added to the model, handles apart."""
    return [k for k in vars(model) if k not in before and k not in HANDLES]


def _holds(obj: Any, model: CZTModel) -> bool:
    values = vars(obj).values() if hasattr(obj, "__dict__") else (
        [getattr(obj, s) for s in getattr(type(obj), "__slots__", ()) if hasattr(obj, s)])
    return any(v is model for v in values)


def _nbytes(obj: Any, seen: set[int] | None = None) -> int:
    """Bytes of the numpy arrays an object holds (what dominates a state's size)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, dict):
        return sum(_nbytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(v, seen) for v in obj)
    if hasattr(obj, "__dict__"):
        return _nbytes(vars(obj), seen)
    if hasattr(type(obj), "__slots__"):
        return sum(_nbytes(getattr(obj, s), seen) for s in type(obj).__slots__ if hasattr(obj, s))
    return sys.getsizeof(obj)


def capture(model: CZTModel, key: str, added: list[str]) -> StartState:
    """A copy of the start: the components the build added, the recorder's state, both generators' states."""
    for name in added:
        if _holds(getattr(model, name), model):
            raise TypeError(f"model.{name} holds the model itself: the start cache cannot copy it (model/start.py)")
    comps = {name: copy.deepcopy(getattr(model, name)) for name in added}
    rec = {k: copy.deepcopy(v) for k, v in vars(model.recorder).items() if v is not model}
    handles = tuple(a is not None for a in model.firm_agents)
    return StartState(key, comps, rec, copy.deepcopy(model.rng.bit_generator.state), model.random.getstate(),
                      handles, _nbytes(comps))


def restore(model: CZTModel, state: StartState) -> None:
    """Put a copy of ``state`` into a model that has not built its start: components, recorder, generators, and
    new agent handles made in the build's order (parks, firms, governments)."""
    from agents.firm import Firm
    from agents.government import CityGovernment
    from agents.park import IndustrialPark
    from model.identity import N_CITIES

    for name, obj in state.components.items():
        setattr(model, name, copy.deepcopy(obj))
    for k, v in state.recorder.items():
        setattr(model.recorder, k, copy.deepcopy(v))
    model.rng.bit_generator.state = copy.deepcopy(state.rng_state)
    model.random.setstate(state.random_state)
    model.parks = [IndustrialPark(model, i) for i in range(model.land.n)]
    model.firm_agents = [Firm(model, slot) if has else None for slot, has in enumerate(state.firm_handles)]
    model.governments = [CityGovernment(model, c) for c in range(N_CITIES)]


class StartCache:
    """Start states by key, least recently used first out, within a budget of bytes."""

    def __init__(self, max_mb: float | None = None) -> None:
        self._max_mb = max_mb
        self._states: OrderedDict[str, StartState] = OrderedDict()
        self.hits = self.misses = 0

    @property
    def max_bytes(self) -> int:
        mb = self._max_mb if self._max_mb is not None else float(os.environ.get(ENV_LIMIT, "512") or 0)
        return int(mb * 2**20)

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: str) -> StartState | None:
        state = self._states.get(key)
        if state is None:
            self.misses += 1
            return None
        self._states.move_to_end(key)
        self.hits += 1
        return state

    def put(self, state: StartState) -> None:
        if state.nbytes > self.max_bytes:
            return
        self._states[state.key] = state
        self._states.move_to_end(state.key)
        while sum(s.nbytes for s in self._states.values()) > self.max_bytes:
            self._states.popitem(last=False)

    def states(self) -> list[StartState]:
        return list(self._states.values())

    def clear(self) -> None:
        self._states.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._states)


CACHE = StartCache()
