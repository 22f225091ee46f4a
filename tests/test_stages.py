"""The stages of the quarter and of the year declare what they read and write, and the declarations are what the
code does.

model/quarter.py and model/year.py list each stage with the component fields it reads and writes; model/tracing.py
runs a model with every component behind a recording proxy and compares field bytes before and after each stage.
Four scenarios (one with enclave sharing paid, one with the integration levers moved, one with the spillover
channels' levers moved, the 2010 hindcast with its timeline switches) are traced for seven years at a coarse scale,
so that relocations, branches, entries, exits, sharing, phase switches and seven yearly decisions all happen. The
integration fund is on in three of them, with each of its payers and rewards, and one has the province deciding,
so that the governments' and the fund's branches are traced too. A stage touching an undeclared field, or declaring
a field it never touches, fails the test.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import pytest

from model import CZTModel
from model.quarter import QUARTER
from model.stages import Stage
from model.tracing import check, trace
from model.year import YEAR

pytestmark = pytest.mark.sim

FUND = {"integration_fund_share": 0.1}
RUNS = [("integration", FUND),  # the fund paid in by the cities, paid out by a fixed key
        # enclave sharing paid; the fund paid in by Changsha, paid out for taxes shared (the hosts' decisions use it)
        ("enclave", {"enclave_tax_share": 0.5, "enclave_stat_share": 0.5, "enclave_payment_prob": 1.0,
                     "enclave_duration_years": 30, **FUND, "fund_payer": "changsha", "fund_rewards": "cooperation"}),
        ("hindcast-2010", {}),
        # the channels of spillover with their levers moved: training, purchasing list, corridor, joint attraction;
        # the province deciding, the fund paid in by the province, paid out by credited GDP
        ("baseline", {"training_xiangtan": 0.02, "purchasing_list": 1.0, "joint_innovation": 1.0,
                      "technology_transfer": 0.2, "joint_attraction": 1.0, "industrial_transfer_rate": 0.01,
                      "government_regime": "provincial", **FUND, "fund_payer": "province", "fund_rewards": "own_gdp"})]


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


def test_every_yearly_stage_declares_exactly_what_it_touches(observed):
    obs, model = observed
    assert {s.name for s in YEAR} <= set(obs), "the year's stages did not run within the traced quarters"
    problems = check(obs, YEAR, model)
    assert not problems, "stage declarations in model/year.py disagree with the code:\n" + "\n".join(problems)


def test_the_check_fails_on_an_undeclared_field(observed):
    obs, model = observed
    wrong = [dataclasses.replace(QUARTER[0], writes=frozenset())] + list(QUARTER[1:])  # housing writes housing_cost
    assert "housing: writes land.housing_cost without declaring it" in check(obs, wrong, model)
    stale = [dataclasses.replace(QUARTER[1], reads=QUARTER[1].reads | {"fiscal.fiscal_strength"})]
    assert "rents: declares reading fiscal.fiscal_strength, never read" in check(obs, stale, model)
    # and in the year: the investment's read of last year's recorded GDP, the decisions' write of the choices
    unread = [dataclasses.replace(YEAR[0], reads=YEAR[0].reads - {"recorder.rows"})]
    assert "provincial_investment: reads recorder.rows without declaring it" in check(obs, unread, model)
    unwritten = [dataclasses.replace(YEAR[1], writes=YEAR[1].writes - {"governance.incentive"})]
    assert "government_decisions: writes governance.incentive without declaring it" in check(obs, unwritten, model)


def test_a_stage_cannot_touch_a_field_no_component_declares():
    """Components have declared (slotted) fields: a stage that invents model state fails at once."""
    m = CZTModel("baseline", seed=1, overrides={"scale": 20000})
    with pytest.raises(AttributeError):
        m.labour.invented_rate = 0.1
    sneaky = Stage("sneaky", lambda mm: setattr(mm.land, "shadow_rent", 1.0), frozenset(), frozenset())
    m.stages = (sneaky,)
    with pytest.raises(AttributeError):
        m.step()


def test_the_quarter_and_the_year_are_ordered_lists_of_named_stages():
    names = [s.name for s in QUARTER + YEAR]
    assert len(names) == len(set(names))  # one name, one stage: the trace is keyed by name
    assert CZTModel.stages is QUARTER  # CZTModel.step runs this list and nothing else
    assert CZTModel.year_stages is YEAR  # and the yearly event this one
    for s in QUARTER + YEAR:
        assert s.doc, f"{s.name}: its mechanism function needs a docstring (the ODD's process overview shows it)"


def test_the_year_runs_at_the_start_of_each_year_after_the_last_quarter():
    """The yearly stages run once a year, in YEAR's order, between the step that simulates a year's fourth quarter
    and the step that simulates the next year's first; the decisions are logged for the new year."""
    m = CZTModel("baseline", seed=1, overrides={"scale": 20000})
    calls: list[tuple[int, int, str]] = []

    def logged(st: Stage) -> Stage:
        def run(mm: CZTModel) -> None:
            calls.append((mm.steps, mm.year, st.name))
            st.run(mm)
        return dataclasses.replace(st, run=run)

    m.stages = tuple(logged(s) for s in QUARTER)
    m.year_stages = tuple(logged(s) for s in YEAR)
    m.run_until(m.start_year + 1)  # eight quarters; the year runs at times 4 and 8 (at 8 as the run's last act)
    y0, names = m.start_year, {s.name for s in YEAR}
    yearly = [(i, c) for i, c in enumerate(calls) if c[2] in names]
    assert [c for _, c in yearly] == [(4, y0 + 1, "provincial_investment"), (4, y0 + 1, "government_decisions"),
                                      (8, y0 + 2, "provincial_investment"), (8, y0 + 2, "government_decisions")]
    for i, (step, year, name) in yearly:
        if name == YEAR[0].name:  # right after the whole quarter's step at the same time, then the rest of the year
            assert calls[i - 1][::2] == (step, QUARTER[-1].name)
            assert calls[i + 1] == (step, year, YEAR[1].name)
        elif i + 1 < len(calls):  # and then the next step, which simulates the new year's first quarter
            assert calls[i + 1][::2] == (step + 1, QUARTER[0].name)
    assert len(calls) == 8 * len(QUARTER) + 2 * len(YEAR)
    assert sorted({d["year"] for d in m.governance.decisions}) == [y0, y0 + 1, y0 + 2]
