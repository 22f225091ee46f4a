"""The app's parameter ensemble (issue 26): posterior draws x the run's seeds in the tab's workers, the charts'
parameter band apart from the seed band (ui/chartpanel.py, ui/charts.py, by experiments/posterior's rules), the
link's ``draws=`` and the one-line refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import CZTModel
from model.errors import ConfigError
from ui import urlstate
from ui.charts import Line, option
from ui.texts import t


class _Stub:
    """What urlstate.encode reads of a Session."""

    class model:  # noqa: N801
        start_year, steps = 2019, 5

    scenario, seed, scale, n_seeds, n_draws = "baseline", 7, 500, 4, 8
    overrides: dict = {}
    timing: tuple = ()
    pins: dict = {}
    saved: dict = {}


@pytest.mark.smoke
def test_the_link_carries_the_draws_and_refuses_bad_ones_in_one_line():
    q = urlstate.encode(_Stub())
    assert "seeds=4&draws=8&q=2020Q2" in q
    assert urlstate.decode(q)["draws"] == 8 and urlstate.decode(q)["seeds"] == 4
    stub = _Stub()
    stub.n_draws = 0
    assert "draws" not in urlstate.encode(stub)  # the default view: no draws, the link as before
    for bad, text in (("draws=9", "from 0 to 8"), ("draws=x", "ASCII digits"), ("draws=-1", "ASCII digits"),
                      ("draws=8&seeds=8", "up to 32 runs"), ("draws=4&draws=4", "each key once")):
        with pytest.raises(ConfigError, match="draws") as exc:
            urlstate.decode(bad)
        assert "\n" not in str(exc.value) and text in str(exc.value), str(exc.value)


@pytest.mark.smoke
def test_the_two_bands_are_drawn_apart_with_a_legend_entry_each():
    x = np.arange(3.0)
    ln = Line("Changsha", "#c0392b", x, lo=x - 1, hi=x + 1, plo=x - 2, phi=x + 2)
    for lang in ("en", "zh"):
        names = (t(lang, "band_param"), t(lang, "band_seed"))
        opt, meta = option([ln], ["a", "b", "c"], "pct", lang, band_names=names)
        ids = {s["id"]: s for s in opt["series"]}
        assert ids["band-p0"]["name"] == names[0] and ids["band-s0"]["name"] == names[1]
        assert ids["band-p0"]["areaStyle"]["opacity"] > 2 * ids["band-s0"]["areaStyle"]["opacity"]
        assert ids["band-s0"]["lineStyle"]["type"] == "dashed"  # the seed band's edges
        assert ids["band-s0"]["data"] == [2.0, 2.0, 2.0] and ids["band-p0"]["data"] == [4.0, 4.0, 4.0]
        assert [d["name"] for d in opt["legend"]["data"][1:]] == list(names)
        assert meta["band_names"] == list(names) and meta["pbands"]["Changsha"]["lo"] == [-2.0, -1.0, 0.0]
    assert t("en", "band_param") == "parameter band (posterior draws)" and t("en", "band_seed") == "seed band"
    assert t("zh", "band_param") == "参数不确定性区间（后验抽样）" and t("zh", "band_seed") == "随机种子区间"
    opt, meta = option([ln], ["a", "b", "c"], "pct", "en")  # without draws: one band per line, as before
    assert [s["id"] for s in opt["series"]] == ["band-lo-0", "band-0", "line-0"] and "pbands" not in meta


@pytest.mark.sim
@pytest.mark.app
def test_session_runs_draws_x_seeds_each_as_its_own_run():
    from ui.chartpanel import chart_views
    from ui.session import Session, posterior_draws

    s = Session(scale=5000)
    try:
        assert s.n_draws == 0 and s.pens is None and s.param_frames() is None  # off by default
        with pytest.raises(ConfigError, match="'draws'.*from 0"):
            s.set_draws(9)
        s.set_seeds(16)
        with pytest.raises(ConfigError, match="'draws'.*up to 32 runs"):
            s.set_draws(4)  # 4 draws x 16 seeds: refused before anything starts
        assert s.n_draws == 0 and s.pens is None
        s.set_seeds(2)
        s.set_draws(2)
        assert [(m.draw, m.seed) for m in s.pens.members] == [(0, 7), (0, 8), (1, 7), (1, 8)]
        s.set_draws(8)
        with pytest.raises(ConfigError, match="'seeds'.*up to 32 runs"):
            s.set_seeds(16)  # 8 draws x 16 seeds: refused, the ensembles kept
        assert s.n_seeds == 2 and s.n_draws == 8
        s.set_draws(2)
        assert [(m.draw, m.seed) for m in s.pens.members] == [(0, 7), (0, 8), (1, 7), (1, 8)]
        s.step(2)
        s.sync_ensembles(300)
        frames, d, k = s.param_frames()
        assert (d, k, len(frames)) == (2, 2, 4)
        direct = CZTModel("baseline", seed=8, overrides={**posterior_draws(2)[1], "scale": 5000})
        direct.step()
        direct.step()
        pd.testing.assert_frame_equal(frames[3].reset_index(drop=True),
                                      direct.cities_frame()[frames[3].columns].reset_index(drop=True))
        assert posterior_draws(1)[0] == posterior_draws(2)[0]  # the first draws of a longer stream
        views, note, msg = chart_views(s, "en", "levels", "off")
        assert msg is None and "parameter band" in note and views[0]["meta"]["band_names"] == [
            "parameter band (posterior draws)", "seed band"]
        assert views[0]["title"].endswith("median of 2 draws x 2 seeds")
        assert "draws=2" in urlstate.encode(s)
        s.pin("A")  # pinned runs keep their own view with the draws on (the draws are the unpinned view's)
        s.sync_ensembles(300)
        views, _, msg = chart_views(s, "en", "levels", "overlay")
        assert msg is None and views[0]["title"].endswith("A and B (colour = run)"), views[0]["title"]
        s.set_draws(0)
        assert s.pens is None and "band_names" not in chart_views(s, "en", "levels", "off")[0][0]["meta"]
    finally:
        s.close()
