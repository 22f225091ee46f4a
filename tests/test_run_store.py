"""The test suite's own machinery: a run read from the session's run store is the run a test would simulate
itself, and a test that simulates without the ``sim`` mark (or reads a run it did not declare) fails.

The first is what lets one simulation serve every test of a configuration: a run to 2022 must be, table for
table and byte for byte, the first years of the same configuration's run to a later year. The second is what
makes CI's second pass (only the ``sim`` tests, on numpy's baseline code path) complete by construction.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from runstore import needs, planned_until, result, spec

SHORT, LONG = spec("baseline", seed=1, until=2022), spec("baseline", seed=1, until=2024)


@pytest.mark.sim
@pytest.mark.smoke
@needs(SHORT, LONG)
def test_a_shorter_run_is_the_prefix_of_a_longer_one():
    from model import CZTModel

    assert planned_until(SHORT.config) >= LONG.until > SHORT.until  # the store ran further than this test reads
    stored = result(SHORT)
    m = CZTModel("baseline", seed=1, overrides={"scale": SHORT.config.scale})
    m.run_until(SHORT.until)
    pd.testing.assert_frame_equal(stored.cities, m.cities_frame(), check_exact=True)
    pd.testing.assert_frame_equal(stored.flows, m.flows_frame(), check_exact=True)
    pd.testing.assert_frame_equal(stored.annual, m.annual_frame(), check_exact=True)
    assert stored.annual.year.max() == SHORT.until and stored.cities.step.max() == m.steps
    assert json.dumps(stored.summary().to_dict(), sort_keys=True) == json.dumps(m.summary().to_dict(), sort_keys=True)  # NaN too
    longer = result(LONG)
    assert len(longer.cities) > len(stored.cities) and longer.annual.year.max() == LONG.until


INNER = '''
import subprocess
import sys

import pytest

from model import CZTModel
from runstore import frames, spec

COARSE = {"scale": 20000}


def test_builds_here_unmarked():
    CZTModel("baseline", seed=1, overrides=COARSE)


def test_builds_in_a_subprocess_unmarked():
    code = "from model import CZTModel; CZTModel('baseline', seed=1, overrides={'scale': 20000})"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def built():
    return CZTModel("baseline", seed=2, overrides=COARSE)


def test_first_user_of_a_fixture_that_builds_unmarked(built):
    assert built.seed == 2


def test_later_user_of_a_fixture_that_builds_unmarked(built):
    assert built.seed == 2


@pytest.mark.sim
def test_builds_marked(built):
    CZTModel("baseline", seed=1, overrides=COARSE)


def test_simulates_nothing():
    assert sum(range(4)) == 6


@pytest.mark.sim
def test_reads_an_undeclared_run():
    frames(spec(seed=1, until=2019, scale=20000))
'''


@pytest.mark.smoke
@pytest.mark.cli
def test_simulating_without_the_sim_mark_fails(tmp_path):
    """A session of made-up tests with this suite's conftest: each test that builds a model here, in a process
    it starts, or through a fixture, fails unless marked sim; so does a read of an undeclared run."""
    tests = tmp_path / "tests"
    shutil.copytree(ROOT / "tests" / "probe", tests / "probe")
    for name in ("conftest.py", "runstore.py", "browser_app.py"):
        shutil.copy(ROOT / "tests" / name, tests / name)
    shutil.copy(ROOT / "pytest.ini", tmp_path / "pytest.ini")
    (tests / "test_inner.py").write_text(INNER, encoding="utf-8")
    report = tmp_path / "report.xml"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                        "tests/test_inner.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert report.exists(), r.stdout[-3000:] + r.stderr[-3000:]
    outcome = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failure = case.find("failure")
        outcome[case.get("name")] = "passed" if failure is None else failure.get("message", "")
    assert outcome.pop("test_builds_marked") == "passed"
    assert outcome.pop("test_simulates_nothing") == "passed"
    assert "not declared" in outcome.pop("test_reads_an_undeclared_run")
    expected = {"test_builds_here_unmarked": "1 CZTModel built in pytest's process",
                "test_builds_in_a_subprocess_unmarked": "1 CZTModel built in 1 other process",
                "test_first_user_of_a_fixture_that_builds_unmarked": "fixture 'built'",
                "test_later_user_of_a_fixture_that_builds_unmarked": "fixture 'built'"}
    assert set(outcome) == set(expected), outcome
    for name, words in expected.items():
        assert "is not marked sim" in outcome[name] and words in outcome[name], (name, outcome[name])
