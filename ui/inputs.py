"""A number box whose typed text survives the app's redraws.

``solara.InputInt(continuous_update=False)`` keeps what the user types only in the browser widget: every re-render
of the component sets the widget's text back to the last committed value, so a number typed while Play redraws the
page each quarter (or while a job finishes) was replaced by the old one before Enter, and Enter then committed the
old number: the edit was silently dropped. Here the typed text is the component's own state (updated on every
keystroke, which redraws only this box) and is committed on Enter or on leaving the field.
"""

from __future__ import annotations

from typing import Callable

import ipyvue
import reacton.ipyvuetify as rv
import solara

COMMIT_EVENTS = ("keyup.enter", "focusout")


def parse_int(text: str) -> int | None:
    """The integer in ``text`` (spaces allowed), or None if it is not one."""
    try:
        return int(text.strip())
    except ValueError:
        return None


@solara.component
def CommitInt(label: str, value: int, on_commit: Callable[[int], None], classes: list[str] | None = None,
              error_text: str = "an integer"):
    """An integer box showing ``value``; ``on_commit(n)`` when the user presses Enter or leaves the box with a typed
    integer ``n`` other than ``value``. A new ``value`` from outside (a rebuild, a link) replaces the typed text."""
    text, set_text = solara.use_state(str(value))
    latest = solara.use_ref(text)
    latest.current = text
    commit_ref = solara.use_ref(on_commit)
    commit_ref.current = on_commit
    value_ref = solara.use_ref(value)
    value_ref.current = value
    sent = solara.use_ref(None)  # the number last committed: Enter then leaving the box commits it once

    def follow_value():
        sent.current = None
        set_text(str(value))

    def typed(new: str | None):
        sent.current = None
        set_text(new or "")

    solara.use_effect(follow_value, [value])
    bad = parse_int(text) is None
    field = rv.TextField(v_model=text, on_v_model=typed, label=label + (f" ({error_text})" if bad else ""),
                         error=bad, hide_details="auto", class_=" ".join(classes or []))

    def listen():
        widget = solara.get_widget(field)

        def on_event(_widget, _event, _data):
            # the widget's text, not the state: the keystroke that preceded Enter may not have re-rendered yet
            n = parse_int(str(widget.v_model if widget.v_model is not None else latest.current))
            if n is not None and n != value_ref.current and n != sent.current:
                sent.current = n
                commit_ref.current(n)

        assert isinstance(widget, ipyvue.VueWidget)
        for ev in COMMIT_EVENTS:
            widget.on_event(ev, on_event)

        def stop():
            for ev in COMMIT_EVENTS:
                widget.on_event(ev, on_event, remove=True)

        return stop

    solara.use_effect(listen, [])
    return field


__all__ = ["CommitInt", "parse_int"]
