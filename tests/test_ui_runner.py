"""The tab's runner (ui/runner.py), without a model or a page: clicks queue jobs that run once each in click order,
a failing job is reported and the next still runs, Play steps until the run ends and waits for the page to draw
each quarter, a failing page does not end the thread, and a job's progress gives a time left."""

from __future__ import annotations

import threading
import time

import pytest

from ui.runner import Runner

pytestmark = pytest.mark.app


def _wait(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_jobs_run_once_in_click_order_and_errors_do_not_stop_the_queue():
    done, errors = [], []
    gate = threading.Event()
    r = Runner(step=lambda: False, error=lambda exc: errors.append(exc))
    try:
        r.submit("rebuild", lambda p: (gate.wait(5), done.append("rebuild")))
        for k in range(3):  # clicked while the rebuild runs: queued, not dropped
            r.submit("step", lambda p, k=k: done.append(f"step{k}"))
        r.submit("levers", lambda p: 1 / 0)
        r.submit("step", lambda p: done.append("after the error"))
        _wait(lambda: r.current is not None)
        st = r.status()
        assert st["running"]["what"] == "rebuild" and [w for w, _ in st["queued"]] == ["step"] * 3 + ["levers", "step"]
        gate.set()
        _wait(lambda: not r.busy)
        assert done == ["rebuild", "step0", "step1", "step2", "after the error"]
        assert [type(e).__name__ for e in errors if e is not None] == ["ZeroDivisionError"]
        assert r.done_jobs == 6
    finally:
        r.close()


def test_play_waits_for_the_page_and_stops_at_the_end():
    steps = []
    r = Runner(step=lambda: (steps.append(1), len(steps) < 5)[1])
    shown = []

    def page_draws():  # the page: draws the signalled results a little later, then says so
        n = r.signalled
        threading.Timer(0.05, lambda: (shown.append(n), r.mark_shown(n))).start()

    r.signal = page_draws
    try:
        r.play()
        _wait(lambda: not r.playing)
        assert len(steps) == 5  # the step that returned False ended Play
        _wait(lambda: len(shown) >= 5)
        assert shown[:5] == [1, 2, 3, 4, 5]  # every quarter was signalled, one after the other
    finally:
        r.close()


def test_a_failing_page_does_not_end_the_runner():
    done = []

    def broken():
        raise RuntimeError("the page went away")

    r = Runner(step=lambda: False, signal=broken, progress_signal=broken)
    try:
        r.submit("step", lambda p: done.append(1))
        r.submit("step", lambda p: done.append(2))
        _wait(lambda: done == [1, 2] and not r.busy)
        assert r.page_failures > 0 and r._thread.is_alive()
    finally:
        r.close()


def test_progress_gives_the_time_left():
    gate = threading.Event()
    r = Runner(step=lambda: False)
    try:
        def job(progress):
            for i in range(1, 5):
                time.sleep(0.05)
                progress(i, 8)
            gate.wait(5)

        r.submit("rebuild", job)
        _wait(lambda: (r.status()["running"] or {}).get("done") == 4)
        cur = r.status()["running"]
        assert cur["total"] == 8 and cur["left"] is not None
        assert 0.1 < cur["left"] < 2.0  # about four more units at about 0.05 s each (with slack for a loaded machine)
        gate.set()
        _wait(lambda: not r.busy)
    finally:
        r.close()
