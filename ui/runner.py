"""One tab's work, in order, on one thread: every change of the run (rebuilds, steps, Play) and every signal to the
page.

Why (issue 27): Play stepped the model in one thread and signalled the page after every quarter, while the ensemble
thread and the verdict thread signalled it too. Reacton renders a change in the thread that makes it, and a render
pass that sees another change made meanwhile starts a new pass before it sends anything to the browser. Once a pass
took longer than a quarter (after the first complete year: verdicts, strip, plan table), every pass was overtaken by
the next quarter, nothing reached the browser for 10-28 s, and then the page jumped to the end of the run. And work
done inside a render (rebuilds ran in an effect) kept the page from showing anything while it ran, so buttons
looked ready and their clicks waited behind it or were lost with the widgets that re-rendered.

Here the page's only background writer is this thread. A click never does the work: it puts a job in a queue (shown
on the page) and returns at once, so the page stays live; jobs run one after the other, each exactly once, in the
order clicked. While playing, the thread steps one quarter, signals the page, and waits until the page has drawn it
(``shown``, set by an effect after the render reached the browser's widgets) before the next quarter: the page shows
every quarter it passes, at the pace the page can draw. Background results (ensemble seeds) only ``poke`` this
thread, which signals the page between quarters.

Plain Python (no Solara): the page passes ``signal`` (re-render results) and ``progress_signal`` (re-render the
progress line only).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

PROGRESS_EVERY_S = 0.25  # the progress line is re-drawn at most this often during a job
SHOWN_WAIT_S = 2.0  # Play waits at most this long for the page to draw a quarter (a closed or hidden tab)
POKE_EVERY_S = 1.0  # background results redraw the page at most this often (each redraw takes CPU from the workers)


@dataclass
class Job:
    """One unit of work asked for by a click: ``what`` is a text key the page shows ("rebuild", "step", ...),
    ``detail`` a value for it; ``fn(progress)`` does the work and may report progress."""

    what: str
    fn: Callable[[Callable[[int, int], None]], Any]
    detail: str = ""
    id: int = 0
    queued_at: float = field(default_factory=time.monotonic)


class Runner:
    """A work queue and one thread that runs it and Play. ``error(exc)`` receives a job's exception (the page shows
    it as one line); the job after it still runs."""

    def __init__(self, step: Callable[[], bool], signal: Callable[[], None] = lambda: None,
                 progress_signal: Callable[[], None] = lambda: None,
                 error: Callable[[BaseException | None], None] = lambda exc: None) -> None:
        self.step = step  # one quarter of Play; returns False at the end of the run
        self.signal, self.progress_signal, self.error = signal, progress_signal, error
        self.page_failures = 0  # signals to the page that raised (a page closing under us): counted, never fatal
        self.queue: deque[Job] = deque()
        self.current: Job | None = None
        self.playing = False
        self.done_jobs = 0
        self._ids = 0
        self._cv = threading.Condition()
        self._poked = False
        self._closed = False
        self._progress = (0, 0, 0.0)  # done, total, monotonic start of the current job
        self._rate: dict[str, float] = {}  # seconds per unit of progress, by job kind (for the time left)
        self.signalled = 0  # how many times the page was asked to draw results
        self.shown = 0  # the last of those the page has drawn (set by the page)
        self._thread = threading.Thread(target=self._loop, daemon=True, name="czt-runner")
        self._thread.start()

    # ------------------------------------------------------------------ asked by the page (any thread, returns at once)
    def submit(self, what: str, fn: Callable[[Callable[[int, int], None]], Any], detail: str = "") -> Job:
        with self._cv:
            self._ids += 1
            job = Job(what, fn, detail, self._ids)
            self.queue.append(job)
            self._cv.notify_all()
        self._tell(self.progress_signal)
        return job

    def play(self) -> None:
        with self._cv:
            self.playing = True
            self._cv.notify_all()
        self._tell(self.progress_signal)

    def pause(self) -> None:
        """Takes effect at once: the quarter under way is finished and drawn, no further one is started."""
        with self._cv:
            self.playing = False
            self._cv.notify_all()
        self._tell(self.progress_signal)

    def poke(self) -> None:
        """New background results: the page is signalled between quarters (never from the caller's thread)."""
        with self._cv:
            self._poked = True
            self._cv.notify_all()

    def mark_shown(self, n: int) -> None:
        """The page has drawn the results of signal number ``n``."""
        with self._cv:
            if n > self.shown:
                self.shown = n
                self._cv.notify_all()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self.queue.clear()
            self._cv.notify_all()

    @property
    def busy(self) -> bool:
        return self.current is not None or bool(self.queue)

    def status(self) -> dict[str, Any]:
        """What the page shows: the job running (what, detail, done, total, seconds so far, seconds left or None),
        the jobs waiting (what, detail) and whether Play is on."""
        with self._cv:
            cur, queued = self.current, [(j.what, j.detail) for j in self.queue]
            done, total, t0 = self._progress
        running = None
        if cur is not None:
            elapsed = time.monotonic() - t0
            left = None
            if total and done:
                left = elapsed / done * (total - done)  # this job's own pace
            elif total and cur.what in self._rate:
                left = self._rate[cur.what] * total  # before its first unit: the last job of its kind
            running = {"what": cur.what, "detail": cur.detail, "done": done, "total": total, "elapsed": elapsed,
                       "left": left}
        return {"running": running, "queued": queued, "playing": self.playing}

    def report(self, done: int, total: int) -> None:
        """Progress of the job under way (a no-op outside a job): its work may report without being handed
        ``progress`` (a session method called by a job)."""
        if self.current is not None and threading.current_thread() is self._thread:
            self._report(done, total)

    # ------------------------------------------------------------------ the thread
    def _report(self, done: int, total: int) -> None:
        now = time.monotonic()
        with self._cv:
            t0 = self._progress[2]
            self._progress = (done, total, t0)
        if now - getattr(self, "_last_progress", 0.0) >= PROGRESS_EVERY_S:
            self._last_progress = now
            self._tell(self.progress_signal)

    def _tell(self, fn: Callable[..., None], *args: Any) -> None:
        """Call one of the page's callbacks from this thread: a page that fails to draw (closing, or a bug in a
        component, which Solara shows on the page) must not end the thread that runs the tab's work."""
        try:
            fn(*args)
        except Exception:  # noqa: BLE001
            self.page_failures += 1

    def _signal(self) -> None:
        with self._cv:
            self.signalled += 1
            self._poked = False
            self._last_signal = time.monotonic()
        self._tell(self.signal)

    def _wait_shown(self) -> None:
        """Until the page has drawn the last signal (or SHOWN_WAIT_S, or something else to do arrives)."""
        deadline = time.monotonic() + SHOWN_WAIT_S
        with self._cv:
            while (self.shown < self.signalled and not self._closed and not self.queue and self.playing
                   and time.monotonic() < deadline):
                self._cv.wait(timeout=0.05)

    def _run(self, job: Job) -> None:
        with self._cv:
            self.current = job
            self._progress = (0, 0, time.monotonic())
        self._tell(self.progress_signal)
        try:
            job.fn(self._report)
            self._tell(self.error, None)
        except Exception as exc:  # noqa: BLE001 - shown on the page as one line; the next job still runs
            self._tell(self.error, exc)
        done, total, t0 = self._progress
        if total and done:
            self._rate[job.what] = (time.monotonic() - t0) / done
        with self._cv:
            self.current = None
            self.done_jobs += 1
        self._signal()
        self._tell(self.progress_signal)

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not (self._closed or self.queue or self.playing or self._poked):
                    self._cv.wait(timeout=1.0)
                if self._closed:
                    return
                job = self.queue.popleft() if self.queue else None
            if job is not None:
                self._run(job)
                continue
            if self.playing:
                try:
                    more = self.step()
                except Exception as exc:  # noqa: BLE001
                    more = False
                    self._tell(self.error, exc)
                if not more:
                    with self._cv:
                        self.playing = False
                    self._tell(self.progress_signal)
                self._signal()
                self._wait_shown()
                continue
            # poked: background results came in; drawn at most every POKE_EVERY_S (a click or Play goes first)
            with self._cv:
                until = getattr(self, "_last_signal", 0.0) + POKE_EVERY_S
                while not (self._closed or self.queue or self.playing) and time.monotonic() < until:
                    self._cv.wait(timeout=max(0.0, until - time.monotonic()))
                if self._closed or self.queue or self.playing:
                    continue
            self._signal()
