"""End-to-end tests of a responsive app (issue 27), in headless chromium against the session's Solara server
(tests/browser_app.py): Play shows every quarter it passes at least once a second of wall time, clicks made while
the app is busy are queued and honoured in order, and a rebuild shows its progress with the time left.
"""

from __future__ import annotations

import os
import re
import time

import pytest

from browser_page import SHOT_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.sim]

pytest.importorskip("playwright.sync_api")

# every change of the status line, with the browser's clock (a MutationObserver misses none, unlike polling)
WATCH_JS = """() => { window.__seen = []; const t0 = performance.now();
  const rec = () => { const el = document.querySelector('.now-text'); if (!el) return; const v = el.innerText;
    const l = window.__seen; if (!l.length || l[l.length - 1][1] !== v) l.push([performance.now() - t0, v]); };
  rec(); new MutationObserver(rec).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _simulated(text: str) -> int:
    return int(re.search(r"simulated (\d+) quarter", text).group(1))


def _open(browser, server):
    url, _ = server
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(url)
    page.wait_for_selector(".now-text", timeout=120_000)
    page.wait_for_function("() => /simulated 0 quarters/.test(document.querySelector('.now-text').innerText)")
    return page


def _wait_simulated(page, n: int, timeout: float = 180.0) -> None:
    """Wait until the page says ``n`` quarters are simulated; on timeout, fail with what it says instead (a
    dropped click shows as fewer quarters; a slow machine as the queue still running) and the machine's load."""
    import os

    try:
        page.wait_for_function(f"() => /simulated {n} quarters/.test(document.querySelector('.now-text').innerText)",
                               timeout=timeout * 1000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError; re-raised as an assertion with the page's state
        now = page.locator(".now-text").inner_text()
        busy = page.locator(".job-progress").all_inner_texts()
        raise AssertionError(f"waited {timeout:g} s for {n} simulated quarters; the page says {now!r}, "
                             f"queue {busy!r}; load {os.getloadavg()[0]:.1f}") from None


def test_play_shows_every_quarter_at_least_once_a_second(browser, server):
    page = _open(browser, server)
    try:
        # the issue saw the freezes after one to four simulated years; the tab's first quarters also pay one-off
        # costs (first decisions, compiled kernels' first calls), so Play is watched from the second year on
        page.click(".btn-year")
        _wait_simulated(page, 4)
        page.evaluate(WATCH_JS)
        page.click(".btn-play")
        time.sleep(8)  # long enough to pass two year ends, where the verdicts and the strip are redrawn
        if page.locator(".btn-pause").count():
            page.click(".btn-pause")
        seen = page.evaluate("() => window.__seen")
        page.screenshot(path=str(SHOT_DIR / "play-steady.png"))
    finally:
        page.close()
    quarters = [_simulated(v) for _, v in seen]
    assert quarters[-1] >= 8, f"Play reached only {quarters[-1]} quarters in 8 s"
    # the page shows every quarter it passes, in order ...
    assert quarters == list(range(quarters[0], quarters[-1] + 1)), quarters
    # ... and the shown quarter advances at least once a second of wall time (the issue saw 10-28 s freezes)
    start = next(i for i, q in enumerate(quarters) if q > 4) - 1
    gaps = [(b[0] - a[0]) / 1000 for a, b in zip(seen[start:], seen[start + 1:])]
    assert max(gaps) <= 1.0, (f"longest wait between shown quarters {max(gaps):.2f} s (load average "
                              f"{os.getloadavg()[0]:.1f}): {gaps}")


def test_clicks_while_rebuilding_are_queued_and_honoured(browser, server):
    page = _open(browser, server)
    try:
        for _ in range(3):
            page.click(".btn-year")
        _wait_simulated(page, 12)
        page.wait_for_selector(".job-progress", state="detached", timeout=60_000)
        idle_box = page.locator(".btn-year").bounding_box()
        # a finer scale rebuilds the run to the same quarter (a few seconds); clicks meanwhile wait their turn
        scale = page.get_by_role("textbox", name=re.compile("^Scale"))
        scale.fill("200")
        scale.press("Enter")
        page.wait_for_selector(".job-running", timeout=30_000)
        # the job's progress appears without moving the buttons: a click aimed at one lands on it
        assert page.locator(".btn-year").bounding_box() == idle_box
        page.click(".btn-step")
        page.click(".btn-year")
        page.click(".btn-step")
        queued = page.locator(".job-queued")
        queued.wait_for(timeout=10_000)
        assert "Stepping" in queued.inner_text()
        # the rebuild's progress, with the time left once the first quarters have set the pace
        page.wait_for_function("() => { const e = document.querySelector('.job-running');"
                               " return e && /quarter \\d+ of 12/.test(e.innerText) && /left/.test(e.innerText); }",
                               timeout=60_000)
        page.screenshot(path=str(SHOT_DIR / "busy-queue.png"))
        _wait_simulated(page, 12 + 1 + 4 + 1)  # every click honoured, in order
        page.wait_for_selector(".job-progress", state="detached", timeout=60_000)
        assert page.get_by_role("textbox", name=re.compile("^Scale")).input_value() == "200"
    finally:
        page.close()


def test_reset_right_after_choosing_seeds_is_honoured(browser, server):
    page = _open(browser, server)
    try:
        page.click(".btn-year")
        _wait_simulated(page, 4)
        page.click(".ensemble-size >> text=4")
        page.click(".btn-reset")  # at once: the issue saw this click dropped
        _wait_simulated(page, 0, timeout=120)
        page.wait_for_selector(".job-progress", state="detached", timeout=120_000)
        assert "Seeds: 4." in page.inner_text("body")
        assert "simulated 0 quarters" in page.inner_text(".now-text")
    finally:
        page.close()


def test_a_number_typed_while_the_app_redraws_is_kept(browser, server):
    """Play redraws the page every quarter; a scale typed meanwhile (and committed with Enter a few redraws later)
    must be the scale the run is rebuilt at, not reset to the old value by a redraw (the typed text lost)."""
    page = _open(browser, server)
    try:
        page.click(".btn-play")
        _wait_simulated(page, 2)
        scale = page.get_by_role("textbox", name=re.compile("^Scale"))
        scale.fill("400")
        before = _simulated(page.inner_text(".now-text"))
        page.wait_for_function(f"() => !/simulated {before} quarters/.test(document.querySelector('.now-text')"
                               ".innerText)", timeout=30_000)  # at least one redraw while the text sits typed
        time.sleep(1.0)
        assert scale.input_value() == "400", "a redraw replaced the typed scale"
        scale.press("Enter")
        page.click(".btn-pause")
        # the link holds the run's settings once the rebuild is done
        page.wait_for_function("() => /[?&]scale=400/.test(window.location.search)", timeout=120_000)
        assert scale.input_value() == "400"
    finally:
        page.close()


def test_closing_the_tab_stops_its_background_seeds(browser, server):
    """A tab running 4 seeds has worker processes; when the browser closes it (pagehide), they end within seconds,
    not at the server's cull an hour later."""
    import psutil

    me = psutil.Process()
    solara_server = next(p for p in me.children() if "solara" in " ".join(p.cmdline()))

    def workers() -> set[int]:
        """The server's worker processes, without multiprocessing's own helpers (its resource tracker and fork
        server serve every tab and stay)."""
        out = set()
        for p in solara_server.children(recursive=True):
            try:
                if p.status() != psutil.STATUS_ZOMBIE and not any(h in " ".join(p.cmdline())
                                                                  for h in ("resource_tracker", "forkserver")):
                    out.add(p.pid)
            except psutil.NoSuchProcess:
                pass
        return out

    before = workers()
    page = _open(browser, server)
    page.click(".ensemble-size >> text=4")
    page.wait_for_function("() => /Seeds: 4\\./.test(document.body.innerText)", timeout=60_000)
    page.click(".btn-year")
    _wait_simulated(page, 4)
    deadline = time.time() + 60
    while not (workers() - before):
        assert time.time() < deadline, "the 4 seeds started no worker process"
        time.sleep(0.2)
    tab_workers = workers() - before
    page.close(run_before_unload=True)
    deadline = time.time() + 20
    while workers() & tab_workers:
        assert time.time() < deadline, f"worker processes {sorted(workers() & tab_workers)} outlived the tab"
        time.sleep(0.2)
