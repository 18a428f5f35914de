"""Keeping a run inside the provider's rate limit, and waiting out the 429s it meets anyway.

A ``Pacer`` spaces calls on the wall clock (a real provider), or, when the suite may move the
target's clock (the bundled mock, or a mock started with ``--clock manual``), lets the mock's
time pass instead of the wall clock's: the mock enforces the same documented limit on its own
clock, so the run stays as strict and becomes fast.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

HEADROOM = 0.95
"""Use this share of a documented limit: requests arrive with jitter, the window is the
provider's, and a 429 costs more time than the margin does."""

RETRIES = 3
"""Retries of one call answered 429 (each after the wait the provider asks for)."""

MAX_WAIT = 120.0
"""The longest wait for one retry; a 429 asking for longer (a quota spent for the day) is not
retried: the example is then not run, and says so."""

_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
          "h": 3600.0, "hour": 3600.0}


@dataclass(frozen=True)
class Rate:
    """At most ``requests`` calls in any ``window`` seconds."""

    requests: int
    window: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"100/min"``, ``"5/s"``, ``"1000/h"`` or ``"30/10s"``."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*\.?\d*)\s*([a-z]+)\s*", text.lower())
        word = match.group(3) if match else ""
        unit = _UNITS.get(word) or (_UNITS.get(word[:-1]) if len(word) > 2 else None)
        window = float(match.group(2) or 1) * unit if match and unit else 0.0
        if not match or window <= 0 or int(match.group(1)) < 1:
            raise ValueError(f"a rate is N/UNIT, e.g. 100/min, 5/s, 30/10s (not {text!r})")
        return cls(int(match.group(1)), window)

    @property
    def allowed(self) -> int:
        """Calls the suite makes per window: the documented number less the headroom."""
        return max(1, math.floor(self.requests * HEADROOM))

    def __str__(self) -> str:
        return f"{self.requests} requests per {self.window:g} s"


class Pacer:
    """Holds each call until the rate allows it.

    ``advance`` moves the target's clock by N seconds (the mock's ``/_mock/clock/advance``);
    without it the pacer sleeps. ``last`` is the wall time of the previous call, so a pacer
    can continue where another process's left off.
    """

    def __init__(self, rate: Rate | None, advance: Callable[[float], None] | None = None,
                 last: float = 0.0) -> None:
        self.rate = rate
        self.advance = advance
        self.last = last
        self._in_window = 0
        if rate is not None and advance is not None:
            advance(rate.window + 1)  # start with a fresh window, whatever came before

    def before_call(self) -> None:
        """Return when the next call may go out."""
        if self.rate is None:
            return
        if self.advance is not None:
            self._in_window += 1
            if self._in_window > self.rate.allowed:
                self.advance(self.rate.window + 1)
                self._in_window = 1
            return
        interval = self.rate.window / self.rate.allowed
        wait = min(interval, self.last + interval - time.time())  # a clock step back: no more
        if wait > 0:
            time.sleep(wait)
        self.last = time.time()


def retry_wait(response: httpx.Response, attempt: int) -> float:
    """Seconds a 429 asks to wait before retrying: ``Retry-After`` (seconds or an HTTP date),
    else ``X-RateLimit-Reset`` (epoch seconds or seconds from now), else 1, 2, 4 ... s."""
    now = time.time()
    for value, parse in ((response.headers.get("retry-after"), _retry_after),
                         (response.headers.get("x-ratelimit-reset"), lambda v: _reset(v, now))):
        seconds = parse(value.strip()) if value else None
        if seconds is not None:
            return max(0.0, seconds)
    return float(2 ** attempt)


def _retry_after(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, IndexError):
        return None


def _reset(value: str, now: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number - now if number > 1e9 else number  # epoch seconds, or seconds from now
