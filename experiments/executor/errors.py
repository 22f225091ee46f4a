"""The one-line errors of the executors that the user can act on (a worker that cannot import the project)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]  # the checkout a worker installs: pip install -e ROOT
INSTALL = f"pip install -e {ROOT}"


def install_hint() -> str:
    """The one command that makes a worker's environment able to run CZT-Sim."""
    return (f"install the package into every worker's environment, from a checkout at the same commit: {INSTALL} "
            "(experiments/sweep/README.md)")


def cannot_import(field: str, value: Any, probe: dict[str, Any], n_bad: int, n_all: int,
                  who: str = "workers") -> ConfigError:
    """Workers whose probe could not import the project: one line naming the first, its error and where it runs."""
    where = probe.get("worker") or f"pid {probe.get('pid')}"
    return ConfigError(field, value, f"{who} that can import CZT-Sim: {n_bad} of {n_all} cannot ({where}: "
                       f"{probe.get('error')}; its python {probe.get('python')}, cwd {probe.get('cwd')}); "
                       + install_hint(), kind=f"{who} cannot import the project")
