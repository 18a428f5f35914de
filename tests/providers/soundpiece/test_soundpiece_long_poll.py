"""``wait=true`` returns as soon as the operation is terminal, or after the long-poll time."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from soundpiece_helpers import advance, body_for, client, poll, submit

from live import LiveServer
from mockserver.core.settings import Settings

ROUTE = "create.new_fx"


def test_wait_returns_within_100_ms_of_the_terminal_time(tmp_path: Path) -> None:
    # A 2 s effect takes 2.2 s of realistic work; at speed 2.2 it is ready ~1 s after the PUT.
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="real", speed=2.2)
    with LiveServer(settings) as server, client(server) as c:
        op = submit(c, ROUTE, body_for(ROUTE))
        ready = poll(c, ROUTE, op["id"], wait=True)
        answered = time.time()
        task = server.services.tasks.get("soundpiece", op["id"])
    assert ready["status"] == "ready" and ready["outputs"]
    assert 0.8 < task.terminal_at - task.created_at < 1.2
    assert task.terminal_at <= answered < task.terminal_at + 0.1


def test_wait_false_answers_at_once(tmp_path: Path) -> None:
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual")
    with LiveServer(settings) as server, client(server) as c:
        op = submit(c, ROUTE, body_for(ROUTE))
        started = time.monotonic()
        status = poll(c, ROUTE, op["id"], wait=False)["status"]
        elapsed = time.monotonic() - started
    assert status == "processing" and elapsed < 0.5


def test_wait_gives_up_after_the_long_poll_time(tmp_path: Path) -> None:
    config = {"providers": {"soundpiece": {"long_poll_seconds": 1}}}
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual", config=config)
    with LiveServer(settings) as server, client(server) as c:
        op = submit(c, ROUTE, body_for(ROUTE))
        started = time.monotonic()
        status = poll(c, ROUTE, op["id"], wait=True)["status"]
        elapsed = time.monotonic() - started
        advance(server, 10)
        done = poll(c, ROUTE, op["id"], wait=True)["status"]
    assert status == "processing"
    assert 0.95 < elapsed < 1.5
    assert done == "ready"


def test_a_waiting_poll_returns_when_the_clock_is_advanced(tmp_path: Path) -> None:
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual")
    with LiveServer(settings) as server, client(server) as c, \
            ThreadPoolExecutor(1) as pool:
        op = submit(c, ROUTE, body_for(ROUTE))
        waiting = pool.submit(poll, c, ROUTE, op["id"], True)
        while not server._server.server_state.tasks:  # until uvicorn runs the GET
            time.sleep(0.005)
        started = time.monotonic()
        advance(server, 10)
        status = waiting.result(timeout=20)["status"]
        elapsed = time.monotonic() - started
    assert status == "ready" and elapsed < 1.0

