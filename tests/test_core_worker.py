"""Worker inspection: ``model.worker(wid)`` returns the worker's attributes and a history that lists its moves.

Checked against the move log and the arrays: every residence move of a mover appears in its history with
the right step, calendar quarter, origin and destination; successive moves chain (each starts where the
previous one ended); the current residence is where the last move ended; in-migrants' histories start with
their arrival from outside; dead workers are reported dead with their death (or departure) as last entry.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TEST_SCALE
from model.identity import REGIONS

pytestmark = pytest.mark.sim

LOCATION_KINDS = ("residence", "in_migration", "birth")


@pytest.fixture(scope="module")
def model():
    from model import CZTModel

    # talent recognition and a low moving cost: many moves, so that histories with several moves exist
    # (at the calibrated moving cost few workers move twice in three years)
    m = CZTModel("talent", seed=5, overrides={"scale": TEST_SCALE, "moving_cost": 0.05})
    m.run_until(2021)
    return m


def _movers(m, kind_code: int) -> np.ndarray:
    log = m.workers.move_log()
    return np.unique(log[log[:, 2] == kind_code, 1])


def test_history_lists_every_residence_move(model):
    from agents.worker import MOVE_RESIDENCE

    m = model
    log = m.workers.move_log()
    movers = _movers(m, MOVE_RESIDENCE)
    assert len(movers) > 20, "too few residence moves to test the history"
    W = m.workers
    alive_movers = [w for w in movers if (r := W.row_of(int(w))) is not None and W.alive[r]]
    # several moves for some workers, so the chaining is exercised
    multi = [w for w in alive_movers if (log[(log[:, 1] == w) & (log[:, 2] == MOVE_RESIDENCE)].shape[0] >= 2)]
    assert multi, "no living worker moved twice"
    for wid in (alive_movers[:25] + multi[:10]):
        v = m.worker(int(wid))
        assert v.wid == wid and v.alive
        mine = log[(log[:, 1] == wid) & (log[:, 2] == MOVE_RESIDENCE)]
        hist = [h for h in v.history if h["kind"] == "residence"]
        assert len(hist) == len(mine), f"worker {wid}: {len(mine)} logged moves, {len(hist)} in its history"
        for h, row in zip(hist, mine):
            step = int(row[0])
            assert h["step"] == step
            assert (h["year"], h["quarter"]) == (2019 + (step - 1) // 4, (step - 1) % 4 + 1)
            assert h["from"] == m.cities[row[3]] and h["to"] == m.cities[row[4]]
            assert h["from"] != h["to"]
        loc = [h for h in v.history if h["kind"] in LOCATION_KINDS]
        for a, b in zip(loc[:-1], loc[1:]):
            assert b["from"] == a["to"], f"worker {wid}: move {b} does not start where {a} ended"
            assert b["step"] >= a["step"]
        assert v.residence == loc[-1]["to"], f"worker {wid} lives in {v.residence}, history ends in {loc[-1]['to']}"
        assert v.residence == m.cities[W.residence[W.row_of(int(wid))]]


def test_non_movers_have_no_residence_history(model):
    m = model
    log = m.workers.move_log()
    W = m.workers
    logged = set(np.unique(log[:, 1]).tolist())
    rows = np.flatnonzero(W.alive & (W.wid < 1000))
    quiet = [int(W.wid[r]) for r in rows if int(W.wid[r]) not in logged][:10]
    assert quiet
    for wid in quiet:
        v = m.worker(wid)
        assert v.history == []
        assert v.residence == m.cities[W.residence[W.row_of(wid)]]


def test_in_migrant_history_starts_outside(model):
    from agents.worker import MOVE_IN

    m = model
    for wid in _movers(m, MOVE_IN)[:10]:
        v = m.worker(int(wid))
        assert v.history[0]["kind"] == "in_migration"
        assert v.history[0]["from"] in REGIONS and v.history[0]["to"] in m.cities
        if v.alive:
            assert v.hukou in REGIONS + m.cities


def test_worker_attributes_match_arrays(model):
    m = model
    W = m.workers
    rows = np.flatnonzero(W.alive & (W.employer >= 0))[:30]
    for r in rows:
        v = m.worker(int(W.wid[r]))
        emp = int(W.employer[r])
        assert v.employer == emp
        assert v.job_city == m.cities[m.firms.city[emp]]
        assert v.skill == ("ordinary", "talent")[W.skill[r]]
        # the city's market wage for the skill times the employer's wage premium
        assert v.wage_yuan == pytest.approx(m.wages[m.firms.city[emp], W.skill[r]] * m.firms.wage_premium[emp])
    un = np.flatnonzero(W.alive & (W.employer < 0))[:5]
    for r in un:
        v = m.worker(int(W.wid[r]))
        assert v.employer is None and v.job_city is None and v.wage_yuan is None


def test_dead_workers_are_reported_dead(model):
    from agents.worker import DIED, MOVE_OUT

    m = model
    log = m.workers.move_log()
    gone = log[np.isin(log[:, 2], (DIED, MOVE_OUT))]
    assert len(gone) > 0
    for wid, kind in gone[:15, 1:3]:
        v = m.worker(int(wid))
        assert not v.alive
        assert v.history[-1]["kind"] == ("death" if kind == DIED else "out_migration")
        if kind == MOVE_OUT:
            assert v.history[-1]["to"] == "outside"


def test_unknown_worker_id_is_a_config_error(model):
    from model import ConfigError

    with pytest.raises(ConfigError):
        model.worker(model.workers.next_wid + 10)
    with pytest.raises(ConfigError):
        model.worker(-5)


def test_sample_worker_does_not_disturb_the_simulation():
    """Inspecting workers uses model.random, not the simulation's rng: results are unchanged."""
    from model import CZTModel

    a = CZTModel("baseline", seed=9, overrides={"scale": 2000})
    b = CZTModel("baseline", seed=9, overrides={"scale": 2000})
    for _ in range(3):
        a.step()
        b.step()
        for _ in range(5):
            v = b.sample_worker("talent")
            assert v.skill == "talent" and v.alive
    a.step()
    b.step()
    assert a.cities_frame().equals(b.cities_frame())
