"""The job engine: notices tasks reaching their terminal step and lets requests wait for it.

``tick`` finalizes every task whose terminal time has come: the provider's finalizer builds
the webhook (if any) and it is queued. The engine ticks in the background (sleeping until the
next terminal time), after every clock advance, and whenever a request looks at a task.
A task is claimed, finalized and its webhook queued in one store transaction, so with
several workers (``serve --workers N``) each task is finalized once, by whichever worker
claims it first, and a worker killed half-way leaves the task to be finalized again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from mockserver.core.clock import Clock
from mockserver.core.jobs.tasks import Task, TaskStore
from mockserver.core.jobs.wakeup import Wakeup
from mockserver.core.jobs.webhooks import Webhooks

logger = logging.getLogger("mockserver.core.jobs")


@dataclass(frozen=True)
class Webhook:
    """What a provider wants POSTed when a task is terminal."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


Finalizer = Callable[[Task], Webhook | None]


class JobEngine:
    """Ties the task store, the clock and the webhook queue together."""

    def __init__(self, tasks: TaskStore, clock: Clock, webhooks: Webhooks,
                 poll_seconds: float | None = None) -> None:
        self.tasks = tasks
        self.clock = clock
        self.webhooks = webhooks
        self.poll_seconds = poll_seconds
        """With other workers: look at the store at least this often (their submits and
        clock advances do not wake this worker)."""
        self._finalizers: dict[str, Finalizer] = {}
        self._changed = Wakeup()
        clock.on_advance(self.tick)

    def register(self, provider: str, finalizer: Finalizer) -> None:
        """Have ``finalizer`` called once for each terminal task of ``provider``."""
        self._finalizers[provider] = finalizer

    def tick(self) -> int:
        """Finalize every due task and wake waiters; returns how many. Safe from any thread."""
        done = self._finalize_due()
        self._changed.set()
        return done

    def _finalize_due(self) -> int:
        now = self.clock.now()
        done = 0
        for task in self.tasks.due(now):
            with self.tasks.store.transaction():
                if not self.tasks.mark_finalized(task.id, task.provider, now):
                    continue
                done += 1
                try:
                    finalizer = self._finalizers.get(task.provider)
                    webhook = finalizer(task) if finalizer else None
                    if webhook is not None:
                        self.webhooks.enqueue(task.provider, task.id, webhook.url, webhook.body,
                                              webhook.headers, task.webhook_fault)
                except Exception:  # one bad task must not stop the others (nor an advance)
                    logger.exception("finalizing %s task %s failed", task.provider, task.id)
        return done

    def _cap(self, seconds: float) -> float:
        return seconds if self.poll_seconds is None else min(seconds, self.poll_seconds)

    def submitted(self) -> None:
        """Tell the engine a task was added (it may be due at once, or sooner than others)."""
        self.tick()

    async def run(self) -> None:
        """Tick whenever the next task becomes terminal, until cancelled."""
        self._changed.bind()
        while True:
            self._changed.clear()
            try:
                # Not tick(): waking itself after every round would make this loop spin.
                if self._finalize_due():
                    self._changed.set()  # requests waiting in wait_terminal
            except Exception:  # keep the engine alive; the error is logged, state is in SQLite
                logger.exception("job engine tick failed")
            await self._changed.wait(self._cap(
                self.clock.wait_seconds(self.tasks.next_terminal_at())))

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
            wait = self._cap(self.clock.wait_seconds(task.terminal_at + 0.002, cap=remaining))
            if self._changed.bound_here:
                await self._changed.wait(wait)
            else:  # the engine runs in another loop (never in the server): re-check soon
                await asyncio.sleep(min(wait, 0.05))
