"""Command-line options shared by several commands: ``--set NAME=VALUE`` and ``--scale`` (one line per mistake)."""

from __future__ import annotations

from typing import Any

from model.errors import ConfigError


def parse_sets(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError("--set", item, "NAME=VALUE, e.g. enclave_tax_share=0.5")
        k, v = item.split("=", 1)
        k = k.strip()
        if k in out:
            raise ConfigError(f"--set {k}", v.strip(), f"each parameter once (already --set {k}={out[k]})",
                              kind="parameter set twice")
        out[k] = v.strip()
    return out


def scale_once(overrides: dict[str, Any], scale: int | None) -> dict[str, Any]:
    """``overrides`` with ``--scale`` added; a ConfigError if ``--set scale=`` gives it too (one would be ignored)."""
    if scale is None:
        return overrides
    if "scale" in overrides:
        from model.params import BY_NAME

        BY_NAME["scale"].coerce(overrides["scale"])  # a value that is wrong anyway is named as such first
        raise ConfigError("--set scale", overrides["scale"], f"the scale given once: --scale {scale} or "
                          f"--set scale={overrides['scale']}, not both", kind="scale set twice")
    return {**overrides, "scale": scale}
