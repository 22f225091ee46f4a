"""A run's summary: every summary measure of ``model.measures`` and the plan-target table of ``model.targets``
for the complete statistical years of a run, as a typed value (run.json's ``summary``, the sweeps' metrics, the app).

``summarize(annual, flows, start_year)`` returns a :class:`RunSummary` (frozen dataclasses: per-city entries,
thetas, flows) or, for a run without a complete statistical year, a :class:`NoCompleteYear`. ``to_dict()`` is
the JSON form written to run.json (unchanged since summaries were plain dicts); :func:`from_dict` reads it back
strictly: a missing, unknown or mistyped field is a one-line ``ConfigError`` naming it (``summary.cities.zhuzhou.
verdict``). Units: shares are fractions, share changes percentage points (pp), flows persons or establishments
over the run, people sources 10k persons a year.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from model.errors import ConfigError
from model.identity import CITIES, CORE_CITY, PERIPHERY_CITIES, REGIONS
from model.measures import (VERDICT_RULE, core_share, cv, net_flows, nich, people_sources, pivot, primacy, theil,
                            theta, theta_same_year, verdict)
from model.targets import DIRECTIONS, STATUSES, gap_goals, plan_table

VERDICTS = ("siphon", "neutral", "spillover")
CORE_SHARE_COLUMNS = ("gdp_100m_yuan", "population_10k", "firms", "talent_10k")
NO_YEAR_NOTE = "no complete statistical year simulated yet"


# ------------------------------------------------------------------------------------------------ the parts
@dataclass(frozen=True)
class FirstLast:
    """A measure in the first and in the last complete year."""
    first: float
    last: float


@dataclass(frozen=True)
class CoreShares:
    """The core's share of the cluster's GDP, residents, firms and talent (fractions), first and last year."""
    gdp_100m_yuan: FirstLast
    population_10k: FirstLast
    firms: FirstLast
    talent_10k: FirstLast


@dataclass(frozen=True)
class Primacy:
    """GDP primacy in the last year: core over the larger periphery city, core over both."""
    p1_p2: float
    p1_p2p3: float


@dataclass(frozen=True)
class Theta:
    """The default (lagged) theta of ``model.measures.theta``: the sum of lag coefficients, its classical and HC1
    standard errors, observations and lags; ``dof`` and ``r2`` only when the regression could be fitted."""
    theta: float
    se: float
    se_hc1: float
    n: int
    lags: int
    dof: int | None = None
    r2: float | None = None


@dataclass(frozen=True)
class ThetaSameYear:
    """The former same-year theta (``model.measures.theta_same_year``)."""
    theta: float
    se: float
    n: int


@dataclass(frozen=True)
class NetFlows:
    """Net flows from the core into a periphery city over the run (positive: towards the periphery city)."""
    talent_persons: float
    ordinary_persons: float
    firms_and_branches: float


@dataclass(frozen=True)
class CitySummary:
    """One periphery city: its GDP share first and last (fractions) and change (pp), net flows, nich, verdict."""
    gdp_share_first: float
    gdp_share_last: float
    gdp_share_change_pp: float
    net_flows_from_core: NetFlows
    nich: float
    verdict: str  # siphon, neutral or spillover (model.measures.verdict)


@dataclass(frozen=True)
class CoreSiphon:
    """Net residents the core gains a year (10k persons) from the rest of Hunan, the rest of China, the periphery."""
    from_rest_of_hunan: float
    from_rest_of_china: float
    from_periphery: float


@dataclass(frozen=True)
class PlanTarget:
    """One 2025 target of the Plan Outline against the run (``model.targets.plan_table``'s row)."""
    key: str
    label_en: str
    label_zh: str
    unit: str
    target: float
    direction: str
    source: str
    status: str
    year: int
    value: float | None
    ratio: float | None
    met: bool | None
    note: str


@dataclass(frozen=True)
class GapGoal:
    """One row of the 2035 goal of narrower gaps (``model.targets.gap_goals``)."""
    key: str
    label_en: str
    label_zh: str
    unit: str | None
    source: str
    status: str
    first_year: int | None
    first: float | None
    year: int | None
    value: float | None
    change: float | None
    narrowed: bool | None
    note: str


@dataclass(frozen=True)
class RunSummary:
    """Every summary measure of a run over its complete statistical years ``first_year``..``last_year``."""
    first_year: int
    last_year: int
    verdict_rule: str
    core_share: CoreShares
    primacy_gdp: Primacy
    theil_gdp_per_capita: FirstLast
    cv_gdp_per_capita: FirstLast
    nich: dict[str, float]  # city -> its share of the cluster's GDP gain
    theta: Theta
    theta_same_year: ThetaSameYear
    cities: dict[str, CitySummary]  # periphery city -> its entry
    people_sources_10k_per_year: dict[str, dict[str, float]]  # city -> place -> net residents gained a year
    core_siphon_10k_per_year: CoreSiphon
    plan_targets_2025: tuple[PlanTarget, ...]
    gap_goals_2035: tuple[GapGoal, ...]

    @property
    def verdict(self) -> dict[str, str]:
        """Periphery city -> its verdict."""
        return {p: c.verdict for p, c in self.cities.items()}

    @classmethod
    def from_dict(cls, d: Any, path: str = "summary") -> "RunSummary":
        """A summary with complete years read back from ``to_dict()``'s form; ConfigError naming the first bad
        field (also for the form of a run without a complete year)."""
        s = from_dict(d, path)
        if not isinstance(s, RunSummary):
            raise ConfigError(f"{path}.years", [], "a summary of complete statistical years", kind="no summary")
        return s

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (run.json's ``summary``)."""
        return {"first_year": self.first_year, "last_year": self.last_year, "verdict_rule": self.verdict_rule,
                "core_share": {k: _plain(getattr(self.core_share, k)) for k in CORE_SHARE_COLUMNS},
                "primacy_gdp": _plain(self.primacy_gdp),
                "theil_gdp_per_capita": _plain(self.theil_gdp_per_capita),
                "cv_gdp_per_capita": _plain(self.cv_gdp_per_capita),
                "nich": dict(self.nich), "theta": _theta_dict(self.theta), "theta_same_year": _plain(self.theta_same_year),
                "cities": {p: {**_plain(c), "net_flows_from_core": _plain(c.net_flows_from_core)}
                           for p, c in self.cities.items()},
                "verdict": self.verdict,
                "people_sources_10k_per_year": {c: dict(v) for c, v in self.people_sources_10k_per_year.items()},
                "core_siphon_10k_per_year": _plain(self.core_siphon_10k_per_year),
                "plan_targets_2025": [_plain(r) for r in self.plan_targets_2025],
                "gap_goals_2035": [_plain(r) for r in self.gap_goals_2035]}


@dataclass(frozen=True)
class NoCompleteYear:
    """The summary of a run that has not completed a statistical year: no measure yet."""
    note: str = NO_YEAR_NOTE

    def to_dict(self) -> dict[str, Any]:
        return {"years": [], "note": self.note}


def _plain(obj) -> dict[str, Any]:
    """A flat dataclass as a dict in field order (nested ones are handled by the caller)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _theta_dict(t: Theta) -> dict[str, Any]:
    out: dict[str, Any] = {"theta": t.theta, "se": t.se, "se_hc1": t.se_hc1, "n": t.n}
    if t.dof is not None:
        out.update(dof=t.dof, r2=t.r2)
    out["lags"] = t.lags
    return out


# ------------------------------------------------------------------------------------------------ computing
def summarize(annual: pd.DataFrame, flows: pd.DataFrame, start_year: int) -> RunSummary | NoCompleteYear:
    """All summary measures of a run over the complete statistical years of ``annual``."""
    if annual.empty:
        return NoCompleteYear()
    first, last = annual.year.min(), annual.year.max()
    flows = flows[flows.year <= last]  # complete statistical years only, like the annual table
    share = pivot(annual, "gdp_share")

    def first_last(series: pd.Series) -> FirstLast:
        return FirstLast(float(series.iloc[0]), float(series.iloc[-1]))

    pr = primacy(annual)
    nich_ = nich(annual)
    cities = {}
    for p in PERIPHERY_CITIES:
        change = 100 * float(share[p].iloc[-1] - share[p].iloc[0])
        fl = net_flows(flows, p)
        cities[p] = CitySummary(float(share[p].iloc[0]), float(share[p].iloc[-1]), change, NetFlows(**fl), nich_[p],
                                verdict(change, fl))
    src = people_sources(flows, int(last - first + 1))
    return RunSummary(
        first_year=int(first), last_year=int(last), verdict_rule=VERDICT_RULE["text"],
        core_share=CoreShares(**{col: first_last(core_share(annual, col)) for col in CORE_SHARE_COLUMNS}),
        primacy_gdp=Primacy(float(pr.p1_p2.iloc[-1]), float(pr.p1_p2p3.iloc[-1])),
        theil_gdp_per_capita=first_last(theil(annual)), cv_gdp_per_capita=first_last(cv(annual)),
        nich=nich_, theta=Theta(**theta(annual)), theta_same_year=ThetaSameYear(**theta_same_year(annual)),
        cities=cities, people_sources_10k_per_year=src,
        core_siphon_10k_per_year=CoreSiphon(src[CORE_CITY]["rest_of_hunan"], src[CORE_CITY]["rest_of_china"],
                                            sum(src[CORE_CITY][p] for p in PERIPHERY_CITIES)),
        plan_targets_2025=tuple(PlanTarget(**r) for r in plan_table(annual, 2025)),  # every 2025 target, in order
        gap_goals_2035=tuple(GapGoal(**r) for r in gap_goals(annual, 2035)))


# ------------------------------------------------------------------------------------------------ reading back
class _Reader:
    """Strict reading of one JSON table: every field checked for presence and type, errors name its path."""

    def __init__(self, d: Any, path: str) -> None:
        if not isinstance(d, dict):
            raise ConfigError(path, d, "a table (JSON object)", kind="mistyped field")
        self.d, self.path = d, path

    def _get(self, key: str) -> Any:
        if key not in self.d:
            raise ConfigError(f"{self.path}.{key}", None, "a value (the field is required)", kind="missing field")
        return self.d[key]

    def only(self, keys) -> None:
        extra = sorted(set(self.d) - set(keys), key=str)
        if extra:
            raise ConfigError(f"{self.path}.{extra[0]}", self.d[extra[0]], "no such field; fields: "
                              + ", ".join(keys), kind="unknown field")

    def number(self, key: str, optional: bool = False) -> float | None:
        v = self._get(key)
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ConfigError(f"{self.path}.{key}", v, "a number" + (" or null" if optional else ""),
                              kind="mistyped field")
        return v

    def integer(self, key: str, optional: bool = False) -> int | None:
        v = self._get(key)
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"{self.path}.{key}", v, "an integer" + (" or null" if optional else ""),
                              kind="mistyped field")
        return v

    def text(self, key: str, choices: tuple[str, ...] | None = None, optional: bool = False) -> str | None:
        v = self._get(key)
        if v is None and optional:
            return None
        if not isinstance(v, str) or (choices is not None and v not in choices):
            allowed = f"one of {', '.join(choices)}" if choices else "a text"
            raise ConfigError(f"{self.path}.{key}", v, allowed + (" or null" if optional else ""),
                              kind="mistyped field")
        return v

    def flag(self, key: str) -> bool | None:
        v = self._get(key)
        if v is not None and not isinstance(v, bool):
            raise ConfigError(f"{self.path}.{key}", v, "true, false or null", kind="mistyped field")
        return v

    def table(self, key: str) -> "_Reader":
        return _Reader(self._get(key), f"{self.path}.{key}")

    def rows(self, key: str) -> list["_Reader"]:
        v = self._get(key)
        if not isinstance(v, list):
            raise ConfigError(f"{self.path}.{key}", v, "a list of tables", kind="mistyped field")
        return [_Reader(r, f"{self.path}.{key}[{i}]") for i, r in enumerate(v)]

    def keyed(self, key: str, names: tuple[str, ...]) -> "_Reader":
        """A table whose keys are exactly ``names`` (cities, places)."""
        r = self.table(key)
        missing = [n for n in names if n not in r.d]
        if missing:
            raise ConfigError(f"{r.path}.{missing[0]}", None, "a value (one per name: " + ", ".join(names) + ")",
                              kind="missing field")
        r.only(names)
        return r


def _first_last(r: _Reader) -> FirstLast:
    r.only(("first", "last"))
    return FirstLast(r.number("first"), r.number("last"))


def _dataclass_from(cls, r: _Reader, read: dict[str, Any]):
    names = tuple(f.name for f in fields(cls))
    r.only(names)
    return cls(**{n: read[n](n) for n in names})


def read_run_json(path) -> RunSummary | NoCompleteYear:
    """The summary held by a run folder's run.json (``python -m experiments run``, the app's export)."""
    import json
    from pathlib import Path

    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(str(path), "unreadable", f"a run.json written by CZT-Sim ({exc})", kind="unreadable file") from None
    if not isinstance(info, dict):
        raise ConfigError(str(path), info, "a run.json table", kind="mistyped field")
    if "summary" not in info:
        raise ConfigError(f"{path}: summary", None, "a value (the field is required)", kind="missing field")
    return from_dict(info["summary"], f"{path}: summary")


def from_dict(d: Any, path: str = "summary") -> RunSummary | NoCompleteYear:
    """Read ``to_dict()``'s form back (run.json's ``summary``). ConfigError naming the first bad field."""
    r = _Reader(d, path)
    if "years" in r.d:
        r.only(("years", "note"))
        if r.d["years"] != []:
            raise ConfigError(f"{path}.years", r.d["years"], "an empty list (a run without a complete year)",
                              kind="mistyped field")
        return NoCompleteYear(r.text("note"))
    r.only(tuple(f.name for f in fields(RunSummary)) + ("verdict",))
    cs = r.table("core_share")
    cs.only(CORE_SHARE_COLUMNS)
    core = CoreShares(**{c: _first_last(cs.table(c)) for c in CORE_SHARE_COLUMNS})
    pr = r.table("primacy_gdp")
    primacy_ = _dataclass_from(Primacy, pr, {"p1_p2": pr.number, "p1_p2p3": pr.number})
    nich_r = r.keyed("nich", CITIES)
    nich_ = {c: nich_r.number(c) for c in CITIES}
    th = r.table("theta")
    has_fit = "dof" in th.d or "r2" in th.d
    th.only(("theta", "se", "se_hc1", "n", "lags") + (("dof", "r2") if has_fit else ()))
    theta_ = Theta(th.number("theta"), th.number("se"), th.number("se_hc1"), th.integer("n"), th.integer("lags"),
                   th.integer("dof") if has_fit else None, th.number("r2") if has_fit else None)
    ty = r.table("theta_same_year")
    same = _dataclass_from(ThetaSameYear, ty, {"theta": ty.number, "se": ty.number, "n": ty.integer})
    cr = r.keyed("cities", PERIPHERY_CITIES)
    cities = {}
    for p in PERIPHERY_CITIES:
        c = cr.table(p)
        fr = c.table("net_flows_from_core")
        fl = _dataclass_from(NetFlows, fr, {k: fr.number for k in ("talent_persons", "ordinary_persons",
                                                                   "firms_and_branches")})
        cities[p] = _dataclass_from(CitySummary, c, {
            "gdp_share_first": c.number, "gdp_share_last": c.number, "gdp_share_change_pp": c.number,
            "net_flows_from_core": lambda _: fl, "nich": c.number, "verdict": lambda k: c.text(k, VERDICTS)})
    vr = r.keyed("verdict", PERIPHERY_CITIES)
    for p in PERIPHERY_CITIES:
        if vr.text(p, VERDICTS) != cities[p].verdict:
            raise ConfigError(f"{vr.path}.{p}", vr.d[p], f"the verdict of {path}.cities.{p} ({cities[p].verdict})")
    ps = r.keyed("people_sources_10k_per_year", CITIES)
    sources = {}
    for c in CITIES:
        places = tuple(o for o in CITIES + REGIONS if o != c)
        pr_c = ps.keyed(c, places)
        sources[c] = {o: pr_c.number(o) for o in places}
    sr = r.table("core_siphon_10k_per_year")
    siphon = _dataclass_from(CoreSiphon, sr, {k: sr.number for k in ("from_rest_of_hunan", "from_rest_of_china",
                                                                       "from_periphery")})
    plan = tuple(_dataclass_from(PlanTarget, t, {
        "key": t.text, "label_en": t.text, "label_zh": t.text, "unit": t.text, "target": t.number,
        "direction": lambda k, t=t: t.text(k, DIRECTIONS), "source": t.text,
        "status": lambda k, t=t: t.text(k, STATUSES), "year": t.integer,
        "value": lambda k, t=t: t.number(k, True), "ratio": lambda k, t=t: t.number(k, True), "met": t.flag,
        "note": t.text}) for t in r.rows("plan_targets_2025"))
    gaps = tuple(_dataclass_from(GapGoal, g, {
        "key": g.text, "label_en": g.text, "label_zh": g.text, "unit": lambda k, g=g: g.text(k, optional=True),
        "source": g.text, "status": lambda k, g=g: g.text(k, STATUSES),
        "first_year": lambda k, g=g: g.integer(k, True), "first": lambda k, g=g: g.number(k, True),
        "year": lambda k, g=g: g.integer(k, True), "value": lambda k, g=g: g.number(k, True),
        "change": lambda k, g=g: g.number(k, True), "narrowed": g.flag, "note": g.text}) for g in r.rows("gap_goals_2035"))
    return RunSummary(first_year=r.integer("first_year"), last_year=r.integer("last_year"),
                      verdict_rule=r.text("verdict_rule"), core_share=core, primacy_gdp=primacy_,
                      theil_gdp_per_capita=_first_last(r.table("theil_gdp_per_capita")),
                      cv_gdp_per_capita=_first_last(r.table("cv_gdp_per_capita")), nich=nich_, theta=theta_,
                      theta_same_year=same, cities=cities, people_sources_10k_per_year=sources,
                      core_siphon_10k_per_year=siphon, plan_targets_2025=plan, gap_goals_2035=gaps)
