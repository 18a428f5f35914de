"""Progress lines while a run works: when each check starts, every few seconds how far it
got (calls, 429s, time), and how it ended. Plain lines, so a terminal and a CI log read
alike; nothing a user runs is silent for long."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

Counts = Callable[[], tuple[int, int]]
"""() -> (calls so far, of which answered 429)."""


class Progress:
    """Prints to ``stream`` (stderr by default); a line per running check every ``every`` s."""

    def __init__(self, stream: TextIO | None = None, every: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self._running: dict[tuple[str, str], tuple[float, Counts]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def say(self, text: str) -> None:
        """One line, flushed."""
        with self._lock:
            print(text, file=self.stream, flush=True)

    def started(self, provider: str, check: str, counts: Counts) -> None:
        """A check began; report it now and every few seconds until ``finished``."""
        with self._lock:
            self._running[(provider, check)] = (time.monotonic(), counts)
            if self._thread is None:
                self._thread = threading.Thread(target=self._tick, daemon=True)
                self._thread.start()
        self.say(f"[{provider}] {check}: started")

    def finished(self, provider: str, check: str, outcome: str) -> None:
        """A check ended with ``outcome`` (passed, failed, skipped: why)."""
        with self._lock:
            began, counts = self._running.pop((provider, check), (time.monotonic(), None))
        calls = _calls(counts) if counts else ""
        self.say(f"[{provider}] {check}: {outcome}{calls}, {time.monotonic() - began:.0f} s")

    def close(self) -> None:
        """Stop the ticker."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                running = list(self._running.items())
            for (provider, check), (began, counts) in running:
                self.say(f"[{provider}] {check}: running{_calls(counts)},"
                         f" {time.monotonic() - began:.0f} s")


def _calls(counts: Counts) -> str:
    calls, limited = counts()
    return f" ({calls} calls" + (f", {limited} answered 429" if limited else "") + ")"


class Silent(Progress):
    """No output (for runs inside tests that read the report instead)."""

    def say(self, text: str) -> None:
        """Say nothing."""
