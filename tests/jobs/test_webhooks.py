"""Webhook delivery: background sending, retries with backoff, records, target policy."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from live import LiveServer
from mockserver.core.jobs.webhooks import standard_webhook_headers, target_refusal
from mockserver.core.settings import Settings
from mockserver.testing.servers import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _server(tmp_path: Path, **config) -> LiveServer:
    return LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual",
                               config={"webhooks": config}))


def _deliveries(live: LiveServer) -> list[dict]:
    return httpx.get(live.url + "/_mock/webhooks").json()["deliveries"]


def test_signature_verifies_with_the_standard_webhooks_library() -> None:
    body = b'{"type": "create.new_song.ready"}'
    headers = standard_webhook_headers(SECRET, "msg_1", int(time.time()), body)
    StandardWebhook(SECRET).verify(body, headers)  # raises on a bad signature
    tampered = {**headers, "webhook-id": "msg_2"}
    with pytest.raises(Exception):
        StandardWebhook(SECRET).verify(body, tampered)


@pytest.mark.parametrize("url, allowed", [
    ("http://127.0.0.1:9/x", True), ("http://localhost/x", True), ("http://10.1.2.3/x", True),
    ("http://192.168.0.5/x", True), ("http://[::1]:8/x", True),
    ("http://8.8.8.8/x", False), ("https://example.com/hook", False), ("ftp://127.0.0.1/x", False),
])
def test_only_loopback_and_private_targets_by_default(url: str, allowed: bool) -> None:
    assert (target_refusal(url, allow_public=False) is None) == allowed


def test_a_delivery_is_sent_and_recorded(tmp_path: Path) -> None:
    with Receiver() as receiver, _server(tmp_path) as live:
        live.services.webhooks.enqueue("muzaic", "t1", receiver.url, b'{"a": 1}', {"x-test": "1"})
        got = receiver.wait_received(1)
        assert got[0].json() == {"a": 1} and got[0].headers["x-test"] == "1"
        record = _deliveries(live)[0]
    assert record["state"] == "delivered" and record["attempts"][0]["status"] == 200


def test_a_receiver_that_is_down_gets_the_delivery_later(tmp_path: Path) -> None:
    with Receiver(fail_first=2) as receiver, _server(tmp_path, backoff_seconds=10) as live:
        live.services.webhooks.enqueue("muzaic", "t1", receiver.url, b"{}", {})
        assert _wait_attempts(live, 1) == ["pending"]
        httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 10})   # retry 1 after 10 s
        assert _wait_attempts(live, 2) == ["pending"]
        httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 20})   # retry 2 after 20 s
        assert len(receiver.wait_received(1)) == 1
        record = _deliveries(live)[0]
    assert record["state"] == "delivered"
    assert [a.get("status") for a in record["attempts"]] == [503, 503, 200]


def test_attempts_are_bounded(tmp_path: Path) -> None:
    with _server(tmp_path, attempts=2, backoff_seconds=1) as live:
        live.services.webhooks.enqueue("muzaic", "t1", "http://127.0.0.1:9/closed", b"{}", {})
        _wait_attempts(live, 1)
        httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 5})
        _wait_attempts(live, 2)
        record = _deliveries(live)[0]
    assert record["state"] == "failed" and all("error" in a for a in record["attempts"])


def test_public_targets_are_blocked_unless_allowed(tmp_path: Path) -> None:
    with _server(tmp_path) as live:
        live.services.webhooks.enqueue("muzaic", "t1", "https://example.com/hook", b"{}", {})
        record = _deliveries(live)[0]
    assert record["state"] == "blocked" and "allow_public" in record["attempts"][0]["error"]


def test_a_slow_receiver_does_not_slow_the_api(tmp_path: Path) -> None:
    with Receiver(delay_seconds=3) as receiver, _server(tmp_path) as live:
        live.services.webhooks.enqueue("muzaic", "t1", receiver.url, b"{}", {})
        assert receiver.wait_attempts(1) == 1  # the slow call is in progress
        started = time.perf_counter()
        response = httpx.get(live.url + "/muzaic/getTags", headers={"MuzaicAPI-Secret-Key": "k"})
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed < 1.0, f"an API call waited {elapsed:.2f} s for a webhook receiver"


def _wait_attempts(live: LiveServer, count: int, timeout: float = 10.0) -> list[str]:
    """Read the admin record until ``count`` attempts are recorded.

    Attempts happen in the server's background sender; the retry time is computed when the
    attempt is recorded, so the test must see the record before it moves the clock.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = _deliveries(live)[0]
        if len(record["attempts"]) >= count:
            return [record["state"]]
        time.sleep(0.02)
    raise AssertionError(f"no attempt {count} within {timeout} s: {json.dumps(record)}")
