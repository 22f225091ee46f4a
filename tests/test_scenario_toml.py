"""A scenario file written by model.scenarios.to_toml reads back (model.scenarios.load) as the scenario it describes:
the same resolved parameters, enclaves and dated changes. The app's export bundle and scripts/pace.py write their
scenario files with it, so a run rebuilt from such a file is the run that was made."""

from __future__ import annotations

import pytest

from model.errors import ConfigError
from model.scenarios import SCENARIO_DIR, Scenario, TimelineEntry, load, to_toml

pytestmark = pytest.mark.smoke

LEVER = "commute_minutes_cs_xt"


def _written(tmp_path, base, overrides, dated, **meta) -> Scenario:
    path = tmp_path / "written.toml"
    path.write_text(to_toml(base, overrides, dated, name="written", **meta), encoding="utf-8")
    return load(path)


def _from_and_back(sc: Scenario, overrides: dict, name: str, value, start, end) -> list[TimelineEntry]:
    """A lever set from ``start`` on and back, from ``end``, to the value it would have had then."""
    return [TimelineEntry(*start, {name: value}, note=f"{name} from {start}"),
            TimelineEntry(*end, {name: sc.value_at(name, end, overrides)}, note=f"{name} back")]


def _cases() -> list[tuple[str, dict, list[TimelineEntry]]]:
    enclave, happened = load("enclave"), load("as-happened")
    return [
        ("baseline", {}, []),
        # a number, a switch and a categorical lever overridden for the whole run
        ("enclave", {"talent_recognition": 0.5, "licence_recognition": True, "government_regime": "provincial"}, []),
        # a lever set from a quarter on and back, and another from a quarter on only
        ("enclave", {"talent_recognition": 0.5},
         [*_from_and_back(enclave, {"talent_recognition": 0.5}, LEVER, 15.0, (2026, 1), (2031, 1)),
          TimelineEntry(2027, 3, {"licence_recognition": True}, note="licences", note_zh="执照互认")]),
        # a scenario with its own timeline: the change at the quarter of one of its entries (it applies after it),
        # and back to the value that entry set
        ("as-happened", {},
         _from_and_back(happened, {}, "talent_recognition", 0.6, (2020, 4), (2022, 2))),
        # a base given by its path, several parameters switched at once
        (str(SCENARIO_DIR / "hindcast-2010.toml"), {"tfp_growth": 0.03},
         [TimelineEntry(2014, 1, {"subsidy_cap": 0.0, "tfp_growth": 0.02}, note='offers end: "no" \\ 2014\n')]),
    ]


@pytest.mark.parametrize("base, overrides, dated", _cases())
def test_written_scenario_reads_back_the_same(tmp_path, base, overrides, dated):
    want = load(base).with_timeline(dated)
    got = _written(tmp_path, base, overrides, dated, title="标题 \"quoted\"", description="line one\nline two\x7f")
    assert got.resolved() == want.resolved(overrides)
    assert got.timeline == want.timeline  # dates, values and notes, in the order the run applies them
    assert got.enclaves == want.enclaves
    assert (got.title, got.description) == ("标题 \"quoted\"", "line one\nline two\x7f")


def test_a_lever_set_from_a_quarter_on_and_back_is_in_force_only_between(tmp_path):
    sc = load("baseline")
    before = sc.resolved()[LEVER]
    got = _written(tmp_path, "baseline", {}, _from_and_back(sc, {}, LEVER, 15.0, (2026, 1), (2031, 1)))
    assert [got.value_at(LEVER, q) for q in ((2025, 4), (2026, 1), (2030, 4), (2031, 1))] == [before, 15.0, 15.0,
                                                                                              before]


@pytest.mark.parametrize("overrides, dated, field", [
    ({"no_such_parameter": 1}, [], "no_such_parameter"),
    ({"talent_recognition": 7.0}, [], "talent_recognition"),
    ({}, [TimelineEntry(2026, 1, {"start_year": 2010})], "params.start_year"),  # not a parameter a timeline switches
])
def test_what_load_would_refuse_is_refused_when_written(overrides, dated, field):
    with pytest.raises(ConfigError) as exc:
        to_toml("baseline", overrides, dated, name="bad")
    assert field in str(exc.value) and "\n" not in str(exc.value)
