"""A thread-safe wake-up signal for the background loops (job engine, webhook sender)."""

from __future__ import annotations

import asyncio


class Wakeup:
    """``set()`` from any thread; ``wait(timeout)`` in the loop that ``bind()`` ran in."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def bind(self) -> None:
        """Attach to the running loop (call at the start of the background loop)."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    @property
    def bound_here(self) -> bool:
        """Whether waiting is possible in the current loop."""
        try:
            return self._loop is asyncio.get_running_loop() and self._event is not None
        except RuntimeError:
            return False

    def set(self) -> None:
        """Wake every waiter (no-op before ``bind``)."""
        if self._loop is not None and self._event is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        """Start a new round: later ``wait`` calls block until the next ``set``."""
        if self._event is not None:
            self._event.clear()

    async def wait(self, timeout: float) -> bool:
        """Wait for ``set`` or ``timeout`` seconds; True if woken."""
        assert self._event is not None, "bind() first"
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that races with the event being set, and shutdown would hang.
            async with asyncio.timeout(max(timeout, 0.0)):
                await self._event.wait()
            return True
        except TimeoutError:
            return False
