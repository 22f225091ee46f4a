"""The typed run summary (model/summary.py): run.json's ``summary`` is its ``to_dict()``, reads back to the same
bytes, and a damaged one is refused in one line naming the field."""

from __future__ import annotations

import copy
import json
import math

import pytest

from experiments.runner import run_to_folder
from model.errors import ConfigError
from model.summary import NoCompleteYear, RunSummary, from_dict, read_run_json, summarize

pytestmark = pytest.mark.sim  # the fixture builds and runs a model

SCALE = 50000  # a tiny population: the summary's form, not its values, is under test


def _bytes(d) -> str:
    return json.dumps(d, sort_keys=True, indent=2, ensure_ascii=False)  # as experiments.io.write_json writes it


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("summary") / "run"
    run_to_folder("baseline", 3, 2027, out, {"scale": SCALE})  # 9 years: both thetas fitted
    return out


def test_run_json_summary_reads_back_to_the_same_bytes(folder):
    info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    s = read_run_json(folder / "run.json")
    assert isinstance(s, RunSummary) and s.last_year == 2027 and s.theta.dof is not None
    assert _bytes(s.to_dict()) == _bytes(info["summary"])
    assert info["verdict"] == s.verdict == {p: c.verdict for p, c in s.cities.items()}
    assert s.core_siphon_10k_per_year.from_rest_of_hunan == s.people_sources_10k_per_year["changsha"]["rest_of_hunan"]


def test_summaries_without_a_fitted_theta_or_without_a_year_round_trip():
    from model import CZTModel

    m = CZTModel("baseline", seed=1, overrides={"scale": SCALE})
    assert summarize(m.annual_frame(), m.flows_frame(), m.start_year) == NoCompleteYear()
    none = NoCompleteYear().to_dict()
    assert none == {"years": [], "note": "no complete statistical year simulated yet"} and from_dict(none) == NoCompleteYear()
    with pytest.raises(ConfigError, match="summary.years"):
        RunSummary.from_dict(none)
    m.run_until(2020)
    s = m.summary()
    assert s.theta.dof is None and math.isnan(s.theta.theta) and "dof" not in s.to_dict()["theta"]
    back = from_dict(json.loads(json.dumps(s.to_dict())))
    assert _bytes(back.to_dict()) == _bytes(s.to_dict())


def _set(d: dict, path: str, value) -> dict:
    root = d = copy.deepcopy(d)
    *head, last = path.split(".")
    for k in head:
        d = d[int(k)] if isinstance(d, list) else d[k]
    if value is _DELETE:
        del d[last]
    else:
        d[last] = value
    return root


_DELETE = object()


@pytest.mark.parametrize("path, value, field, kind", [
    ("first_year", _DELETE, "summary.first_year", "missing field"),
    ("first_year", 2019.0, "summary.first_year", "mistyped field"),
    ("core_share.gdp_100m_yuan.last", "0.7", "summary.core_share.gdp_100m_yuan.last", "mistyped field"),
    ("cities.zhuzhou.net_flows_from_core.talent_persons", _DELETE,
     "summary.cities.zhuzhou.net_flows_from_core.talent_persons", "missing field"),
    ("cities.xiangtan.verdict", "collapse", "summary.cities.xiangtan.verdict", "mistyped field"),
    ("cities.xiangtan.gdp_share_change_pp", True, "summary.cities.xiangtan.gdp_share_change_pp", "mistyped field"),
    ("cities.changsha", {}, "summary.cities.changsha", "unknown field"),
    ("theta.n", 3.5, "summary.theta.n", "mistyped field"),
    ("theta.extra", 1, "summary.theta.extra", "unknown field"),
    ("nich.zhuzhou", _DELETE, "summary.nich.zhuzhou", "missing field"),
    ("people_sources_10k_per_year.changsha.rest_of_hunan", None,
     "summary.people_sources_10k_per_year.changsha.rest_of_hunan", "mistyped field"),
    ("plan_targets_2025.0.met", "yes", "summary.plan_targets_2025[0].met", "mistyped field"),
    ("gap_goals_2035.1.direction", "down", "summary.gap_goals_2035[1].direction", "unknown field"),
    ("gap_goals_2035", {}, "summary.gap_goals_2035", "mistyped field"),
    ("verdict", _DELETE, "summary.verdict", "missing field"),
    ("surprise", 1, "summary.surprise", "unknown field"),
])
def test_a_damaged_summary_is_one_line_naming_the_field(folder, path, value, field, kind):
    good = json.loads((folder / "run.json").read_text(encoding="utf-8"))["summary"]
    with pytest.raises(ConfigError) as info:
        from_dict(_set(good, path, value))
    msg = str(info.value)
    assert msg.startswith(f"{kind} for '{field}'") and "\n" not in msg and "allowed" in msg


def test_a_verdict_that_disagrees_with_its_city_is_refused(folder):
    good = json.loads((folder / "run.json").read_text(encoding="utf-8"))["summary"]
    other = next(v for v in ("siphon", "neutral", "spillover") if v != good["cities"]["zhuzhou"]["verdict"])
    with pytest.raises(ConfigError, match=r"'summary.verdict.zhuzhou'.*cities.zhuzhou"):
        from_dict(_set(good, "verdict.zhuzhou", other))


def test_read_run_json_names_the_file(folder, tmp_path):
    bad = tmp_path / "run.json"
    info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    bad.write_text(json.dumps(_set(info, "summary.theta.se", "n/a")), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"'{bad}: summary.theta.se'"):
        read_run_json(bad)
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="unreadable"):
        read_run_json(bad)


def test_files_written_atomically_are_as_readable_as_plain_ones(tmp_path):
    """A result written through experiments.io.atomic (a temporary file renamed) gets the permissions of a file
    opened plainly in the same folder, not the temporary file's private 0600."""
    import os
    import stat

    from experiments.io import atomic

    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    done = tmp_path / "done.txt"
    atomic(done, lambda tmp: open(tmp, "w").write("x"))
    assert stat.S_IMODE(os.stat(done).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)
