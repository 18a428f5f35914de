"""The shared machinery one server run hands to every provider's handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from mockserver.audio.cache import ByteCache
from mockserver.core.accounts import Accounts
from mockserver.core.clock import Clock
from mockserver.core.deferred import INTERVAL
from mockserver.core.faults.rules import FaultRules
from mockserver.core.files import FileLinks
from mockserver.core.jobs.engine import JobEngine
from mockserver.core.jobs.idempotency import Idempotency
from mockserver.core.jobs.live import LiveWork
from mockserver.core.jobs.outcomes import FailureRules
from mockserver.core.jobs.submit import Jobs
from mockserver.core.jobs.tasks import TaskStore
from mockserver.core.jobs.webhooks import Webhooks
from mockserver.core.lease import Lease, worker_id
from mockserver.core.marks import ChangeMarks
from mockserver.core.memory import MB, MemoryLimits, release_memory
from mockserver.core.ratelimit import RateLimiter
from mockserver.core.renders import RenderGate
from mockserver.core.settings import Settings
from mockserver.core.store import Store, is_postgres
from mockserver.core.stores import open_store

LEASE_SECONDS = 3.0
"""How long the background loops' lease lasts unrenewed (a killed holder's loops move to
another worker within this time)."""
POLL_SECONDS = 0.1
"""With several workers: how often the lease holder's loops look at the store for work the
other workers queued (their wake-ups do not cross processes)."""


@dataclass
class Services:
    """State, time, accounts, jobs and the audio cache of one server run."""

    settings: Settings
    store: Store
    clock: Clock
    accounts: Accounts
    audio_cache: ByteCache[bytes]
    tasks: TaskStore
    webhooks: Webhooks
    engine: JobEngine
    """Finalizes tasks when their time comes (and lets requests wait for that)."""
    jobs: Jobs
    """Submits asynchronous work: ``jobs.submit``."""
    idempotency: Idempotency
    rate_limits: RateLimiter
    failures: FailureRules
    faults: FaultRules
    """Fault rules (``/_mock/faults`` and the config's ``faults``), fired at the edge."""
    files: FileLinks
    limits: MemoryLimits
    renders: RenderGate
    """At most ``limits.max_concurrent_renders`` audio renders at once, over every provider."""
    live: LiveWork = field(default_factory=LiveWork)
    """Generations that last as long as a connection (websocket streams), for concurrency
    limits next to ``tasks.running``."""
    lease: Lease | None = None
    """With several workers: the lease that says which one runs the background loops."""

    @classmethod
    def create(cls, settings: Settings, marks: ChangeMarks | None = None) -> Services:
        """Open the state file and build the shared pieces. ``marks``: the change marks a
        worker of ``serve --workers N`` shares with the others (none: a single process)."""
        limits = settings.memory_limits()
        configured_faults = settings.fault_rules()  # a bad rule stops the start before state opens
        # several processes share the state (workers, or servers on one PostgreSQL database):
        # the background loops run in the one holding the lease, which polls the store for
        # the others' work. Journal rows: workers of one serve queue them, and a reader asks
        # the others for theirs (shared memory); servers on one PostgreSQL database share
        # no memory, so there a row is written at once (the next request, a verify, may
        # reach another server)
        shared = settings.workers > 1 or is_postgres(settings.state_path)
        marks = marks or ChangeMarks()
        backlogs = None if is_postgres(settings.state_path) else marks.backlogs()
        at_once = shared and backlogs is None
        store = open_store(settings.state_path, defer_interval=0 if at_once else INTERVAL)
        if backlogs is not None:
            store.share_queue(backlogs)
        clock = Clock(settings.clock, settings.speed, store, marks)
        worker = worker_id()
        poll = POLL_SECONDS if shared else None
        hooks = settings.webhook_config()
        webhooks = Webhooks(
            store, clock,
            max_attempts=int(hooks.get("attempts", 5)),
            backoff_seconds=float(hooks.get("backoff_seconds", 1.0)),
            timeout_seconds=float(hooks.get("timeout_seconds", 10.0)),
            allow_public=bool(hooks.get("allow_public", False)),
            max_in_flight=limits.webhook_in_flight,
            worker=worker, poll_seconds=poll, claim_seconds=LEASE_SECONDS,
        )
        tasks = TaskStore(store)
        engine = JobEngine(tasks, clock, webhooks, poll)
        accounts = Accounts(store, settings, clock)
        idempotency = Idempotency(store)
        failures = FailureRules(store)
        live = LiveWork()
        return cls(
            settings=settings,
            store=store,
            clock=clock,
            accounts=accounts,
            audio_cache=ByteCache(int(limits.audio_cache_mb * MB)),
            tasks=tasks,
            webhooks=webhooks,
            engine=engine,
            jobs=Jobs(store, clock, tasks, engine, idempotency, failures, accounts,
                      webhooks.targets, live, settings.seed),
            idempotency=idempotency,
            rate_limits=RateLimiter(clock, limits.rate_limit_buckets, marks),
            failures=failures,
            faults=FaultRules(store, settings.seed, configured_faults, marks),
            files=FileLinks(store, clock, settings.files_config().get("signing_key")),
            limits=limits,
            renders=RenderGate(limits.max_concurrent_renders),
            live=live,
            lease=Lease(store, worker, LEASE_SECONDS) if shared else None,
        )

    def rendered(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """Audio for ``key`` from the cache, else rendered once in a render slot (raises
        ``renders.Overloaded`` when none is free). After a large render the freed working
        memory is handed back to the OS."""
        def make() -> bytes:
            data = self.renders.run(render)
            threshold = self.limits.trim_after_render_mb * MB
            if threshold and len(data) >= threshold:
                release_memory()
            return data

        return self.audio_cache.get_or_create(key, make)

    async def run_background(self) -> None:
        """The background loops: the job engine and the webhook sender (until cancelled);
        with several workers, only while this one holds the lease."""
        if self.lease is None:
            await self._loops()
        else:
            await self.lease.hold(self._loops)

    async def _loops(self) -> None:
        await asyncio.gather(self.engine.run(), self.webhooks.run())

    @property
    def seed(self) -> int:
        """The ``--seed`` every deterministic id, hash and sound derives from."""
        return self.settings.seed
