"""What a run may spend: generation calls, wall time, and the cost in the provider's units."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field


class BudgetSpent(Exception):
    """Raised before a generation call the budget does not allow."""


# (unit, cost of one generation given the seconds of audio it asks for)
UNITS: dict[str, tuple[str, str]] = {
    "muzaic": ("tokens", "one token per started second of audio"),
    "musicgpt": ("credits", "one credit per second of audio (credit_estimate)"),
    "soundpiece": ("credits", "estimated: one credit per second per variation"),
    "musicgen": ("generation-seconds", "no price is documented: seconds of audio requested"),
}


def cost_of(seconds: float, variations: int = 1) -> float:
    """Estimated cost of one generation of ``seconds`` of audio, in the provider's unit
    (``UNITS``): every provider's is one per started second, per variation, so the provider
    does not change the number."""
    return float(math.ceil(seconds) * max(1, variations))


@dataclass
class Budget:
    """Limits for one run; ``None`` means unlimited. Only generation calls count as calls."""

    max_calls: int | None = None
    seconds: float | None = None
    started: float = field(default_factory=time.monotonic)
    calls: int = 0
    cost: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    """Conformance and the properties may spend from two threads (see ``runner``)."""

    def time_left(self) -> float | None:
        """Seconds left (None: no limit)."""
        if self.seconds is None:
            return None
        return max(0.0, self.seconds - (time.monotonic() - self.started))

    def spend(self, cost: float) -> None:
        """Account for one generation call, or raise BudgetSpent when it is not allowed."""
        left = self.time_left()
        if left is not None and left <= 0:
            raise BudgetSpent(f"--budget-seconds {self.seconds} spent")
        with self._lock:
            if self.max_calls is not None and self.calls >= self.max_calls:
                raise BudgetSpent(f"--max-calls {self.max_calls} spent")
            self.calls += 1
            self.cost += cost

    def record(self, calls: int, cost: float) -> None:
        """Account for paid calls made outside ``spend`` (fuzzing's, counted afterwards)."""
        with self._lock:
            self.calls += calls
            self.cost += cost

    @property
    def limited(self) -> bool:
        """True when a call limit is set (conformance then leaves paid operations alone)."""
        return self.max_calls is not None
