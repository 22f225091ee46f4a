"""The end-to-end tests' app and browser (a pytest plugin, loaded by tests/conftest.py): one Solara server on
127.0.0.1, served as start.sh serves it, and one headless Debian chromium (scripts/setup.d/20-browser.sh installs
it), each started once per session and shared by the tests/test_ui_e2e*.py modules (their page helpers:
tests/browser_page.py); every test opens its own tabs. At the end the server's log must show no CDN fallback
("Could not load URL": a front-end asset missing locally) and no traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """(the app's URL, the server's log file)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: run scripts/setup.d/20-browser.sh as root"
    port = _free_port()
    log = tmp_path_factory.mktemp("solara") / "server.log"
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_CHECK_HOOKS": "off",
           "SOLARA_THEME_SHOW_BANNER": "false", "SOLARA_THEME_TITLE": "CZT-Sim"}  # as start.sh serves it
    with log.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "solara", "run", str(ROOT / "ui" / "app.py"), "--host",
                                 "127.0.0.1", "--port", str(port), "--production", "--no-open"],
                                cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail("solara server exited:\n" + log.read_text())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("solara server did not start in 90 s:\n" + log.read_text())
        yield f"http://127.0.0.1:{port}/", log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert "Could not load URL" not in text, text  # Solara fell back to a CDN: an asset is missing locally
    assert "Traceback" not in text, text


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
