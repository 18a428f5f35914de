"""The render gate on its own: a bounded number of slots, refusals that say when to retry,
waiters served without holding a thread, and no slot lost to a waiter that gives up."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from mockserver.core.renders import Overloaded, RenderGate


def test_at_most_limit_slots_and_a_released_one_is_free_again() -> None:
    gate = RenderGate(2)
    first, second = gate.try_acquire(), gate.try_acquire()
    assert first and second and gate.try_acquire() is None and gate.running == 2
    first.release()
    first.release()  # releasing twice frees one slot, once
    assert gate.running == 1
    third = gate.try_acquire()
    assert third is not None and gate.try_acquire() is None


def test_run_refuses_when_full_and_nested_renders_use_the_held_slot() -> None:
    gate = RenderGate(1)
    assert gate.run(lambda: gate.run(lambda: "remix of a render")) == "remix of a render"
    assert gate.running == 0
    held = gate.try_acquire()
    with pytest.raises(Overloaded) as refused:
        gate.run(lambda: "never")
    assert refused.value.retry_after >= 1
    assert refused.value.headers == {"Retry-After": str(refused.value.retry_after)}
    assert f"retry in {refused.value.retry_after} seconds" in str(refused.value)
    assert held is not None
    held.release()


def test_a_waiter_gets_the_slot_released_in_another_thread() -> None:
    gate = RenderGate(1)
    held = gate.try_acquire()
    assert held is not None

    async def scenario() -> bool:
        waiter = asyncio.create_task(gate.acquire(timeout=30))
        await asyncio.sleep(0)  # let it queue
        assert not waiter.done()
        releaser = threading.Thread(target=held.release)
        releaser.start()
        slot = await waiter
        releaser.join()
        got = slot is not None and gate.running == 1 and gate.try_acquire() is None
        assert slot is not None
        slot.release()
        return got

    assert asyncio.run(scenario())
    assert gate.running == 0


def test_waiters_that_time_out_or_are_cancelled_lose_no_slot() -> None:
    gate = RenderGate(1)
    held = gate.try_acquire()
    assert held is not None

    async def scenario() -> object:
        timed_out = await gate.acquire(timeout=0.01)
        cancelled = asyncio.create_task(gate.acquire(timeout=30))
        await asyncio.sleep(0)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        return timed_out

    assert asyncio.run(scenario()) is None
    held.release()
    assert gate.running == 0
    assert gate.try_acquire() is not None


def test_retry_after_is_the_recent_render_time_and_slots_without_renders_do_not_count() -> None:
    gate = RenderGate(1)
    assert gate.refusal().retry_after == 1  # nothing rendered yet
    gate.run(lambda: time.sleep(1.2))  # a render taking 1.2 s
    quick = gate.try_acquire()  # held without rendering (a cached answer)
    assert quick is not None
    quick.release()
    assert gate.refusal().retry_after == 2
