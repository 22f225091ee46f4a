"""The test session: shared helpers, the run store's plan, and the check that every test which simulates is marked
``sim``.

Tiers (markers, pytest.ini): ``smoke`` is the quick tier; ``sim`` marks every test whose outcome may depend on
numpy's SIMD code path (it simulates the model), the only tests CI runs a second time on numpy's baseline code path
(.ci/run). That selection is enforced here, not promised: every CZTModel built while a test (or a fixture it uses)
runs — in pytest's process or in any process it starts, through the probe in tests/probe — and every read of the
run store is counted, and a test that simulated without the ``sim`` mark fails.

Runs that tests only read (their tables) come from the session's run store (tests/runstore.py): a test declares
them with ``runstore.needs(...)`` and the store simulates each configuration once, in two warm worker processes.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import runstore
from runstore import TEST_SCALE  # noqa: F401  (the tests' scale, imported from here by the test modules)

pytest_plugins = ["browser_app"]  # the end-to-end tests' server and browser, one each per session

ROOT = Path(__file__).resolve().parent.parent
PROBE_DIR = Path(__file__).resolve().parent / "probe"


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m experiments <args>`` in a fresh interpreter, from the repository root."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=ROOT, capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def script_module(name: str):
    """A script of scripts/ (e.g. "pace") imported as a module, for tests of its functions."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def make_read_only(path: Path) -> bool:
    """Make ``path`` (recursively) unwritable even for root (chattr +i), or with chmod otherwise."""
    if os.geteuid() != 0:
        for p in [path, *path.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)
    elif shutil.which("chattr") is None or subprocess.run(["chattr", "-R", "+i", str(path)],
                                                          capture_output=True).returncode != 0:
        return False
    try:
        (path / ".probe").write_text("x")
    except OSError:
        return True
    (path / ".probe").unlink()
    return False


def make_writable(path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-R", "-i", str(path)], capture_output=True)
    for p in [path, *path.rglob("*")] if path.exists() else []:
        p.chmod(p.stat().st_mode | 0o200)


# ---------------------------------------------------------------- the simulation probe
class Probe:
    """Counts what simulates: models built (lines in the probe file, from any process) and run-store reads."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="czt-sim-probe-"))
        self.file = self.dir / "models"
        self.file.touch()
        self.saved = {k: os.environ.get(k) for k in ("CZT_SIM_PROBE", "PYTHONPATH")}
        os.environ["CZT_SIM_PROBE"] = str(self.file)
        os.environ["PYTHONPATH"] = os.pathsep.join([str(PROBE_DIR), *filter(None, [self.saved["PYTHONPATH"]])])
        # this process loaded before PYTHONPATH was set: watch its CZTModel directly, with the same code
        spec = importlib.util.spec_from_file_location("czt_sim_probe", PROBE_DIR / "sitecustomize.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        try:
            from model.czt_model import CZTModel
        except Exception:  # noqa: BLE001  a model that cannot be imported builds nothing; its tests report why
            pass
        else:
            module.watch(CZTModel)
        self.fixtures: dict[str, list[tuple[str, str]]] = {}  # fixture name -> [(its baseid, what it did)]

    def mark(self) -> tuple[int, int]:
        return self.file.stat().st_size, runstore.reads()

    def since(self, start: tuple[int, int]) -> str:
        """What simulated since ``start`` (a ``mark()``), in words; '' if nothing did."""
        with self.file.open("rb") as f:
            f.seek(start[0])
            pids = [line.split()[0] for line in f.read().decode().splitlines()]
        own = sum(p == str(os.getpid()) for p in pids)
        parts = []
        if own:
            parts.append(f"{own} CZTModel built in pytest's process")
        if len(pids) > own:
            parts.append(f"{len(pids) - own} CZTModel built in {len(set(pids)) - bool(own)} other process(es)")
        if runstore.reads() > start[1]:
            parts.append(f"{runstore.reads() - start[1]} run-store read(s)")
        return ", ".join(parts)

    def close(self) -> None:
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(self.dir, ignore_errors=True)


PROBE: list[Probe] = []


def pytest_configure(config: pytest.Config) -> None:
    PROBE.append(Probe())


def pytest_unconfigure(config: pytest.Config) -> None:
    runstore.shutdown()
    while PROBE:
        PROBE.pop().close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Compile the model's kernels, then start the run store on every run the selected tests declare,
    earliest-needed first."""
    if session.config.option.collectonly:
        return
    if any(item.get_closest_marker("sim") for item in session.items):
        try:
            compile_kernels()
        except Exception:  # noqa: BLE001  a model that cannot run fails its own tests, with their names
            pass
    runstore.plan(s for item in session.items for s in runstore.declared(item.iter_markers("runs")))


def compile_kernels() -> None:
    """One coarse quarter, so that numba compiles every kernel once into its on-disk cache (about 15 s in a fresh
    clone, under a second once cached) before the store's workers and the tests' processes start: each of them
    would otherwise compile the same kernels at the same time."""
    from model import CZTModel

    CZTModel("baseline", seed=0, overrides={"scale": 50000}).step()


_START = pytest.StashKey[tuple[int, int]]()  # the probe's mark when a test's setup began


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    start = PROBE[0].mark()
    try:
        return (yield)
    finally:
        what = PROBE[0].since(start)
        if what:
            PROBE[0].fixtures.setdefault(fixturedef.argname, []).append((fixturedef.baseid, what))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    item.stash[_START] = PROBE[0].mark()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    res = yield
    if item.get_closest_marker("sim") is None:
        what = [PROBE[0].since(item.stash[_START])] if _START in item.stash else []
        what += [f"fixture {name!r}: {w}" for name in item.fixturenames
                 for baseid, w in PROBE[0].fixtures.get(name, ()) if item.nodeid.startswith(baseid)]
        what = [w for w in what if w]
        if what:
            pytest.fail(f"{item.nodeid} simulates ({'; '.join(what)}) but is not marked sim: its outcome may "
                        "depend on numpy's code path, and CI's second pass runs only the sim tests "
                        "(add @pytest.mark.sim or the module's pytestmark)", pytrace=False)
    return res
