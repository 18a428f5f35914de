"""Shared bits of the Soundpiece tests: request bodies per route and small HTTP helpers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from live import LiveServer

KEY = "spk_test_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
SONG = "create.new_song"

# route -> (DTO key, a valid body without idempotency_key, expected output seconds)
ROUTES: dict[str, tuple[str, dict[str, Any], float]] = {
    "create.remix_song": ("remix_song", {
        "source": {"url": "https://example.com/track.flac"}, "lyrics": "[Verse]\nLa la la",
        "prompt": "rock song, energetic, male vocal", "n_variations": 2}, 30.0),
    "create.remix_instrumental": ("remix_instrumental", {
        "source": {"url": "https://example.com/beat.wav"}, "n_variations": 2}, 30.0),
    SONG: ("song", {"lyrics": "[Chorus]\nIt's only a demo", "prompt": "synthwave, happy",
                    "n_variations": 2}, 30.0),
    "create.new_instrumental": ("instrumental", {"prompt": "jazz piano, mellow",
                                                 "n_variations": 3}, 30.0),
    "create.new_sample": ("sample", {"prompt": "rock, guitar, energetic, no drums",
                                     "duration": 4.25, "n_variations": 2}, 4.25),
    "create.new_fx": ("fx", {"prompt": "someone typing on a keyboard"}, 2.0),
}


def body_for(route: str, **changes: Any) -> dict[str, Any]:
    """A valid body for ``route`` with a fresh idempotency key."""
    return {"idempotency_key": str(uuid.uuid4()), **ROUTES[route][1], **changes}


def client(live: LiveServer, key: str = KEY) -> httpx.Client:
    """A client for ``/soundpiece`` with a Bearer key."""
    return live.client("/soundpiece", headers={"Authorization": f"Bearer {key}"})


def advance(live: LiveServer, seconds: float) -> None:
    """Move the manual clock."""
    response = httpx.post(live.url + "/_mock/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def submit(c: httpx.Client, route: str, body: dict[str, Any]) -> dict[str, Any]:
    """PUT a body; return the unwrapped DTO."""
    response = c.put(f"/v1/{route}", json=body)
    assert response.status_code == 200, response.text
    return response.json()[ROUTES[route][0]]


def poll(c: httpx.Client, route: str, op_id: str, wait: bool = False) -> dict[str, Any]:
    """GET an operation; return the unwrapped DTO."""
    response = c.get(f"/v1/{route}", params={"id": op_id, "wait": str(wait).lower()})
    assert response.status_code == 200, response.text
    return response.json()[ROUTES[route][0]]
