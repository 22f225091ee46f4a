"""CZTModel: the Changsha–Zhuzhou–Xiangtan cluster as a Mesa model.

Time: one step is one quarter; ``model.time`` counts quarters from 1 January of ``start_year``.
Statistical years are four steps; :meth:`run_until` takes a calendar year and runs through its end.
State lives in components with declared fields, each owned by one mechanism module: ``workers`` (worker agents as
columns, agents/worker.py), ``firms`` (firm cohorts as columns, agents/firm.py), ``geography``, ``labour``,
``production``, ``land`` (parks and housing), ``fiscal`` (the governments' money), ``residence`` and
``migration``. The quarter is the ordered list of named stages in ``model/quarter.py``; the year (provincial
investment, the governments' decisions) is the list in ``model/year.py``. Parameters are frozen
within a phase (``model/phases.py``): calibration under the start year's institutions, then the scenario's policy,
then one phase per timeline entry. City governments and parks are ``mesa.Agent`` handles on their components' rows;
firms are ``mesa.Agent`` handles on the firm table.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd
from mesa.time import Schedule

from agents.firm import Firm
from agents.government import CityGovernment
from agents.park import IndustrialPark
from agents.worker import MOVE_KIND_NAMES, TALENT, UNEMPLOYED, WorkerView
from model import calibration as cal
from model import demography, fiscal, governance, initial, kernels, knowledge, labour, land, production, residence, \
    start, supply
from model.errors import ConfigError
from model.fiscal import Fiscal
from model.governance import Governance
from model.geography import Geography
from model.identity import CITIES, N_CITIES, SECTORS, SKILLS, place
from model.labour import LabourMarket
from model.land import Land
from model.params import PARAMS
from model.phases import Params, Phase, changes
from model.production import Production
from model.supply import SupplyChains
from model.knowledge import Knowledge
from model.quarter import QUARTER
from model.year import YEAR
from model.recorder import Recorder
from model.residence import Residence
from model.demography import Migration
from model.scenarios import Enclave, Scenario, load, parse_enclave

if TYPE_CHECKING:  # annotations only
    from model.summary import NoCompleteYear, RunSummary

LEVERS = tuple(p.name for p in PARAMS if p.lever)


class CZTModel(mesa.Model):
    """Agent-based model of siphon (虹吸) versus spillover (溢出) in the CZT city cluster.

    Build it from a scenario name (or :class:`Scenario`) and a seed; ``overrides`` set single
    parameters on top of the scenario. Data: :meth:`cities_frame`, :meth:`flows_frame`,
    :meth:`annual_frame`, :meth:`summary`.
    """

    def __init__(self, scenario: str | Scenario = "baseline", seed: int = 0,
                 overrides: dict[str, Any] | None = None, enclaves: list[Enclave | dict] | None = None,
                 start_cache: bool = True) -> None:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ConfigError("seed", seed, "a non-negative integer")
        super().__init__(rng=int(seed))
        self.seed = int(seed)
        self.scenario_def = scenario if isinstance(scenario, Scenario) else load(scenario)
        policy, self.timeline = self._policy_params(overrides)
        self.start_year: int = policy["start_year"]
        if self.start_year not in cal.BASE_YEARS:
            raise ConfigError("start_year", self.start_year, ", ".join(map(str, cal.BASE_YEARS[:-1])) + " or " +
                              str(cal.BASE_YEARS[-1]) + " (years with census-anchored data)")
        self.phases: list[Phase] = [self._calibration_phase(policy, overrides)]
        self.enclave_list = list(self.scenario_def.enclaves) if enclaves is None else \
            [e if isinstance(e, Enclave) else parse_enclave(e) for e in enclaves]
        self.cities, self.sectors = CITIES, SECTORS
        self.scale: int = self.p["scale"]
        # labour-force members per worker agent: residents * employed share / (1 - unemployment)
        self.lf_share = self.p["employed_share"] / (1 - self.p["unemployment_rate_0"])
        self.persons_per_agent = self.scale * self.lf_share
        self.recorder = Recorder(self)
        self._start(start_cache)
        self._enter_policy_phase(policy)
        self.recorder.record_state()  # the initial state, step 0
        # the year's stages (model/year.py: provincial investment, then the governments' decisions, which see the
        # year's provincial money) at the start of each year: at times 4, 8, ..., after the step at that time (Mesa
        # runs the step's event, priority HIGH, before a DEFAULT one at the same time)
        self.schedule_recurring(self._run_year, Schedule(interval=4, start=4))
        # step k (at time k) simulates quarter k - 1; an entry fires half a step before its quarter's step, so
        # run_until(year) stops with the next year's policies not yet in force. Mesa holds callbacks weakly.
        self._timeline_calls = [partial(self._switch_phase, e) for e in self.timeline]
        for entry, call in zip(self.timeline, self._timeline_calls):
            self.schedule_event(call, at=(entry.year - self.start_year) * 4 + entry.quarter - 0.5)

    # ------------------------------------------------------------------ parameters and phases
    @property
    def p(self) -> Params:
        """The parameters in force (read-only; they change only at a phase switch)."""
        return self.phases[-1].params

    @property
    def policy_log(self) -> list[dict]:
        """The timeline switches so far (the phases after the policy phase), as run.json and the app show them."""
        return [{"year": ph.year, "quarter": ph.quarter, "step": ph.step, "params": dict(ph.changed), "note": ph.note}
                for ph in self.phases[2:]]

    def _policy_params(self, overrides: dict[str, Any] | None) -> tuple[Params, list]:
        """The scenario's resolved parameters with timeline entries dated at or before the first quarter folded in;
        and the later entries."""
        p = Params(self.scenario_def.resolved(overrides))
        later = []
        for e in self.scenario_def.timeline:
            if (e.year, e.quarter) <= (p["start_year"], 1):
                p = p.replace(e.params)
            else:
                later.append(e)
        return p, later

    def _calibration_phase(self, policy: Params, overrides: dict[str, Any] | None) -> Phase:
        if self.start_year == 2019:
            # the 2019 state is calibrated under 2019 institutions (the baseline's levers); the scenario's
            # policies act from 2019Q1 on, so calibration can never absorb a policy's effect
            base = load("baseline").resolved() if self.scenario_def.name != "baseline" or overrides else policy
            # the decision regime stays the run's own: it is how its governments behave, not a 2019 institution
            # (calibration takes no decisions; the fixed regime's enclave payment draws then match earlier versions)
            params = policy.replace({k: base[k] for k in LEVERS if k != "government_regime"})
            note = "2019 institutions (the baseline scenario's levers)"
        else:  # a hindcast: the scenario itself states that year's institutions
            params, note = policy, f"{self.start_year} institutions as the scenario states them"
        return Phase("calibration", 0, self.start_year, 1, params, {}, note)

    def _enter_policy_phase(self, policy: Params) -> None:
        """Switch from the calibration's institutions to the scenario's policies for the simulation."""
        cal_params = self.p
        self.phases.append(Phase("policy", 1, self.start_year, 1, policy, changes(cal_params, policy),
                                 "the scenario's parameters from the first quarter"))
        self.geography = Geography.build(self.p)
        land.apply_land_policy(self)
        land.update_land(self)
        fiscal.update_fiscal_strength(self)
        fiscal.allocate_provincial_investment(self, self.recorder.last_year_gdp() or None)
        governance.apply_rules(self)  # the start year's rules, then (deciding regimes) the first year's choices
        governance.decide(self)

    def _switch_phase(self, entry) -> None:
        """A timeline entry takes effect from its quarter on (e.g. the intercity railway opens)."""
        old_ban = self.p["green_heart_ban"]
        if {"tfp_growth", "national_growth_gap"} & set(entry.params):  # the level stays continuous, its growth changes
            self.production.tfp_anchor = (self.steps - 1, production.tfp_trend(self, self.steps))
        if {"housing_elasticity", "changsha_housing_regulation"} & set(entry.params):
            land.anchor_housing(self)  # new housing rules bend the cost path from here, without a jump
        self.phases.append(Phase(f"timeline {entry.year}Q{entry.quarter}", self.steps + 1, entry.year, entry.quarter,
                                 self.p.replace(entry.params), dict(entry.params), entry.note))
        self.geography = Geography.build(self.p)
        land.change_land_policy(self, old_ban)
        governance.respect_caps(self)

    # ------------------------------------------------------------------ calendar
    @property
    def year(self) -> int:
        """Statistical year of the quarter that the next step simulates."""
        return self.start_year + self.steps // 4

    @property
    def quarter(self) -> int:
        return self.steps % 4 + 1

    def run_until(self, year: int) -> None:  # type: ignore[override]
        """Simulate through the end of calendar ``year`` (e.g. 2035: the last step is 2035Q4)."""
        if not isinstance(year, (int, np.integer)) or year < self.start_year:
            raise ConfigError("until", year, f"a year from {self.start_year} on")
        super().run_until(float((year + 1 - self.start_year) * 4))

    # ------------------------------------------------------------------ setup
    def _start(self, use_cache: bool) -> None:
        """Build and fit the start year's state, or take a copy of it from this process's cache (model/start.py):
        the same calibration parameters, enclaves and seed give the same start, draw for draw."""
        key = start.start_key(self.p, self.enclave_list, self.seed)
        cached = start.CACHE.get(key) if use_cache and start.CACHE.enabled else None
        if cached is not None:
            start.restore(self, cached)
            return
        before = set(vars(self))
        self._build(self.p)
        self._calibrate()
        if use_cache and start.CACHE.enabled:
            start.CACHE.put(start.capture(self, key, start.added_attributes(before, self)))

    def _build(self, p: Params) -> None:
        """Components from the data files; agents as handles on them; the initial population."""
        self.geography = Geography.build(p)
        self.land = Land.from_data(p, self.enclave_list)
        self.parks: list[IndustrialPark] = [IndustrialPark(self, i) for i in range(self.land.n)]
        self.park_ids: tuple[str, ...] = self.land.park_id
        self.labour = LabourMarket()
        self.production = Production()
        self.fiscal = Fiscal()
        self.governance = Governance()
        self.residence = Residence()
        self.migration = Migration()
        self.supply = SupplyChains()
        self.knowledge = Knowledge()
        governance.apply_rules(self)
        initial.build_people_and_firms(self)
        labour.recount_employment(self)
        self.governments: list[CityGovernment] = [CityGovernment(self, c) for c in range(N_CITIES)]

    def _calibrate(self) -> None:
        """Fit the start-year state; burn the labour market in so that commuting is in its steady state; fit again."""
        self._fit_start_year()
        for _ in range(self.p["burn_in_quarters"]):  # job search only: wages, firms and residences held at the start year's
            labour.adjust_employment(self)
            labour.match(self)
        self.firms.wage_premium[:] = 1.0  # firms start at the market wage
        self._fit_start_year()
        labour.calibrate_unemployment(self)
        self.workers.log_reset()
        self.recorder.reset_flows()

    def _fit_start_year(self) -> None:
        production.calibrate(self)
        labour.calibrate(self)
        land.calibrate_land(self)
        self.fiscal.fiscal_strength = np.ones(N_CITIES)  # the start year's incentives, before revenue is known
        production.calibrate_costs(self)
        production.produce(self)
        supply.calibrate(self)
        knowledge.calibrate(self)
        fiscal.share_taxes(self)
        fiscal.calibrate_budgets(self)
        land.anchor_housing(self)
        land.update_land(self)
        fiscal.update_fiscal_strength(self)
        residence.calibrate(self)
        demography.calibrate(self)

    # ------------------------------------------------------------------ the quarter
    stages = QUARTER  # the quarter's named stages, in order (model/quarter.py); model.tracing wraps them

    def step(self) -> None:
        """One quarter: the stages of ``model.quarter.QUARTER`` in order."""
        for stage in self.stages:
            stage.run(self)

    # ------------------------------------------------------------------ the year
    year_stages = YEAR  # the year's named stages, in order (model/year.py); model.tracing wraps them

    def _run_year(self) -> None:
        """At the start of each year: the stages of ``model.year.YEAR`` in order."""
        for stage in self.year_stages:
            stage.run(self)

    # ------------------------------------------------------------------ derived state
    @property
    def city_population(self) -> np.ndarray:
        """Worker agents resident per city (multiply by ``scale`` for residents)."""
        W = self.workers
        return kernels.residents(W.alive, W.residence, N_CITIES)

    def job_city(self) -> np.ndarray:
        """City of each worker's job, -1 if unemployed."""
        W = self.workers
        jc = np.full(W.n, -1, dtype=np.int8)
        emp = W.employer >= 0
        jc[emp] = self.firms.city[W.employer[emp]]
        return jc

    # convenient names for users and the app (the components own the data)
    wages = property(lambda self: self.labour.wages, doc="market wages by (city, skill), yuan per year")
    commute_minutes = property(lambda self: self.geography.commute_minutes, doc="door-to-door minutes, one way")
    city_lat = property(lambda self: self.geography.lat)
    city_lon = property(lambda self: self.geography.lon)

    # ------------------------------------------------------------------ user-facing inspection
    def worker(self, wid: int) -> WorkerView:
        """One worker's attributes and history of moves (from the move log)."""
        W = self.workers
        row = W.row_of(wid)
        log = W.move_log()
        hist = [{"step": int(s), "year": self.start_year + int(s - 1) // 4, "quarter": int(s - 1) % 4 + 1,
                 "kind": MOVE_KIND_NAMES[k], "from": place(o), "to": place(d)}
                for s, _, k, o, d in log[log[:, 1] == wid]]
        if row is None:
            if not hist and not (0 <= wid < W.next_wid):
                raise ConfigError("worker id", wid, f"an id from 0 to {W.next_wid - 1}")
            return WorkerView(wid, False, "?", "?", hist[-1]["from"] if hist else "?", None, None, None, hist)
        emp = int(W.employer[row])
        jc = int(self.firms.city[emp]) if emp >= 0 else None
        wage = float(self.labour.wages[jc, W.skill[row]] * self.firms.wage_premium[emp]) if jc is not None else None
        return WorkerView(int(wid), bool(W.alive[row]), SKILLS[W.skill[row]], place(W.hukou[row]),
                          CITIES[W.residence[row]], emp if emp >= 0 else None, CITIES[jc] if jc is not None else None,
                          wage, hist)

    def sample_worker(self, skill: str | None = None) -> WorkerView:
        """A random living worker (model.random, so sampling does not disturb the simulation's rng stream)."""
        W = self.workers
        ok = W.alive & ((W.skill == TALENT) if skill == "talent" else (W.skill != TALENT) if skill == "ordinary" else True)
        rows = np.flatnonzero(ok)
        return self.worker(int(W.wid[rows[self.random.randrange(len(rows))]]))

    def firm(self, slot: int) -> Firm:
        agent = self.firm_agents[slot] if 0 <= slot < len(self.firm_agents) else None
        if agent is None:
            raise ConfigError("firm slot", slot, "a living firm's slot")
        return agent

    # ------------------------------------------------------------------ data
    def decisions_frame(self) -> pd.DataFrame:
        """The governments' choices by year: one row per city (incentive intensity, talent subsidy, land release,
        predicted gain) and per enclave agreement (terms, honoured, the sponsor's kept share)."""
        return pd.DataFrame(self.governance.decisions)

    def cities_frame(self) -> pd.DataFrame:
        return self.recorder.cities_frame()

    def flows_frame(self) -> pd.DataFrame:
        return self.recorder.flows_frame()

    def annual_frame(self) -> pd.DataFrame:
        return self.recorder.annual_frame()

    def summary(self) -> "RunSummary | NoCompleteYear":
        """Every summary measure over the complete statistical years so far (model.summary)."""
        from model.summary import summarize

        return summarize(self.annual_frame(), self.flows_frame(), self.start_year)


__all__ = ["CZTModel", "UNEMPLOYED"]
