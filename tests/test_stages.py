"""The quarter's stages declare what they read and write, and the declarations are what the code does.

model/quarter.py lists each stage with the component fields it reads and writes; model/tracing.py runs a model with
every component behind a recording proxy and compares field bytes before and after each stage. Four scenarios
(one with enclave sharing paid, one with the integration levers moved, one with the spillover channels' levers
moved, the 2010 hindcast with its timeline switches) are
traced for seven years at a coarse scale, so that relocations, branches, entries, exits, sharing and phase switches
all happen. A stage touching an undeclared field, or declaring a field it never touches, fails the test.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import pytest

from model import CZTModel
from model.quarter import QUARTER, Stage
from model.tracing import check, trace

pytestmark = pytest.mark.sim

RUNS = [("integration", {}), ("hindcast-2010", {}),
        ("enclave", {"enclave_tax_share": 0.5, "enclave_stat_share": 0.5, "enclave_payment_prob": 1.0,
                     "enclave_duration_years": 30}),
        # the channels of spillover with their levers moved: training, purchasing list, corridor, joint attraction
        ("baseline", {"training_xiangtan": 0.02, "purchasing_list": 1.0, "joint_innovation": 1.0,
                      "technology_transfer": 0.2, "joint_attraction": 1.0, "industrial_transfer_rate": 0.01})]


@pytest.fixture(scope="module")
def observed():
    acc: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    model = None
    for scenario, overrides in RUNS:
        model = CZTModel(scenario, seed=1, overrides={"scale": 2000, **overrides})
        for name, (r, w) in trace(model, 28).items():
            acc[name][0].update(r)
            acc[name][1].update(w)
    return dict(acc), model


def test_every_stage_declares_exactly_what_it_touches(observed):
    obs, model = observed
    problems = check(obs, QUARTER, model)
    assert not problems, "stage declarations in model/quarter.py disagree with the code:\n" + "\n".join(problems)


def test_the_check_fails_on_an_undeclared_field(observed):
    obs, model = observed
    wrong = [dataclasses.replace(QUARTER[0], writes=frozenset())] + list(QUARTER[1:])  # housing writes housing_cost
    assert "housing: writes land.housing_cost without declaring it" in check(obs, wrong, model)
    stale = [dataclasses.replace(QUARTER[1], reads=QUARTER[1].reads | {"fiscal.fiscal_strength"})]
    assert "rents: declares reading fiscal.fiscal_strength, never read" in check(obs, stale, model)


def test_a_stage_cannot_touch_a_field_no_component_declares():
    """Components have declared (slotted) fields: a stage that invents model state fails at once."""
    m = CZTModel("baseline", seed=1, overrides={"scale": 20000})
    with pytest.raises(AttributeError):
        m.labour.invented_rate = 0.1
    sneaky = Stage("sneaky", lambda mm: setattr(mm.land, "shadow_rent", 1.0), frozenset(), frozenset())
    m.stages = (sneaky,)
    with pytest.raises(AttributeError):
        m.step()


def test_the_quarter_is_one_ordered_list_of_named_stages():
    names = [s.name for s in QUARTER]
    assert len(names) == len(set(names))
    assert CZTModel.stages is QUARTER  # CZTModel.step runs this list and nothing else
    for s in QUARTER:
        assert s.doc, f"{s.name}: its mechanism function needs a docstring (the ODD's process overview shows it)"
