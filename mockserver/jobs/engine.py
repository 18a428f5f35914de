"""The job engine: notices tasks reaching their terminal step and lets requests wait for it.

``tick`` finalizes every task whose terminal time has come: the provider's finalizer builds
the webhook (if any) and it is queued. The engine ticks in the background (sleeping until the
next terminal time), after every clock advance, and whenever a request looks at a task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from .clock import Clock
from .tasks import Task, TaskStore
from .webhooks import Webhooks

logger = logging.getLogger("mockserver.jobs")


@dataclass(frozen=True)
class Webhook:
    """What a provider wants POSTed when a task is terminal."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


Finalizer = Callable[[Task], Webhook | None]


class JobEngine:
    """Ties the task store, the clock and the webhook queue together."""

    def __init__(self, tasks: TaskStore, clock: Clock, webhooks: Webhooks) -> None:
        self.tasks = tasks
        self.clock = clock
        self.webhooks = webhooks
        self._finalizers: dict[str, Finalizer] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        clock.on_advance(self.tick)

    def register(self, provider: str, finalizer: Finalizer) -> None:
        """Have ``finalizer`` called once for each terminal task of ``provider``."""
        self._finalizers[provider] = finalizer

    def tick(self) -> int:
        """Finalize every due task; returns how many. Safe to call from any thread."""
        now = self.clock.now()
        done = 0
        for task in self.tasks.due(now):
            if not self.tasks.mark_finalized(task.id, task.provider, now):
                continue
            done += 1
            finalizer = self._finalizers.get(task.provider)
            webhook = finalizer(task) if finalizer else None
            if webhook is not None:
                self.webhooks.enqueue(task.provider, task.id, webhook.url, webhook.body,
                                      webhook.headers)
        self._notify()
        return done

    def submitted(self) -> None:
        """Tell the engine a task was added (it may be due at once, or sooner than others)."""
        self.tick()

    def _notify(self) -> None:
        if self._loop is not None and self._changed is not None:
            self._loop.call_soon_threadsafe(self._changed.set)

    async def run(self) -> None:
        """Tick whenever the next task becomes terminal, until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        while True:
            self._changed.clear()
            try:
                self.tick()
            except Exception:  # keep the engine alive; the error is logged, state is in SQLite
                logger.exception("job engine tick failed")
            next_at = self.tasks.next_terminal_at()
            wait = 1.0
            if next_at is not None:
                until = self.clock.wall_seconds_until(next_at)
                wait = 1.0 if until is None else min(until, 1.0)
            try:
                await asyncio.wait_for(self._changed.wait(), max(wait, 0.0))
            except TimeoutError:
                pass

    async def wait_terminal(self, provider: str, task_id: str, timeout: float) -> Task | None:
        """Return the task as soon as it is terminal, or after ``timeout`` wall seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            task = self.tasks.get(provider, task_id)
            if task is None or task.is_terminal(self.clock.now()):
                return task
            remaining = deadline - loop.time()
            if remaining <= 0:
                return task
            until = self.clock.wall_seconds_until(task.terminal_at)
            wait = remaining if until is None else min(remaining, until + 0.002)
            if self._changed is None or self._loop is not loop:
                await asyncio.sleep(min(wait, 0.05))  # engine not running in this loop
                continue
            try:
                await asyncio.wait_for(self._changed.wait(), wait)
            except TimeoutError:
                pass
