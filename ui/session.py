"""One browser tab's simulation: the model, its settings and an optional baseline twin for comparison.

Plain Python (no Solara) so it can be tested directly. The app makes one Session per tab with ``use_memo``;
nothing here is module-global, so tabs never share a model. A lock serialises stepping, rebuilding and reading.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from typing import Any

import pandas as pd

from model import CZTModel
from model.errors import ConfigError
from model.params import BY_NAME, PARAMS
from model.scenarios import available, load

LEVERS = tuple(p for p in PARAMS if p.lever)
APP_SCALE_LO, APP_SCALE_HI = 100, 20000  # below 100 a step takes seconds: too slow for a browser app
DEFAULT_SCALE = 500
DEFAULT_SEED = 7
END_YEAR = 2035  # play stops at the end of this year


class Session:
    def __init__(self, scenario: str = "baseline", seed: int = DEFAULT_SEED, scale: int = DEFAULT_SCALE) -> None:
        self.lock = threading.RLock()
        self.scenario = scenario
        self.seed = seed
        self.scale = scale
        self.overrides: dict[str, Any] = {}  # lever values set in the app on top of the scenario
        self.model: CZTModel | None = None
        self.base: CZTModel | None = None  # baseline twin, built when comparison is first asked for
        self.compare = False  # the user's wish; ``comparing`` says whether it applies to this run
        # a run is compared with the baseline only from the same start year (a 2010 hindcast has no 2019 twin)
        self.base_start_year: int = load("baseline").resolved({})["start_year"]
        self.last_step_s = 0.0
        self._cache: dict[tuple, Any] = {}
        self._year_cache: dict[tuple, Any] = {}
        self.model = self._build(scenario, seed, scale, {})

    # ------------------------------------------------------------------ building
    @staticmethod
    def check_scale(scale: Any) -> int:
        if isinstance(scale, bool) or not isinstance(scale, int) or not APP_SCALE_LO <= scale <= APP_SCALE_HI:
            raise ConfigError("scale", scale, f"in the app, an integer from {APP_SCALE_LO} to {APP_SCALE_HI} "
                              "(smaller is too slow for a browser)")
        return scale

    def _build(self, scenario: str, seed: int, scale: int, overrides: dict[str, Any]) -> CZTModel:
        self.check_scale(scale)
        return CZTModel(load(scenario), seed=seed, overrides={**overrides, "scale": scale})

    def configure(self, scenario: str | None = None, seed: int | None = None, scale: int | None = None,
                  keep_quarter: bool = True) -> None:
        """New run with these settings, simulated to the calendar quarter the current run has reached (when the new
        scenario's start year allows; ``keep_quarter=False``: from its start); a scenario change clears lever
        overrides. Raises ConfigError and keeps the old run on a bad value."""
        scenario = self.scenario if scenario is None else scenario
        seed = self.seed if seed is None else seed
        scale = self.scale if scale is None else scale
        overrides = {} if scenario != self.scenario else self.overrides
        model = self._build(scenario, seed, scale, overrides)
        if keep_quarter:
            old = self.model
            target = (old.start_year - model.start_year) * 4 + old.steps  # the same calendar quarter
            for _ in range(max(target, 0)):
                model.step()
        with self.lock:
            self.model, self.scenario, self.seed, self.scale, self.overrides = model, scenario, seed, scale, overrides
            if self.base is not None and (self.base.seed != seed or self.base.scale != scale):
                self.base = None
            self._cache.clear()
            if self.comparing:
                self._sync_base()

    def reset(self) -> None:
        """Back to the start year's first quarter, same settings."""
        self.configure(keep_quarter=False)

    def set_levers(self, values: dict[str, Any]) -> None:
        """Apply lever values and re-run from the start year to the current quarter with the same seed."""
        with self.lock:
            params = self.scenario_params()
            new = dict(self.overrides)
            for name, value in values.items():
                if name not in BY_NAME or not BY_NAME[name].lever:
                    raise ConfigError(name, value, "a policy lever", kind="unknown lever")
                v = BY_NAME[name].coerce(value)
                if v == params[name]:
                    new.pop(name, None)
                else:
                    new[name] = v
            steps = self.model.steps
            model = self._build(self.scenario, self.seed, self.scale, new)
            for _ in range(steps):
                model.step()
            self.model, self.overrides = model, new
            self._cache.clear()

    def restore_levers(self) -> None:
        with self.lock:
            self.overrides = {}
            self.set_levers({})

    def set_compare(self, on: bool) -> None:
        with self.lock:
            self.compare = on
            if self.comparing:
                self._sync_base()

    @property
    def can_compare(self) -> bool:
        return self.model.start_year == self.base_start_year

    @property
    def comparing(self) -> bool:
        return self.compare and self.can_compare

    def _sync_base(self) -> None:
        if self.base is None:
            self.base = self._build("baseline", self.seed, self.scale, {})
        if self.base.steps > self.model.steps:
            self.base = self._build("baseline", self.seed, self.scale, {})
        while self.base.steps < self.model.steps:
            self.base.step()

    # ------------------------------------------------------------------ running
    def step(self, n: int = 1) -> None:
        with self.lock:
            t0 = time.perf_counter()
            for _ in range(n):
                self.model.step()
            if self.comparing:
                self._sync_base()
            self.last_step_s = (time.perf_counter() - t0) / max(n, 1)
            self._cache.clear()

    @property
    def steps(self) -> int:
        return self.model.steps

    @property
    def at_end(self) -> bool:
        return self.model.year > END_YEAR

    # ------------------------------------------------------------------ reading
    def scenario_params(self) -> dict[str, Any]:
        return load(self.scenario).resolved({"scale": self.scale})

    def params(self) -> dict[str, Any]:
        return self.model.p

    def scenario_params_now(self) -> dict[str, Any]:
        """The scenario's values as of the current quarter: its start values plus the timeline switches fired so
        far (so a lever switched by the timeline does not look changed by the user)."""
        out = self.scenario_params()
        for entry in self.model.policy_log:
            out.update(entry["params"])
        return out

    def timeline(self) -> list[dict[str, Any]]:
        """The scenario's policy timeline, each entry with ``in_force``: fired so far (``model.policy_log``) or
        dated at or before the first quarter (folded into the start values)."""
        m = self.model
        fired = [(e["year"], e["quarter"], e["note"]) for e in m.policy_log]
        out = []
        for e in m.scenario_def.timeline:
            key = (e.year, e.quarter, e.note)
            at_start = (e.year, e.quarter) <= (m.start_year, 1)
            out.append({**e.to_dict(), "in_force": at_start or key in fired})
        return out

    def _cached(self, key: str, fn):
        k = (key, id(self.model), self.model.steps, id(self.base), self.base.steps if self.base else -1)
        if k not in self._cache:
            with self.lock:
                self._cache[k] = fn()
        return self._cache[k]

    def cities(self) -> pd.DataFrame:
        return self._cached("cities", self.model.cities_frame)

    def flows(self) -> pd.DataFrame:
        return self._cached("flows", self.model.flows_frame)

    def annual(self) -> pd.DataFrame:
        return self._cached("annual", self.model.annual_frame)

    def base_cities(self) -> pd.DataFrame | None:
        return None if self.base is None or not self.comparing else self._cached("base_cities", self.base.cities_frame)

    def _year_summary(self, model: CZTModel) -> dict | None:
        """The model's summary measures over its complete years: as ``model.summary()``, with the flows of a year
        still under way left out so that shares and flows cover the same years (equal at every year's end).
        Safe to call from another thread while the model steps: the frames are read under the lock."""
        from model.measures import summarize

        with self.lock:
            steps = model.steps
            if steps < 4:
                return None
            flows = model.flows_frame()
            annual = model.annual_frame()
        last = model.start_year + steps // 4 - 1
        return summarize(annual[annual.year <= last], flows[flows.year <= last], model.start_year)

    def summary(self) -> dict | None:
        """Summary measures and verdict once a complete year exists, else None; recomputed once a year."""
        m = self.model
        key = ("summary", id(m), m.steps // 4)
        if key not in self._year_cache:
            self._year_cache = {k: v for k, v in self._year_cache.items() if k[1] in (id(m), id(self.base))}
            self._year_cache[key] = self._year_summary(m)
        return self._year_cache[key]

    def base_summary(self) -> dict | None:
        b = self.base
        if b is None or not self.comparing:
            return None
        key = ("base_summary", id(b), b.steps // 4)
        if key not in self._year_cache:
            self._year_cache[key] = self._year_summary(b)
        return self._year_cache[key]

    def last_flows(self) -> list[dict]:
        f = self.flows()
        if f.empty:
            return []
        last = f[f.step == f.step.max()]
        return last[["origin", "destination", "kind", "count"]].to_dict("records")

    # ------------------------------------------------------------------ export
    def settings(self) -> dict[str, Any]:
        """What made this run: scenario, seed, scale, the lever values set in the app (``overrides``, on/off levers
        as true/false, categorical ones by their choice), every lever's value now, quarters simulated and the
        platform fingerprint (bit-identity needs the same one)."""
        from model import platform

        m = self.model
        return {"scenario": self.scenario, "seed": self.seed, "scale": self.scale, "start_year": m.start_year,
                "quarters_simulated": m.steps, "overrides": dict(self.overrides),
                "levers_now": {p.name: m.p[p.name] for p in LEVERS}, "platform": platform.record()}

    def export_tag(self) -> str:
        """File-name tag of the exports: scenario, seed, scale, and a short hash of the app's lever values if any
        (two runs with other levers do not export under one name)."""
        tag = f"{self.scenario}_seed{self.seed}_scale{self.scale}"
        if self.overrides:
            tag += "_levers-" + hashlib.sha256(json.dumps(self.overrides, sort_keys=True).encode()).hexdigest()[:8]
        return tag

    def export_settings(self) -> bytes:
        return (json.dumps(self.settings(), indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")

    def export_csv(self, which: str) -> bytes:
        df = {"cities": self.cities, "flows": self.flows, "annual": self.annual}[which]()
        return df.to_csv(index=False).encode("utf-8")

    def export_parquet(self, which: str) -> bytes:
        """The table as Parquet, with the run's settings in its metadata (``czt_sim.*`` keys, JSON values)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        df = {"cities": self.cities, "flows": self.flows, "annual": self.annual}[which]()
        table = pa.Table.from_pandas(df, preserve_index=False)
        meta = {f"czt_sim.{k}".encode(): json.dumps(v, sort_keys=True).encode() for k, v in self.settings().items()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
        buf = io.BytesIO()
        pq.write_table(table, buf)
        return buf.getvalue()


__all__ = ["Session", "LEVERS", "available", "ConfigError", "APP_SCALE_LO", "APP_SCALE_HI", "DEFAULT_SCALE"]
