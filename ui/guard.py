"""A failure while a part of the page is built shows as one line, never as a traceback.

A component that raises while rendering (a chart's option, the map, a verdict card: a case no check foresaw) would
make Solara put the Python traceback, with server paths, in its place. ``Guarded`` is an error boundary
(``solara.use_exception``): the part that failed is replaced by the one-line banner, the rest of the page stays, the
server log records the failure once (with its traceback), and the part is tried again when the run moves on.
"""

from __future__ import annotations

import logging
from typing import Callable

import solara

from ui.texts import t

LOG = logging.getLogger("czt_sim.app")


def view_failure(lang: str, exc: BaseException) -> str:
    """The banner for a failure no check foresaw while reading a link or building a view: one line, without the
    traceback or a server path; the server log records it, with its traceback."""
    LOG.error("building the view failed: %s", type(exc).__name__, exc_info=exc)
    return t(lang, "view_error")


@solara.component
def Guarded(lang: str, version: int, part: str, build: Callable[[], None]):
    """``build()`` (it creates the part's components), or the banner if they raised; tried again at a new
    ``version`` (the next quarter shown). ``part`` names the part in the log and on the banner's element."""
    exc, clear = solara.use_exception()
    logged = solara.use_ref(None)
    failed_at = solara.use_ref(None)

    def retry():
        if failed_at.current is not None and failed_at.current != version:
            failed_at.current = None
            clear()

    solara.use_effect(retry, [version])
    if exc is None:
        build()
        return
    if failed_at.current is None:
        failed_at.current = version
    key = (part, type(exc).__name__, str(exc))
    text = t(lang, "view_error")
    if logged.current != key:  # once per distinct failure, not at every re-render
        logged.current = key
        text = view_failure(lang, exc)
    solara.Error(text, classes=["view-failure", f"view-failure-{part}"])


__all__ = ["Guarded", "view_failure"]
