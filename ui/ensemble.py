"""Ensembles for the app: several seeds of one configuration run in worker processes, stepped in lockstep.

Plain Python (no Solara), tested directly. A ``RunSpec`` is what a run is (scenario, the app's lever values,
scale, seeds); a tab's pool (``tab_pool``: local worker processes of the project's executor, spawned so they never
inherit the server's threads) holds the models; an ``Ensemble`` is one spec's seeds spread over the pool's workers,
each member kept by the worker it was built on (jobs pinned to that worker). Each member is
exactly the run a single app run with that seed would be (same configuration, same ``rng``): the ensemble only
adds seeds, it never changes one.

Each advance returns, per seed, the new rows of the city table (numeric columns), and once a year the annual
table and the per-year verdicts, so the app can draw bands and the verdict strip without touching the workers'
models.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from experiments.executor import Executor, LocalProcesses, state
from model.errors import ConfigError
from model.params import BY_NAME
from ui.timing import TimedLever, parse_all, with_timing

MAX_SEEDS = 16  # an ensemble in a browser tab; batch sweeps (python -m experiments sweep) take more
BAND = (0.1, 0.9)  # quantiles of the band drawn around the median across seeds


@dataclass(frozen=True)
class RunSpec:
    """One configuration: scenario, lever values set on top of it (sorted name/value pairs), scale, seeds, and the
    levers set from a later quarter on (ui.timing.TimedLever, sorted)."""
    scenario: str
    overrides: tuple[tuple[str, Any], ...]
    scale: int
    seeds: tuple[int, ...]
    timing: tuple[TimedLever, ...] = ()

    @classmethod
    def make(cls, scenario: str, overrides: dict[str, Any], scale: int, seeds,
             timing: tuple[TimedLever, ...] = ()) -> "RunSpec":
        seeds = tuple(int(s) for s in seeds)
        if not 1 <= len(seeds) <= MAX_SEEDS:
            raise ConfigError("seeds", len(seeds), f"from 1 to {MAX_SEEDS} seeds in the app")
        if len(set(seeds)) != len(seeds):
            raise ConfigError("seeds", list(seeds), "distinct seeds")
        bad = [x for x in seeds if not 0 <= x < 2**32]
        if bad:
            raise ConfigError("seeds", bad[0], "integers from 0 to 2**32-1")
        return cls(scenario, tuple(sorted(overrides.items())), int(scale), seeds,
                   tuple(sorted(timing, key=lambda t: (t.start, t.name))))

    @property
    def levers(self) -> dict[str, Any]:
        return dict(self.overrides)

    def to_dict(self) -> dict[str, Any]:
        d = {"scenario": self.scenario, "levers": self.levers, "scale": self.scale, "seeds": list(self.seeds)}
        if self.timing:  # absent without timing: links and exports made before it read the same
            d["timing"] = [t.text() for t in self.timing]
        return d

    def scenario_def(self):
        """The scenario this run is built from: the named one with the timed changes as timeline entries."""
        return with_timing(self.scenario, self.levers, self.timing)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunSpec":
        """From ``to_dict``'s form (a URL, an export). Checks names and values: ConfigError on a bad one."""
        from model.scenarios import available

        if not isinstance(d, dict):
            raise ConfigError("run", d, "a table with scenario, levers, scale and seeds")
        scen = d.get("scenario")
        if scen not in available():
            raise ConfigError("scenario", scen, "one of " + ", ".join(available()))
        levers = d.get("levers", {}) or {}
        if not isinstance(levers, dict):
            raise ConfigError("levers", levers, "a table of lever = value")
        out = {}
        for name, value in levers.items():
            if name not in BY_NAME or not BY_NAME[name].lever:
                raise ConfigError(name, value, "a policy lever", kind="unknown lever")
            out[name] = BY_NAME[name].coerce(value)
        seeds = d.get("seeds", [])
        if not isinstance(seeds, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise ConfigError("seeds", seeds, "a list of integers")
        scale = d.get("scale")
        if isinstance(scale, bool) or not isinstance(scale, int):
            raise ConfigError("scale", scale, "an integer")
        timing = d.get("timing", []) or []
        if not isinstance(timing, list) or not all(isinstance(x, str) for x in timing):
            raise ConfigError("timing", timing, "a list of name:value@2026Q1 texts")
        return cls.make(scen, out, scale, seeds, parse_all(timing))


# ---------------------------------------------------------------------------- worker side
# Jobs pinned to the worker that holds the members (experiments/executor): each keeps its models in the worker's
# state, {key: [model, steps reported]}, from one job to the next.
def _members() -> dict[tuple, list]:
    return state().setdefault("ensemble_members", {})


def _payload(model, sent: int | None) -> dict[str, Any]:
    """What a member reports after an advance: the city table's rows after step ``sent`` (all of them, the start
    state included, when None), and when a year has been completed the
    annual table and every year's verdict."""
    from model.identity import N_CITIES

    from model.measures import verdict_by_year

    cf = model.cities_frame()  # one row per city for the start state and for each step
    first = 0 if sent is None else sent + 1
    new = cf.iloc[first * N_CITIES:].reset_index(drop=True)
    out: dict[str, Any] = {"steps": model.steps, "rows": new}
    if model.steps // 4 > (sent or 0) // 4:
        annual, flows = model.annual_frame(), model.flows_frame()
        out["annual"] = annual
        out["verdicts"] = verdict_by_year(annual, flows)
    return out


def add_member(job: tuple) -> None:
    """Build one member: (key, scenario, lever values, scale, seed, timed changes as texts[, a posterior draw's
    parameter values, set under the levers])."""
    from model import CZTModel

    key, scenario, overrides, scale, seed, timing, *rest = job
    draw = rest[0] if rest else {}
    model = CZTModel(with_timing(scenario, overrides, parse_all(timing)), seed=seed,
                     overrides={**draw, **overrides, "scale": scale})
    _members()[key] = [model, None]


def advance_members(job: tuple) -> dict[tuple, dict[str, Any]]:
    """Step the members ``keys`` to ``target`` quarters; each one's new rows (see _payload)."""
    keys, target = job
    res = {}
    for key in keys:
        entry = _members()[key]
        m = entry[0]
        while m.steps < target:
            m.step()
        res[key] = _payload(m, entry[1])
        entry[1] = m.steps
    return res


def drop_members(keys: list[tuple]) -> None:
    for key in keys:
        _members().pop(key, None)


def member_run(job: tuple) -> dict[str, Any]:
    """A sweep task's result from the member ``key`` this worker holds (the export bundle): stepped on to the
    task's last year if it is behind (the rows it has not reported are reported by the next advance)."""
    from experiments.sweep.worker import held_result

    key, task = job
    m = _members()[key][0]
    need = 4 * (int(task["until"]) - m.start_year + 1)
    while m.steps < need:
        m.step()
    return held_result(m, task)


# ---------------------------------------------------------------------------- app side
def tab_pool(workers: int = 2) -> LocalProcesses:
    """The worker processes of one browser tab (experiments/executor): spawned (a threaded web server must not
    fork), one thread each, started on first use and stopped for good by ``close()`` (the tab's end). A worker that
    dies is replaced and the pool's ``generation`` goes up: every ensemble rebuilds from its start on its next
    advance; the ensemble whose call failed keeps the failure (it is not retried)."""
    return LocalProcesses(workers, start="spawn", preload=("model", "ui.ensemble"),
                          name=f"{workers} app worker process{'es' if workers > 1 else ''}")


@dataclass
class Member:
    """One seed's results as far as they have come back (``draw``: the posterior draw of a parameter ensemble)."""
    seed: int
    draw: int | None = None
    cities: pd.DataFrame | None = None
    annual: pd.DataFrame | None = None
    verdicts: dict[int, dict[str, str]] = field(default_factory=dict)
    steps: int = 0


class Ensemble:
    """A spec's seeds on a pool: ``advance_to(steps)`` steps every member there (blocking, in parallel over the
    workers); the results are read from ``members``.

    With ``draws`` (parameter sets drawn from the calibration's posterior, experiments/posterior.draws), a parameter
    ensemble: one member per (draw, seed), draw by draw, each the spec's run with the draw's values set under the
    spec's levers."""

    _ids = 0

    def __init__(self, pool: Executor, spec: RunSpec, draws: list[dict[str, float]] | None = None) -> None:
        Ensemble._ids += 1
        self.pool, self.spec, self.tag = pool, spec, Ensemble._ids
        self.draws = list(draws or [])
        self.members = self._fresh()
        self._where = {i: i % pool.n for i in range(len(self.members))}  # member -> worker, round robin
        self._built = False
        self._gen = -1  # the pool generation the members were built in
        self.dropped = False
        self.error: str | None = None  # set when an advance failed: the ensemble is not retried
        self.lock = threading.Lock()

    def _fresh(self) -> list[Member]:
        if not self.draws:
            return [Member(s) for s in self.spec.seeds]
        return [Member(s, d) for d in range(len(self.draws)) for s in self.spec.seeds]

    def _key(self, i: int) -> tuple:
        return (self.tag, i)

    def _job(self, i: int) -> tuple:
        s, m = self.spec, self.members[i]
        job = (self._key(i), s.scenario, s.levers, s.scale, m.seed, [t.text() for t in s.timing])
        return job + (self.draws[m.draw],) if m.draw is not None else job

    def _by_worker(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i, w in self._where.items():
            out.setdefault(w, []).append(i)
        return out

    def _call(self, fn, per_worker: dict[int, Any]) -> dict[int, Any]:
        """``fn(arg)`` on each worker at once (pinned: the worker holding these members); a failure is raised."""
        jobs = {w: self.pool.submit(fn, [arg], worker=w)[0] for w, arg in per_worker.items()}
        self.pool.wait(list(jobs.values()))
        failed = next((j.failure for j in jobs.values() if j.failure is not None), None)
        if failed is not None:
            raise RuntimeError(failed.text)
        return {w: j.value for w, j in jobs.items()}

    @property
    def held(self) -> bool:
        """The members live in the workers now: built in the pool's current generation, not failed or dropped."""
        return self._built and self._gen == self.pool.generation and not self.error and not self.dropped

    def where(self, seed: int) -> tuple[int, tuple] | None:
        """(worker, key) of the member of ``seed`` while it is held, else None."""
        if not self.held or seed not in self.spec.seeds or self.draws:
            return None
        i = self.spec.seeds.index(seed)
        return self._where[i], self._key(i)

    def build(self) -> None:
        if self._built and self._gen == self.pool.generation:
            return
        if self._built:  # workers were replaced: the models are gone, start again
            self.members = self._fresh()
        self._gen = self.pool.generation
        # one model per worker at a time, so a failing configuration is reported before all are built
        rounds = max(len(v) for v in self._by_worker().values())
        for r in range(rounds):
            self._call(add_member, {w: self._job(ix[r]) for w, ix in self._by_worker().items() if r < len(ix)})
        self._built = True

    @property
    def steps(self) -> int:
        """Quarters every member has reported (-1 before the first report, which brings the start state)."""
        return min(m.steps if m.cities is not None else -1 for m in self.members)

    def advance_to(self, target: int) -> None:
        """Step every member to ``target`` quarters. A failure is kept in ``error`` (and raised): the ensemble is
        not retried; a replaced worker makes every other ensemble rebuild, so no member is left with a gap."""
        with self.lock:
            if self.dropped or self.error:
                return
            try:
                self.build()
                if self.steps >= target:
                    return
                groups = self._by_worker()
                res = self._call(advance_members, {w: ([self._key(i) for i in ix], target)
                                                   for w, ix in groups.items()})
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                raise
            for w, ix in groups.items():
                for i in ix:
                    self._merge(self.members[i], res[w][self._key(i)])

    @staticmethod
    def _merge(m: Member, p: dict[str, Any]) -> None:
        rows = p["rows"]
        m.cities = rows if m.cities is None else pd.concat([m.cities, rows], ignore_index=True)
        m.steps = p["steps"]
        if "annual" in p:
            m.annual = p["annual"]
            m.verdicts = p["verdicts"]

    def drop(self) -> None:
        self.dropped = True  # read without the lock by the background loop: it skips a dropped ensemble
        with self.lock:
            if self.pool.started and not self.pool.closed:  # also the models of a build that failed half-way
                try:
                    self._call(drop_members, {w: [self._key(i) for i in ix] for w, ix in self._by_worker().items()})
                except (OSError, EOFError, RuntimeError):
                    pass
            self._built = False

    # ------------------------------------------------------------------ reading
    def frames(self, upto: int | None = None) -> list[pd.DataFrame]:
        """Each member's city table up to ``upto`` steps (default: as far as all have come)."""
        from model.identity import N_CITIES

        n = self.steps if upto is None else min(upto, self.steps)
        return [m.cities.iloc[:(n + 1) * N_CITIES] for m in self.members if m.cities is not None]

    def verdict_strip(self) -> dict[str, dict[int, dict[str, float]]]:
        """{city: {year: {verdict: share of seeds}}} over the complete years all members have reached."""
        return verdict_shares([m.verdicts for m in self.members])


def verdict_shares(per_seed: list[dict[int, dict[str, str]]]) -> dict[str, dict[int, dict[str, float]]]:
    """Per-year verdicts of several seeds ({year: {city: verdict}} each) as {city: {year: {verdict: share}}},
    over the years every seed has."""
    if not per_seed:
        return {}
    years = sorted(set.intersection(*(set(v) for v in per_seed)))
    out: dict[str, dict[int, dict[str, float]]] = {}
    for y in years:
        for city in per_seed[0][y]:
            counts = {"siphon": 0, "neutral": 0, "spillover": 0}
            for v in per_seed:
                counts[v[y][city]] += 1
            out.setdefault(city, {})[y] = {k: c / len(per_seed) for k, c in counts.items()}
    return out


def band(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and the BAND quantiles across seeds (axis 0) of a seeds x ... array, NaN-aware."""
    with np.errstate(all="ignore"):
        med = np.nanmedian(stack, axis=0)
        lo, hi = np.nanquantile(stack, BAND, axis=0)
    return med, lo, hi
