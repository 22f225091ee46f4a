"""The parameter bands in a real browser (issue 26): turn on posterior draws, see the parameter band and the seed
band with their legend names in English and 中文, and rebuild the view from its link in a fresh tab.

The server and browser fixtures are tests/browser_app.py's. Screenshots at 1600 x 1000:
runs/ui-screenshots/i26-parameter-bands(-zh).png (copied to docs/screenshots/).
"""

from __future__ import annotations

import pytest

from browser_page import SHOT_DIR, VISIBLE_TEXT_JS, english_words, wait_ready, watched_page

pytestmark = [pytest.mark.e2e, pytest.mark.sim]

pytest.importorskip("playwright.sync_api")  # skipped without Playwright, as when test_ui_e2e was imported

EN = "parameter band (posterior draws)|seed band"
ZH = "参数不确定性区间（后验抽样）|随机种子区间"


def _wait_bands(page, names: str, timeout: float = 240.0) -> None:
    page.wait_for_function(f"() => {{ const c = document.querySelector('#chart-gdp-share');"
                           f" return c && c.dataset.bandNames === {names!r} && +c.dataset.points > 2; }}",
                           timeout=timeout * 1000)


def _shoot(page, name: str) -> None:
    page.locator("#chart-gdp-share").scroll_into_view_if_needed()
    page.evaluate("() => window.scrollBy(0, -160)")  # the charts' note above them
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT_DIR / name))


def test_parameter_bands_apart_from_seed_bands_in_both_languages_and_the_link(server, browser):
    url, _ = server
    problems: list[str] = []
    page = watched_page(browser, problems, height=1000)
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(url + "?scale=5000&seeds=4&q=2021Q1")
    page.wait_for_selector("#czt-map", timeout=90_000)
    page.wait_for_selector(".job-progress", state="detached", timeout=90_000)  # the link's rebuild is done
    assert page.get_attribute("#chart-gdp-share", "data-band-names") == ""  # the default view: no draws
    page.locator(".param-draws button", has_text="4").click()
    _wait_bands(page, EN)
    wait_ready(page)
    assert page.get_attribute("#chart-gdp-share", "data-bands") == "6"  # each city's parameter and seed band
    assert "median of 4 draws x 4 seeds" in page.inner_text("#chart-gdp-share")
    note = page.inner_text(".charts-note")
    assert "parameter band (posterior draws)" in note and "seed band" in note
    assert "draws=4" in page.url and "seeds=4" in page.url
    page.locator(".chart-view button", has_text="Change since the start").click()  # the bands around zero
    page.wait_for_timeout(2500)  # the new option drawn (the canvas holds no text to wait for)
    _shoot(page, "i26-parameter-bands.png")
    link = page.url

    page.click(".btn-lang")
    _wait_bands(page, ZH)
    note = page.inner_text(".charts-note")
    assert "参数不确定性区间（后验抽样）" in note and "随机种子区间" in note
    texts = page.evaluate(VISIBLE_TEXT_JS)
    mine = [x for x in texts if "后验" in x or "种子" in x or "参数" in x]
    assert mine and not english_words(mine), english_words(mine)
    _shoot(page, "i26-parameter-bands-zh.png")

    other = watched_page(browser, problems, height=1000)  # the link rebuilds the same view in a fresh tab
    other.goto(link)
    other.wait_for_selector("#czt-map", timeout=90_000)
    _wait_bands(other, EN)
    assert other.locator(".param-draws .v-btn--active").inner_text().strip() == "4"
    assert "2021 Q1" in other.inner_text(".now-text")
    assert not problems, problems
    other.close()
    page.close()
    bad = watched_page(browser, problems, height=1000)
    bad.goto(url + "?draws=8&seeds=8")  # 64 runs: the one-line banner, the default run kept
    bad.wait_for_selector(".app-error", timeout=60_000)
    err = bad.inner_text(".app-error")
    assert "draws" in err and "up to 32 runs" in err and "\n" not in err.strip()
    bad.close()
