"""Time one step + redraw of the app, in-process (no browser): ``python -m ui.bench [scale] [steps]``.

Prints the model step alone and the step with the page's re-render (map, charts, verdict, inspector), as
medians over ``steps`` quarters after a warm-up year. The browser adds the transfer and the DOM update on top:
tests/test_ui_e2e.py prints that figure.
"""

from __future__ import annotations

import os
import statistics
import sys
import time


def main(scale: int = 500, steps: int = 12) -> None:
    os.environ["CZT_UI_SCALE"] = str(scale)
    import ipyvuetify as v
    import solara

    from ui.app import Page

    _, rc = solara.render(Page(), handle_error=False)

    def button(cls):
        return next(w for w in rc.find(v.Btn).widgets if cls in (w.class_ or "").split())

    sess_steps = []
    button("btn-year").click()
    totals = []
    for _ in range(steps):
        t0 = time.perf_counter()
        button("btn-step").click()
        while rc.thread_lock.locked() or rc._rerender_needed:  # a render left to the verdict thread
            time.sleep(0.001)
        totals.append(time.perf_counter() - t0)
    from model import CZTModel

    m = CZTModel("baseline", seed=7, overrides={"scale": scale})
    for _ in range(4):
        m.step()
    for _ in range(steps):
        t0 = time.perf_counter()
        m.step()
        sess_steps.append(time.perf_counter() - t0)
    rc.close()
    print(f"scale {scale}: model step {1000 * statistics.median(sess_steps):.0f} ms, "
          f"step + redraw {1000 * statistics.median(totals):.0f} ms (medians of {steps}; "
          f"max {1000 * max(totals):.0f} ms); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
