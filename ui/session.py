"""One browser tab's simulation: the model, its settings, the runs it keeps, and a baseline twin for comparison.

Plain Python (no Solara) so it can be tested directly. The app makes one Session per tab with ``use_memo``;
nothing here is module-global, so tabs never share a model. A lock serialises stepping and reading; a rebuild
(new scenario, seed, scale, levers, timing) simulates the new run aside and swaps it in under the lock, so the page
keeps showing the old run, with progress, while the new one is built. Changes asked for by the page go through
``runner`` (ui/runner.py): one thread per tab, in the order clicked.

Saved runs: any number of named runs (scenario, levers with their timing, seeds, scale), each an ensemble in the
tab's worker processes advanced with the run shown; one of them may be the reference (the baseline of the
differences the charts show: each other run minus the reference).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import time
from functools import lru_cache
from typing import Any, Callable

import pandas as pd

from model import CZTModel
from model.errors import ConfigError
from model.params import BY_NAME, PARAMS
from model.scenarios import available, load
from model.summary import RunSummary, summarize
from ui.ensemble import MAX_SEEDS, Ensemble, RunSpec, tab_pool, verdict_shares
from ui.runner import Runner
from ui.timing import TimedLever, merge, with_timing

LEVERS = tuple(p for p in PARAMS if p.lever)
APP_SCALE_LO, APP_SCALE_HI = 100, 20000  # below 100 a step takes seconds: too slow for a browser app
DEFAULT_SCALE = 500
DEFAULT_SEED = 7
END_YEAR = 2035  # play stops at the end of this year
SEED_MAX = 2**32 - MAX_SEEDS  # a seed and the ensemble's seeds after it stay below 2**32 (the links' bound too)
MAX_DRAWS = 8  # posterior draws of a parameter ensemble in a tab (python -m experiments posterior takes more)
MAX_PARAM_RUNS = 32  # draws x seeds of a parameter ensemble in a tab (each about 20 MB)
MAX_SAVED = 12  # saved runs in one tab: each is an ensemble in the tab's workers (about 20 MB a seed)
NAME_MAX = 40
_NAME = re.compile(r"^[^\x00-\x1f\x7f<>&\"]{1,%d}$" % NAME_MAX)

Progress = Callable[[int, int], None]


def check_param_runs(field: str, value: int, n_draws: int, n_seeds: int) -> None:
    """Posterior draws x seeds of a tab's parameter ensemble: at most MAX_PARAM_RUNS runs (the rule for the controls
    and for a link)."""
    if n_draws * n_seeds > MAX_PARAM_RUNS:
        raise ConfigError(field, value, f"posterior draws x seeds up to {MAX_PARAM_RUNS} runs in a tab ({n_draws} "
                          f"draws x {n_seeds} seeds = {n_draws * n_seeds}): fewer seeds or draws",
                          kind="too many runs")


@lru_cache(maxsize=MAX_DRAWS + 1)
def posterior_draws(n: int) -> tuple[dict[str, float], ...]:
    """The first ``n`` parameter sets drawn from the calibration's posterior, by experiments/posterior's rule
    (weighted, a fixed stream; the hindcast-only parameters left at the scenario's values)."""
    from experiments.posterior import DEFAULT_CALIBRATION, calibration_folder, draws

    d = draws(calibration_folder(DEFAULT_CALIBRATION), n, field="draws")
    names = [c for c in d.columns if c not in ("draw", "point")]
    return tuple({k: float(getattr(r, k)) for k in names} for r in d.itertuples(index=False))


def _no_progress(done: int, total: int) -> None:
    """Stands for "report to the tab's runner" (Session._progress): a job's steps show on the page."""


class Session:
    def __init__(self, scenario: str = "baseline", seed: int = DEFAULT_SEED, scale: int = DEFAULT_SCALE) -> None:
        self.lock = threading.RLock()
        self.scenario = scenario
        self.seed = seed
        self.scale = scale
        self.overrides: dict[str, Any] = {}  # lever values set in the app on top of the scenario
        self.timing: tuple[TimedLever, ...] = ()  # levers set from a later quarter on
        self.model: CZTModel | None = None
        self.base: CZTModel | None = None  # baseline twin, built when comparison is first asked for
        self.compare = False  # the user's wish; ``comparing`` says whether it applies to this run
        # a run is compared with the baseline only from the same start year (a 2010 hindcast has no 2019 twin)
        self.base_start_year: int = load("baseline").resolved({})["start_year"]
        self.last_step_s = 0.0
        self._cache: dict[tuple, Any] = {}
        self._year_cache: dict[tuple, Any] = {}
        self.model = self._build(scenario, seed, scale, {}, ())
        # ensembles: the run's other seeds, and the saved runs, in worker processes started on first use
        self.n_seeds = 1  # seeds seed, seed+1, ..., seed+n_seeds-1; the first is the run shown and inspected
        self.pool = tab_pool(workers=2)
        self.ens: Ensemble | None = None
        self.n_draws = 0  # posterior draws x the run's seeds in a parameter ensemble (0: none, the default)
        self.pens: Ensemble | None = None  # that parameter ensemble (ui/ensemble.Ensemble with draws)
        self.saved: dict[str, Ensemble] = {}  # name -> a saved run, advanced with this one (in saving order)
        self.reference: str | None = None  # the saved run the others are compared with (differences: run - it)
        self.on_update = lambda: None  # new background results (the runner signals the page)
        self._retired: list[Ensemble] = []  # replaced ensembles, dropped by the background thread (no waiting here)
        self._wake = threading.Event()
        self._bg: threading.Thread | None = None
        self._closed = False
        self._bg_rate = 0.0  # quarters a second the background runs advance (for their time left)
        self.runner = Runner(step=self.play_step)

    # ------------------------------------------------------------------ building
    @staticmethod
    def check_scale(scale: Any) -> int:
        if isinstance(scale, bool) or not isinstance(scale, int) or not APP_SCALE_LO <= scale <= APP_SCALE_HI:
            raise ConfigError("scale", scale, f"in the app, an integer from {APP_SCALE_LO} to {APP_SCALE_HI} "
                              "(smaller is too slow for a browser)")
        return scale

    def check_seed(self, seed: Any, n_seeds: int | None = None) -> int:
        """A seed the app and its links accept: with the ensemble's seeds after it, below 2**32."""
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
            raise ConfigError("seed", seed, f"an integer from 0 to {SEED_MAX} (the seeds after it, up to "
                              f"{MAX_SEEDS} in an ensemble, stay below 2**32)")
        return seed

    def _build(self, scenario: str, seed: int, scale: int, overrides: dict[str, Any],
               timing: tuple[TimedLever, ...] = ()) -> CZTModel:
        self.check_scale(scale)
        return CZTModel(with_timing(scenario, overrides, timing), seed=seed, overrides={**overrides, "scale": scale})

    def _step_aside(self, model: CZTModel, target: int, progress: Progress) -> None:
        """Step a model that is not shown yet to ``target`` quarters, reporting progress."""
        progress = self.runner.report if progress is _no_progress else progress
        total = max(target - model.steps, 0)
        for i in range(total):
            model.step()
            progress(i + 1, total)

    def last_quarter(self) -> tuple[int, int]:
        """The last quarter a run of this scenario simulates in the app (END_YEAR Q4)."""
        return END_YEAR, 4

    def _swap(self, model: CZTModel, **settings: Any) -> None:
        """Show a new run (built aside) with its settings."""
        with self.lock:
            self.model = model
            for k, v in settings.items():
                setattr(self, k, v)
            if self.base is not None and (self.base.seed != self.seed or self.base.scale != self.scale):
                self.base = None
            self._cache.clear()
            if self.comparing:
                self._sync_base()
        self._renew_ensemble()

    def configure(self, scenario: str | None = None, seed: int | None = None, scale: int | None = None,
                  keep_quarter: bool = True, progress: Progress = _no_progress) -> None:
        """New run with these settings, simulated to the calendar quarter the current run has reached (when the new
        scenario's start year allows; ``keep_quarter=False``: from its start); a scenario change clears lever
        values and timing. Raises ConfigError and keeps the old run on a bad value."""
        scenario = self.scenario if scenario is None else scenario
        seed = self.check_seed(self.seed if seed is None else seed)
        scale = self.scale if scale is None else scale
        same = scenario == self.scenario
        overrides = self.overrides if same else {}
        timing = self.timing if same else ()
        model = self._build(scenario, seed, scale, overrides, timing)
        if keep_quarter:
            old = self.model
            target = (old.start_year - model.start_year) * 4 + old.steps  # the same calendar quarter
            self._step_aside(model, max(target, 0), progress)
        self._swap(model, scenario=scenario, seed=seed, scale=scale, overrides=overrides, timing=timing)

    def reset(self, progress: Progress = _no_progress) -> None:
        """Back to the start year's first quarter, same settings."""
        self.configure(keep_quarter=False, progress=progress)

    def _levers_checked(self, values: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, value in values.items():
            if name not in BY_NAME or not BY_NAME[name].lever:
                raise ConfigError(name, value, "a policy lever", kind="unknown lever")
            out[name] = BY_NAME[name].coerce(value)
        return out

    def _rerun(self, overrides: dict[str, Any], timing: tuple[TimedLever, ...], progress: Progress) -> None:
        """The same scenario, seed and scale with these levers and timing, re-run to the current quarter aside."""
        steps = self.model.steps
        model = self._build(self.scenario, self.seed, self.scale, overrides, timing)
        self._step_aside(model, steps, progress)
        self._swap(model, overrides=overrides, timing=timing)

    def set_levers(self, values: dict[str, Any], progress: Progress = _no_progress) -> None:
        """Apply lever values for the whole run (from its first quarter) and re-run from the start year to the
        current quarter with the same seed. A timed change of the same lever is dropped."""
        values = self._levers_checked(values)
        params = self.scenario_params()
        new = dict(self.overrides)
        for name, v in values.items():
            if v == params[name]:
                new.pop(name, None)
            else:
                new[name] = v
        timing = tuple(t for t in self.timing if t.name not in values)
        self._rerun(new, timing, progress)

    def set_levers_from(self, values: dict[str, Any], start: tuple[int, int], end: tuple[int, int] | None = None,
                        progress: Progress = _no_progress) -> None:
        """Apply lever values from quarter ``start`` on (and back from ``end``, if given) and re-run. From the run's
        first quarter without a way back, this is ``set_levers``."""
        values = self._levers_checked(values)
        first = (self.model.start_year, 1)
        if start <= first and end is None:
            self.set_levers(values, progress)
            return
        timing = self.timing
        for name, v in values.items():
            timing = merge(timing, TimedLever(name, v, start, end).checked(self.model.start_year,
                                                                           self.last_quarter()))
        overrides = dict(self.overrides)
        self._rerun(overrides, timing, progress)

    def set_timing(self, timing: tuple[TimedLever, ...], progress: Progress = _no_progress) -> None:
        """Replace every timed lever change by ``timing`` (a link's) and re-run; ConfigError on a quarter outside
        the run."""
        checked = tuple(sorted((t.checked(self.model.start_year, self.last_quarter()) for t in timing),
                               key=lambda t: (t.start, t.name)))
        if checked != self.timing:
            self._rerun(dict(self.overrides), checked, progress)

    def remove_timing(self, name: str, progress: Progress = _no_progress) -> None:
        """Drop the timed change of lever ``name`` (the lever follows the scenario or the app's value again)."""
        timing = tuple(t for t in self.timing if t.name != name)
        if timing != self.timing:
            self._rerun(dict(self.overrides), timing, progress)

    def restore_levers(self, progress: Progress = _no_progress) -> None:
        """The scenario's values again: no app values, no timing."""
        self._rerun({}, (), progress)

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
            self.base = self._build("baseline", self.seed, self.scale, {}, ())
        if self.base.steps > self.model.steps:
            self.base = self._build("baseline", self.seed, self.scale, {}, ())
        while self.base.steps < self.model.steps:
            self.base.step()

    # ------------------------------------------------------------------ running
    def step(self, n: int = 1, progress: Progress = _no_progress) -> None:
        progress = self.runner.report if progress is _no_progress else progress
        for i in range(n):
            with self.lock:
                t0 = time.perf_counter()
                self.model.step()
                if self.comparing:
                    self._sync_base()
                self.last_step_s = time.perf_counter() - t0
                self._cache.clear()
            self._wake.set()
            progress(i + 1, n)

    def play_step(self) -> bool:
        """One quarter of Play; False at the end of the run (nothing stepped then)."""
        if self.at_end:
            return False
        self.step(1)
        self.prepare()
        return not self.at_end

    def prepare(self) -> None:
        """Compute what the page reads once a year (summary, verdict strip) before the page asks, so that drawing a
        quarter never waits for it."""
        self.summary()
        self.base_summary()
        self.verdict_strip()

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
        """The scenario's values as of the current quarter: its start values plus the scenario's own timeline
        switches fired so far (so a lever switched by the timeline does not look changed by the user)."""
        out = self.scenario_params()
        own = {(e.year, e.quarter, e.note) for e in load(self.scenario).timeline}
        for entry in self.model.policy_log:
            if (entry["year"], entry["quarter"], entry["note"]) in own:
                out.update(entry["params"])
        return out

    def timeline(self) -> list[dict[str, Any]]:
        """The run's policy timeline (the scenario's entries and the app's timed changes), each entry with
        ``in_force``: fired so far (``model.policy_log``) or dated at or before the first quarter."""
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

    def map_fill(self, key: str):
        """The map's choropleth of ``key`` (ui/mapfill.py), computed once per quarter shown."""
        from ui.mapfill import fill_of

        return self._cached(f"fill:{key}", lambda: fill_of(self, key))

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
            keep = (id(m), id(self.base))
            self._year_cache = {k: v for k, v in self._year_cache.items() if k[1] in keep}
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

    # ------------------------------------------------------------------ ensembles and saved runs
    def spec(self) -> RunSpec:
        """This run as a RunSpec: scenario, the app's lever values and timing, scale and its ensemble's seeds."""
        return RunSpec.make(self.scenario, self.overrides, self.scale, range(self.seed, self.seed + self.n_seeds),
                            self.timing)

    def set_seeds(self, n: Any) -> None:
        """Ensemble size: the run's seed and the n-1 seeds after it, run in the background at the same scale."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SEEDS:
            raise ConfigError("seeds", n, f"an integer from 1 to {MAX_SEEDS}")
        check_param_runs("seeds", n, self.n_draws, n)
        self.n_seeds = n
        self._renew_ensemble()

    def set_draws(self, n: Any) -> None:
        """Parameter uncertainty: ``n`` parameter sets drawn from the calibration's posterior
        (experiments/posterior.draws), each run with the run's seeds in the background; 0 turns it off."""
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_DRAWS:
            raise ConfigError("draws", n, f"an integer from 0 (off) to {MAX_DRAWS} posterior draws")
        check_param_runs("draws", n, n, self.n_seeds)
        if n:
            posterior_draws(n)  # a missing calibration is one line here, not a failure in a worker
        if n != self.n_draws:
            self.n_draws = n
            self._renew_params()

    def _renew_params(self) -> None:
        old, self.pens = self.pens, None
        self._retire(old)
        if self.n_draws:
            self.pens = Ensemble(self.pool, self.spec(), list(posterior_draws(self.n_draws)))
        self._wake.set()
        self._start_bg()

    def param_frames(self) -> tuple[list[pd.DataFrame], int, int] | None:
        """The parameter ensemble's city tables (draw by draw, the run's seeds in each) over the quarters every
        member and the run shown have reached, with the numbers of draws and seeds; None when off or before its
        first report."""
        e = self.pens
        if e is None:
            return None
        n = min(e.steps, self.model.steps)
        if n < 0:
            return None
        return e.frames(upto=n), len(e.draws), len(e.spec.seeds)

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
            rest = RunSpec(spec.scenario, spec.overrides, spec.scale, spec.seeds[1:], spec.timing)
            self.ens = Ensemble(self.pool, rest)
        if self.n_draws:  # the parameter ensemble runs the run's seeds: new ones for a new run
            self._renew_params()
        self._wake.set()
        self._start_bg()

    def default_name(self, stem: str = "Run") -> str:
        """The first of "Run 1", "Run 2", ... (``stem`` in the page's language) not yet taken."""
        k = 1
        while f"{stem} {k}" in self.saved:
            k += 1
        return f"{stem} {k}"

    @staticmethod
    def check_name(name: Any, field: str = "name") -> str:
        """A saved run's name, stripped; the rule for the save button and for a link's saved runs."""
        if not isinstance(name, str) or not _NAME.match(name.strip()):
            raise ConfigError(field, name, f"1 to {NAME_MAX} characters, without control characters or < > & \"")
        return name.strip()

    def save_run(self, name: str, spec: RunSpec | None = None) -> str:
        """Keep a run under ``name`` (default: this run with its seeds and timing); it is advanced with this run
        from then on. A run saved under a name already taken replaces it. The first saved run is the reference."""
        name = self.check_name(name)
        spec = self.spec() if spec is None else spec
        if name not in self.saved and len(self.saved) >= MAX_SAVED:
            raise ConfigError("saved runs", len(self.saved) + 1, f"at most {MAX_SAVED} saved runs in a tab "
                              "(remove one first)")
        # checked in-process first, so a bad configuration is a one-line error here, not a failure in a worker
        check = self._build(spec.scenario, spec.seeds[0], spec.scale, spec.levers, spec.timing)
        e = Ensemble(self.pool, spec)
        e.start_year = check.start_year
        old = self.saved.get(name)
        self.saved = {**self.saved, name: e}  # a new dict: the background thread may be iterating the old one
        self._retire(old)
        if self.reference is None:
            self.reference = name
        self._wake.set()
        self._start_bg()
        return name

    def remove_run(self, name: str) -> None:
        if name in self.saved:
            old = self.saved[name]
            self.saved = {k: v for k, v in self.saved.items() if k != name}
            self._retire(old)
            if self.reference == name:
                self.reference = next(iter(self.saved), None)

    def set_reference(self, name: str | None) -> None:
        if name is not None and name not in self.saved:
            raise ConfigError("reference", name, "the name of a saved run: " + ", ".join(self.saved))
        self.reference = name

    # pins A and B (the page's two-run comparison and its links) are the saved runs named "A" and "B"
    @property
    def pins(self) -> dict[str, Ensemble]:
        return {k: self.saved[k] for k in ("A", "B") if k in self.saved}

    def pin(self, slot: str, spec: RunSpec | None = None) -> None:
        if slot not in ("A", "B"):
            raise ConfigError("pin", slot, "A or B")
        self.save_run(slot, spec)
        if slot == "A":
            self.reference = "A"  # A is the baseline of the pinned comparison (differences: B - A)

    def unpin(self, slot: str) -> None:
        self.remove_run(slot)

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
        return self.saved_frames(slot)

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
        """The quarters an ensemble must reach to be at the run's calendar quarter (saved runs may start in 2010)."""
        start = getattr(e, "start_year", self.model.start_year)
        return max(0, (self.model.start_year - start) * 4 + self.model.steps)

    def saved_frames(self, name: str) -> list[pd.DataFrame]:
        e = self.saved.get(name)
        return [] if e is None else e.frames(upto=self._target(e))

    def compared(self) -> list[tuple[str, RunSpec, list[pd.DataFrame], int]]:
        """The runs the charts compare: every saved run, then this run unless a saved run is this very run; each
        as (name, spec, city tables per seed, start year). The reference first."""
        out = [(n, e.spec, self.saved_frames(n), getattr(e, "start_year", self.model.start_year))
               for n, e in self.saved.items()]
        if not any(spec == self.spec() for _, spec, _, _ in out):
            out.append(("", self.spec(), self.current_frames(), self.model.start_year))
        out.sort(key=lambda r: r[0] != self.reference)
        return out

    @property
    def saved_comparable(self) -> bool:
        """Runs are compared quarter by quarter only when they start in the same year."""
        return len({getattr(e, "start_year", self.model.start_year) for e in self.saved.values()}
                   | {self.model.start_year}) <= 1

    def verdict_strip(self, name: str | None = None) -> dict:
        """Share of seeds with each verdict, per periphery city and complete year (``name``: a saved run)."""
        from model.measures import verdict_by_year

        if name is not None:
            e = self.saved.get(name)
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

    def _ensembles(self) -> list[Ensemble]:
        return ([self.ens] if self.ens else []) + ([self.pens] if self.pens else []) + list(self.saved.values())

    @property
    def ensemble_error(self) -> str | None:
        """The first failure of the ensemble or a saved run (each failed one stops; the run shown goes on)."""
        for e in self._ensembles():
            if e.error:
                return e.error
        return None

    def members_behind(self) -> int:
        """Quarters the slowest background seed (ensemble or saved run) is behind the run shown."""
        es = [e for e in self._ensembles() if not e.error]
        return max([max(0, self._target(e) - e.steps) for e in es], default=0)

    def background_left_s(self) -> float | None:
        """Seconds until the background runs reach the run shown, at the pace measured so far (None: not known)."""
        behind = sum(max(0, self._target(e) - max(e.steps, 0)) for e in self._ensembles() if not e.error)
        if not behind:
            return 0.0
        return behind / self._bg_rate if self._bg_rate > 0 else None

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
                for e in self._ensembles():
                    if self._closed:
                        break
                    target = self._target(e)
                    if e.steps >= target or e.dropped or e.error:
                        continue
                    before, t0 = max(e.steps, 0), time.perf_counter()
                    try:
                        e.advance_to(min(target, (max(e.steps, 0) // 4 + 1) * 4))
                    except Exception:  # noqa: BLE001 - kept in e.error and shown on the page; the run shown goes on
                        pass
                    dt = time.perf_counter() - t0
                    if e.steps > before and dt > 0:
                        rate = (e.steps - before) / dt
                        self._bg_rate = rate if not self._bg_rate else 0.5 * self._bg_rate + 0.5 * rate
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
        """Stop the background threads and the worker processes (the tab has closed)."""
        self._closed = True
        self._wake.set()
        self.runner.close()
        self.pool.close()

    # ------------------------------------------------------------------ export
    def settings(self) -> dict[str, Any]:
        """What made this run: scenario, seed, scale, the lever values set in the app (``overrides``, on/off levers
        as true/false, categorical ones by their choice), the timed lever changes, every lever's value now,
        quarters simulated and the platform fingerprint (bit-identity needs the same one)."""
        from model import platform

        m = self.model
        return {"scenario": self.scenario, "seed": self.seed, "scale": self.scale, "start_year": m.start_year,
                "seeds": list(self.spec().seeds), "posterior_draws": self.n_draws,
                "quarters_simulated": m.steps, "overrides": dict(self.overrides),
                "timing": [t.text() for t in self.timing],
                "levers_now": {p.name: m.p[p.name] for p in LEVERS}, "platform": platform.record()}

    def export_tag(self) -> str:
        """File-name tag of the exports: scenario, seed, scale, and a short hash of the app's lever values and
        timing if any (two runs with other levers do not export under one name)."""
        tag = f"{self.scenario}_seed{self.seed}_scale{self.scale}" + (f"_seeds{self.n_seeds}" if self.n_seeds > 1 else "")
        if self.overrides or self.timing:
            blob = json.dumps({"levers": self.overrides, "timing": [t.text() for t in self.timing]}
                              if self.timing else self.overrides, sort_keys=True)
            tag += "_levers-" + hashlib.sha256(blob.encode()).hexdigest()[:8]
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


__all__ = ["Session", "LEVERS", "available", "ConfigError", "APP_SCALE_LO", "APP_SCALE_HI", "DEFAULT_SCALE",
           "SEED_MAX", "MAX_SAVED"]
