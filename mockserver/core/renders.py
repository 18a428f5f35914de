"""The render gate: at most N audio renders at once, over every provider.

A render holds a long piece of audio (and its encoded bytes) in memory for seconds, so the
number running at once bounds the server's memory. Synchronous APIs take a slot at once or
are refused (``try_acquire``; the provider answers 429/503 with ``Retry-After``); downloads and
streams may wait for one without holding a thread (``acquire``). A slot held by the current
context (``holding``) is used by renders nested in it (a remix rendering its source), so
nesting never deadlocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_HELD: ContextVar[Slot | None] = ContextVar("mockserver_render_slot", default=None)
_SMOOTHING = 0.3  # weight of the newest render in the running mean of render times


class Overloaded(Exception):
    """Every render slot is taken; ``retry_after`` is a whole number of seconds to wait."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"Too many generations at once: all {limit} render slots are busy;"
                         f" retry in {retry_after} seconds")
        self.limit = limit
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class Slot:
    """One render slot; ``release()`` (or leaving the ``with`` block) frees it once."""

    def __init__(self, gate: RenderGate) -> None:
        self._gate = gate
        self._started = time.monotonic()
        self._released = False
        self.rendered = False
        """Whether a render ran in the slot (only those count toward ``Retry-After``)."""

    def release(self) -> None:
        """Give the slot back (idempotent)."""
        if not self._released:
            self._released = True
            self._gate._release(time.monotonic() - self._started if self.rendered else None)

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class RenderGate:
    """A thread-safe counting semaphore for renders, with asyncio waiters served in order."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the render limit must be at least 1")
        self.limit = limit
        self._lock = threading.Lock()
        self._running = 0
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._mean_seconds: float | None = None

    @property
    def running(self) -> int:
        """Slots taken now."""
        return self._running

    def try_acquire(self) -> Slot | None:
        """A slot if one is free now, else None."""
        with self._lock:
            if self._running >= self.limit:
                return None
            self._running += 1
        return Slot(self)

    def refusal(self) -> Overloaded:
        """The error for a request finding every slot taken; ``Retry-After`` is the recent
        mean render time (a slot is likely free by then), at least 1 s."""
        mean = self._mean_seconds
        return Overloaded(self.limit, max(1, math.ceil(mean)) if mean else 1)

    async def acquire(self, timeout: float) -> Slot | None:
        """A slot, waiting up to ``timeout`` seconds for one (without holding a thread);
        None when none came free in time."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._running < self.limit:
                self._running += 1
                return Slot(self)
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, waiter))
        try:
            async with asyncio.timeout(timeout):
                await waiter
            return Slot(self)
        except BaseException as exc:
            with self._lock:
                queued = (loop, waiter) in self._waiters
                if queued:
                    self._waiters.remove((loop, waiter))
            if not queued and waiter.done() and not waiter.cancelled():
                self._release(None)  # handed a slot just as we gave up: pass it on
            if isinstance(exc, TimeoutError):
                return None
            raise

    @contextlib.contextmanager
    def holding(self, slot: Slot) -> Iterator[Slot]:
        """Run the block with ``slot`` held by this context (renders inside use it)."""
        token = _HELD.set(slot)
        try:
            with slot:
                yield slot
        finally:
            _HELD.reset(token)

    def run(self, render: Callable[[], T]) -> T:
        """``render()`` in the slot this context holds, else in a free one; raises
        ``Overloaded`` when every slot is taken."""
        held = _HELD.get()
        if held is not None:
            held.rendered = True
            return render()
        slot = self.try_acquire()
        if slot is None:
            raise self.refusal()
        slot.rendered = True
        with self.holding(slot):
            return render()

    def _release(self, seconds: float | None) -> None:
        with self._lock:
            if seconds is not None:
                mean = self._mean_seconds
                self._mean_seconds = seconds if mean is None else (
                    (1 - _SMOOTHING) * mean + _SMOOTHING * seconds)
            while self._waiters:  # the slot passes straight to the longest waiter
                loop, waiter = self._waiters.popleft()
                with contextlib.suppress(RuntimeError):  # its loop has closed: next one
                    loop.call_soon_threadsafe(self._hand_over, waiter)
                    return
            self._running -= 1

    def _hand_over(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done():  # it gave up meanwhile: the next waiter gets the slot
            self._release(None)
        else:
            waiter.set_result(None)
