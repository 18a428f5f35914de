"""Shared pieces of the Music Gen AI tests: servers, clients, the clock, websocket talk."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import soundfile
import websockets

from live import LiveServer
from mockserver.core.settings import Settings
from spec_check import assert_documented

BASE = "/musicgen/api/v1"
SAMPLE_RATE = 32000
T = TypeVar("T")


def server(tmp_path: Path, clock: str = "manual", **kwargs: Any) -> LiveServer:
    """A server of its own, state in ``tmp_path``, on the given clock."""
    return LiveServer(Settings(state_path=str(tmp_path / "state.db"), clock=clock, **kwargs))


def client(live: LiveServer, key: str) -> httpx.Client:
    """A client for the API's base path with ``Authorization: Bearer <key>``."""
    return live.client(BASE, headers={"Authorization": f"Bearer {key}"})


def advance(live: LiveServer, seconds: float) -> None:
    """Move the server's manual clock forward."""
    assert httpx.post(live.url + "/_mock/clock/advance", json={"seconds": seconds}).is_success


def submit(api: httpx.Client, body: dict[str, Any], path: str = "/generate") -> dict[str, Any]:
    """POST a generation; asserts a documented 200 and returns the body."""
    response = api.post(path, json=body)
    assert response.status_code == 200, response.text
    assert_documented("musicgen", "POST", path, 200, response.json())
    return response.json()


def task(api: httpx.Client, task_id: str) -> dict[str, Any]:
    """GET /generate/{task_id}; asserts a documented 200."""
    response = api.get(f"/generate/{task_id}")
    assert response.status_code == 200, response.text
    assert_documented("musicgen", "GET", "/generate/{task_id}", 200, response.json())
    return response.json()


def error_of(response: httpx.Response, status: int, path: str, method: str = "POST") -> dict:
    """The documented error object of a ``status`` answer."""
    assert response.status_code == status, response.text
    assert_documented("musicgen", method, path, status, response.json())
    return response.json()["error"]


def fetch_wav(url: str) -> bytes:
    """GET an ``audio_url`` (no key needed) and return the WAV bytes."""
    response = httpx.get(url, timeout=120)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    return response.content


def wav_pcm(data: bytes) -> tuple[np.ndarray, int]:
    """A WAV's 16-bit samples (n, channels) and rate."""
    samples, rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    return samples, rate


def ws_url(live: LiveServer, query: str = "") -> str:
    """The websocket stream's URL."""
    return live.url.replace("http://", "ws://") + BASE + "/ws/stream" + query


async def ws_json(ws: Any, timeout: float = 30.0) -> dict[str, Any]:
    """The next message of a websocket, parsed."""
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def connect(live: LiveServer, key: str | None = None, query: str = "") -> Any:
    """A ``websockets`` connection to the stream (Bearer header when ``key``)."""
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return websockets.connect(ws_url(live, query), additional_headers=headers,
                              max_size=None)


async def collect_stream(ws: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every ``audio_chunk`` up to the ``complete`` message (which is returned too)."""
    chunks: list[dict[str, Any]] = []
    while True:
        message = await ws_json(ws)
        if message["type"] == "complete":
            return chunks, message
        assert message["type"] == "audio_chunk", message
        chunks.append(message)


def pcm_of(chunks: list[dict[str, Any]]) -> bytes:
    """The chunks' audio joined."""
    return b"".join(base64.b64decode(c["data"]) for c in chunks)


def eventually(check: Callable[[], T | None], timeout: float = 10.0) -> T:
    """``check()``'s first truthy result. Only for state the server learns asynchronously
    (a websocket client that left): it retries, it does not wait for the clock."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.01)
