"""Submitting asynchronous work: the one recipe every provider with tasks follows.

``Jobs.submit`` refuses a callback URL that may not be called (before anything else), then
in one store transaction: replays an idempotency key (or claims it), lets the provider
refuse (its concurrency limit), numbers the tasks, applies the failure rules and the faults
armed for the request (``core.faults.armed``), charges the account, gives each task its id
and its schedule, stores it, builds the answer and remembers it for the key (a replay
returns the first answer and arms nothing). After the commit it wakes the job engine. A
provider passes what is its own: task kinds, schedules, results, error shape, id format and
answer shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockserver.core.accounts import Accounts
from mockserver.core.clock import Clock
from mockserver.core.errors import CallbackRefused
from mockserver.core.faults.armed import Armed, armed
from mockserver.core.jobs.engine import JobEngine
from mockserver.core.jobs.idempotency import Idempotency
from mockserver.core.jobs.live import Lease, LiveWork
from mockserver.core.jobs.outcomes import FailureRules
from mockserver.core.jobs.targets import TargetPolicy
from mockserver.core.jobs.tasks import (
    TASK_FAILED,
    TASK_SUCCEEDED,
    Task,
    TaskStore,
    make_base36,
    make_uuid,
)
from mockserver.core.store import Store

IdFormat = Callable[[int, str, int], str]
"""(server seed, provider, submission number) -> the task's id."""
Schedule = Callable[[float, bool], Sequence[tuple[str, float]]]
"""(submitted at, whether it fails) -> the provider's (status, time) steps."""


def uuid_ids(seed: int, provider: str, seq: int) -> str:
    """A uuid4-shaped task id."""
    return make_uuid(seed, provider, seq, "task")


def base36_ids(prefix: str, length: int) -> IdFormat:
    """Task ids of ``prefix`` and ``length`` characters of ``[0-9a-z]``."""
    def ids(seed: int, provider: str, seq: int) -> str:
        return prefix + make_base36(seed, provider, seq, length)
    return ids


@dataclass(frozen=True)
class NewTask:
    """One task a provider asks for, in its own terms."""

    kind: str
    request: dict[str, Any]
    """The request as stored with the task (what its result is rendered from)."""
    schedule: Schedule
    failure_text: str
    """What failure rules (and the ``[mock:fail]`` marker) are matched against."""
    error: dict[str, Any]
    """The error a failed task carries, in the provider's shape."""
    result: dict[str, Any] = field(default_factory=dict)
    cost: int = 0
    """What the task charges the owner's account, in the submission's ``unit``."""


def _no_admission_check() -> None:
    return None


@dataclass(frozen=True)
class Submission:
    """One submit request: who submits, the tasks it makes and how it is answered."""

    provider: str
    owner: str
    """The API key that submits (it owns the tasks and pays for them)."""
    tasks: Callable[[int], Sequence[NewTask]]
    """First submission number -> the tasks; the i-th gets number ``first + i``."""
    answer: Callable[[Sequence[Task]], Any]
    """The stored tasks -> the response body."""
    ids: IdFormat = uuid_ids
    callback_url: str | None = None
    """Where the tasks' webhooks go (checked against the target policy first)."""
    idempotency_key: str | None = None
    fingerprint: Any = None
    """What the idempotency key is bound to (the request as the provider reads it)."""
    unit: str = "credits"
    charge_failed: bool = True
    """Whether a task that will fail is charged too (False: failures are free)."""
    admit: Callable[[], None] = _no_admission_check
    """Called first inside the transaction; raises to refuse (a concurrency limit)."""
    live: bool = False
    """The work lasts as long as the caller's connection: the answer holds a ``LiveWork``
    lease, taken inside the transaction so that ``admit``'s check holds."""


@dataclass(frozen=True)
class Submitted:
    """The answer to a submission: a new one, or the replay of an idempotency key."""

    body: Any
    status: int = 200
    tasks: Sequence[Task] = ()
    """The stored tasks (none for a replay)."""
    lease: Lease | None = None
    """The live-work lease of a ``live`` submission (release it when the work ends)."""


class Jobs:
    """Submits asynchronous work; the job engine finalizes it when its time comes."""

    def __init__(self, store: Store, clock: Clock, tasks: TaskStore, engine: JobEngine,
                 idempotency: Idempotency, failures: FailureRules, accounts: Accounts,
                 targets: TargetPolicy, live: LiveWork, seed: int) -> None:
        self.store = store
        self.clock = clock
        self.tasks = tasks
        self.engine = engine
        self.idempotency = idempotency
        self.failures = failures
        self.accounts = accounts
        self.targets = targets
        self.live = live
        self.seed = seed

    def submit(self, submission: Submission) -> Submitted:
        """Store the submission's tasks (or replay its key) and wake the engine.

        Raises ``CallbackRefused``, ``IdempotencyConflict``, ``InsufficientBalance`` or
        whatever ``admit`` raises; nothing is stored or charged then.
        """
        s = submission
        if s.callback_url is not None:
            refusal = self.targets.check(s.callback_url)
            if refusal is not None:
                raise CallbackRefused(refusal)
        with self.store.transaction():
            if s.idempotency_key is not None:
                stored = self.idempotency.replay(s.provider, s.owner, s.idempotency_key,
                                                 s.fingerprint)
                if stored is not None:
                    return Submitted(stored.body, stored.status)
            s.admit()
            first = self.tasks.next_seq(s.provider)
            now = self.clock.now()
            faults = armed()
            tasks = [self._add(s, first + offset, new, now, faults)
                     for offset, new in enumerate(s.tasks(first))]
            body = s.answer(tasks)
            if s.idempotency_key is not None:
                self.idempotency.remember(s.provider, s.owner, s.idempotency_key,
                                          s.fingerprint, 200, body, now)
            lease = self.live.acquire(s.provider, s.owner) if s.live else None
        self.engine.submitted()
        return Submitted(body, 200, tasks, lease)

    def _add(self, s: Submission, seq: int, new: NewTask, now: float, faults: Armed) -> Task:
        # An armed job fault fails the task as a failure rule would, without using one up.
        fails = (faults.job is not None and faults.job.action == "fail"
                 or self.failures.should_fail(s.provider, new.failure_text))
        if new.cost and (s.charge_failed or not fails):
            self.accounts.charge(s.provider, s.owner, new.cost, s.unit)
        return self.tasks.add(
            id=s.ids(self.seed, s.provider, seq), provider=s.provider, seq=seq, owner=s.owner,
            kind=new.kind, request=new.request, schedule=new.schedule(now, fails),
            outcome=TASK_FAILED if fails else TASK_SUCCEEDED,
            error=new.error if fails else None, result=new.result,
            callback_url=s.callback_url, created_at=now, webhook_fault=faults.webhook)
