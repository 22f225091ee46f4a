"""End-to-end tests of the charts and the policy timing (issue 27), in headless chromium against the session's
Solara server (tests/browser_app.py): hover values with units, the "change since the start" view in percentage
points, PNG and CSV per chart, and a lever set from a chosen quarter shown in the list, on the charts and in the link.
"""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest

from browser_page import SHOT_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.sim]

pytest.importorskip("playwright.sync_api")


def _open(browser, server):
    url, _ = server
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page.goto(url)
    page.wait_for_selector("#chart-gdp-share canvas", timeout=120_000)
    page.wait_for_function("() => /simulated 0 quarters/.test(document.querySelector('.now-text').innerText)")
    return page


def _wait_points(page, n: int, chart: str = "chart-gdp-share") -> None:
    try:
        page.wait_for_function(f"() => document.querySelector('#{chart}').getAttribute('data-points') === '{n}'",
                               timeout=60_000)
    except Exception as exc:  # say where the page is: a lost click and a slow page look alike otherwise
        raise AssertionError(f"{chart} has {page.get_attribute('#' + chart, 'data-points')} points, not {n}; "
                             f"{page.inner_text('.now-text')}; {page.locator('.job-progress').all_inner_texts()}"
                             ) from exc


def _hover(page, chart: str, fx: float = 0.7) -> str:
    el = page.locator(f"#{chart} .czt-echart-canvas")
    el.scroll_into_view_if_needed()
    box = el.bounding_box()
    page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * 0.5)
    tip = page.locator(".czt-tip").filter(has_text=re.compile("Changsha"))
    tip.first.wait_for(timeout=10_000)
    return tip.first.inner_text()


def test_charts_hover_change_view_and_per_chart_export(browser, server):
    page = _open(browser, server)
    try:
        page.click(".btn-year")
        page.click(".btn-year")
        _wait_points(page, 9)
        tip = _hover(page, "chart-gdp-share")
        assert re.search(r"Changsha: [\d.]+ %", tip), tip  # the value with its unit
        assert re.search(r"20(19|20) Q\d", tip), tip  # and the quarter it belongs to
        page.screenshot(path=str(SHOT_DIR / "chart-hover.png"))

        with page.expect_download(timeout=30_000) as dl:
            page.click("#chart-gdp-share .czt-echart-csv")
        rows = list(csv.reader(Path(dl.value.path()).read_text(encoding="utf-8-sig").splitlines()))
        assert rows[0] == ["Quarter", "Changsha (%)", "Zhuzhou (%)", "Xiangtan (%)"]
        assert len(rows) == 1 + 9 and rows[1][0] == "2019 start" and rows[-1][0] == "2020 Q4"
        assert abs(sum(float(x) for x in rows[-1][1:]) - 100) < 0.01  # shares of the cluster
        with page.expect_download(timeout=30_000) as dl:
            page.click("#chart-gdp-share .czt-echart-png")
        assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        # "change since the start": every line starts at 0, shares in percentage points
        before = page.get_attribute("#chart-gdp-share", "data-hash")
        page.click(".chart-view >> text=Change since the start")
        page.wait_for_function("(b) => document.querySelector('#chart-gdp-share').getAttribute('data-hash') !== b",
                               arg=before, timeout=30_000)
        tip = _hover(page, "chart-gdp-share", fx=0.9)
        assert re.search(r"Changsha: -?[\d.]+ pp", tip), tip
        first = page.evaluate("() => document.querySelector('#chart-gdp-share').__czt_chart.getOption().series"
                              ".filter(s => String(s.id).startsWith('line-')).map(s => s.data[0])")
        assert first == [0, 0, 0]
        page.screenshot(path=str(SHOT_DIR / "chart-change-view.png"))
    finally:
        page.close()


def test_lever_from_a_quarter_is_listed_marked_and_linked(browser, server):
    page = _open(browser, server)
    try:
        for _ in range(3):
            page.click(".btn-year")
        _wait_points(page, 13, "chart-commuters")  # each chart redraws on its own: read this one once it has
        before = page.get_attribute("#chart-commuters", "data-hash")
        thumb = page.locator(".lever-commute_minutes_cs_xt [role=slider]")
        thumb.scroll_into_view_if_needed()
        thumb.focus()
        thumb.press("Home")
        page.click(".lever-from .v-select__slot")
        page.click(".menuable__content__active .v-list-item >> text=2020 Q3")
        page.click(".apply-levers")
        line = page.locator(".timing-line")
        line.wait_for(timeout=60_000)
        assert "from 2020 Q3" in line.inner_text()
        page.wait_for_selector(".job-progress", state="detached", timeout=60_000)
        page.wait_for_function("(b) => document.querySelector('#chart-commuters').getAttribute('data-hash') !== b",
                               arg=before, timeout=60_000)
        assert "simulated 12 quarters" in page.inner_text(".now-text")  # re-run to the same quarter
        marks = page.evaluate("() => document.querySelector('#chart-commuters').__czt_chart.getOption().series"
                              ".flatMap(s => (s.markLine && s.markLine.data) || []).map(d => d.xAxis)"
                              ".filter(x => x !== undefined)")
        assert marks == ["2020 Q3"]
        deadline = time.time() + 30
        while "tm=commute_minutes_cs_xt" not in page.url and time.time() < deadline:
            time.sleep(0.2)
        assert re.search(r"tm=commute_minutes_cs_xt:[\d.]+@2020Q3", page.url), page.url
        page.locator("#chart-commuters").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOT_DIR / "lever-from-quarter.png"))
        page.click(".timing-remove-commute_minutes_cs_xt")
        page.locator(".timing-line").wait_for(state="detached", timeout=60_000)
        page.wait_for_function("(b) => document.querySelector('#chart-commuters').getAttribute('data-hash') === b",
                               arg=before, timeout=60_000)  # the same run as before the change
    finally:
        page.close()


def test_named_saved_runs_are_listed_compared_and_linked(browser, server):
    page = _open(browser, server)
    try:
        page.click(".btn-year")
        _wait_points(page, 5)
        page.click(".btn-save-run")  # the default name
        page.locator(".saved-run").first.wait_for(timeout=60_000)
        assert page.locator(".saved-run-text").first.inner_text().startswith("★ Run 1:")
        thumb = page.locator(".lever-commute_minutes_cs_xt [role=slider]")
        thumb.scroll_into_view_if_needed()
        thumb.focus()
        thumb.press("Home")
        page.click(".apply-levers")
        page.wait_for_selector(".lever-commute_minutes_cs_xt >> text=[changed]", timeout=60_000)
        name = page.get_by_role("textbox", name="Name")
        name.fill("Fast rail")
        page.click(".btn-save-run")
        page.wait_for_function("() => document.querySelectorAll('.saved-run').length === 2", timeout=60_000)
        page.click(".saved-view >> text=each − reference")
        page.wait_for_selector("#chart-gdp-share >> text=each run minus the reference", timeout=120_000)
        page.wait_for_function("() => /Fast rail − Run 1/.test("
                               "document.querySelector('#chart-gdp-share').getAttribute('data-series'))",
                               timeout=60_000)
        deadline = time.time() + 30
        while page.url.count("run=") < 2 and time.time() < deadline:
            time.sleep(0.2)
        assert "Fast%20rail" in page.url or "Fast+rail" in page.url, page.url
        page.locator(".saved-run").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOT_DIR / "saved-runs.png"))
        url = page.url
    finally:
        page.close()
    # the link opens both runs, under their names, in a new tab
    other = browser.new_page(viewport={"width": 1600, "height": 1000})
    try:
        other.goto(url)
        other.wait_for_function("() => document.querySelectorAll('.saved-run').length === 2", timeout=120_000)
        texts = other.locator(".saved-run-text").all_inner_texts()
        assert texts[0].startswith("★ Run 1:") and texts[1].startswith("Fast rail:")
    finally:
        other.close()
