"""``python -m experiments spillover --posterior N``: the causal verdict read over parameter draws as well as seed
pairs (experiments/spillover.py, the rules of model/spillover.py), its one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from experiments import cli
from model import spillover as sp


@pytest.mark.smoke
def test_the_posterior_call_reads_the_spread_over_draws():
    m = sp.MIN_ELASTICITY
    assert sp.posterior_call(np.linspace(-0.9, -0.3, 20))["call"] == "siphon"
    assert sp.posterior_call(np.linspace(0.1, 0.4, 20))["call"] == "spillover"
    assert sp.posterior_call(np.linspace(-m / 2, m / 2, 20))["call"] == "neutral"
    split = sp.posterior_call(np.r_[np.full(10, -0.5), np.full(10, 0.5)])  # the record allows both answers
    assert split["call"] == "undetermined" and split["p_siphon"] == split["p_spillover"] == 0.5
    edge = sp.posterior_call(np.r_[np.full(18, -0.5), np.full(2, 0.0)])  # 10 % of draws give no effect
    assert edge["call"] == "undetermined" and edge["p_siphon"] == 0.9 and edge["p_spillover"] == 0.0
    assert sp.posterior_call(np.array([-0.5]))["call"] == "undetermined"  # one draw: no interval


@pytest.mark.smoke
@pytest.mark.parametrize("args, flag, allowed", [
    (("--posterior-from", "docs/record-fit"), "--posterior-from", "only with --posterior"),
    (("--posterior", "1"), "--posterior", "from 2 to"),
    (("--posterior", "2", "--seeds", "0"), "--seeds", "from 1 to"),
    (("--posterior", "2", "--posterior-from", "{tmp}"), "--posterior-from", "accepted.parquet"),
    (("--posterior", "2", "--set", "labour_elasticity=0.5"), "--set labour_elasticity", "does not draw"),
    (("--posterior", "2", "--set", "in_migration_elasticity=1"), "--set in_migration_elasticity", "does not draw"),
    (("--seeds", "1"), "--seeds", "from 2 to"),  # without draws the interval is over seed pairs
])
def test_bad_posterior_values_are_one_line_before_any_run(tmp_path, capsys, args, flag, allowed):
    out = tmp_path / "sp"
    argv = ["spillover", *(a.replace("{tmp}", str(tmp_path)) for a in args), "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"'{flag}'" in err and allowed in err, err
    assert not out.exists()


@pytest.mark.sim
@pytest.mark.cli
def test_the_verdict_over_draws_is_built_from_each_draws_pairs(tmp_path):
    out = tmp_path / "sp"
    r = run_cli("spillover", "--posterior", "2", "--seeds", "1", "--channels", "--scale", "2000", "--until", "2020",
                "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "P(siphon)" in r.stdout and "turns most on" in r.stdout
    info = json.loads((out / "spillover.json").read_text())
    p = info["posterior"]
    assert p["calibration"] == "docs/record-fit" and p["draws"] == 2 and len(p["points"]) == 2
    assert "labour_elasticity" in p["drawn"] and "in_migration_elasticity" in p["drawn"]
    assert "tfp_growth" not in p["drawn"]
    per = pd.read_csv(out / "elasticity_by_draw.csv")
    assert len(per) == 4 and (per.in_migration_elasticity == 1.5).all()  # the pinned value travels with each draw
    assert per.groupby("draw").labour_elasticity.nunique().eq(1).all() and per.labour_elasticity.nunique() == 2

    # each draw's elasticity is that draw's own open pair (the runs are sliced back to their draw and channel)
    resp = pd.read_csv(out / "responses.csv")
    opened = resp[resp.config == "open"].set_index(["draw", "city"]).elasticity
    mine = per.set_index(["draw", "city"]).elasticity
    assert np.allclose(mine.sort_index(), opened.loc[mine.index].sort_index())
    for city in ("zhuzhou", "xiangtan"):
        assert per[per.city == city].elasticity.nunique() == 2  # different parameters, different answers

    verdict = pd.read_csv(out / "verdict.csv").set_index("city")
    for city, v in verdict.iterrows():
        e = per[per.city == city].elasticity.to_numpy()
        assert v.elasticity == pytest.approx(np.median(e), rel=1e-5) and v.low <= v.elasticity <= v.high
        assert v.p_siphon == pytest.approx(np.mean(e < -sp.MIN_ELASTICITY))
        assert v.call in ("siphon", "spillover", "neutral", "undetermined") and v.draws == 2

    chans = pd.read_csv(out / "channels.csv")
    assert set(chans.channel) == set(sp.CHANNELS) and len(chans) == 2 * len(sp.CHANNELS)
    closed = resp[resp.config == "no_commuting"].set_index(["draw", "city"]).elasticity
    for city in ("zhuzhou", "xiangtan"):
        d = [opened[(k, city)] - closed[(k, city)] for k in range(2)]
        row = chans[(chans.channel == "commuting") & (chans.city == city)].iloc[0]
        assert row.contribution == pytest.approx(np.median(d), rel=1e-5, abs=1e-9) and row.low <= row.high
    drivers = pd.read_csv(out / "drivers.csv")
    assert set(drivers.param) <= set(p["drawn"]) and drivers.spearman.abs().le(1 + 1e-9).all()
