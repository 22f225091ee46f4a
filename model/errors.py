"""User-facing configuration errors: one line naming the field, the value and what is allowed."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """A user mistake in parameters, scenario or sweep files. Its str() is the one-line message."""

    def __init__(self, field: str, value: Any, allowed: str, kind: str = "invalid value") -> None:
        self.field, self.value, self.allowed_text = field, value, allowed
        super().__init__(f"{kind} for '{field}': {value!r}; allowed: {allowed}")
