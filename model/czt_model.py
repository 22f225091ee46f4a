"""CZTModel: the Changsha–Zhuzhou–Xiangtan cluster as a Mesa model.

Time: one step is one quarter; ``model.time`` counts quarters from 1 January of ``start_year``.
Statistical years are four steps; :meth:`run_until` takes a calendar year and runs through its end.
City governments and parks are ``mesa.Agent`` objects stepped through their AgentSets; firms are
``mesa.Agent`` handles on numpy columns; workers are numpy columns only (see agents/worker.py).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.time import Schedule

from agents.firm import Firm, FirmTable
from agents.government import CityGovernment
from agents.park import IndustrialPark
from agents.worker import TALENT, UNEMPLOYED, WorkerPopulation, WorkerView, MOVE_KIND_NAMES
from model import calibration as cal
from model import demography, labour, location, production, residence
from model.errors import ConfigError
from model.params import CITIES, OUTSIDE, PARAMS

LEVERS = tuple(p.name for p in PARAMS if p.lever)
from model.recorder import Recorder
from model.scenarios import Enclave, Scenario, load, parse_enclave


BURN_IN_QUARTERS = 12  # labour-market warm-up before 2019 (commuting flows reach their steady state)
LONG_AGO = -1000  # arrival step of the 2019 population and firms: settled long before the start


class CZTModel(mesa.Model):
    """Agent-based model of siphon (虹吸) versus spillover (溢出) in the CZT city cluster.

    Build it from a scenario name (or :class:`Scenario`) and a seed; ``overrides`` set single
    parameters on top of the scenario. Data: :meth:`cities_frame`, :meth:`flows_frame`,
    :meth:`annual_frame`, :meth:`summary`.
    """

    def __init__(self, scenario: str | Scenario = "baseline", seed: int = 0,
                 overrides: dict[str, Any] | None = None, enclaves: list[Enclave | dict] | None = None) -> None:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ConfigError("seed", seed, "a non-negative integer")
        super().__init__(rng=int(seed))
        self.seed = int(seed)
        self.scenario_def = scenario if isinstance(scenario, Scenario) else load(scenario)
        self.p: dict[str, Any] = self.scenario_def.resolved(overrides)
        self.start_year: int = self.p["start_year"]
        if self.start_year not in cal.BASE_YEARS:
            raise ConfigError("start_year", self.start_year, " or ".join(map(str, cal.BASE_YEARS)))
        self.timeline = self._timeline_on_start()
        self.p_policy = self.p
        if self.start_year == 2019:
            # the 2019 state is calibrated under 2019 institutions (the baseline's levers); the scenario's
            # policies act from 2019Q1 on, so calibration can never absorb a policy's effect
            base = load("baseline").resolved() if self.scenario_def.name != "baseline" or overrides else self.p
            self.p = {**self.p, **{k: base[k] for k in LEVERS}}
        # any other start year is a hindcast: the scenario itself states that year's institutions
        self.tfp_anchor = (0, 1.0)  # see production.tfp_trend
        self.policy_log: list[dict[str, Any]] = []
        self.enclave_list = list(self.scenario_def.enclaves) if enclaves is None else \
            [e if isinstance(e, Enclave) else parse_enclave(e) for e in enclaves]
        self.cities = CITIES
        self.sectors: tuple[str, ...] = tuple(cal.sector_table().index)
        self.scale: int = self.p["scale"]
        # labour-force members per worker agent: residents * employed share / (1 - unemployment)
        self.lf_share = self.p["employed_share"] / (1 - self.p["unemployment_rate_0"])
        self.persons_per_agent = self.scale * self.lf_share
        self.recorder = Recorder(self)
        self._build_geography()
        self._build_parks()
        self._build_people_and_firms()
        self._calibrate()
        self._apply_policy()
        self.recorder.record_state()  # the initial state, step 0
        # annual provincial investment at the start of each year, after that quarter's step
        self.schedule_recurring(self._allocate_provincial_investment, Schedule(interval=4, start=4))
        # step k (at time k) simulates quarter k - 1; an entry fires half a step before its quarter's step, so
        # run_until(year) stops with the next year's policies not yet in force. Mesa holds callbacks weakly.
        self._timeline_calls = [partial(self._switch_policy, e) for e in self.timeline]
        for entry, call in zip(self.timeline, self._timeline_calls):
            self.schedule_event(call, at=(entry.year - self.start_year) * 4 + entry.quarter - 0.5)

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
    def _build_geography(self) -> None:
        p = self.p
        m = np.zeros((3, 3))
        m[0, 1] = m[1, 0] = p["commute_minutes_cs_zz"]
        m[0, 2] = m[2, 0] = p["commute_minutes_cs_xt"]
        m[1, 2] = m[2, 1] = p["commute_minutes_zz_xt"]
        self.commute_minutes = m  # door-to-door, one way; 0 within a city (intra-city commuting is not modelled)
        self.commute_feasible = m <= p["max_commute_minutes"]
        ct = cal.city_table()
        self.city_lat = ct.loc[list(CITIES), "lat_deg"].to_numpy()
        self.city_lon = ct.loc[list(CITIES), "lon_deg"].to_numpy()

    def _build_parks(self) -> None:
        pt = cal.park_table()
        self.park_ids: tuple[str, ...] = tuple(pt.index)
        self.parks: list[IndustrialPark] = [IndustrialPark(self, i, pid, row) for i, (pid, row) in enumerate(pt.iterrows())]
        for e in self.enclave_list:
            park = self.parks[self.park_ids.index(e.park)]
            park.sponsor = CITIES.index(e.sponsor)
            park.open = True
        self.park_city = np.array([pk.city for pk in self.parks], dtype=np.int8)
        self.park_is_urban = np.array([pk.level == "urban" for pk in self.parks])
        self.park_sponsor = np.array([-1 if pk.sponsor is None else pk.sponsor for pk in self.parks], dtype=np.int8)
        focus = np.zeros((len(self.parks), len(self.sectors)), dtype=bool)
        for i, pk in enumerate(self.parks):
            for s in pk.sector_focus:
                focus[i, self.sectors.index(s)] = True
        self.park_focus = focus

    def _build_people_and_firms(self) -> None:
        p, rng = self.p, self.rng
        st = cal.sector_table()
        pop = cal.city_table(self.start_year).loc[list(CITIES), "population"].to_numpy()
        n_city = np.rint(pop / self.scale).astype(np.int64)
        if n_city.min() < 50:
            raise ConfigError("scale", self.scale, f"at most {int(pop.min() / 50)} (each city needs 50 worker agents)")
        employed = np.rint(n_city * (1 - p["unemployment_rate_0"])).astype(np.int64)
        emp = cal.employment_split(CITIES, employed, self.start_year)  # (sectors, cities) employed agents
        tal_share = st.talent_share.to_numpy()
        self.workers = W = WorkerPopulation(int(n_city.sum() * 1.3))
        self.firms = F = FirmTable(int(n_city.sum() / max(p["firm_size_mean"] / self.lf_share, 1) * 2))
        self.firm_agents: list[Firm | None] = []
        size_mean = p["firm_size_mean"] / self.lf_share  # worker agents per establishment
        for c in range(3):
            # unemployed first, with the city's average talent share
            n_unemp = n_city[c] - employed[c]
            city_tal = float((emp[:, c] * tal_share).sum() / emp[:, c].sum())
            W.add(int(n_unemp), skill=(rng.random(n_unemp) < city_tal).astype(np.int8), hukou=np.full(n_unemp, c),
                  residence=np.full(n_unemp, c), step=LONG_AGO)
            for k in range(len(self.sectors)):
                total = int(emp[k, c])
                sizes = cal.firm_sizes(rng, total, size_mean, p["firm_size_sigma"])
                if total == 0 or len(sizes) == 0:
                    continue
                parks = self._initial_parks(k, c, len(sizes))
                slots = F.add(len(sizes), sector=k, city=c, park=parks, hq_city=c, z=1.0, arrived_step=LONG_AGO,
                              born_step=LONG_AGO, n_est=self.scale)
                enclave = self.park_sponsor[parks] >= 0
                F._cols["origin_city"][slots[enclave]] = self.park_sponsor[parks[enclave]]
                F._cols["hq_city"][slots[enclave]] = self.park_sponsor[parks[enclave]]
                n_tal = int(round(total * tal_share[k]))
                skill = np.zeros(total, dtype=np.int8)
                skill[rng.permutation(total)[:n_tal]] = TALENT
                rows = W.add(total, skill=skill, hukou=np.full(total, c), residence=np.full(total, c), step=LONG_AGO)
                W.employer[rows] = np.repeat(slots, sizes)
                owner = np.repeat(np.arange(len(sizes)), sizes)
                F.talent_share[slots] = np.bincount(owner, weights=skill == TALENT, minlength=len(sizes)) / sizes
        for slot in range(F.n):
            self.firm_agents.append(Firm(self, slot))
        # a tenth of residents hold hukou elsewhere in Hunan (migrants): access to services through portability only
        outsider = rng.random(W.n) < 0.1
        W.hukou[outsider] = OUTSIDE
        labour.recount_employment(self)

    def _initial_parks(self, k: int, c: int, n: int) -> np.ndarray:
        """Manufacturing firms go to the open industrial parks of their city (weight x focus); the rest to the urban area."""
        st = cal.sector_table()
        pt = cal.park_table()
        in_city = self.park_city == c
        if st.kind.iloc[k] != "secondary":
            return np.full(n, np.flatnonzero(in_city & self.park_is_urban)[0], dtype=np.int16)
        cand = np.flatnonzero(in_city & ~self.park_is_urban & (pt.initial_occupancy.to_numpy() > 0))
        w = pt.weight.to_numpy()[cand] * (1 + self.park_focus[cand, k])
        return cand[self.rng.choice(len(cand), size=n, p=w / w.sum())].astype(np.int16)

    def _calibrate(self) -> None:
        """Fit the 2019 state; burn the labour market in so that commuting is in its 2019 steady state; fit again."""
        for g in range(3):
            CityGovernment(self, g)
        self.governments: list[CityGovernment] = sorted(self.agents_by_type[CityGovernment], key=lambda g: g.city)
        self.talent_subsidy_cost = np.zeros(3)
        self._fit_2019()
        for _ in range(BURN_IN_QUARTERS):  # job search only: wages, firms and residences held at 2019
            labour.adjust_employment(self)
            labour.match(self)
        self.firms.wage_premium[:] = 1.0  # firms start 2019 at the market wage
        self._fit_2019()
        labour.calibrate_unemployment(self)
        self.workers.log_reset()
        self.recorder.reset_flows()

    def _fit_2019(self) -> None:
        production.calibrate(self)
        labour.calibrate(self)
        for g in self.governments:
            g.housing_cost_0 = g.housing_cost = 1.0  # placeholder until calibrate_budgets
        location.calibrate_land(self)
        production.produce(self)
        production.calibrate_budgets(self)
        location.update_land(self)
        residence.calibrate(self)
        demography.calibrate(self)

    def _apply_policy(self) -> None:
        """Switch from 2019 institutions to the scenario's policies (levers) for the simulation."""
        self.p = self.p_policy
        self._build_geography()
        location.apply_land_policy(self)
        location.update_land(self)
        production.allocate_provincial_investment(self, self.recorder.last_year_gdp() or None)

    def _timeline_on_start(self) -> list:
        """Fold timeline entries dated at or before the first quarter into ``self.p``; return the later ones."""
        later = []
        for e in self.scenario_def.timeline:
            if (e.year, e.quarter) <= (self.start_year, 1):
                self.p = {**self.p, **e.params}
            else:
                later.append(e)
        return later

    def _switch_policy(self, entry) -> None:
        """A timeline entry takes effect from its quarter on (e.g. the intercity railway opens)."""
        old = self.p
        if "tfp_growth" in entry.params:  # keep the productivity level continuous, only its growth rate changes
            self.tfp_anchor = (self.steps - 1, production.tfp_trend(self, self.steps))
        self.p = self.p_policy = {**self.p_policy, **entry.params}
        self._build_geography()
        location.change_land_policy(self, old)
        self.policy_log.append({"year": entry.year, "quarter": entry.quarter, "step": self.steps + 1,
                                "params": dict(entry.params), "note": entry.note})

    # ------------------------------------------------------------------ the quarter
    def step(self) -> None:
        """One quarter. Order: prices, production and taxes, budgets, labour market, residence, firms, demography."""
        self.agents_by_type[CityGovernment].do("update_housing")
        self.agents_by_type[IndustrialPark].do("update_rent")
        production.update_productivity(self)
        production.produce(self)
        self.agents_by_type[CityGovernment].do("budget")
        labour.adjust_employment(self)
        labour.match(self)
        labour.update_wages(self)
        residence.choose(self)
        location.decide(self)
        demography.step(self)
        labour.recount_employment(self)
        location.update_land(self)
        self.workers.compact()
        self.recorder.record_state()

    def _allocate_provincial_investment(self) -> None:
        """Each year: a pool (share of last year's CZT GDP) split with the strong-capital tilt; spent over four quarters."""
        production.allocate_provincial_investment(self, self.recorder.last_year_gdp())

    # ------------------------------------------------------------------ derived state
    @property
    def city_population(self) -> np.ndarray:
        """Worker agents resident per city (multiply by ``scale`` for residents)."""
        W = self.workers
        return np.bincount(W.residence[W.alive], minlength=3)

    def job_city(self) -> np.ndarray:
        """City of each worker's job, -1 if unemployed."""
        W = self.workers
        jc = np.full(W.n, -1, dtype=np.int8)
        emp = W.employer >= 0
        jc[emp] = self.firms.city[W.employer[emp]]
        return jc

    # ------------------------------------------------------------------ user-facing inspection
    def worker(self, wid: int) -> WorkerView:
        """One worker's attributes and history of moves (from the move log)."""
        W = self.workers
        row = W.row_of(wid)
        log = W.move_log()
        hist = [{"step": int(s), "year": self.start_year + int(s - 1) // 4, "quarter": int(s - 1) % 4 + 1,
                 "kind": MOVE_KIND_NAMES[k], "from": _place(o), "to": _place(d)}
                for s, _, k, o, d in log[log[:, 1] == wid]]
        if row is None:
            if not hist and not (0 <= wid < W.next_wid):
                raise ConfigError("worker id", wid, f"an id from 0 to {W.next_wid - 1}")
            return WorkerView(wid, False, "?", "?", hist[-1]["from"] if hist else "?", None, None, None, hist)
        emp = int(W.employer[row])
        jc = int(self.firms.city[emp]) if emp >= 0 else None
        wage = float(self.wages[jc, W.skill[row]] * self.firms.wage_premium[emp]) if jc is not None else None
        return WorkerView(int(wid), bool(W.alive[row]), ("ordinary", "talent")[W.skill[row]], _place(W.hukou[row]),
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
    def cities_frame(self) -> pd.DataFrame:
        return self.recorder.cities_frame()

    def flows_frame(self) -> pd.DataFrame:
        return self.recorder.flows_frame()

    def annual_frame(self) -> pd.DataFrame:
        return self.recorder.annual_frame()

    def summary(self) -> dict:
        from model.measures import summarize

        return summarize(self.annual_frame(), self.flows_frame(), self.start_year)


def _place(code: int) -> str:
    return CITIES[code] if 0 <= code < 3 else "outside"


__all__ = ["CZTModel", "UNEMPLOYED"]
