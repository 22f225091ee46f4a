"""The app as a research instrument, in a real browser (Solara server + headless Debian chromium): ensembles with
bands and the per-year verdict strip, pinned runs overlaid and differenced, the state in the URL, the export
bundle, and a walk over every visible text of the 中文 page that fails on English words.

The server and browser fixtures are tests/browser_app.py's, shared with tests/test_ui_e2e.py (as start.sh serves).
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from browser_page import (SHOT_DIR, VISIBLE_TEXT_JS, english_words, lever_to_minimum, now_text, wait_now, wait_ready,
                          watched_page)

pytestmark = [pytest.mark.e2e, pytest.mark.sim]

pytest.importorskip("playwright.sync_api")  # skipped without Playwright, as when test_ui_e2e was imported


def test_zh_page_shows_no_english(server, browser):
    """Every visible text of the Chinese page, with an ensemble, a pinned run and each inspector open."""
    url, _ = server
    problems: list[str] = []
    page = watched_page(browser, problems)
    page.goto(url + "?lang=zh&seeds=4&q=2020Q1&map=gdp_share")  # the map filled by an indicator, its legend
    page.wait_for_selector("#czt-map", timeout=90_000)
    page.wait_for_function("() => /2020年第1季度/.test(document.querySelector('.now-text').innerText)",
                           timeout=90_000)
    page.wait_for_selector(".job-progress", state="detached", timeout=60_000)  # the link's rebuild is done
    page.click(".btn-pin-a")
    page.wait_for_selector(".pin-view", timeout=60_000)
    wait_ready(page)
    page.wait_for_selector("#verdict-zhuzhou", timeout=30_000)
    page.wait_for_selector("#fill-legend .fill-class", timeout=30_000)
    page.locator("#czt-map circle.city[data-city=zhuzhou]").click()  # the map's panel of a city's figures
    page.wait_for_selector("#map-inspect-table", timeout=30_000)
    texts: list[str] = []
    for kind in range(4):  # city, park, firm, worker
        page.locator(".inspect-toggle button").nth(kind).click()
        if kind == 3:
            page.click(".btn-sample-worker")
            page.wait_for_selector("#worker-moves", timeout=30_000)
        page.wait_for_timeout(500)
        texts += page.evaluate(VISIBLE_TEXT_JS)
    for view in (1, 2):  # A and B overlaid, A - B
        page.locator(".pin-view button").nth(view).click()
        page.wait_for_timeout(800)
        texts += page.evaluate(VISIBLE_TEXT_JS)
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT_DIR / "app-zh-walk.png"), full_page=True)
    # a scenario with a policy timeline (its notes) and a year in the middle of it, in a second tab
    tab = watched_page(browser, problems)
    tab.goto(url + "?scenario=as-happened&lang=zh&q=2022Q1")
    tab.wait_for_selector("#czt-map", timeout=90_000)
    tab.wait_for_function("() => /2022年第1季度/.test(document.querySelector('.now-text').innerText)",
                          timeout=90_000)
    tab.wait_for_selector("#policy-timeline .tl-entry[data-in-force=true]", timeout=30_000)
    texts += tab.evaluate(VISIBLE_TEXT_JS)
    tab.close()
    assert len(texts) > 200  # the walk saw the page
    bad = english_words(texts)
    assert not bad, "English on the 中文 page:\n" + "\n".join(sorted(set(bad)))
    assert not problems, "\n".join(problems)
    page.close()


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _parent(pid: str) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return None


def _spawned_workers(url: str) -> set[str]:
    """Processes started by multiprocessing's spawn (the app's ensemble workers) under this session's app server
    (found by its port): other test sessions on the machine (CI runs two passes at once) start their own."""
    port = url.rstrip("/").rsplit(":", 1)[1]
    pids = [d.name for d in Path("/proc").iterdir() if d.name.isdigit()]
    servers = {p for p in pids if "solara" in (c := _cmdline(p)) and " run " in c and f"--port {port}" in c}
    assert servers, f"no app server on port {port}"

    def under_server(pid: str) -> bool:
        for _ in range(64):
            pid = _parent(pid)
            if pid is None or pid in ("0", "1"):
                return False
            if pid in servers:
                return True
        return False

    return {p for p in pids if "multiprocessing.spawn" in (c := _cmdline(p)) and "spawn_main" in c and under_server(p)}


def test_ensemble_bands_and_verdict_strip(server, browser):
    """Four seeds: the charts get bands around a median, the strip one cell per complete year and city whose
    shares of seeds sum to one; leaving the page stops the tab's worker processes."""
    url, _ = server
    problems: list[str] = []
    before = _spawned_workers(url)
    page = watched_page(browser, problems)
    page.goto(url)
    page.wait_for_selector("#czt-map", timeout=90_000)
    page.locator(".ensemble-size button", has_text="4").click()
    page.wait_for_selector("#chart-gdp-share >> text=median of 4 seeds", timeout=60_000)
    for target in ("2020 Q1", "2021 Q1"):
        page.click(".btn-year")
        wait_now(page, target, timeout=60)
    wait_ready(page)
    page.wait_for_function("() => document.querySelectorAll('#verdict-strip-run .strip-cell').length === 4",
                           timeout=60_000)
    assert page.get_attribute("#chart-gdp-share", "data-bands") == "3"  # one band per city
    cells = page.evaluate("""() => [...document.querySelectorAll('#verdict-strip-run .strip-cell')].map(
        c => [c.dataset.year, +c.dataset.siphon + +c.dataset.neutral + +c.dataset.spillover])""")
    assert sorted(c[0] for c in cells) == ["2019", "2019", "2020", "2020"]
    assert "share of 4 seeds" in page.text_content("#verdict-strip-run")  # one seed's strip says "(one seed)" instead
    assert all(abs(c[1] - 1) < 1e-3 for c in cells)
    assert page.locator(".charts-note >> text=percentile").count() == 1  # the note says what the band is
    # the cards say which seed they show, and how many of the 4 seeds give each verdict for the same years
    assert "Seed 7: the run shown and inspected, one of 4 seeds" in page.inner_text("#verdict-panel")
    page.wait_for_function("() => document.querySelectorAll('.verdict-over-seeds').length === 2", timeout=60_000)
    counts = page.evaluate("""() => [...document.querySelectorAll('.verdict-over-seeds')].map(
        e => [...e.querySelectorAll('[data-count]')].reduce((a, c) => a + +c.dataset.count, 0))""")
    assert counts == [4, 4]
    page.screenshot(path=str(SHOT_DIR / "app-ensemble.png"), full_page=True)
    # this tab's workers: the processes new since it opened (an earlier tab's may still be ending then)
    mine = _spawned_workers(url) - before
    assert len(mine) == 2, mine
    page.goto("about:blank")  # the tab's page unloads: the app stops its workers
    deadline = time.time() + 30
    while _spawned_workers(url) & mine and time.time() < deadline:
        time.sleep(0.5)
    assert not _spawned_workers(url) & mine
    problems[:] = [p for p in problems if "/_solara/api/close/" not in p]  # the unload's beacon, cut short
    assert not problems, "\n".join(problems)
    page.close()


def test_pins_url_and_export_bundle(server, browser):
    """Pin A, change a lever, pin B: the charts show A and B and A - B; the URL carries both pins and the quarter,
    and opening it in a new tab rebuilds the same view; the export bundle holds the data, the configuration and
    the twin."""
    url, _ = server
    problems: list[str] = []
    page = watched_page(browser, problems)
    page.goto(url)
    page.wait_for_selector("#czt-map", timeout=90_000)
    page.click(".btn-year")
    wait_now(page, "2020 Q1")
    page.click(".btn-pin-a")
    page.wait_for_selector(".pin-view", timeout=60_000)
    lever_to_minimum(page, "commute_minutes_cs_xt")
    page.wait_for_selector(".lever-commute_minutes_cs_xt >> text=[changed]", timeout=60_000)
    page.click(".btn-pin-b")
    page.wait_for_selector(".pin-b-text >> text=commute", timeout=60_000)
    page.locator(".pin-view button").nth(1).click()
    page.wait_for_selector("#chart-gdp-share >> text=A and B (colour = run)", timeout=60_000)
    page.locator(".pin-view button").nth(2).click()
    page.wait_for_selector("#chart-gdp-share >> text=B minus A (policy minus baseline)", timeout=60_000)
    wait_ready(page)
    page.wait_for_function("() => /pinB=/.test(location.search) && /view=diff/.test(location.search)",
                           timeout=30_000)
    q = parse_qs(urlparse(page.url).query)
    assert q["q"] == ["2020Q1"] and "commute_minutes_cs_xt" in q["lv"][0]
    assert json.loads(q["pinB"][0])["levers"] and not json.loads(q["pinA"][0])["levers"]
    page.screenshot(path=str(SHOT_DIR / "app-pins-diff.png"), full_page=True)

    other = watched_page(browser, problems)
    other.goto(page.url)
    other.wait_for_selector("#czt-map", timeout=90_000)
    other.wait_for_selector("#chart-gdp-share >> text=B minus A (policy minus baseline)", timeout=120_000)
    assert now_text(other).split("·")[:2] == now_text(page).split("·")[:2]
    assert other.inner_text(".pin-a-text") == page.inner_text(".pin-a-text")
    assert other.inner_text(".pin-b-text") == page.inner_text(".pin-b-text")
    assert "[changed]" in other.inner_text(".lever-commute_minutes_cs_xt .lever-line")
    other.close()

    with page.expect_download(timeout=120_000) as dl:
        page.click(".btn-bundle")
    assert dl.value.suggested_filename.endswith(".zip")
    z = zipfile.ZipFile(io.BytesIO(open(dl.value.path(), "rb").read()))
    names = set(z.namelist())
    assert {"run/run.json", "run/annual.parquet", "twin/run.json", "config.json"} <= names
    cfg = json.loads(z.read("config.json"))
    assert cfg["run"]["levers"] == {"commute_minutes_cs_xt": pytest.approx(cfg["run"]["levers"]["commute_minutes_cs_xt"])}
    assert cfg["platform"]["id"] and cfg["code_version"]
    assert not problems, "\n".join(problems)
    page.close()
