"""The one place that decides what time it is.

Nothing else in the server calls ``time.time()`` for state: timestamps in responses,
result-file dates and (later) job progress all read this clock, so tests can move time.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time plus an offset that ``advance`` moves forward."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the mock sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0); returns the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    def utcnow(self) -> datetime:
        """The current time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), UTC)

    def isoformat(self) -> str:
        """The current time as ``YYYY-MM-DDTHH:MM:SSZ``."""
        return self.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
