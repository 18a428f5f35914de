"""Live work: generations that run as long as a connection does (a websocket stream).

Stored tasks count toward concurrency limits through their schedule
(``TaskStore.running``); live work has no schedule — it ends when its connection does — so
it is counted here, in memory, for as long as it holds a lease. It does not survive a
restart, and neither do the connections it belongs to.
"""

from __future__ import annotations

import threading
from collections import Counter


class Lease:
    """One unit of live work; ``release()`` (or leaving the ``with`` block) ends it once."""

    def __init__(self, work: LiveWork, provider: str, owner: str) -> None:
        self._work = work
        self._key = (provider, owner)
        self._released = False

    def release(self) -> None:
        """Stop counting this work (idempotent)."""
        if not self._released:
            self._released = True
            self._work._drop(self._key)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class LiveWork:
    """Counts of live work per (provider, owner); thread-safe."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def acquire(self, provider: str, owner: str) -> Lease:
        """Count one more piece of live work for ``owner`` until the lease is released."""
        with self._lock:
            self._counts[(provider, owner)] += 1
        return Lease(self, provider, owner)

    def count(self, provider: str, owner: str) -> int:
        """How much live work ``owner`` has now."""
        with self._lock:
            return self._counts[(provider, owner)]

    def _drop(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._counts[key] -= 1
            if self._counts[key] <= 0:
                del self._counts[key]
