"""On/off (kind=bool) and categorical (kind=str) levers in sweeps, analysis, reports and the command line.

Sweeps run at scale 50000 until 2020 in this process (a fraction of a second per run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main
from experiments.report.build import build
from experiments.sweep import spec as spec_mod
from experiments.sweep.analyze import analyze_dir
from experiments.sweep.design import plan
from experiments.sweep.runner import run
from model.errors import ConfigError
from model.params import PARAMS

HEAD = """name = "{name}"
scenario = "baseline"
design = "{design}"
replications = {replications}
until = 2020
scale = 50000
root_seed = 17
outputs = ["gdp_100m_yuan", "gdp_share"]
metrics = ["core_gdp_share_last", "czt_gdp_last_100m_yuan"]
{extra}
[params]
"""
FACTORIAL = HEAD.format(name="onoff", design="factorial", replications=2, extra="") + """\
licence_recognition = [true, false]
market_access_list = ["separate", "unified"]
"""
LHS = HEAD.format(name="lhs-choice", design="lhs", replications=1, extra="samples = 9") + """\
enclave_tax_share = { min = 0.0, max = 1.0 }
market_access_list = ["separate", "aligned", "unified"]
"""


def sampled(design: str, samples: int, morris_levels: int = 6) -> str:
    """A Sobol or Morris sweep over a range, an on/off and a 3-choice lever."""
    return HEAD.format(name="sampled", design=design, replications=1,
                       extra=f"samples = {samples}\nmorris_levels = {morris_levels}") + """\
tfp_growth = { min = 0.02, max = 0.08 }
licence_recognition = [false, true]
market_access_list = ["separate", "aligned", "unified"]
"""


def _sweep(tmp: Path, text: str) -> Path:
    (tmp / "s.toml").write_text(text)
    r = run(tmp / "out", spec_path=tmp / "s.toml", workers=0, progress=False)
    assert r["failed"] == 0 and r["ok"] == r["total"]
    return tmp / "out"


@pytest.fixture(scope="module")
def factorial(tmp_path_factory) -> Path:
    return _sweep(tmp_path_factory.mktemp("onoff"), FACTORIAL)


@pytest.mark.sim
def test_factorial_over_an_on_off_and_a_categorical_lever(factorial):
    design = pd.read_parquet(factorial / "design.parquet")
    assert len(design) == 8 and design.run_id.nunique() == 8
    assert design.licence_recognition.dtype == bool
    assert set(zip(design.licence_recognition, design.market_access_list)) == {
        (on, m) for on in (True, False) for m in ("separate", "unified")}
    over = [json.loads(o) for o in design.overrides]  # what each run's model was given
    assert {(o["licence_recognition"], o["market_access_list"]) for o in over} == set(
        zip(design.licence_recognition, design.market_access_list))
    runs = pd.read_parquet(factorial / "runs.parquet")
    assert (runs.status == "ok").all() and runs.licence_recognition.dtype == bool
    # the levers act: with common seeds, the four configurations of replicate 0 do not all end the same
    assert runs[runs.rep == 0].czt_gdp_last_100m_yuan.nunique() > 1
    res = analyze_dir(factorial, resamples=50, write=False)
    t = res["table"].set_index("param")
    assert set(t.index) == {"licence_recognition", "market_access_list"} and (t.method == "main_effects").all()
    assert t.loc["licence_recognition", "values"].iloc[0] == "true, false"
    assert t.loc["market_access_list", "values"].iloc[0] == "separate, unified"
    assert t.S1.notna().all()


@pytest.mark.sim
def test_report_shows_the_levels_as_their_values(factorial):
    res = build(factorial, lang="en", resamples=50)
    groups = res["data"].groups
    assert "licence_recognition=true, market_access_list=unified" in groups and len(groups) == 4
    cmp = pd.read_csv(res["out"] / "scenario_comparison.csv")
    assert set(cmp.group) == set(groups) and (cmp.runs == 2).all()
    sens = pd.read_csv(res["out"] / "sensitivity.csv")
    assert set(sens["values"]) == {"true, false", "separate, unified"}
    tex = (res["out"] / "sensitivity.tex").read_text()
    assert "Values" in tex and "separate, unified" in tex
    md = (res["out"] / "report.md").read_text()
    assert "licence_recognition (true, false), market_access_list (separate, unified)" in md


@pytest.mark.sim
def test_lhs_with_a_categorical_lever(tmp_path):
    sp = spec_mod.parse(spec_mod.tomllib.loads(LHS))
    d = plan(sp)
    # equal bins of the LHS coordinate: 9 strata, so each of the 3 choices exactly 3 times
    assert d.market_access_list.value_counts().to_dict() == {"separate": 3, "aligned": 3, "unified": 3}
    f = sp.factors[1]
    assert [f.from_unit(u) for u in d.u_market_access_list] == list(d.market_access_list)
    out = _sweep(tmp_path, LHS)
    t = analyze_dir(out, resamples=50, write=False)["table"]
    assert set(t.param) == {"enclave_tax_share", "market_access_list"} and (t.method == "rbd_fast").all()
    assert set(t["values"]) == {"0 to 1", "separate, aligned, unified"}


@pytest.mark.sim
@pytest.mark.parametrize("design,samples,n_points,col", [("sobol", 4, 4 * 5, "ST"), ("morris", 2, 2 * 4, "mu_star")])
def test_sobol_and_morris_over_discrete_levers(tmp_path, design, samples, n_points, col):
    text = sampled(design, samples)
    sp = spec_mod.parse(spec_mod.tomllib.loads(text))
    assert spec_mod.advice(sp) == []  # 6 grid levels share 2 and 3 levels out evenly
    d = plan(sp)
    assert d.point.nunique() == n_points
    assert set(d.licence_recognition) <= {True, False} and set(d.market_access_list) <= {"separate", "aligned", "unified"}
    for f in sp.factors[1:]:
        assert [f.from_unit(u) for u in d["u_" + f.name]] == list(d[f.name])
    res = analyze_dir(_sweep(tmp_path, text), resamples=50)
    t = pd.read_csv(res["csv"])
    assert set(t.param) == {"tfp_growth", "licence_recognition", "market_access_list"} and t[col].notna().all()
    assert res["png"].stat().st_size > 5000


@pytest.mark.sim
def test_morris_grid_uneven_for_a_categorical_lever_is_noted(tmp_path, capsys):
    text = sampled("morris", 2, morris_levels=4)
    sp = spec_mod.parse(spec_mod.tomllib.loads(text))
    notes = spec_mod.advice(sp)
    assert len(notes) == 1 and "market_access_list" in notes[0] and "morris_levels = 6" in notes[0]
    assert "separate 1, aligned 1, unified 2" in notes[0]
    (tmp_path / "m.toml").write_text(text)
    assert main(["sweep", str(tmp_path / "m.toml"), "--out", str(tmp_path / "o"), "--workers", "0",
                 "--no-progress"]) == 0
    assert "note: morris_levels = 4 shares the 3 levels of market_access_list" in capsys.readouterr().err


@pytest.mark.parametrize("params,field,value,allowed", [
    ({"licence_recognition": {"min": 0, "max": 1}}, "params.licence_recognition", "{'max': 1, 'min': 0}",
     "[true, false]"),
    ({"market_access_list": {"min": 0, "max": 2}}, "params.market_access_list", "'max': 2",
     "from separate, aligned, unified"),
    ({"market_access_list": {"min": "separate", "max": "unified"}}, "params.market_access_list", "'separate'",
     "has no range"),
    ({"licence_recognition": True}, "params.licence_recognition", "True", "[fixed]"),
    ({"market_access_list": "unified"}, "params.market_access_list", "'unified'", "[fixed]"),
    ({"market_access_list": ["separate", "shared"]}, "params.market_access_list", "'shared'",
     "one of separate, aligned, unified"),
    ({"licence_recognition": [True, 2]}, "params.licence_recognition", "2", "true or false"),
    ({"licence_recognition": [True, "yes"]}, "params.licence_recognition", "'yes'", "each value once"),
    ({"market_access_list": ["unified", "unified"]}, "params.market_access_list", "'unified'", "each value once"),
    ({"enclave_tax_share": [True, False]}, "params.enclave_tax_share", "True", "a finite number"),
])
def test_ranges_and_bad_levels_refused_in_one_line(params, field, value, allowed):
    with pytest.raises(ConfigError) as exc:
        spec_mod.parse({"until": 2020, "scale": 50000, "params": params})
    msg = str(exc.value)
    assert f"'sweep: {field}'" in msg and value in msg and allowed in msg and "\n" not in msg


def test_fixed_and_all_levers_take_the_discrete_levers():
    sp = spec_mod.parse({"design": "factorial", "params": {"enclave_tax_share": [0.0, 0.5]},
                         "fixed": {"licence_recognition": "true", "market_access_list": "aligned"}})
    assert sp.fixed == {"licence_recognition": True, "market_access_list": "aligned"}
    assert {json.loads(o)["market_access_list"] for o in plan(sp).overrides} == {"aligned"}
    with pytest.raises(ConfigError, match="fixed.market_access_list.*'shared'.*separate, aligned, unified"):
        spec_mod.parse({"params": {"enclave_tax_share": [0.0]}, "fixed": {"market_access_list": "shared"}})
    sp = spec_mod.parse({"design": "lhs", "samples": 4, "all_levers": True, "params": {"enclave_tax_share": [0.0]}})
    by = {f.name: f for f in sp.factors}
    assert by["licence_recognition"].levels == [False, True]
    assert by["market_access_list"].levels == ["separate", "aligned", "unified"]


@pytest.mark.sim
def test_cli_run_sets_an_on_off_and_a_categorical_lever(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--until", "2019", "--scale", "50000", "--set", "licence_recognition=true",
                 "--set", "market_access_list=unified", "--out", str(out)]) == 0
    info = json.loads((out / "run.json").read_text())
    assert info["config"]["licence_recognition"] is True and info["config"]["market_access_list"] == "unified"
    capsys.readouterr()
    assert main(["run", "--until", "2019", "--scale", "50000", "--set", "market_access_list=shared",
                 "--out", str(tmp_path / "no")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and "market_access_list" in err and "separate, aligned, unified" in err
    assert not (tmp_path / "no").exists()


def test_params_lists_the_choices(capsys):
    assert main(["params", "--levers"]) == 0
    lines = {ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines()}
    assert lines["market_access_list"].split()[1] == "separate"
    assert lines["market_access_list"].endswith("one of separate, aligned, unified")
    assert lines["licence_recognition"].split()[1] == "false" and lines["licence_recognition"].endswith("true or false")
    assert all(p.name in lines for p in PARAMS if p.lever)
