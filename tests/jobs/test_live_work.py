"""Live work (generations tied to a connection), waiting for the clock, and when an
owner's next running task ends."""

from __future__ import annotations

import asyncio
import threading

import pytest

from mockserver.core.clock import Clock
from mockserver.core.jobs.live import LiveWork
from mockserver.core.jobs.tasks import TaskStore
from mockserver.core.store import Store


def test_leases_count_until_released_once() -> None:
    work = LiveWork()
    first = work.acquire("p", "alice")
    with work.acquire("p", "alice"):
        assert work.count("p", "alice") == 2
        assert work.count("p", "bob") == 0 and work.count("q", "alice") == 0
    assert work.count("p", "alice") == 1
    first.release()
    first.release()  # idempotent
    assert work.count("p", "alice") == 0


def test_leases_are_thread_safe() -> None:
    work = LiveWork()

    def churn() -> None:
        for _ in range(2000):
            work.acquire("p", "k").release()

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert work.count("p", "k") == 0


def test_wait_until_on_the_manual_clock_returns_when_advanced_there() -> None:
    clock = Clock("manual")
    start = clock.now()

    async def scenario() -> list[str]:
        events: list[str] = []

        async def waiter() -> None:
            await clock.wait_until(start + 10)
            events.append("reached")

        task = asyncio.create_task(waiter())
        await asyncio.sleep(0)
        await asyncio.to_thread(clock.advance, 5)  # another thread, as the admin API does
        for _ in range(10):  # let the waiter see the wake-up (already queued) and wait again
            await asyncio.sleep(0)
        assert not task.done()
        events.append("after 5 s")
        await asyncio.to_thread(clock.advance, 5)
        await asyncio.wait_for(task, 5)
        return events

    assert asyncio.run(scenario()) == ["after 5 s", "reached"]
    assert clock._listeners == [], "the waiter unregisters itself"


@pytest.mark.parametrize("mode", ["instant", "real", "manual"])
def test_wait_until_a_past_moment_returns_at_once(mode: str) -> None:
    clock = Clock(mode)
    asyncio.run(asyncio.wait_for(clock.wait_until(clock.now() - 1), 1))


def test_wait_until_on_the_real_clock_is_cut_short_by_advance() -> None:
    clock = Clock("real")

    async def scenario() -> None:
        waiter = asyncio.create_task(clock.wait_until(clock.now() + 3600))
        await asyncio.sleep(0)
        clock.advance(3600)
        await asyncio.wait_for(waiter, 5)

    asyncio.run(scenario())


def test_next_end_is_the_first_running_task_of_the_owner(tmp_path) -> None:
    tasks = TaskStore(Store(str(tmp_path / "s.db")))

    def add(seq: int, owner: str, end: float) -> None:
        tasks.add(id=f"t{seq}", provider="p", seq=seq, owner=owner, kind="k", request={},
                  schedule=[("running", 0.0), ("done", end)], outcome="succeeded", error=None,
                  result={}, callback_url=None, created_at=0.0)

    add(1, "alice", 50.0)
    add(2, "alice", 20.0)
    add(3, "bob", 10.0)
    add(4, "alice", 5.0)
    assert tasks.next_end("p", "alice", 10.0) == 20.0
    assert tasks.next_end("p", "alice", 60.0) is None
    assert tasks.next_end("p", "carol", 0.0) is None
