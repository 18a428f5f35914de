"""``mockserver serve --workers 2``: two processes on one port act as one server.

Real processes on 127.0.0.1 (``ServerProcess``), the manual clock, webhooks to a
``Receiver``; the state file is read directly to count what the server did.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from mockserver.cli import main
from mockserver.testing.servers import Receiver, ServerProcess

MUSICGPT = "/musicgpt/api/public/v1"
SOUNDPIECE = "/soundpiece/v1"
MUSZAIC_TAGS = "/muzaic/getTags"
SOUNDPIECE_KEY, SOUNDPIECE_SECRET = "spk_workers_key", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DONE = 600  # seconds of mock time after which every job submitted here is terminal
WAIT = 30.0  # bounded waits for processes (a lease takes over within about 4 s)


def _start(tmp_path: Path) -> ServerProcess:
    config = tmp_path / "mockserver.yaml"
    config.write_text(yaml.safe_dump({
        "providers": {"soundpiece": {"webhook_secrets": {SOUNDPIECE_KEY: SOUNDPIECE_SECRET}},
                      "musicgpt": {"balance": 10**9}},
        "webhooks": {"backoff_seconds": 1, "attempts": 5}}))
    return ServerProcess(["--workers", "2", "--state", str(tmp_path / "state.db"),
                          "--clock", "manual", "--config", str(config)],
                         cwd=tmp_path, log=tmp_path / "server.log")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with _start(tmp_path) as running:
        yield running


def _pid(client: httpx.Client) -> int:
    return int(client.get("/_mock/workers").json()["pid"])


def _clients_on_both_workers(server: ServerProcess, stack: ExitStack) -> tuple[httpx.Client, ...]:
    """Two keep-alive clients whose connections the two workers serve (one each)."""
    by_pid: dict[int, httpx.Client] = {}
    for _ in range(40):  # the kernel hands each new connection to one worker
        client = stack.enter_context(httpx.Client(base_url=server.url, timeout=30))
        by_pid.setdefault(_pid(client), client)
        if len(by_pid) == 2:
            return tuple(by_pid.values())
    raise AssertionError("40 connections all went to one worker")


def _advance(url: str, seconds: float) -> None:
    assert httpx.post(url + "/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def _submit(url: str, n: int, hook: str) -> tuple[str, str]:
    """Job ``n`` on a new connection: MusicGPT or Soundpiece in turn, polled once;
    (provider, the id its webhook carries)."""
    if n % 2:
        response = httpx.post(url + MUSICGPT + "/sound_generator",
                              headers={"Authorization": f"soak-{n % 7}"},
                              data={"prompt": f"soak {n}", "audio_length": "1",
                                    "webhook_url": hook}, timeout=30)
        assert response.status_code == 200, response.text
        task = response.json()["task_id"]
        poll = httpx.get(url + MUSICGPT + "/byId", headers={"Authorization": f"soak-{n % 7}"},
                         params={"conversionType": "SOUND_GENERATOR", "task_id": task})
        assert poll.status_code == 200, poll.text
        return "musicgpt", task
    headers = {"Authorization": f"Bearer {SOUNDPIECE_KEY}"}
    response = httpx.put(url + SOUNDPIECE + "/create.new_fx", headers=headers, timeout=30, json={
        "idempotency_key": str(uuid.uuid4()), "prompt": f"soak {n}", "callback_url": hook})
    assert response.status_code == 200, response.text
    return "soundpiece", f"msg_{response.json()['fx']['id']}"


def _hook_id(hook: object) -> str:
    headers = hook.headers  # type: ignore[attr-defined]
    return headers.get("webhook-id") or hook.json()["task_id"]  # type: ignore[attr-defined]


def test_memory_state_cannot_be_shared_by_workers() -> None:
    result = CliRunner().invoke(main, ["serve", "--workers", "2", "--state", ":memory:",
                                       "--port", "0"])
    assert result.exit_code == 2
    assert ":memory: cannot be shared" in result.output


def test_soak_every_webhook_once_every_job_finalized_once(server: ServerProcess,
                                                          tmp_path: Path) -> None:
    jobs = 200
    with Receiver() as receiver, ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(_submit, server.url, n, receiver.url) for n in range(jobs)]
        submitted = []
        for done, future in enumerate(as_completed(futures), 1):
            submitted.append(future.result())
            if done % 50 == 0:  # the clock moves while jobs are still being submitted
                _advance(server.url, DONE)
        _advance(server.url, DONE)
        got = receiver.wait_received(jobs, timeout=WAIT)
        late = receiver.wait_received(jobs + 1, timeout=1.0)  # nothing more arrives
    expected = {hook_id for _, hook_id in submitted}
    assert len(expected) == jobs and len(got) == jobs and len(late) == jobs
    assert Counter(_hook_id(hook) for hook in got) == Counter(expected)
    with sqlite3.connect(tmp_path / "state.db") as db:
        finalized = db.execute("SELECT COUNT(*) FROM tasks WHERE finalized_at IS NOT NULL"
                               ).fetchone()[0]
        per_task = db.execute("SELECT task_id, COUNT(*), MAX(state), MAX(json_array_length("
                              "attempts)) FROM webhook_deliveries GROUP BY task_id").fetchall()
    assert finalized == jobs
    assert len(per_task) == jobs  # one delivery queued per task: each finalized once
    assert {(count, state, attempts) for _, count, state, attempts in per_task} == {
        (1, "delivered", 1)}


def test_a_fault_rule_and_the_clock_set_on_one_worker_hold_on_the_other(
        server: ServerProcess) -> None:
    with ExitStack() as stack:
        one, other = _clients_on_both_workers(server, stack)
        rule = one.post("/_mock/faults", json={"provider": "musicgpt", "path": "/v1/byId",
                                               "action": {"status": 503}})
        assert rule.status_code == 201, rule.text
        fired = other.get(MUSICGPT + "/byId", headers={"Authorization": "k"},
                          params={"conversionType": "SOUND_GENERATOR", "task_id": "x"})
        assert other.delete(f"/_mock/faults/{rule.json()['id']}").status_code == 200
        normal = one.get(MUSICGPT + "/byId", headers={"Authorization": "k"},
                         params={"conversionType": "SOUND_GENERATOR", "task_id": "x"})
        before = other.get("/_mock/clock").json()["now"]
        assert one.post("/_mock/clock/advance", json={"seconds": 90}).status_code == 200
        after = other.get("/_mock/clock").json()["now"]
        pids = (_pid(one), _pid(other))
    assert pids[0] != pids[1]
    assert fired.status_code == 503
    assert normal.status_code == 404  # no such task: the rule is gone on the first worker too
    assert after == before + 90


def test_kill_9_of_the_lease_holder_moves_the_background_loops(server: ServerProcess) -> None:
    with Receiver() as receiver:
        holder = httpx.get(server.url + "/_mock/workers").json()["lease"]["pid"]
        os.kill(holder, signal.SIGKILL)
        deadline = time.monotonic() + WAIT
        lease = None
        while time.monotonic() < deadline:  # a bounded wait for the lease to expire
            try:
                lease = httpx.get(server.url + "/_mock/workers").json()["lease"]
            except httpx.TransportError:  # a connection the dying worker had accepted
                continue
            if lease and lease["pid"] != holder and lease["expires_in"] > 0:
                break
            time.sleep(0.2)
        assert lease is not None and lease["pid"] != holder
        submitted = [_submit(server.url, n, receiver.url) for n in range(6)]
        _advance(server.url, DONE)
        got = receiver.wait_received(6, timeout=WAIT)
        late = receiver.wait_received(7, timeout=1.0)
    assert len(got) == len(late) == 6
    assert Counter(_hook_id(hook) for hook in got) == Counter(i for _, i in submitted)


def test_a_request_answered_by_one_worker_is_verified_at_once_on_the_other(
        server: ServerProcess) -> None:
    """A worker's journal rows wait in its queue; the verify on the other worker asks for
    them (shared memory) and waits until they are written."""
    with ExitStack() as stack:
        one, other = _clients_on_both_workers(server, stack)
        found = []
        for n in range(60):
            one.get(MUSZAIC_TAGS, headers={"MuzaicAPI-Secret-Key": f"k{n}"})
            verified = other.post("/_mock/verify", json={
                "provider": "muzaic", "path": "/getTags", "count": n + 1})
            found.append(verified.status_code)
    assert found == [200] * 60
