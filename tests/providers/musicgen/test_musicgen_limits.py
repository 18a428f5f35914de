"""The seed's limits on the manual clock: 100 requests per minute per key, and 10
concurrent generations per account (tasks and websocket streams alike)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from musicgen_helpers import advance, client, connect, error_of, eventually, server, submit, ws_json

from live import LiveServer
from spec_check import assert_documented


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One manual-clock server for this module (each test uses keys of its own)."""
    with server(tmp_path_factory.mktemp("musicgen-limits")) as running:
        yield running


def test_the_101st_request_in_a_minute_is_429(live: LiveServer) -> None:
    now = live.services.clock.now()
    with client(live, "rate-key") as api:
        statuses = [api.get("/models").status_code for _ in range(100)]
        refused = api.get("/models")
        health = api.get("/health")  # needs no key: not counted, not refused
        with client(live, "another-key") as other:
            other_key = other.get("/models")
        advance(live, 60)
        after = api.get("/models")
    assert statuses == [200] * 100
    error = error_of(refused, 429, "/models", "GET")
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert refused.headers["x-ratelimit-limit"] == "100"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["retry-after"] == "60"
    assert int(refused.headers["x-ratelimit-reset"]) - now == pytest.approx(60, abs=1)
    assert health.status_code == 200
    assert other_key.status_code == 200
    assert after.status_code == 200 and "x-ratelimit-limit" not in after.headers


def test_the_11th_concurrent_generation_is_refused_until_one_finishes(live: LiveServer) -> None:
    with client(live, "busy-account") as api:
        short = submit(api, {"prompt": "short one", "duration": 2})  # eta 3 s
        for i in range(9):
            submit(api, {"prompt": f"long one {i}", "duration": 20})  # eta 30 s
        refused = api.post("/generate", json={"prompt": "eleventh"})
        batch = api.post("/generate/batch", json={"requests": [{"prompt": "b"}]})
        multi = api.post("/multi-instrument", json={"instruments": {"piano": "p"}})
        with client(live, "other-account") as other:
            elsewhere = submit(other, {"prompt": "someone else's"})
        advance(live, short["eta"])  # the short one completes: one slot is free
        admitted = submit(api, {"prompt": "eleventh, later"})
        refused_again = api.post("/generate", json={"prompt": "twelfth"})
    error = error_of(refused, 429, "/generate")
    assert error["code"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert error["details"] == {"limit": 10, "running": 10, "requested": 1}
    assert refused.headers["x-ratelimit-limit"] == "10"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["retry-after"] == "3"  # when the short one ends
    assert error_of(batch, 429, "/generate/batch")["code"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert error_of(multi, 429, "/multi-instrument")["code"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert elsewhere["status"] == "processing"
    assert admitted["status"] == "processing"
    assert error_of(refused_again, 429, "/generate")["code"] == "CONCURRENCY_LIMIT_EXCEEDED"


def test_a_batch_counts_one_generation_per_item(live: LiveServer) -> None:
    with client(live, "batch-account") as api:
        submit(api, {"requests": [{"prompt": f"p{i}"} for i in range(8)]}, "/generate/batch")
        too_many = api.post("/generate/batch", json={"requests": [{"prompt": "a"}] * 3})
        fits = submit(api, {"requests": [{"prompt": "a"}] * 2}, "/generate/batch")
    error = error_of(too_many, 429, "/generate/batch")
    assert error["details"] == {"limit": 10, "running": 8, "requested": 3}
    assert len(fits["tasks"]) == 2


def test_a_stream_holds_a_slot_until_its_client_leaves(live: LiveServer) -> None:
    key = "stream-account"

    async def scenario() -> tuple[httpx.Response, dict]:
        async with connect(live, key) as ws:
            await ws.send('{"type": "generate", "prompt": "endless ambient", "duration": 60}')
            first = await ws_json(ws)
            assert first["type"] == "audio_chunk"
            with client(live, key) as api:
                for i in range(9):
                    await asyncio.to_thread(submit, api, {"prompt": f"t{i}", "duration": 30})
                refused = await asyncio.to_thread(api.post, "/generate", json={"prompt": "x"})
            # A generation over a second socket is refused the same way.
            async with connect(live, key) as second:
                await second.send('{"type": "generate", "prompt": "another"}')
                refusal = await ws_json(second)
        return refused, refusal

    refused, refusal = asyncio.run(scenario())
    assert error_of(refused, 429, "/generate")["code"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert refusal["type"] == "error"
    assert refusal["error"]["code"] == "CONCURRENCY_LIMIT_EXCEEDED"
    # The stream's client has gone: its slot is free as soon as the server notices.
    with client(live, key) as api:
        admitted = eventually(lambda: (r := api.post("/generate", json={"prompt": "y"}))
                              .status_code == 200 and r)
    assert_documented("musicgen", "POST", "/generate", 200, admitted.json())
    assert live.services.live.count("musicgen", key) == 0
