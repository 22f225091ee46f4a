"""Scenario files name travel networks instead of typing model/data/travel.csv's minutes again.

``travel = "<network>"`` (top level, or in a [[timeline]] entry) sets the three commuting levers to a column of the
travel table; the registry's defaults are its 2019 column; an unknown network is a one-line error.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT
from model import CZTModel
from model.errors import ConfigError
from model.params import BY_NAME, COMMUTE_PARAMS
from model.scenarios import load

pytestmark = pytest.mark.smoke

TRAVEL = pd.read_csv(ROOT / "model" / "data" / "travel.csv").set_index(["origin", "destination"])


def _minutes(params: dict) -> dict:
    return {pair: params[name] for pair, name in COMMUTE_PARAMS.items()}


def test_registry_defaults_are_the_2019_network():
    assert {pair: BY_NAME[name].default for pair, name in COMMUTE_PARAMS.items()} == \
        TRAVEL.door_to_door_minutes_2019.to_dict()


@pytest.mark.parametrize("scenario, column", [("pre-rail", "door_to_door_minutes_pre_rail"),
                                              ("commute", "half_hour_circle_minutes"),
                                              ("integration", "half_hour_circle_minutes")])
def test_shipped_scenarios_take_their_minutes_from_the_table(scenario, column):
    assert _minutes(load(scenario).resolved()) == TRAVEL[column].to_dict()


def test_params_of_the_same_file_override_one_pair(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('extends = "baseline"\ntravel = "pre_rail"\n[params]\ncommute_minutes_zz_xt = 33.0\n')
    got = _minutes(load(f).resolved())
    assert got[("zhuzhou", "xiangtan")] == 33.0
    assert got[("changsha", "zhuzhou")] == TRAVEL.door_to_door_minutes_pre_rail[("changsha", "zhuzhou")]


@pytest.mark.sim
def test_a_timeline_entry_switches_the_network(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('extends = "baseline"\ntravel = "pre_rail"\n[[timeline]]\nyear = 2020\ntravel = "half_hour_circle"\n'
                 'params = {}\n')
    m = CZTModel(load(f), seed=1, overrides={"scale": 20000})
    assert m.commute_minutes[0, 1] == TRAVEL.door_to_door_minutes_pre_rail[("changsha", "zhuzhou")]
    m.run_until(2020)
    assert m.commute_minutes[0, 1] == TRAVEL.half_hour_circle_minutes[("changsha", "zhuzhou")]
    assert m.policy_log[-1]["params"] == {name: TRAVEL.half_hour_circle_minutes[pair]
                                          for pair, name in COMMUTE_PARAMS.items()}


@pytest.mark.parametrize("body, where", [('travel = "maglev"\n', "s.toml.travel"),
                                         ('travel = 3\n', "s.toml.travel"),
                                         ('[[timeline]]\nyear = 2021\ntravel = "hyperloop"\nparams = {}\n',
                                          "timeline[0].travel")])
def test_unknown_network_is_one_line_naming_the_field(tmp_path, body, where):
    f = tmp_path / "s.toml"
    f.write_text('extends = "baseline"\n' + body)
    with pytest.raises(ConfigError) as exc:
        load(f)
    msg = str(exc.value)
    assert where in msg and "rail_2019" in msg and "\n" not in msg


def test_every_shipped_scenario_has_its_group_and_a_file_inherits_or_refuses_one(tmp_path):
    """Each shipped scenario says what it is for (a group of model.scenarios.GROUPS other than 'other'); a file
    that extends one inherits its group unless it names its own; an unknown group is one line naming the field, the
    value and the groups allowed."""
    from model.scenarios import GROUPS, available

    groups = {n: load(n).group for n in available()}
    assert all(g in GROUPS and g != "other" for g in groups.values()), groups
    assert len(set(groups.values())) >= 5  # a grouping, not one bucket
    f = tmp_path / "s.toml"
    f.write_text('extends = "commute"\n')
    assert load(f).group == groups["commute"]
    f.write_text('extends = "commute"\ngroup = "package"\n')
    assert load(f).group == "package"
    f.write_text('extends = "commute"\ngroup = "misc"\n')
    with pytest.raises(ConfigError) as exc:
        load(f)
    msg = str(exc.value)
    assert "group" in msg and "misc" in msg and "reference" in msg and "\n" not in msg
