"""Shared helpers for the core-model tests.

Runs are expensive (a few seconds each), so they are cached for the whole session and, when a test
module needs several independent runs, computed two at a time in worker processes (``prefetch``: the session's
one warm pool of the project's executor, experiments/executor, so imports and numba loading are paid once).
Worker processes return only the data frames (plain pandas objects), never the model.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent

TEST_SCALE = 200  # residents per worker agent in the tests: the default scale (a 2019-2035 run takes about 3 s)


def spec(scenario: str = "baseline", seed: int = 1, until: int = 2023, scale: int = TEST_SCALE,
         **overrides: Any) -> tuple:
    """A hashable description of one run."""
    return (scenario, int(seed), int(until), int(scale), tuple(sorted(overrides.items())))


def _run_frames(s: tuple) -> tuple[tuple, pd.DataFrame, pd.DataFrame]:
    from model import CZTModel

    scenario, seed, until, scale, overrides = s
    m = CZTModel(scenario, seed=seed, overrides={"scale": scale, **dict(overrides)})
    m.run_until(until)
    return s, m.cities_frame(), m.flows_frame()


_FRAMES: dict[tuple, tuple[pd.DataFrame, pd.DataFrame]] = {}


def prefetch(specs: list[tuple]) -> None:
    """Compute the frames of every run in ``specs`` not yet cached, in parallel worker processes."""
    todo = [s for s in dict.fromkeys(specs) if s not in _FRAMES]
    if not todo:
        return
    workers = min(len(todo), max(1, min(os.cpu_count() or 1, 2)))
    if workers == 1:
        for s in todo:
            _, c, f = _run_frames(s)
            _FRAMES[s] = (c, f)
        return
    from experiments.executor import run_all, shared

    for s, c, f in run_all(shared(2), _run_frames, todo):
        _FRAMES[s] = (c, f)


def frames(s: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cities_frame, flows_frame) of one run, from the session cache."""
    if s not in _FRAMES:
        prefetch([s])
    return _FRAMES[s]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m experiments <args>`` in a fresh interpreter, from the repository root."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=ROOT, capture_output=True, text=True,
                          env=full_env, timeout=timeout)


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
