"""The test session's simulation probe, loaded at start-up by every Python process a test starts.

tests/conftest.py puts this folder on PYTHONPATH and names a file in CZT_SIM_PROBE; then each CZTModel built in
any process of the session (pytest itself, ``python -m experiments ...``, a sweep's or the app's worker processes)
appends one line to that file. conftest reads the lines that appear while a test runs to tell whether the test
simulated, so that a test which simulates without the ``sim`` mark fails (see conftest.py). Without CZT_SIM_PROBE
the process is left alone. Nothing here changes what a model computes.
"""

from __future__ import annotations

import functools
import os
import sys
from importlib.machinery import ModuleSpec

ENV = "CZT_SIM_PROBE"
TARGET = "model.czt_model"


def record(what: str) -> None:
    """Append ``<pid> <what>`` to the session's probe file (one short O_APPEND write: lines never interleave)."""
    path = os.environ.get(ENV)
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{os.getpid()} {what}\n".encode())
        finally:
            os.close(fd)


def watch(cls: type) -> None:
    """Make every construction of ``cls`` (CZTModel) leave a line in the probe file."""
    if getattr(cls.__init__, "czt_sim_probe", False):
        return
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        record("model")  # once built: a configuration refused before anything is computed is not a simulation

    __init__.czt_sim_probe = True
    cls.__init__ = __init__


class _Loader:
    """Runs the real loader of model.czt_model, then watches its CZTModel."""

    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        watch(module.CZTModel)

    def __getattr__(self, name):
        return getattr(self.loader, name)


class _Finder:
    """Finds model.czt_model with the other finders and hands back its spec with a watching loader."""

    czt_sim_probe = True  # how copies of this module (a nested test session's) recognise each other

    def find_spec(self, name: str, path=None, target=None) -> ModuleSpec | None:
        if name != TARGET:
            return None
        for finder in sys.meta_path:
            if getattr(finder, "czt_sim_probe", False) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


if __name__ == "sitecustomize" and os.environ.get(ENV) and \
        not any(getattr(f, "czt_sim_probe", False) for f in sys.meta_path):
    sys.meta_path.insert(0, _Finder())
