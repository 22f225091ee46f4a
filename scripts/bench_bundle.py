"""Time the app's export bundle (ui/bundle.py) for a tab with an ensemble, as the app makes it (no browser).

    .venv/bin/python scripts/bench_bundle.py [seeds] [years] [scale] [compare] [lever]

A tab with ``seeds`` seeds (default 4) at ``scale`` (default 500), played ``years`` years (default 5) with its
background seeds caught up, optionally comparing with the baseline (``compare``: 1, the default, or 0) and with a
lever moved (``lever`` 1, the default: the Changsha-Xiangtan commute at 15 minutes, so the bundle's sweep holds the
baseline twins too; 0: the baseline itself, no twins); then the bundle is built once and timed. Prints the seconds, the bundle's size and the load average before and after.
Works on older checkouts too, for before/after figures: PYTHONPATH=/path/to/old/checkout .venv/bin/python
scripts/bench_bundle.py (the line names the ui/bundle.py that was timed).
"""

from __future__ import annotations

import os
import sys
import time


def main(seeds: int = 4, years: int = 5, scale: int = 500, compare: int = 1, lever: int = 1) -> None:
    from ui import bundle
    from ui.session import Session

    sess = Session(seed=7, scale=scale)
    try:
        sess.set_compare(bool(compare))
        if lever:
            sess.set_levers({"commute_minutes_cs_xt": 15.0})
        sess.set_seeds(seeds)
        sess.step(4 * years)
        sess.sync_ensembles(timeout=600)
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        data = bundle.build(sess)
        seconds = time.perf_counter() - t0
    finally:
        sess.close()
    print(f"bundle of {seeds} seeds, {years} years at scale {scale}, compare {bool(compare)}, lever {bool(lever)}: "
          f"{seconds:.1f} s, "
          f"{len(data) / 1e6:.1f} MB; load average {load0:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          f"({bundle.__file__})")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:6]))
