"""Shared pieces of the MusicGPT tests: a server on the manual clock, a client, polling."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from live import LiveServer
from mockserver.core.settings import Settings
from spec_check import assert_documented

BASE = "/musicgpt/api/public"
KEY = "musicgpt-test-key"
SUBMIT, BY_ID = "/v1/sound_generator", "/v1/byId"


def server(tmp_path: Path, clock: str = "manual", **kwargs: Any) -> LiveServer:
    """A server of its own, state in ``tmp_path``, on the given clock."""
    return LiveServer(Settings(state_path=str(tmp_path / "state.db"), clock=clock, **kwargs))


def client(live: LiveServer, key: str = KEY, **kwargs: Any) -> httpx.Client:
    """A client for MusicGPT's base path, sending the raw key as the docs do."""
    return live.client(BASE, headers={"Authorization": key, **kwargs.pop("headers", {})},
                       **kwargs)


def submit(api: httpx.Client, **form: Any) -> dict[str, Any]:
    """POST a sound generation; asserts a documented 200 and returns the body."""
    response = api.post(SUBMIT, data={k: str(v) for k, v in form.items()})
    assert response.status_code == 200, response.text
    assert_documented("musicgpt", "POST", SUBMIT, 200, response.json())
    return response.json()


def by_id(api: httpx.Client, **ids: str) -> httpx.Response:
    """GET /v1/byId with conversionType SOUND_GENERATOR unless given."""
    return api.get(BY_ID, params={"conversionType": "SOUND_GENERATOR", **ids})


def conversion(api: httpx.Client, **ids: str) -> dict[str, Any]:
    """The documented ``conversion`` object of a task."""
    response = by_id(api, **ids)
    assert response.status_code == 200, response.text
    assert_documented("musicgpt", "GET", BY_ID, 200, response.json())
    return response.json()["conversion"]


def advance(live: LiveServer, seconds: float) -> None:
    """Move the server's manual clock forward."""
    assert httpx.post(live.url + "/_mock/clock/advance", json={"seconds": seconds}).is_success


def deliveries(live: LiveServer) -> list[dict[str, Any]]:
    """Webhook deliveries as the admin API records them, newest first."""
    return httpx.get(live.url + "/_mock/webhooks", params={"provider": "musicgpt"}).json()[
        "deliveries"]


def wait_recorded_attempts(live: LiveServer, count: int, timeout: float = 10.0) -> dict[str, Any]:
    """The newest delivery once it has ``count`` recorded attempts.

    The sender records an attempt (and computes its retry time) in the background after the
    receiver answered; a test must see the record before it moves the clock past the backoff.
    """
    deadline = time.monotonic() + timeout
    record: dict[str, Any] = {}
    while time.monotonic() < deadline:
        found = deliveries(live)
        if found and len(found[0]["attempts"]) >= count:
            return found[0]
        record = found[0] if found else {}
        time.sleep(0.02)
    raise AssertionError(f"no attempt {count} recorded within {timeout} s: {record}")
