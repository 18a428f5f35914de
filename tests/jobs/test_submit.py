"""``Jobs.submit``: the one submit recipe (ids, failure rules, charges, idempotency, refusals)
on a real in-memory store and a manual clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from mockserver.core.errors import CallbackRefused, IdempotencyConflict, InsufficientBalance
from mockserver.core.jobs.submit import NewTask, Submission, base36_ids
from mockserver.core.jobs.tasks import TASK_FAILED, TASK_SUCCEEDED, Task
from mockserver.core.services import Services
from mockserver.core.settings import Settings

KEY = "key-1"


def _services(balance: int = 100) -> Services:
    return Services.create(Settings(state_path=":memory:", clock="manual", config={
        "providers": {"p": {"balance": balance}}}))


def _task(prompt: str = "calm", cost: int = 10) -> NewTask:
    return NewTask(kind="k", request={"prompt": prompt}, failure_text=prompt,
                   error={"message": "failed"}, cost=cost,
                   schedule=lambda now, fails: [("working", now), ("end", now + 5)])


def _ids(tasks: Sequence[Task]) -> Any:
    return [task.id for task in tasks]


def test_tasks_are_numbered_stored_charged_and_answered() -> None:
    services = _services()
    made = services.jobs.submit(Submission(
        provider="p", owner=KEY, tasks=lambda first: [_task(), _task()], answer=_ids,
        ids=base36_ids("op_", 8)))
    assert made.status == 200 and len(made.body) == 2
    assert all(i.startswith("op_") and len(i) == 11 for i in made.body)
    assert [t.seq for t in made.tasks] == [1, 2]
    assert all(t.outcome == TASK_SUCCEEDED and t.error is None for t in made.tasks)
    assert services.accounts.get_or_create("p", KEY).balance == 80


def test_a_failing_task_is_free_only_when_failures_cost_nothing() -> None:
    services = _services()
    for charge_failed in (True, False):
        made = services.jobs.submit(Submission(
            provider="p", owner=KEY, tasks=lambda first: [_task("x [mock:fail]")],
            answer=_ids, charge_failed=charge_failed))
        assert made.tasks[0].outcome == TASK_FAILED
        assert made.tasks[0].error == {"message": "failed"}
    assert services.accounts.get_or_create("p", KEY).balance == 90


def test_an_idempotency_key_replays_or_conflicts_and_refusals_store_nothing() -> None:
    services = _services(balance=15)

    def submit(prompt: str, key: str | None = "k1", url: str | None = None) -> Any:
        return services.jobs.submit(Submission(
            provider="p", owner=KEY, tasks=lambda first: [_task(prompt)], answer=_ids,
            idempotency_key=key, fingerprint={"prompt": prompt}, callback_url=url))

    first = submit("calm")
    again = submit("calm")
    assert again.body == first.body and again.tasks == ()
    with pytest.raises(IdempotencyConflict):
        submit("loud")
    with pytest.raises(InsufficientBalance):
        submit("loud", key="k2")
    with pytest.raises(CallbackRefused):
        submit("loud", key="k3", url="http://169.254.169.254/")
    assert services.tasks.count("p") == 1
    assert services.accounts.get_or_create("p", KEY).balance == 5
