"""Named saved runs (ui/session.py): any number kept in the tab, compared together on the charts (each minus the
reference), carried by the link with their names, and checked like every other input."""

from __future__ import annotations

import numpy as np
import pytest

from model.errors import ConfigError

pytestmark = pytest.mark.sim

SCALE = 2000
LEVER = "commute_minutes_cs_xt"


def test_saved_runs_compare_link_and_errors():
    from ui import urlstate
    from ui.chartpanel import chart_views
    from ui.session import MAX_SAVED, Session

    s, t = Session(seed=5, scale=SCALE), Session(scale=SCALE)
    try:
        s.save_run("Baseline")
        s.set_levers({LEVER: 15.0})
        s.save_run("快线 15 分钟")
        s.set_levers({LEVER: 30.0})  # the run shown is a third run, compared too
        s.step(8)
        s.sync_ensembles()
        assert list(s.saved) == ["Baseline", "快线 15 分钟"] and s.reference == "Baseline"
        names = [name for name, *_ in s.compared()]
        assert names == ["Baseline", "快线 15 分钟", ""]
        views, _, message = chart_views(s, "en", "levels", "runs_diff")
        assert message is None
        gdp = next(v for v in views if v["id"] == "chart-gdp-share")
        legend = gdp["option"]["legend"]["data"]
        assert len(legend) == 2 * 3 and all("− Baseline" in n for n in legend)  # two runs minus the reference
        lines = [x for x in gdp["option"]["series"] if x["id"].startswith("line-")]
        assert all(x["data"][0] == 0 for x in lines)  # the same start state: no difference at "2019 start"
        assert any(np.nanmax(np.abs(np.array(x["data"], dtype=float))) > 0 for x in lines)
        s.set_reference("快线 15 分钟")
        views, _, _ = chart_views(s, "en", "levels", "runs_diff")
        assert next(v for v in views if v["id"] == "chart-gdp-share")["option"]["legend"]["data"][0].endswith(
            "Baseline − 快线 15 分钟")

        query = urlstate.encode(s)
        assert query.count("run=") == 2
        urlstate.apply(t, urlstate.decode(query))
        assert list(t.saved) == list(s.saved)
        assert [e.spec for e in t.saved.values()] == [e.spec for e in s.saved.values()]

        for bad in ("", "x" * 41, "a<b"):
            with pytest.raises(ConfigError, match="name"):
                s.save_run(bad)
        for k in range(MAX_SAVED - 2):
            s.save_run(f"R{k}")
        with pytest.raises(ConfigError, match="saved runs"):
            s.save_run("one too many")
        s.remove_run("Baseline")
        assert "Baseline" not in s.saved and s.reference == "快线 15 分钟"
    finally:
        s.close()
        t.close()


def test_a_seed_the_app_accepts_makes_a_link_it_accepts():
    """Issue 27 saw seed 4294967295 accepted and the link it wrote refused: the app's bound is the link's."""
    from ui import urlstate
    from ui.session import SEED_MAX, Session

    s = Session(scale=SCALE)
    try:
        with pytest.raises(ConfigError, match="seed"):
            s.configure(seed=2**32 - 1)
        assert s.seed != 2**32 - 1  # the old run stays
        s.configure(seed=SEED_MAX)
        assert urlstate.decode(urlstate.encode(s))["seed"] == SEED_MAX
    finally:
        s.close()
