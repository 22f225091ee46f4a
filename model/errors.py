"""User-facing configuration errors: one line naming the field, the value and what is allowed."""

from __future__ import annotations

import reprlib
from typing import Any

# a hostile value (a table nested 2000 deep, a 10 MB string, a key with a newline) must still give one short line
_REPR = reprlib.Repr(maxlevel=3, maxdict=6, maxlist=6, maxtuple=6, maxset=6, maxstring=120, maxlong=60, maxother=120)
MAX_FIELD = 300


def short_repr(value: Any) -> str:
    """``repr(value)``, cut to a readable size (depth, length), never raising."""
    try:
        return _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails or recurses still gives a message
        return f"<{type(value).__name__}>"


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with line breaks and other control characters escaped (\\n, \\x00), cut to ``limit``."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


class ConfigError(ValueError):
    """A user mistake in parameters, scenario or sweep files. Its str() is the one-line message."""

    def __init__(self, field: str, value: Any, allowed: str, kind: str = "invalid value") -> None:
        self.field, self.value, self.allowed_text, self.kind = field, value, allowed, kind
        super().__init__(one_line(f"{kind} for '{one_line(field, MAX_FIELD)}': {short_repr(value)}; "
                                  f"allowed: {allowed}"))

    def __reduce__(self):  # raised in a worker process, it comes back as itself (experiments/executor)
        return type(self), (self.field, self.value, self.allowed_text, self.kind)
