"""The app's research parts without a browser: ensembles in worker processes, pinned runs, the URL state and the
export bundle (ui/ensemble.py, ui/session.py, ui/urlstate.py, ui/bundle.py).

The app's scale 500 keeps these fast; the model's own statistics are tested elsewhere at TEST_SCALE.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from model import CZTModel
from model.errors import ConfigError
from model.measures import verdict_by_year
from model.summary import summarize
from runstore import needs, result, spec
from ui import urlstate
from ui.ensemble import Ensemble, RunSpec, tab_pool
from ui.session import Session

pytestmark = pytest.mark.app

SCALE = 500


@pytest.fixture(scope="module")
def pool():
    p = tab_pool(workers=2)
    yield p
    p.close()


@pytest.mark.sim
def test_ensemble_members_are_the_runs_of_their_seeds(pool):
    """Each member, whichever worker steps it, is the very run a single model with its seed and levers gives, and
    advancing in several calls changes nothing."""
    spec = RunSpec.make("enclave", {"enclave_tax_share": 0.3}, SCALE, [3, 4, 5])
    e = Ensemble(pool, spec)
    e.advance_to(3)
    e.advance_to(8)
    assert e.steps == 8
    for seed, frame in zip(spec.seeds, e.frames()):
        m = CZTModel("enclave", seed=seed, overrides={"enclave_tax_share": 0.3, "scale": SCALE})
        for _ in range(8):
            m.step()
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), m.cities_frame().reset_index(drop=True))
        member = e.members[spec.seeds.index(seed)]
        pd.testing.assert_frame_equal(member.annual.reset_index(drop=True), m.annual_frame().reset_index(drop=True))
    e.drop()


@pytest.mark.sim
@needs(*(spec("talent", seed=seed, until=2023, scale=SCALE) for seed in (1, 2)))
def test_verdict_by_year_is_the_summary_verdict_of_each_year():
    """The strip's per-year verdict is what the summary says for a run that ended that year, over seeds."""
    for seed in (1, 2):
        r = result(spec("talent", seed=seed, until=2023, scale=SCALE))
        a, f = r.annual, r.flows
        by_year = verdict_by_year(a, f)
        assert sorted(by_year) == sorted(a.year.unique())
        for y, v in by_year.items():
            assert summarize(a[a.year <= y], f[f.year <= y], r.start_year).verdict == v


@pytest.mark.sim
def test_session_ensemble_strip_and_pins():
    """Strip shares are counts of the seeds' verdicts; a run pinned as A and compared with itself differs by zero
    with a zero band; pinning a changed lever gives a different run."""
    from ui.chartpanel import diff_lines
    from ui.charts import CHARTS

    s = Session(seed=11, scale=SCALE)
    try:
        s.set_seeds(3)
        s.step(8)
        s.sync_ensembles()
        frames = s.current_frames()
        assert len(frames) == 3 and all(len(f) == len(frames[0]) for f in frames)
        strip = s.verdict_strip()
        per_seed = [verdict_by_year(s.model.annual_frame(), s.model.flows_frame())] + [
            m.verdicts for m in s.ens.members]
        for city, years in strip.items():
            for y, shares in years.items():
                assert sum(shares.values()) == pytest.approx(1)
                for k, share in shares.items():
                    assert share == pytest.approx(sum(v[y][city] == k for v in per_seed) / 3)
        s.pin("A")
        s.sync_ensembles()
        (spec_a, fa), (spec_b, fb) = s.pair()
        assert spec_a == spec_b == s.spec() and s.pair_same_seeds()
        for chart in CHARTS:  # B minus A, seed by seed: zero, with a zero band
            for ln in diff_lines(chart, fb, fa, len(fa[0]) // 3, "en", "levels", 1.0, paired=True):
                assert np.nanmax(np.abs(ln.values)) == 0 and np.nanmax(np.abs(ln.hi - ln.lo)) == 0
        s.set_levers({"commute_minutes_cs_xt": 15.0})
        s.pin("B")
        s.step(4)
        s.sync_ensembles()
        (spec_a, fa), (spec_b, fb) = s.pair()
        assert spec_b.levers == {"commute_minutes_cs_xt": 15.0} and len(fa[0]) == len(fb[0]) == 3 * 13
        assert not fa[0]["commuters_out_10k"].equals(fb[0]["commuters_out_10k"])
    finally:
        s.close()


@pytest.mark.sim
def test_url_round_trip_rebuilds_the_view():
    """encode -> decode -> apply on a fresh session gives the same scenario, seed, levers, seeds, pins and quarter."""
    s = Session(scenario="enclave", seed=5, scale=SCALE)
    t = Session(scale=SCALE)
    try:
        s.set_levers({"talent_recognition": 0.5, "hukou_portability": 1.0})
        s.set_seeds(2)
        s.step(6)
        s.pin("A", RunSpec.make("baseline", {}, SCALE, [1, 2]))
        query = urlstate.encode(s, view="diff", lang="zh")
        state = urlstate.decode(query)
        assert state["view"] == "diff" and state["lang"] == "zh" and (state["year"], state["quarter"]) == (2020, 3)
        urlstate.apply(t, state)
        assert (t.scenario, t.seed, t.scale, t.n_seeds, t.steps) == ("enclave", 5, SCALE, 2, 6)
        assert t.overrides == s.overrides and t.pins["A"].spec == s.pins["A"].spec
        assert urlstate.encode(t, view="diff", lang="zh") == query
        pd.testing.assert_frame_equal(t.cities(), s.cities())
    finally:
        s.close()
        t.close()


@pytest.mark.parametrize("query, field", [
    ("scenario=nowhere", "scenario"), ("seed=abc", "seed"), ("scale=5", "scale"), ("seeds=99", "seeds"),
    ("q=2024Q5", "q"), ("lv=not_a_lever:1", "not_a_lever"), ("lv=talent_recognition:7", "talent_recognition"),
    ("lv=licence_recognition:maybe", "licence_recognition"), ("pinA={bad", "pinA"),
    ('pinB={"scenario":"baseline","scale":500,"seeds":[1,1]}', "seeds"), ("view=sideways", "view"),
    ("colour=red", "colour"),
])
def test_bad_links_give_one_line_naming_the_field(query, field):
    with pytest.raises(ConfigError) as exc:
        urlstate.decode(query)
    msg = str(exc.value)
    assert f"'{field}'" in msg and "allowed" in msg and "\n" not in msg


@pytest.mark.sim
def test_a_quarter_out_of_range_keeps_the_run():
    s = Session(seed=2, scale=SCALE)
    try:
        s.step(2)
        with pytest.raises(ConfigError, match="'q'"):
            urlstate.apply(s, urlstate.decode("scenario=enclave&q=2050Q1"))
        assert (s.scenario, s.steps) == ("baseline", 2)
    finally:
        s.close()


@pytest.mark.sim
def test_bundle_holds_config_twin_and_a_sweep_the_report_reads(tmp_path, monkeypatch):
    """The bundle's configuration names the levers and seeds; its twin is the baseline run of the same seed; its
    sweep folder holds the app's runs (same annual rows as the app's run), taken from the runs the tab holds (the
    run shown here, the other seed from the worker that keeps it; only the other seed's twin is simulated), the
    same results as running its sweep file again; python -m experiments report reads it."""
    from experiments.report.build import build as build_report
    from experiments.sweep.runner import run as run_sweep
    from ui import bundle

    s = Session(seed=9, scale=SCALE)
    try:
        s.set_levers({"commute_minutes_cs_xt": 15.0})
        s.set_seeds(2)
        s.step(9)
        s.sync_ensembles()  # seed 10 is held by a worker
        z = zipfile.ZipFile(io.BytesIO(bundle.build(s)))
        z.extractall(tmp_path)
        cfg = json.loads(z.read("config.json"))
        assert cfg["run"] == {"scenario": "baseline", "levers": {"commute_minutes_cs_xt": 15.0}, "scale": SCALE,
                              "seeds": [9, 10]}
        assert cfg["quarters_simulated"] == 9 and cfg["last_complete_year"] == 2020 and cfg["code_version"]
        twin = CZTModel("baseline", seed=9, overrides={"scale": SCALE})
        for _ in range(9):
            twin.step()
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "twin" / "cities.parquet"), twin.cities_frame())
        runs = pd.read_parquet(tmp_path / "sweep" / "runs.parquet")
        runs["scenario"] = runs.scenario.map(lambda n: n.rsplit("/", 1)[-1].removesuffix(".toml"))  # the file's path
        assert sorted(zip(runs.scenario, runs.seed)) == [("app-run", 9), ("app-run", 10), ("baseline", 9),
                                                         ("baseline", 10)]
        cities = pd.read_parquet(tmp_path / "sweep" / "cities.parquet")
        rid = runs[(runs.scenario == "app-run") & (runs.seed == 9)].run_id.iloc[0]
        mine = cities[cities.run_id == rid].sort_values(["year", "city"]).gdp_100m_yuan.to_numpy()
        app = pd.read_parquet(tmp_path / "run" / "annual.parquet")
        app = app[app.year <= 2020].sort_values(["year", "city"]).gdp_100m_yuan.to_numpy()
        np.testing.assert_array_equal(mine, app)
        held = runs.set_index(["scenario", "seed"]).init_seconds  # None: read from a held run, not simulated
        assert held[("app-run", 9)] != held[("app-run", 9)] and held[("app-run", 10)] != held[("app-run", 10)]
        assert held[("baseline", 9)] != held[("baseline", 9)] and held[("baseline", 10)] > 0
        monkeypatch.chdir(tmp_path / "sweep")  # as README.txt says: its sweep file is run from inside sweep/
        again = run_sweep(tmp_path / "again", spec_path="sweep.toml", workers=0, progress=False,
                          stream=io.StringIO())  # the sweep file of the bundle, run afresh
        assert again["ok"] == 4
        fresh = pd.read_parquet(tmp_path / "again" / "runs.parquet").set_index("run_id").sort_index()
        kept = pd.read_parquet(tmp_path / "sweep" / "runs.parquet").set_index("run_id").sort_index()
        from experiments.sweep.metrics import METRICS, VERDICTS

        assert list(fresh.index) == list(kept.index)  # the same runs (ids hash configuration, seed and code)
        pd.testing.assert_frame_equal(fresh[list(METRICS + VERDICTS)], kept[list(METRICS + VERDICTS)], check_exact=True)
        order = ["run_id", "year", "city"]
        a, b = (pd.read_parquet(tmp_path / d / "cities.parquet").sort_values(order).reset_index(drop=True)
                for d in ("again", "sweep"))
        pd.testing.assert_frame_equal(a.drop(columns="scenario"), b.drop(columns="scenario"), check_exact=True)
        assert (a.scenario.str.rsplit("/", n=1).str[-1] == b.scenario.str.rsplit("/", n=1).str[-1]).all()  # paths differ
        build_report(tmp_path / "sweep", tmp_path / "report")
        assert (tmp_path / "report" / "report.md").exists()
    finally:
        s.close()


@pytest.mark.sim
def test_a_bundle_of_runs_held_in_this_process_starts_no_worker(tmp_path):
    """One seed, compared with the baseline: the run and its twin are both held by the tab, so the bundle's sweep
    holds both, read from them, and no worker process is started for it."""
    from ui import bundle

    s = Session(seed=3, scale=SCALE)
    try:
        s.set_compare(True)
        s.set_levers({"commute_minutes_cs_xt": 15.0})
        s.step(5)
        z = zipfile.ZipFile(io.BytesIO(bundle.build(s)))
        z.extractall(tmp_path)
        runs = pd.read_parquet(tmp_path / "sweep" / "runs.parquet")
        assert (runs.status == "ok").all() and len(runs) == 2 and runs.init_seconds.isna().all()
        assert not s.pool.started
    finally:
        s.close()


def _gone(pid: int) -> bool:
    """The process has died (a zombie until its parent reaps it, or reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.sim
def test_a_dead_worker_fails_the_ensemble_and_the_pool_recovers():
    """A worker that dies mid-run: the ensemble reports the failure (no gap, no answer read out of step), the pool
    replaces that worker (the other keeps its process), and a new ensemble on it gives its seeds' runs again. After
    close, nothing restarts."""
    import os
    import signal
    import time

    pool = tab_pool(workers=2)
    try:
        spec = RunSpec.make("baseline", {}, SCALE, [21, 22])
        e = Ensemble(pool, spec)
        e.advance_to(2)
        gen, pids = pool.generation, pool.pids()
        os.kill(pids[1], signal.SIGKILL)
        deadline = time.time() + 30
        while not _gone(pids[1]) and time.time() < deadline:
            time.sleep(0.01)
        with pytest.raises(RuntimeError, match="worker"):
            e.advance_to(4)
        assert e.error and pool.generation == gen + 1
        assert pool.pids()[0] == pids[0] and pool.pids()[1] != pids[1]  # the dead one replaced, the other kept
        e.advance_to(6)  # a failed ensemble is not retried
        assert e.steps == 2
        again = Ensemble(pool, spec)
        again.advance_to(3)
        m = CZTModel("baseline", seed=22, overrides={"scale": SCALE})
        for _ in range(3):
            m.step()
        pd.testing.assert_frame_equal(again.frames()[1].reset_index(drop=True), m.cities_frame().reset_index(drop=True))
    finally:
        pool.close()
    with pytest.raises(RuntimeError, match="stopped"):
        Ensemble(pool, spec).advance_to(1)
    assert not pool.started


@pytest.mark.sim
def test_pins_from_other_start_years_are_not_compared_and_float_levers_survive_links():
    s = Session(seed=4, scale=SCALE)
    try:
        s.pin("A", RunSpec.make("hindcast-2010", {}, SCALE, [4]))
        assert s.pair() is None and not s.pins_comparable
        s.unpin("A")
        s.set_levers({"enclave_tax_share": 0.123456789})
        state = urlstate.decode(urlstate.encode(s))
        assert state["levers"] == {"enclave_tax_share": 0.123456789}
    finally:
        s.close()
