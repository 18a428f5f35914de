"""MusicGPT webhooks through the shared sender: retried until the receiver takes them, and a
slow receiver never slows the API."""

from __future__ import annotations

import time
from pathlib import Path

from musicgpt_helpers import (
    advance,
    by_id,
    client,
    deliveries,
    server,
    submit,
    wait_recorded_attempts,
)

from mockserver.testing.servers import Receiver
from spec_check import assert_schema

BACKOFF = 10  # seconds before the first retry; doubled for each further one


def test_a_receiver_that_refuses_twice_gets_the_delivery_later(tmp_path: Path) -> None:
    config = {"webhooks": {"backoff_seconds": BACKOFF}}
    with Receiver(fail_first=2) as receiver, server(tmp_path, config=config) as live, \
            client(live) as api:
        made = submit(api, prompt="crickets", audio_length=1, webhook_url=receiver.url)
        advance(live, 60)                               # terminal: first attempt, refused
        assert wait_recorded_attempts(live, 1)["state"] == "pending"
        advance(live, BACKOFF)                          # retry 1, refused
        assert wait_recorded_attempts(live, 2)["state"] == "pending"
        assert receiver.received == []
        advance(live, 2 * BACKOFF)                      # retry 2, taken
        got = receiver.wait_received(1)
        record = wait_recorded_attempts(live, 3)
    assert len(got) == 1
    payload = got[0].json()
    assert_schema("musicgpt", "WebhookPayload", payload)
    assert payload["task_id"] == made["task_id"] and payload["status"] == "COMPLETED"
    assert record["state"] == "delivered"
    assert [a.get("status") for a in record["attempts"]] == [503, 503, 200]


def test_a_slow_receiver_does_not_slow_api_calls(tmp_path: Path) -> None:
    with Receiver(delay_seconds=5) as receiver, server(tmp_path) as live, client(live) as api:
        made = submit(api, prompt="slow tide", audio_length=1, webhook_url=receiver.url)
        advance(live, 60)
        assert receiver.wait_attempts(1) == 1  # the 5 s call is in progress now
        started = time.perf_counter()
        polled = by_id(api, task_id=made["task_id"])
        submitted = submit(api, prompt="another", audio_length=1)
        elapsed = time.perf_counter() - started
        in_flight = deliveries(live)[0]["attempts"]
    assert polled.status_code == 200 and submitted["success"] is True
    assert in_flight == []  # the delivery had not finished while the API answered
    # A functional check, not a benchmark: the calls did not wait for the 5 s receiver.
    assert elapsed < 2.0, f"two API calls took {elapsed:.2f} s while a webhook was in flight"
