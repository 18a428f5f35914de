"""Rate-limit buckets stay bounded: idle ones are dropped on the mock's clock, at most
``memory.rate_limit_buckets`` are kept, and a long key costs no more than a short one."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import httpx

from live import LiveServer
from mockserver.core.clock import Clock
from mockserver.core.ratelimit import RateLimiter
from mockserver.core.settings import Settings

WINDOW = 60.0


def test_idle_buckets_are_dropped_once_the_clock_passes_their_window() -> None:
    clock = Clock("manual")
    limiter = RateLimiter(clock)
    for i in range(1000):
        assert limiter.hit(("musicgen", f"key-{i}"), 3, WINDOW).allowed
    assert len(limiter) == 1000
    clock.advance(WINDOW - 1)
    limiter.hit(("musicgen", "active"), 3, WINDOW)
    limiter.hit(("musicgen", "active"), 3, WINDOW)
    assert len(limiter) == 1001  # nothing has left its window yet
    clock.advance(1)
    limiter.hit(("musicgen", "late"), 3, WINDOW)  # the next hit sweeps
    assert len(limiter) == 2  # "active" (hit 1 s ago) and "late" are left
    # the bucket still in its window kept its count: one more fits, then it is refused
    assert limiter.hit(("musicgen", "active"), 3, WINDOW).allowed
    assert not limiter.hit(("musicgen", "active"), 3, WINDOW).allowed


def test_a_dropped_bucket_starts_afresh() -> None:
    clock = Clock("manual")
    limiter = RateLimiter(clock)
    assert [limiter.hit("k", 2, WINDOW).allowed for _ in range(3)] == [True, True, False]
    clock.advance(WINDOW)
    assert limiter.sweep() == 1 and len(limiter) == 0
    decision = limiter.hit("k", 2, WINDOW)
    assert decision.allowed and decision.remaining == 1


def test_at_most_max_buckets_are_kept_least_recently_hit_dropped_first() -> None:
    clock = Clock("manual")
    limiter = RateLimiter(clock, max_buckets=10)
    limiter.hit("first", 1, WINDOW)
    for i in range(9):
        limiter.hit(f"k{i}", 1, WINDOW)
    assert not limiter.hit("first", 1, WINDOW).allowed  # refreshed: now most recent
    limiter.hit("new", 1, WINDOW)  # an 11th bucket drops the least recently hit, k0
    assert len(limiter) == 10
    assert not limiter.hit("first", 1, WINDOW).allowed
    assert limiter.hit("k0", 1, WINDOW).allowed  # k0 was dropped, so it starts afresh


def test_long_keys_are_not_kept() -> None:
    clock = Clock("manual")
    limiter = RateLimiter(clock)
    keys = [f"{i:04d}" + "k" * 30_000 for i in range(200)]  # 6 MB of keys
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for key in keys:
            limiter.hit(("musicgen", key), 100, WINDOW)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(limiter) == 200
    assert kept < 200 * 1000, f"{kept} bytes kept for 200 buckets"


def test_the_server_drops_idle_buckets_and_reads_its_bound_from_the_config(
        tmp_path: Path) -> None:
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual",
                        config={"memory": {"rate_limit_buckets": 50}})
    with LiveServer(settings) as live:
        def models(key: str) -> int:
            return httpx.get(live.url + "/musicgen/api/v1/models",
                             headers={"Authorization": f"Bearer {key}"}).status_code

        assert {models(f"key-{i}") for i in range(80)} == {200}
        limiter = live.services.rate_limits
        assert len(limiter) == 50
        httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 60})
        assert models("after") == 200
        assert len(limiter) == 1
