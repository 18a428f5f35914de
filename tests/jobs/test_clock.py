"""The clock: modes, advancing over HTTP, and a manual clock that survives restarts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from live import LiveServer
from mockserver.core.clock import Clock
from mockserver.core.settings import Settings
from mockserver.core.store import Store


def test_manual_clock_stands_still_and_advances(tmp_path: Path) -> None:
    clock = Clock("manual", store=Store(str(tmp_path / "s.db")))
    start = clock.now()
    assert clock.now() == start
    heard: list[float] = []
    clock.on_advance(lambda: heard.append(clock.now()))
    assert clock.advance(90) == start + 90
    assert heard == [start + 90]
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_manual_clock_continues_after_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    first = Clock("manual", store=Store(path))
    first.advance(3600)
    assert Clock("manual", store=Store(path)).now() == first.now()


def test_job_durations_by_mode() -> None:
    assert Clock("instant").job_seconds(30) == 0
    assert Clock("real", speed=10).job_seconds(30) == 3
    assert Clock("manual").wall_seconds_until(Clock("manual").now() + 5) is None


def test_clock_over_http(tmp_path: Path) -> None:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual")) as live:
        before = httpx.get(live.url + "/_mock/clock").json()
        after = httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 61.5}).json()
        bad = httpx.post(live.url + "/_mock/clock/advance", json={"seconds": -3})
        not_json = httpx.post(live.url + "/_mock/clock/advance", content=b"x",
                              headers={"Content-Type": "application/json"})
        untyped = httpx.post(live.url + "/_mock/clock/advance", content=b"x")
    assert before["mode"] == "manual"
    assert after["now"] == pytest.approx(before["now"] + 61.5)
    assert bad.status_code == 400 and "seconds" in bad.json()["error"]
    assert not_json.status_code == 400
    assert untyped.status_code == 415  # admin bodies are JSON only (issue 14)
