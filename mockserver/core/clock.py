"""The one place that decides what time it is.

Nothing else in the server calls ``time.time()`` for state: timestamps, result-file dates,
job progress, URL expiry and webhook retries all read this clock, so tests can move time.

Modes (``--clock``):
- ``real``: wall-clock time; jobs take a short realistic time divided by ``--speed``.
- ``instant``: wall-clock time; jobs are terminal as soon as they are submitted.
- ``manual``: time stands still until ``advance`` moves it (``POST /_mock/clock/advance``);
  it starts at the wall-clock time of the first run and survives restarts.

With several workers (``serve --workers N``) the reading is in the store: ``advance`` moves it
there in one transaction and bumps the ``clock`` mark; the other workers reload it on their
next read (``marks``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from mockserver.core.marks import ChangeMarks
from mockserver.core.store import Store

MODES = ("real", "instant", "manual")
_MANUAL_KEY = "clock.manual_now"
_OFFSET_KEY = "clock.offset"


def _iso(moment: float) -> str:
    # whole seconds as datetime.fromtimestamp rounds them (to the microsecond, half even)
    return _iso_second(math.floor(round(moment, 6)))


@functools.lru_cache(maxsize=1024)
def _iso_second(second: int) -> str:
    # formatted once per second: every request formats "now", a poll a task's moments too
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    """The mock's time, in seconds since the epoch."""

    def __init__(self, mode: str = "real", speed: float = 1.0, store: Store | None = None,
                 marks: ChangeMarks | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"clock mode must be one of {', '.join(MODES)}, not {mode!r}")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.mode = mode
        self.speed = speed
        self._store = store
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], object]] = []
        self._watch = (marks or ChangeMarks()).watch("clock")
        self._shared = self._watch.shared  # read on every now(): one attribute, no call
        saved = store.get_meta(_OFFSET_KEY) if store else None
        self._offset = float(saved) if saved else 0.0
        self._manual_now = time.time()
        if mode == "manual" and store is not None:
            # the first of several workers starting at once sets it; the others read it
            store.execute("INSERT INTO meta (key, value) VALUES (?, ?)"
                          " ON CONFLICT(key) DO NOTHING", (_MANUAL_KEY, repr(self._manual_now)))
            self._manual_now = float(store.get_meta(_MANUAL_KEY) or self._manual_now)

    def _reload(self) -> None:
        """Read the reading another worker stored. Both values only grow, so a reload that
        finishes after a newer one changes nothing; a reset's missing rows change nothing."""
        assert self._store is not None
        manual, offset = self._store.get_meta(_MANUAL_KEY), self._store.get_meta(_OFFSET_KEY)
        with self._lock:
            if manual is not None:
                self._manual_now = max(self._manual_now, float(manual))
            if offset is not None:
                self._offset = max(self._offset, float(offset))

    def now(self) -> float:
        """Seconds since the epoch, as the mock sees them."""
        if self._shared:
            self._watch.refresh(self._reload)
        with self._lock:
            if self.mode == "manual":
                return self._manual_now
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0) in any mode; returns the new time."""
        if not seconds >= 0:
            raise ValueError("the clock only moves forward")
        if self._shared:
            self._advance_shared(seconds)
        else:
            with self._lock:
                if self.mode == "manual":
                    self._manual_now += seconds
                    key, value = _MANUAL_KEY, self._manual_now
                else:
                    self._offset += seconds
                    key, value = _OFFSET_KEY, self._offset
            if self._store is not None:
                self._store.set_meta(key, repr(value))
        for listener in list(self._listeners):
            listener()
        return self.now()

    def _advance_shared(self, seconds: float) -> None:
        """Advance the stored reading in one transaction (workers advancing at once add up),
        then tell the other workers."""
        assert self._store is not None
        self._watch.refresh(self._reload)
        key = _MANUAL_KEY if self.mode == "manual" else _OFFSET_KEY
        with self._store.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            with self._lock:
                base = float(row[0]) if row else (
                    self._manual_now if self.mode == "manual" else self._offset)
            value = base + seconds
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key)"
                         " DO UPDATE SET value = excluded.value", (key, repr(value)))
        with self._lock:
            if self.mode == "manual":
                self._manual_now = max(self._manual_now, value)
            else:
                self._offset = max(self._offset, value)
        self._watch.changed()

    def on_advance(self, listener: Callable[[], object]) -> None:
        """Call ``listener`` after every ``advance`` (the job engine ticks on it)."""
        self._listeners.append(listener)

    def off_advance(self, listener: Callable[[], None]) -> None:
        """Stop calling ``listener`` (registered with ``on_advance``)."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    async def wait_until(self, moment: float) -> None:
        """Return once the clock reads ``moment`` or later.

        A wall-clock sleep on the real clock (cut short by ``advance``), nothing on the
        instant clock for moments reached, and on the manual clock whenever an ``advance``
        gets there. For pacing live work (a websocket stream) on the mock's time.
        """
        loop = asyncio.get_running_loop()
        moved = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(moved.set)

        self.on_advance(wake)
        try:
            while True:
                moved.clear()  # before reading the clock, so an advance in between is seen
                until = self.wall_seconds_until(moment)
                if until == 0.0:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(moved.wait(), until)
        finally:
            self.off_advance(wake)

    def job_seconds(self, realistic: float) -> float:
        """How long a job that really takes ``realistic`` seconds takes on this clock."""
        return 0.0 if self.mode == "instant" else realistic / self.speed

    def wait_seconds(self, moment: float | None, cap: float = 1.0) -> float:
        """How long a background loop may sleep before ``moment`` (at most ``cap``)."""
        if moment is None:
            return cap
        until = self.wall_seconds_until(moment)
        return cap if until is None else min(until, cap)

    def wall_seconds_until(self, moment: float) -> float | None:
        """Wall seconds until the clock reaches ``moment``; None when only ``advance`` can."""
        if self.mode == "manual":
            return None if moment > self.now() else 0.0
        return max(0.0, moment - self.now())

    def utcnow(self) -> datetime:
        """The current time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), UTC)

    def isoformat(self, moment: float | None = None) -> str:
        """``moment`` (default: now) as ``YYYY-MM-DDTHH:MM:SSZ``."""
        return _iso(self.now() if moment is None else moment)

    def describe(self) -> dict[str, object]:
        """What ``GET /_mock/clock`` shows."""
        return {"mode": self.mode, "speed": self.speed, "now": self.now(),
                "iso": self.isoformat()}
