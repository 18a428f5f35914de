"""Music Gen AI: generate, poll the task, download the WAV; sync and async."""

from __future__ import annotations

from typing import Any

import httpx

from songapp.http import fetch, make_async_client, make_client


def _task(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    task: dict[str, Any] = response.json()
    return task


class MusicGen:
    """Music Gen AI's REST API (``Authorization: Bearer``)."""

    def __init__(self, base_url: str, key: str, transport: httpx.BaseTransport | None = None) -> None:
        self.http = make_client(base_url, {"Authorization": f"Bearer {key}"}, transport)

    def generate(self, prompt: str, seconds: int) -> str:
        """Start a piece; its task id."""
        return str(_task(self.http.post("/generate", json={"prompt": prompt,
                                                            "duration": seconds}))["task_id"])

    def task(self, task_id: str) -> dict[str, Any]:
        """The task (``status``, ``audio_url``, ``progress``)."""
        return _task(self.http.get(f"/generate/{task_id}"))

    def download(self, url: str) -> bytes:
        """The WAV of a finished task."""
        return fetch(self.http, url)


class AsyncMusicGen:
    """``MusicGen`` for asyncio apps."""

    def __init__(self, base_url: str, key: str,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.http = make_async_client(base_url, {"Authorization": f"Bearer {key}"}, transport)

    async def generate(self, prompt: str, seconds: int) -> str:
        """Start a piece; its task id."""
        answer = await self.http.post("/generate", json={"prompt": prompt, "duration": seconds})
        return str(_task(answer)["task_id"])

    async def task(self, task_id: str) -> dict[str, Any]:
        """The task (``status``, ``audio_url``, ``progress``)."""
        return _task(await self.http.get(f"/generate/{task_id}"))

    async def download(self, url: str) -> bytes:
        """The WAV of a finished task."""
        response = await self.http.get(url)
        response.raise_for_status()
        return response.content
