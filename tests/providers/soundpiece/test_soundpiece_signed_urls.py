"""Output URLs are signed and expire (15 minutes of mock time by default); polling again
gives fresh ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from soundpiece_helpers import SONG, advance, body_for, client, poll, submit

from live import LiveServer
from mockserver.core.settings import Settings

ROUTE = "create.new_fx"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual")) as server:
        yield server


def _ready_output(live: LiveServer) -> tuple[str, dict]:
    with client(live) as c:
        op = submit(c, ROUTE, body_for(ROUTE))
        advance(live, 10)
        return op["id"], poll(c, ROUTE, op["id"])["outputs"][0]


def test_url_expires_after_15_minutes_and_a_new_poll_gives_a_fresh_one(live: LiveServer) -> None:
    op_id, output = _ready_output(live)
    assert httpx.get(output["url"]).status_code == 200
    advance(live, 15 * 60 - 1)
    assert httpx.get(output["url"]).status_code == 200
    advance(live, 1)
    expired = httpx.get(output["url"])
    assert expired.status_code == 403 and "expired" in expired.json()["error"]
    with client(live) as c:
        fresh = poll(c, ROUTE, op_id)["outputs"][0]
    assert fresh["url"] != output["url"] and fresh["expires_at"] > output["expires_at"]
    again = httpx.get(fresh["url"])
    assert again.status_code == 200 and again.content[:4] == b"fLaC"


def test_expires_at_is_15_minutes_after_the_poll(live: LiveServer) -> None:
    _, output = _ready_output(live)
    expires = int(parse_qs(urlparse(output["url"]).query)["expires"][0])
    now = httpx.get(live.url + "/_mock/clock").json()["now"]
    assert expires == int(now + 900)


@pytest.mark.parametrize("tamper", ["signature", "expires", "name"])
def test_tampered_url_is_refused(live: LiveServer, tamper: str) -> None:
    _, output = _ready_output(live)
    url = output["url"]
    query = parse_qs(urlparse(url).query)
    if tamper == "signature":
        sig = query["signature"][0]
        url = url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    elif tamper == "expires":
        url = url.replace(query["expires"][0], str(int(query["expires"][0]) + 3600))
    else:
        url = url.replace("-0.flac", "-1.flac")
    assert httpx.get(url).status_code == 403


def test_url_ttl_is_configurable(tmp_path: Path) -> None:
    config = {"providers": {"soundpiece": {"url_ttl_seconds": 60}}}
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual", config=config)
    with LiveServer(settings) as server, client(server) as c:
        op = submit(c, SONG, body_for(SONG, n_variations=1))
        advance(server, 10)
        url = poll(c, SONG, op["id"])["outputs"][0]["url"]
        advance(server, 59)
        assert httpx.get(url).status_code == 200
        advance(server, 1)
        assert httpx.get(url).status_code == 403
