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
from model.summary import RunSummary, summarize
from ui.ensemble import MAX_SEEDS, Ensemble, RunSpec, tab_pool, verdict_shares

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
        # ensembles: the run's other seeds, and the pinned runs, in worker processes started on first use
        self.n_seeds = 1  # seeds seed, seed+1, ..., seed+n_seeds-1; the first is the run shown and inspected
        self.pool = tab_pool(workers=2)
        self.ens: Ensemble | None = None
        self.pins: dict[str, Ensemble] = {}  # "A", "B" -> a pinned run, advanced with this one
        self.on_update = lambda: None  # the app's signal that ensemble results have come in
        self._retired: list[Ensemble] = []  # replaced ensembles, dropped by the background thread (no waiting here)
        self._wake = threading.Event()
        self._bg: threading.Thread | None = None
        self._closed = False

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
        self._renew_ensemble()

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
        self._renew_ensemble()

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
        self._wake.set()

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
            out.append({**e.to_dict(), "note_zh": e.note_zh, "in_force": at_start or key in fired})
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

    def _year_summary(self, model: CZTModel) -> RunSummary | None:
        """The model's summary measures over its complete years: as ``model.summary()``, with the flows of a year
        still under way left out so that shares and flows cover the same years (equal at every year's end).
        Safe to call from another thread while the model steps: the frames are read under the lock."""
        with self.lock:
            steps = model.steps
            if steps < 4:
                return None
            flows = model.flows_frame()
            annual = model.annual_frame()
        last = model.start_year + steps // 4 - 1
        return summarize(annual[annual.year <= last], flows[flows.year <= last], model.start_year)

    def summary(self) -> RunSummary | None:
        """Summary measures and verdict once a complete year exists, else None; recomputed once a year."""
        m = self.model
        key = ("summary", id(m), m.steps // 4)
        if key not in self._year_cache:
            self._year_cache = {k: v for k, v in self._year_cache.items() if k[1] in (id(m), id(self.base))}
            self._year_cache[key] = self._year_summary(m)
        return self._year_cache[key]

    def base_summary(self) -> RunSummary | None:
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

    # ------------------------------------------------------------------ ensembles and pinned runs
    def spec(self) -> RunSpec:
        """This run as a RunSpec: scenario, the app's lever values, scale and its ensemble's seeds."""
        return RunSpec.make(self.scenario, self.overrides, self.scale, range(self.seed, self.seed + self.n_seeds))

    def set_seeds(self, n: Any) -> None:
        """Ensemble size: the run's seed and the n-1 seeds after it, run in the background at the same scale."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SEEDS:
            raise ConfigError("seeds", n, f"an integer from 1 to {MAX_SEEDS}")
        self.n_seeds = n
        self._renew_ensemble()

    def _retire(self, e: Ensemble | None) -> None:
        """Stop using an ensemble; its models are dropped in the workers by the background thread, so the page
        never waits for a year of background work to finish."""
        if e is not None:
            e.dropped = True
            self._retired.append(e)
            self._wake.set()

    def _renew_ensemble(self) -> None:
        old, self.ens = self.ens, None
        self._retire(old)
        if self.n_seeds > 1:
            spec = self.spec()
            rest = RunSpec(spec.scenario, spec.overrides, spec.scale, spec.seeds[1:])
            self.ens = Ensemble(self.pool, rest)
        self._wake.set()
        self._start_bg()

    def pin(self, slot: str, spec: RunSpec | None = None) -> None:
        """Pin a run as A or B (default: this run with its seeds); it is advanced with this run from then on."""
        if slot not in ("A", "B"):
            raise ConfigError("pin", slot, "A or B")
        spec = self.spec() if spec is None else spec
        # checked in-process first, so a bad configuration is a one-line error here, not a failure in a worker
        check = self._build(spec.scenario, spec.seeds[0], spec.scale, spec.levers)
        e = Ensemble(self.pool, spec)
        e.start_year = check.start_year
        self._retire(self.pins.pop(slot, None))
        self.pins = {**self.pins, slot: e}  # a new dict: the background thread may be iterating the old one
        self._wake.set()
        self._start_bg()

    def unpin(self, slot: str) -> None:
        if slot in self.pins:
            old = self.pins[slot]
            self.pins = {k: v for k, v in self.pins.items() if k != slot}
            self._retire(old)

    def current_frames(self) -> list[pd.DataFrame]:
        """The run's city tables, one per seed, over the quarters every seed has reached."""
        own = self.cities()
        if self.ens is None:
            return [own]
        n = min(self.ens.steps, self.model.steps)
        if n < 0:  # the background seeds have not reported yet: the run alone
            return [own]
        return [own.iloc[:(n + 1) * len(self.model.cities)]] + self.ens.frames(upto=n)

    def _target(self, e: Ensemble) -> int:
        """The quarters an ensemble must reach to be at the run's calendar quarter (pins may start in 2010)."""
        start = getattr(e, "start_year", self.model.start_year)
        return max(0, (self.model.start_year - start) * 4 + self.model.steps)

    @property
    def pins_comparable(self) -> bool:
        """Pinned runs are compared quarter by quarter only when they start in the same year."""
        years = {getattr(e, "start_year", None) for e in self.pins.values()}
        if "B" not in self.pins:
            years.add(self.model.start_year)
        return len(years) <= 1

    def pair(self):
        """The two runs compared: ((spec, frames) of pin A, (spec, frames) of pin B, or of this run if only A is
        pinned); None without pin A or when the two start in different years."""
        if "A" not in self.pins or not self.pins_comparable:
            return None
        b = (self.pins["B"].spec, self.pin_frames("B")) if "B" in self.pins else (self.spec(), self.current_frames())
        return (self.pins["A"].spec, self.pin_frames("A")), b

    def pair_same_seeds(self) -> bool:
        """Pinned runs with the same seeds are compared seed by seed (paired differences)."""
        a = self.pins.get("A")
        b = self.pins["B"].spec if "B" in self.pins else self.spec()
        return a is not None and a.spec.seeds == b.seeds

    def pin_frames(self, slot: str) -> list[pd.DataFrame]:
        e = self.pins.get(slot)
        return [] if e is None else e.frames(upto=self._target(e))

    def verdict_strip(self, slot: str | None = None) -> dict:
        """Share of seeds with each verdict, per periphery city and complete year (``slot``: a pinned run)."""
        from model.measures import verdict_by_year

        if slot is not None:
            e = self.pins.get(slot)
            return {} if e is None else e.verdict_strip()
        key = ("own_verdicts", id(self.model), self.model.steps // 4)
        if key not in self._year_cache:
            with self.lock:
                own = verdict_by_year(self.model.annual_frame(), self.model.flows_frame())
            self._year_cache[key] = own
        own = self._year_cache[key]
        return verdict_shares([own] + ([m.verdicts for m in self.ens.members] if self.ens is not None else []))

    def annual_frames(self) -> list[pd.DataFrame]:
        """Each seed's annual table: the run shown, then the background seeds that have reached the same year."""
        own = self.annual()
        last = own.year.max() if not own.empty else None
        rest = [m.annual for m in self.ens.members if m.annual is not None and not m.annual.empty
                and m.annual.year.max() == last] if self.ens is not None and last is not None else []
        return [own] + rest

    @property
    def ensemble_error(self) -> str | None:
        """The first failure of the ensemble or a pinned run (each failed one stops; the run shown goes on)."""
        for e in ([self.ens] if self.ens else []) + list(self.pins.values()):
            if e.error:
                return e.error
        return None

    def members_behind(self) -> int:
        """Quarters the slowest background seed (ensemble or pinned run) is behind the run shown."""
        es = [e for e in ([self.ens] if self.ens else []) + list(self.pins.values()) if not e.error]
        return max([max(0, self._target(e) - e.steps) for e in es], default=0)

    def _start_bg(self) -> None:
        if self._bg is None or not self._bg.is_alive():
            self._bg = threading.Thread(target=self._bg_loop, daemon=True, name="czt-ensemble")
            self._bg.start()

    def _bg_loop(self) -> None:
        """Keep every ensemble at the run's quarter: wake on a step or a new ensemble, advance, signal the app."""
        while not self._closed:
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            while self._retired and not self._closed:
                self._retired.pop(0).drop()
            # a year at a time, each ensemble in turn: results show up as they come, and a dropped or replaced
            # ensemble stops within a year's work
            behind = True
            while behind and not self._closed:
                behind = False
                for e in ([self.ens] if self.ens else []) + list(self.pins.values()):
                    if self._closed:
                        break
                    target = self._target(e)
                    if e.steps >= target or e.dropped or e.error:
                        continue
                    try:
                        e.advance_to(min(target, (max(e.steps, 0) // 4 + 1) * 4))
                    except Exception:  # noqa: BLE001 - kept in e.error and shown on the page; the run shown goes on
                        pass
                    behind = behind or (not e.error and e.steps < self._target(e))
                    self.on_update()

    def sync_ensembles(self, timeout: float = 120.0) -> None:
        """Block until every ensemble has reached the run's quarter (tests, exports, the benchmark)."""
        t0 = time.monotonic()
        self._wake.set()
        while time.monotonic() - t0 < timeout:
            if self.ensemble_error:
                raise RuntimeError(self.ensemble_error)
            if self.members_behind() == 0:
                return
            time.sleep(0.02)

    def close(self) -> None:
        """Stop the background thread and the worker processes (the tab has closed)."""
        self._closed = True
        self._wake.set()
        self.pool.close()

    # ------------------------------------------------------------------ export
    def settings(self) -> dict[str, Any]:
        """What made this run: scenario, seed, scale, the lever values set in the app (``overrides``, on/off levers
        as true/false, categorical ones by their choice), every lever's value now, quarters simulated and the
        platform fingerprint (bit-identity needs the same one)."""
        from model import platform

        m = self.model
        return {"scenario": self.scenario, "seed": self.seed, "scale": self.scale, "start_year": m.start_year,
                "seeds": list(self.spec().seeds),
                "quarters_simulated": m.steps, "overrides": dict(self.overrides),
                "levers_now": {p.name: m.p[p.name] for p in LEVERS}, "platform": platform.record()}

    def export_tag(self) -> str:
        """File-name tag of the exports: scenario, seed, scale, and a short hash of the app's lever values if any
        (two runs with other levers do not export under one name)."""
        tag = f"{self.scenario}_seed{self.seed}_scale{self.scale}" + (f"_seeds{self.n_seeds}" if self.n_seeds > 1 else "")
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
