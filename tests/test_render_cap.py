"""The render cap: beyond ``memory.max_concurrent_renders`` renders at once, each provider
answers in its own format (Muzaic 429, Music Gen AI 503 ``SERVICE_OVERLOADED``, both with
``Retry-After``); file downloads wait for a slot, then 503; a refused request is neither
charged nor stored; cached audio is served whatever the load.

Renders in progress are stood in for by holding the server's render slots (the same slots
every render takes), so "the cap is full" is a fact, not a race between threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from live import LiveServer
from mockserver.core.renders import Slot
from mockserver.core.settings import Settings
from spec_check import assert_documented

CAP = 2
MUZAIC = {"MuzaicAPI-Secret-Key": "cap-key"}
SOUNDTRACK = {"regions": [{"time": 0, "duration": 3, "params": {"intensity": 4}}]}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual", config={
        "memory": {"max_concurrent_renders": CAP, "render_wait_seconds": 0.3}})
    with LiveServer(settings) as server:
        yield server


@contextlib.contextmanager
def cap_full(live: LiveServer) -> Iterator[list[Slot]]:
    """Every render slot taken, as ``CAP`` renders in progress would hold them."""
    slots = [live.services.renders.try_acquire() for _ in range(CAP)]
    assert all(slots) and live.services.renders.try_acquire() is None
    try:
        yield slots  # type: ignore[misc]
    finally:
        for slot in slots:
            if slot is not None:
                slot.release()


def advance(live: LiveServer, seconds: float) -> None:
    assert httpx.post(live.url + "/_mock/clock/advance", json={"seconds": seconds}).is_success


def retry_after(response: httpx.Response) -> int:
    value = int(response.headers["retry-after"])
    assert value >= 1
    return value


def muzaic_used(live: LiveServer) -> int:
    accounts = httpx.get(live.url + "/_mock/accounts?provider=muzaic").json()["accounts"]
    return sum(a["used"] for a in accounts)


def count(live: LiveServer, table: str) -> int:
    return live.services.store.one(f"SELECT COUNT(*) AS n FROM {table}")["n"]


def test_muzaic_soundtrack_beyond_the_cap_is_a_429_and_charges_and_stores_nothing(
        live: LiveServer) -> None:
    with live.client("/muzaic", headers=MUZAIC) as muzaic:
        with cap_full(live):
            refused = muzaic.post("/soundtrack", json=SOUNDTRACK)
            assert refused.status_code == 429, refused.text
            assert_documented("muzaic", "POST", "/soundtrack", 429, refused.json())
            assert "Too many generations at once" in refused.json()["error"]
            assert f"retry in {retry_after(refused)} seconds" in refused.json()["error"]
            assert muzaic_used(live) == 0
            assert count(live, "muzaic_regions") == 0 and count(live, "muzaic_files") == 0
        made = muzaic.post("/soundtrack", json=SOUNDTRACK)
    assert made.status_code == 200, made.text
    assert made.json()["tokensUsed"] == 3 and muzaic_used(live) == 3


def test_muzaic_downloads_and_audio_from_hash_beyond_the_cap(live: LiveServer) -> None:
    with live.client("/muzaic", headers=MUZAIC) as muzaic:
        with cap_full(live):
            single = muzaic.post("/singleFile", json={"duration": 2})  # renders nothing
            assert single.status_code == 200, single.text
            used = muzaic_used(live)
            download = httpx.get(single.json()["mp3"])
            again = muzaic.post("/audioFromHash", json={"sourceHash": single.json()["hash"]})
            assert muzaic_used(live) == used  # the refused audioFromHash cost nothing
        for refused, path in ((download, "/result/{date}/{file}"), (again, "/audioFromHash")):
            assert refused.status_code == 429, refused.text
            assert_documented("muzaic", "POST" if path == "/audioFromHash" else "GET", path,
                              429, refused.json())
            retry_after(refused)
        assert httpx.get(single.json()["mp3"]).status_code == 200
        assert muzaic.post("/audioFromHash",
                           json={"sourceHash": single.json()["hash"]}).status_code == 200


def test_musicgen_audio_beyond_the_cap_is_a_503_service_overloaded_and_cached_audio_is_not(
        live: LiveServer) -> None:
    with live.client("/musicgen/api/v1", headers={"Authorization": "Bearer k"}) as api:
        first = api.post("/generate", json={"prompt": "calm piano", "duration": 2}).json()
        second = api.post("/generate", json={"prompt": "loud drums", "duration": 2}).json()
        advance(live, 60)
        urls = [api.get(f"/generate/{t['task_id']}").json()["audio_url"]
                for t in (first, second)]
    assert httpx.get(urls[0]).status_code == 200  # rendered once, now cached
    with cap_full(live):
        refused = httpx.get(urls[1])
        cached = httpx.get(urls[0])
    assert refused.status_code == 503, refused.text
    assert_documented("musicgen", "GET", "/audio/{file}", 503, refused.json())
    assert refused.json()["error"]["code"] == "SERVICE_OVERLOADED"
    retry_after(refused)
    assert cached.status_code == 200 and cached.headers["content-type"] == "audio/wav"
    assert httpx.get(urls[1]).status_code == 200


def test_file_urls_wait_for_a_slot_then_answer_503(live: LiveServer) -> None:
    with live.client("/musicgpt/api/public", headers={"Authorization": "k"}) as api:
        task = api.post("/v1/sound_generator", data={"prompt": "rain", "audio_length": "2"})
        advance(live, 60)
        conversion = api.get("/v1/byId", params={"conversionType": "SOUND_GENERATOR",
                                                  "task_id": task.json()["task_id"]})
    url = conversion.json()["conversion"]["audio_url"]
    with cap_full(live):
        refused = httpx.get(url)  # waits render_wait_seconds (0.3 s here) for a slot
    assert refused.status_code == 503
    assert "Too many generations at once" in refused.json()["error"]
    retry_after(refused)
    served = httpx.get(url)
    assert served.status_code == 200 and served.headers["content-type"] == "audio/mpeg"


def test_a_stream_that_finds_no_slot_gets_an_error_and_the_socket_stays_open(
        live: LiveServer) -> None:
    websockets = pytest.importorskip("websockets")
    url = live.url.replace("http://", "ws://") + "/musicgen/api/v1/ws/stream"

    async def talk() -> tuple[dict, dict]:
        async with websockets.connect(url, additional_headers={"Authorization": "Bearer k"},
                                      max_size=None) as ws:
            message = {"type": "generate", "prompt": "ambient", "duration": 1, "stream": True}
            with cap_full(live):
                await ws.send(json.dumps(message))
                error = json.loads(await asyncio.wait_for(ws.recv(), 30))
            await asyncio.to_thread(advance, live, 10)
            await ws.send(json.dumps(message))
            kinds = []
            while (reply := json.loads(await asyncio.wait_for(ws.recv(), 30))
                   )["type"] != "complete":
                kinds.append(reply["type"])
                await asyncio.to_thread(advance, live, 10)
            return error, {"kinds": kinds, "complete": reply}

    error, after = asyncio.run(talk())
    assert error["type"] == "error" and error["error"]["code"] == "SERVICE_OVERLOADED"
    assert after["kinds"] == ["audio_chunk"] and after["complete"]["chunks"] == 1
