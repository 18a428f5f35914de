"""Soundpiece: an effect created with PUT, read back with GET."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from songapp.http import fetch, make_client

ROUTE = "/v1/create.new_fx"


class Soundpiece:
    """Soundpiece's API (``Authorization: Bearer``)."""

    def __init__(self, base_url: str, key: str, transport: httpx.BaseTransport | None = None) -> None:
        self.http = make_client(base_url, {"Authorization": f"Bearer {key}"}, transport)

    def new_fx(self, prompt: str, seconds: int) -> str:
        """Start an effect; the operation id."""
        body = {"idempotency_key": str(uuid.uuid4()), "prompt": prompt, "duration": seconds}
        response = self.http.put(ROUTE, json=body)
        response.raise_for_status()
        return str(response.json()["fx"]["id"])

    def fx(self, operation: str) -> dict[str, Any]:
        """The operation (``status``, ``outputs``)."""
        response = self.http.get(ROUTE, params={"id": operation})
        response.raise_for_status()
        found: dict[str, Any] = response.json()["fx"]
        return found

    def download(self, url: str) -> bytes:
        """A FLAC output."""
        return fetch(self.http, url)
