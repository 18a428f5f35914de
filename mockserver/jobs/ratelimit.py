"""Rate limits per provider and key: a sliding window on the mock's clock."""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque
from collections.abc import Hashable
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True)
class Decision:
    """The outcome of one request against a limit."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    retry_after: int


class RateLimiter:
    """Counts requests per bucket in a sliding window of ``window`` seconds."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._hits: dict[Hashable, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, bucket: Hashable, limit: int, window: float) -> Decision:
        """Count one request; refused requests are not counted."""
        now = self.clock.now()
        with self._lock:
            hits = self._hits[bucket]
            while hits and hits[0] <= now - window:
                hits.popleft()
            allowed = len(hits) < limit
            if allowed:
                hits.append(now)
            reset_at = (hits[0] + window) if hits else now + window
            retry = 0 if allowed else max(1, math.ceil(reset_at - now))
            return Decision(allowed, limit, max(0, limit - len(hits)), reset_at, retry)

    def reset(self) -> None:
        """Forget every count."""
        with self._lock:
            self._hits.clear()
