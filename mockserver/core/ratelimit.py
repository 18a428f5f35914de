"""Rate limits per provider and key: a sliding window on the mock's clock.

Memory stays bounded whatever the keys: a bucket is stored under a 16-byte digest of its
name (a key may be kilobytes long), holds only the hits inside its window, is dropped once
its newest hit has left the window (swept at most once per window of mock time, on the next
hit), and at most ``max_buckets`` are kept (least recently hit dropped first).

Buckets are per process: with ``serve --workers N`` each worker counts the requests it
serves (README, "Several workers"); a reset on one worker empties them on every worker.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import threading
from array import array
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from mockserver.core.clock import Clock
from mockserver.core.marks import ChangeMarks

DEFAULT_MAX_BUCKETS = 100_000


@dataclass(frozen=True)
class Decision:
    """The outcome of one request against a limit."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    retry_after: int


class _Bucket:
    """The hit times (oldest first) of one bucket inside its window."""

    __slots__ = ("hits", "window")

    def __init__(self, window: float) -> None:
        self.hits = array("d")
        self.window = window

    def expire(self, now: float) -> None:
        """Forget hits that have left the window."""
        gone = bisect.bisect_right(self.hits, now - self.window)
        if gone:
            del self.hits[:gone]

    def idle(self, now: float) -> bool:
        """Whether every hit has left the window (the bucket limits nothing)."""
        return not self.hits or self.hits[-1] <= now - self.window


def _digest(bucket: Hashable) -> bytes:
    return hashlib.blake2b(repr(bucket).encode("utf-8", "surrogatepass"),
                           digest_size=16).digest()


class RateLimiter:
    """Counts requests per bucket in a sliding window of ``window`` seconds."""

    def __init__(self, clock: Clock, max_buckets: int = DEFAULT_MAX_BUCKETS,
                 marks: ChangeMarks | None = None) -> None:
        if max_buckets < 1:
            raise ValueError("max_buckets must be at least 1")
        self.clock = clock
        self.max_buckets = max_buckets
        self._buckets: OrderedDict[bytes, _Bucket] = OrderedDict()
        self._lock = threading.Lock()
        self._next_sweep = -math.inf
        self._resets = (marks or ChangeMarks()).watch("reset")

    def __len__(self) -> int:
        return len(self._buckets)

    def hit(self, bucket: Hashable, limit: int, window: float) -> Decision:
        """Count one request; refused requests are not counted."""
        now = self.clock.now()
        name = _digest(bucket)
        self._resets.refresh(self._clear)
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
                self._next_sweep = now + window
            found = self._buckets.get(name)
            if found is None:
                found = self._buckets[name] = _Bucket(window)
                while len(self._buckets) > self.max_buckets:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(name)
            found.window = window
            hits = found.hits
            found.expire(now)
            allowed = len(hits) < limit
            if allowed:
                hits.append(now)
            reset_at = (hits[0] + window) if hits else now + window
            retry = 0 if allowed else max(1, math.ceil(reset_at - now))
            return Decision(allowed, limit, max(0, limit - len(hits)), reset_at, retry)

    def sweep(self) -> int:
        """Drop every idle bucket now; returns how many were dropped."""
        with self._lock:
            return self._sweep(self.clock.now())

    def _sweep(self, now: float) -> int:
        idle = [name for name, bucket in self._buckets.items() if bucket.idle(now)]
        for name in idle:
            del self._buckets[name]
        return len(idle)

    def reset(self) -> None:
        """Forget every count (on every worker)."""
        self._clear()
        self._resets.changed()

    def _clear(self) -> None:
        with self._lock:
            self._buckets.clear()
