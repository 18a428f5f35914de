"""A callback URL the mock may not call is refused when the job is submitted: a 4xx in the
provider's own format, before anything is charged or stored (no credits, no task, no
idempotency key, no delivery), and without any connection being attempted."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from netguard import off_loopback, watch

from live import LiveServer
from mockserver.core.settings import Settings

MUSICGPT = "/musicgpt/api/public/v1/sound_generator"
SOUNDPIECE = "/soundpiece/v1/create.new_fx"
MUSICGPT_KEY, SOUNDPIECE_KEY = "mg-key", "spk_key"

# (case id, URL, refused even with allow_public)
REFUSED = [
    ("malformed", "http://[::1", True),
    ("70,000 characters", "http://127.0.0.1:9/" + "a" * 70_000, True),
    ("2,049 characters", "http://127.0.0.1:9/" + "a" * (2049 - len("http://127.0.0.1:9/")),
     True),
    ("ftp", "ftp://127.0.0.1/hook", True),
    ("file", "file:///etc/passwd", True),
    ("metadata", "http://169.254.169.254/latest/meta-data/", True),
    ("metadata ipv6", "http://[fd00:ec2::254]/latest/meta-data/", True),
    ("metadata alibaba", "http://100.100.100.200/latest/meta-data/", True),
    ("metadata name", "http://metadata.google.internal./computeMetadata/v1/", True),
    ("metadata decimal", "http://2852039166/latest/meta-data/", True),
    ("metadata mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/", True),
    ("unspecified", "http://0.0.0.0:8080/hook", True),
    ("unspecified ipv6", "http://[::]:8080/hook", True),
    ("link-local", "http://[fe80::1]/hook", True),
    ("multicast", "http://224.0.0.1/hook", True),
    ("broadcast", "http://255.255.255.255/hook", True),
    ("public name", "https://example.com/hook", False),
    ("public address", "http://8.8.8.8/hook", False),
]
IDS = [case[0] for case in REFUSED]


def _server(tmp_path: Path, allow_public: bool) -> LiveServer:
    config = {"webhooks": {"allow_public": allow_public},
              "providers": {"soundpiece": {"balance": 1000}}}
    return LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual",
                               config=config))


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with _server(tmp_path_factory.mktemp("default"), False) as live:
        yield live


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with _server(tmp_path_factory.mktemp("public"), True) as live:
        yield live


def _musicgpt(live: LiveServer, url: str, idempotency_key: str) -> httpx.Response:
    return httpx.post(live.url + MUSICGPT, data={"prompt": "rain", "webhook_url": url},
                      headers={"Authorization": MUSICGPT_KEY,
                               "Idempotency-Key": idempotency_key}, timeout=30)


def _soundpiece(live: LiveServer, url: str, idempotency_key: str) -> httpx.Response:
    body = {"idempotency_key": idempotency_key, "prompt": "door slam", "callback_url": url}
    return httpx.put(live.url + SOUNDPIECE, json=body,
                     headers={"Authorization": f"Bearer {SOUNDPIECE_KEY}"}, timeout=30)


def _state(live: LiveServer) -> dict:
    """What a submission could have left: charges, tasks, idempotency keys, deliveries."""
    accounts = httpx.get(live.url + "/_mock/accounts").json()["accounts"]
    deliveries = httpx.get(live.url + "/_mock/webhooks").json()["deliveries"]
    with sqlite3.connect(live.settings.state_path) as db:
        counts = {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("tasks", "idempotency", "webhook_deliveries")}
    return {"used": sum(a["used"] for a in accounts), "deliveries": len(deliveries), **counts}


def _assert_refused(live: LiveServer, provider: str, url: str) -> None:
    before = _state(live)
    key = str(uuid.uuid4())
    with watch() as seen:
        if provider == "musicgpt":
            response = _musicgpt(live, url, key)
            assert response.status_code == 422, response.text
            body = response.json()
            assert body["success"] is False and body["error"].startswith("webhook_url: ")
        else:
            response = _soundpiece(live, url, key)
            assert response.status_code == 422, response.text[:500]
            (item,) = response.json()["detail"]
            assert item["loc"] == ["body", "callback_url"] and item["msg"]
        assert httpx.get(live.url + "/_mock/health").status_code == 200
    assert off_loopback(seen) == []  # no connection or lookup beyond this machine
    assert _state(live) == before
    # The refused submission left no idempotency key behind: the key is still free.
    if provider == "musicgpt":
        assert _musicgpt(live, "", key).status_code == 200
    else:
        assert _soundpiece(live, "http://127.0.0.1:9/hook", key).status_code == 200


@pytest.mark.parametrize("provider", ["musicgpt", "soundpiece"])
@pytest.mark.parametrize("case, url, always", REFUSED, ids=IDS)
def test_refused_by_default_before_anything_is_charged(default_server: LiveServer,
                                                       provider: str, case: str, url: str,
                                                       always: bool) -> None:
    _assert_refused(default_server, provider, url)


@pytest.mark.parametrize("provider", ["musicgpt", "soundpiece"])
@pytest.mark.parametrize("case, url", [(c, u) for c, u, always in REFUSED if always],
                         ids=[c for c, _, always in REFUSED if always])
def test_refused_even_with_allow_public(public_server: LiveServer, provider: str, case: str,
                                        url: str) -> None:
    _assert_refused(public_server, provider, url)


@pytest.mark.parametrize("provider", ["musicgpt", "soundpiece"])
def test_allow_public_accepts_a_public_target(public_server: LiveServer, provider: str) -> None:
    # The manual clock stands still: the job is queued, nothing is due, nothing is sent.
    with watch() as seen:
        submit = _musicgpt if provider == "musicgpt" else _soundpiece
        response = submit(public_server, "https://example.com/hook", str(uuid.uuid4()))
    assert response.status_code == 200, response.text
    assert off_loopback(seen) == []


@pytest.mark.parametrize("case, url, type_", [
    ("scheme", "ftp://127.0.0.1/hook", "url_scheme"),
    ("target", "http://169.254.169.254/", "value_error"),
    ("syntax", "http://[::1", "url_parsing"),
    ("length", "http://127.0.0.1/" + "a" * 2100, "string_too_long"),
])
def test_soundpiece_names_the_error_as_pydantic_does(default_server: LiveServer, case: str,
                                                     url: str, type_: str) -> None:
    (item,) = _soundpiece(default_server, url, str(uuid.uuid4())).json()["detail"]
    assert item["type"] == type_, item


def test_an_accepted_loopback_callback_is_still_delivered(tmp_path: Path) -> None:
    from mockserver.testing.servers import Receiver

    with Receiver() as receiver, _server(tmp_path, False) as live, watch() as seen:
        assert _musicgpt(live, receiver.url, "k1").status_code == 200
        httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 3600})
        assert len(receiver.wait_received(1)) == 1
    assert ("socket.connect", "127.0.0.1") in seen  # the watch sees the sender's connections
    assert off_loopback(seen) == []
