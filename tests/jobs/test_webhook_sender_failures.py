"""The webhook sender never leaves a delivery pending after its attempts: whatever goes wrong
in an attempt (a receiver that hangs up or breaks, a URL or record it cannot use) is recorded
with its reason and retried per policy, then ``failed``; a target the policy refuses is
``blocked`` without any connection; and ``/_mock/clock/advance`` keeps answering JSON."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from netguard import off_loopback, watch

from live import LiveServer
from mockserver.core.settings import Settings

ATTEMPTS = 3


def _settings(tmp_path: Path) -> Settings:
    return Settings(state_path=str(tmp_path / "s.db"), clock="manual",
                    config={"webhooks": {"attempts": ATTEMPTS, "backoff_seconds": 1}})


@contextmanager
def hang_up_receiver() -> Iterator[tuple[str, list[int]]]:
    """127.0.0.1: accepts, reads the request, closes the socket without a word."""
    server = socket.create_server(("127.0.0.1", 0))
    calls: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                calls.append(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook", calls
    finally:
        server.close()


@contextmanager
def raising_receiver() -> Iterator[tuple[str, list[int]]]:
    """127.0.0.1: an HTTP server whose handler raises (http.server drops the connection)."""
    calls: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            calls.append(1)
            raise RuntimeError("receiver bug")

        def log_message(self, *args: object) -> None:
            pass

    class Quiet(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # the traceback is the point of this receiver, not news

    server = Quiet(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", calls
    finally:
        server.shutdown()
        server.server_close()


def _delivery(live: LiveServer, delivery_id: int) -> dict:
    response = httpx.get(live.url + "/_mock/webhooks")
    assert response.status_code == 200
    return next(d for d in response.json()["deliveries"] if d["id"] == delivery_id)


def _wait(live: LiveServer, delivery_id: int, attempts: int, timeout: float = 15.0) -> dict:
    """The delivery once it has ``attempts`` recorded attempts (bounded; attempts run in the
    server's background sender, so the record is read until it shows them)."""
    deadline = time.monotonic() + timeout
    while True:
        record = _delivery(live, delivery_id)
        if len(record["attempts"]) >= attempts or time.monotonic() > deadline:
            return record
        time.sleep(0.02)


def _advance(live: LiveServer, seconds: float) -> None:
    response = httpx.post(live.url + "/_mock/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200 and response.json()["mode"] == "manual", response.text


def _run_out_of_attempts(live: LiveServer, delivery_id: int) -> dict:
    """Every attempt recorded and retried with backoff until the delivery is final."""
    for attempt in range(1, ATTEMPTS + 1):
        record = _wait(live, delivery_id, attempt)
        assert len(record["attempts"]) == attempt, record
        if attempt < ATTEMPTS:
            assert record["state"] == "pending" and record["next_attempt_at"] is not None
            _advance(live, 2 ** attempt)
    return record


@pytest.mark.parametrize("receiver", [hang_up_receiver, raising_receiver],
                         ids=["hangs up", "handler raises"])
def test_a_broken_receiver_fails_the_delivery_after_its_attempts(tmp_path: Path,
                                                                 receiver) -> None:
    with receiver() as (url, calls), LiveServer(_settings(tmp_path)) as live:
        delivery_id = live.services.webhooks.enqueue("musicgpt", "t1", url, b"{}", {})
        record = _run_out_of_attempts(live, delivery_id)
    assert record["state"] == "failed"
    assert len(calls) == ATTEMPTS
    for attempt in record["attempts"]:
        assert "status" not in attempt and attempt["error"], attempt


def test_an_error_outside_http_is_recorded_and_retried(tmp_path: Path) -> None:
    # A header value httpx cannot encode (as an edited state file might hold) raises
    # UnicodeEncodeError, not an httpx error: before, the attempt died with it and the
    # delivery stayed pending forever ("Task exception was never retrieved").
    with raising_receiver() as (url, calls), LiveServer(_settings(tmp_path)) as live:
        delivery_id = live.services.webhooks.enqueue("musicgpt", "t1", url, b"{}",
                                                     {"x-note": "caf\u00e9 \u2713"})
        record = _run_out_of_attempts(live, delivery_id)
    assert record["state"] == "failed" and calls == []
    assert all("UnicodeEncodeError" in a["error"] for a in record["attempts"]), record


def _inject(state: Path, url: str, headers: str = "{}") -> None:
    """A pending delivery written straight into the state file, as an old version left it."""
    with sqlite3.connect(state) as db:
        db.execute("INSERT INTO webhook_deliveries (provider, task_id, url, body, headers,"
                   " state, attempts, next_at, created_at) VALUES"
                   " ('musicgpt', 't', ?, x'7b7d', ?, 'pending', '[]', 0, 0)", (url, headers))


BAD_URLS = {
    "malformed": "http://[::1",
    "70,000 characters": "http://127.0.0.1:9/" + "a" * 70_000,
    "metadata": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "metadata name": "http://metadata.google.internal/computeMetadata/v1/",
    "unspecified": "http://0.0.0.0:9/hook",
    "not http": "gopher://127.0.0.1:6379/_FLUSHALL",
}


def test_stored_deliveries_the_policy_refuses_are_blocked_without_a_connection(
        tmp_path: Path) -> None:
    with LiveServer(_settings(tmp_path)):
        pass  # an empty state file with the current tables
    state = tmp_path / "s.db"
    for url in BAD_URLS.values():
        _inject(state, url)
    with watch() as seen, LiveServer(_settings(tmp_path)) as live:
        _advance(live, 1)
        records = {d["url"]: d for d in (_wait(live, i, 1) for i in range(1, len(BAD_URLS) + 1))}
        _advance(live, 60)  # still JSON after the sender met them
        assert httpx.get(live.url + "/_mock/health").status_code == 200
    assert off_loopback(seen) == []
    assert not any(host == "169.254.169.254" or "metadata" in host for _, host in seen)
    for name, url in BAD_URLS.items():
        record = records[url]
        assert record["state"] == "blocked", (name, record)
        (attempt,) = record["attempts"]
        assert attempt["error"].startswith("blocked: ") and len(attempt["error"]) < 300, name


def test_a_damaged_delivery_record_fails_after_its_attempts(tmp_path: Path) -> None:
    with LiveServer(_settings(tmp_path)):
        pass
    _inject(tmp_path / "s.db", "http://127.0.0.1:9/hook", headers="{not json")
    with LiveServer(_settings(tmp_path)) as live:
        record = _run_out_of_attempts(live, 1)
    assert record["state"] == "failed"
    assert all("not a JSON object" in a["error"] for a in record["attempts"]), record


def test_a_stored_task_with_a_bad_callback_url_does_not_break_the_clock(tmp_path: Path) -> None:
    # The case: a task accepted before URLs were checked at submission. When it
    # became terminal the finalizer raised inside /_mock/clock/advance (a plain-text 500)
    # and the webhook was never queued.
    with LiveServer(_settings(tmp_path)) as live:
        submitted = httpx.post(live.url + "/musicgpt/api/public/v1/sound_generator",
                               data={"prompt": "wind", "webhook_url": "http://127.0.0.1:9/x"},
                               headers={"Authorization": "k"})
        assert submitted.status_code == 200
        with sqlite3.connect(live.settings.state_path) as db:
            db.execute("UPDATE tasks SET callback_url = 'http://[::1'")
        with watch() as seen:
            response = httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 3600})
            assert response.status_code == 200 and "now" in response.json(), response.text
            record = _wait(live, 1, 1)
    assert record["state"] == "blocked" and "blocked: " in record["attempts"][0]["error"]
    assert record["task_id"] == submitted.json()["task_id"]
    assert off_loopback(seen) == []


def test_the_network_watch_sees_lookups_of_other_addresses() -> None:
    # What the "no connection beyond loopback" assertions rely on, shown without traffic:
    # a numeric lookup is parsed locally and still raises the audit event.
    with watch() as seen:
        socket.getaddrinfo("169.254.169.254", 80, flags=socket.AI_NUMERICHOST)
    assert off_loopback(seen) == [("socket.getaddrinfo", "169.254.169.254")]


def test_admin_view_reads_a_damaged_record(tmp_path: Path) -> None:
    with LiveServer(_settings(tmp_path)):
        pass
    _inject(tmp_path / "s.db", "http://127.0.0.1:9/hook", headers=json.dumps(["x"]))
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute("UPDATE webhook_deliveries SET state = 'failed', attempts = 'oops'")
    with LiveServer(_settings(tmp_path)) as live:
        response = httpx.get(live.url + "/_mock/webhooks")
    assert response.status_code == 200
    (record,) = response.json()["deliveries"]
    assert record["headers"] == {} and record["attempts"] == []
