"""MusicGPT: submit a sound, poll it by id, download it."""

from __future__ import annotations

from typing import Any

import httpx

from songapp.http import fetch, make_client


class MusicGPT:
    """MusicGPT's API (the raw key in ``Authorization``)."""

    def __init__(self, base_url: str, key: str, transport: httpx.BaseTransport | None = None) -> None:
        self.http = make_client(base_url, {"Authorization": key}, transport)

    def submit(self, prompt: str, seconds: int, webhook_url: str | None = None) -> str:
        """Start a sound; its task id."""
        form = {"prompt": prompt, "audio_length": str(seconds)}
        if webhook_url:
            form["webhook_url"] = webhook_url
        response = self.http.post("/v1/sound_generator", data=form)
        response.raise_for_status()
        return str(response.json()["task_id"])

    def conversion(self, task_id: str) -> dict[str, Any]:
        """The task as ``byId`` reports it (``status``, ``audio_url``, ...)."""
        response = self.http.get("/v1/byId", params={"conversionType": "SOUND_GENERATOR",
                                                     "task_id": task_id})
        response.raise_for_status()
        conversion: dict[str, Any] = response.json()["conversion"]
        return conversion

    def download(self, url: str) -> bytes:
        """The MP3 of a finished task."""
        return fetch(self.http, url)
