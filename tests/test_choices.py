"""Categorical parameters are typed choices (model/choices.py), and being typed changes nothing outside the model.

- every way a value enters a run (registry default, scenario file, overrides, a timeline entry, one built in Python)
  yields a member of the parameter's enumeration, so the mechanisms' comparisons by member hold for every run;
- a non-string or unknown value is a one-line ConfigError naming the field, the value and the allowed choices;
- a member serialises exactly as its plain string: JSON (run.json), run ids, the scenario file the app writes,
  the sweep and --set texts, and a decisions table;
- no module of the model compares a categorical parameter with a string literal (a misspelt literal would
  be silently false; a misspelt member fails at import).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest

from model.choices import FundPayer, FundRewards, MarketAccess, Regime
from model.errors import ConfigError
from model.params import BY_NAME, PARAMS, resolve
from model.scenarios import Scenario, TimelineEntry, load

ROOT = Path(__file__).resolve().parent.parent
TYPED = {"government_regime": Regime, "fund_payer": FundPayer, "fund_rewards": FundRewards,
         "market_access_list": MarketAccess}


def test_every_categorical_parameter_is_typed_and_its_choices_are_the_enumeration():
    categorical = {p.name for p in PARAMS if p.kind is str}
    assert categorical == set(TYPED), "a categorical parameter without a choice type (model/choices.py)"
    for name, enum in TYPED.items():
        p = BY_NAME[name]
        assert p.choice_type is enum
        assert p.choices == tuple(c.value for c in enum) and all(type(c) is str for c in p.choices)
        assert type(p.default) is enum


def test_every_way_in_gives_a_member(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "s"\n[params]\ngovernment_regime = "provincial"\n\n'
                 '[[timeline]]\nyear = 2021\nparams = { fund_payer = "changsha", market_access_list = "unified" }\n')
    sc = load(f)
    assert resolve()["government_regime"] is Regime.COMPETE
    assert sc.resolved()["government_regime"] is Regime.PROVINCIAL
    assert sc.resolved({"fund_rewards": "own_gdp"})["fund_rewards"] is FundRewards.OWN_GDP
    assert sc.timeline[0].params == {"fund_payer": FundPayer.CHANGSHA, "market_access_list": MarketAccess.UNIFIED}
    assert all(type(v) is not str for v in sc.timeline[0].params.values())
    built = TimelineEntry(2022, 1, {"government_regime": "fixed"})  # the Python API, no file
    assert built.params["government_regime"] is Regime.FIXED


@pytest.mark.parametrize("value", [1, None, 0.5, True, "Fixed", "nope", ["fixed"]])
@pytest.mark.parametrize("where", ["overrides", "scenario", "timeline"])
def test_a_bad_choice_is_one_line_naming_field_value_and_choices(value, where):
    with pytest.raises(ConfigError) as info:
        if where == "overrides":
            resolve({"government_regime": value})
        elif where == "scenario":
            Scenario("x", params={"government_regime": value}).resolved()
        else:
            TimelineEntry(2021, 1, {"government_regime": value})
    text = str(info.value)
    assert "\n" not in text and "government_regime" in text and repr(value) in text
    assert "fixed, compete, provincial" in text


def test_the_model_refuses_a_non_string_regime():
    from model import CZTModel

    for value in (1, None):  # refused before anything is built
        with pytest.raises(ConfigError, match="government_regime.*fixed, compete, provincial"):
            CZTModel("baseline", seed=1, overrides={"scale": 20000, "government_regime": value})


def test_a_member_serialises_as_its_plain_string():
    from experiments.sweep.design import run_id
    from experiments.sweep.spec import value_text
    from ui.bundle import scenario_toml

    typed = resolve({"government_regime": "provincial", "fund_payer": "province", "fund_rewards": "cooperation",
                     "market_access_list": "aligned"})
    plain = {k: (v.value if k in TYPED else v) for k, v in typed.items()}
    assert all(type(plain[k]) is str and type(typed[k]) is not str for k in TYPED)
    assert json.dumps(typed, sort_keys=True) == json.dumps(plain, sort_keys=True)
    sc = {"name": "baseline", "params": {}}
    assert run_id(typed, sc, 2028, 3, "code") == run_id(plain, sc, 2028, 3, "code")
    assert scenario_toml("baseline", typed) == scenario_toml("baseline", plain)
    assert [value_text(typed[k]) for k in TYPED] == [plain[k] for k in TYPED] == [f"{typed[k]}" for k in TYPED]
    a = pd.DataFrame({"regime": [typed["government_regime"]] * 3})
    b = pd.DataFrame({"regime": [plain["government_regime"]] * 3})
    assert a.equals(b) and (pd.util.hash_pandas_object(a) == pd.util.hash_pandas_object(b)).all()


def _literal_comparisons(path: Path) -> list[str]:
    """``p["<categorical>"] == "literal"`` (or !=, in) anywhere in the module."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        keyed = any(isinstance(s, ast.Subscript) and isinstance(s.slice, ast.Constant) and s.slice.value in TYPED
                    for s in sides)
        literal = any(isinstance(s, ast.Constant) and isinstance(s.value, str) for s in sides) or \
            any(isinstance(s, (ast.Tuple, ast.List, ast.Set)) and any(isinstance(e, ast.Constant) for e in s.elts)
                for s in sides)
        if keyed and literal:
            out.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return out


def test_no_module_compares_a_categorical_parameter_with_a_string():
    found = [hit for pkg in ("model", "agents", "experiments", "ui") for path in sorted((ROOT / pkg).rglob("*.py"))
             for hit in _literal_comparisons(path)]
    assert not found, "compare with the member (model/choices.py), not a string:\n" + "\n".join(found)
    probe = ROOT / "tests" / "test_choices.py"  # the scan itself sees such a comparison
    assert _literal_comparisons(probe), "the scan found nothing in its own probe line"


def _probe(p):  # what the scan above must find (never called)
    return p["government_regime"] == "fixed"
