"""Hostile links in a real browser: each crafted query opens the app with the one-line banner naming the key, no
traceback and no server path on the page, and one line in the server log per link (ui/urlstate.py, ui/app.py).
The server and browser are tests/browser_app.py's, shared by the session."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.sim]

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("playwright.sync_api")

PIN_HUGE = '{"scenario":"baseline","scale":' + "9" * 5000 + ',"seeds":[1]}'
HOSTILE = [  # (query, the key the banner must name)
    ("seed=%D9%A3", "seed"),  # an Arabic-Indic digit three
    ("seed=3&seed=4", "seed"),
    ("pinA=" + "[" * 2000 + "]" * 2000, "pinA"),  # deeper than Python's recursion limit
    ("pinA=" + PIN_HUGE, "pinA"),  # more digits than int() reads
    ('pinB={"scenario":"baseline","scale":500,"seeds":[1],"colour":"red"}', "pinB.colour"),
]


def test_hostile_links_show_the_banner_not_a_traceback(server, browser):
    url, log = server
    seen_before = log.read_text().count("link refused:")
    for query, key in HOSTILE:
        problems: list[str] = []
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        try:
            page.goto(f"{url}?{query}")
            page.wait_for_selector(".app-error", timeout=90_000)
            banner = page.inner_text(".app-error")
            assert "This link cannot be opened" in banner and f"'{key}'" in banner, banner
            assert len(banner.strip().splitlines()) == 1, banner
            body = page.inner_text("body")
            assert "Traceback" not in body and str(ROOT) not in body and "site-packages" not in body
            assert page.locator("#czt-map").count() == 1  # the default view is there under the banner
            assert not problems, problems
        finally:
            page.close()
    text = log.read_text()
    assert text.count("link refused:") - seen_before == len(HOSTILE), text[-3000:]
    assert "Traceback" not in text and "Orphan widgets" not in text, text[-3000:]


def test_a_link_with_a_size_the_buttons_do_not_offer_keeps_it_after_other_clicks(server, browser):
    """seeds=2 is a valid link (1 to 16 seeds) though the buttons offer 1, 4, 8 and 16: the tab runs 2 seeds, shows
    a button for 2, and keeps 2 after another control is used (a toggle whose value was none of its buttons picked
    one by itself and the tab fell back to 1 seed)."""
    url, _ = server
    page = browser.new_page(viewport={"width": 1500, "height": 1800})
    try:
        page.goto(f"{url}?seeds=2")
        page.wait_for_selector("#czt-map", timeout=90_000)
        page.wait_for_selector(".ensemble-size button:has-text('2')", timeout=60_000)
        page.click(".btn-year")  # another control
        page.wait_for_function("() => /2020 Q1/.test(document.querySelector('.now-text').innerText)", timeout=60_000)
        page.wait_for_timeout(1500)  # a render or two after the click
        assert "seeds=2" in page.url, page.url
        active = page.locator(".ensemble-size .v-btn--active").inner_text().strip()
        assert active == "2", active
    finally:
        page.close()
