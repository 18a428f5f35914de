"""Muzaic: tags, and a single music file made at once."""

from __future__ import annotations

from typing import Any

import httpx

from songapp.http import fetch, make_client


class Muzaic:
    """Muzaic's API (``MuzaicAPI-Secret-Key`` header)."""

    def __init__(self, base_url: str, key: str, transport: httpx.BaseTransport | None = None) -> None:
        self.http = make_client(base_url, {"MuzaicAPI-Secret-Key": key}, transport)

    def tag_names(self) -> dict[int, str]:
        """Tag id -> name."""
        response = self.http.get("/getTags")
        response.raise_for_status()
        return {int(tag["id"]): tag["name"] for tag in response.json()["tags"]}

    def single_file(self, seconds: int, tags: list[int]) -> dict[str, Any]:
        """Make a piece; the answer with its ``mp3`` link."""
        response = self.http.post("/singleFile", json={"duration": seconds, "tags": tags})
        response.raise_for_status()
        return response.json()

    def download(self, url: str) -> bytes:
        """An MP3 the API linked to."""
        return fetch(self.http, url)
