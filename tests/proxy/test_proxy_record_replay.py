"""`mockserver proxy --record DIR`, then `mockserver serve --replay DIR`: a session recorded
through the proxy (in front of the bundled mock) replays on a fresh server with no upstream."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from proxy_helpers import KEY, SESSIONS, receiver

from live import LiveServer
from mockserver.providers import PROVIDERS
from mockserver.proxy.app import create_proxy_app
from mockserver.recording.recorder import Recorder
from mockserver.testing.apps import mock_settings
from mockserver.testing.served import MockServer
from mockserver.testing.servers import LocalServer, free_port

UNSENT = {"date", "server", "content-length"}
"""Headers uvicorn writes on every answer, and the length (the base URLs in a body differ:
the proxy serves the provider at the root, the replaying server under its prefix)."""
SIGNED = re.compile(r"((?:signature|sig)=)[^&\"\s]+")
"""A signed URL's signature: the upstream's, redacted in the cassette (see the README)."""


def answers(client: httpx.Client) -> list[httpx.Response]:
    """Every answer ``client`` gets from now on, in order."""
    seen: list[httpx.Response] = []
    client.event_hooks["response"] = [lambda r: (r.read(), seen.append(r))]
    return seen


def comparable(response: httpx.Response, base_url: str) -> tuple[int, list, bytes]:
    """Status, headers and body with the base URL and the URL signatures written alike."""
    def plain(text: str) -> str:
        return SIGNED.sub(r"\1SIG", text.replace(base_url, "BASE"))
    headers = sorted((k, plain(v)) for k, v in response.headers.items() if k not in UNSENT)
    return response.status_code, headers, plain(response.content.decode("latin-1")).encode()


@pytest.mark.parametrize("provider", sorted(SESSIONS))
def test_a_session_recorded_through_the_proxy_replays_offline(provider: str,
                                                              tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    with MockServer(mock_settings()) as mock, receiver() as hooks:
        upstream_clock = mock.server.app.services.clock  # type: ignore[attr-defined]
        proxy_app = create_proxy_app(PROVIDERS[provider], mock.base_url(provider),
                                     echo=lambda _line: None)
        recorder = Recorder(proxy_app, cassettes, proxy_app.locate,
                            sensitive_headers=PROVIDERS[provider].sensitive_headers,
                            clock=upstream_clock.now)
        with LocalServer(recorder) as proxied, httpx.Client(
                base_url=proxied.url + proxy_app.base, timeout=60) as api:
            recorded = answers(api)
            SESSIONS[provider](api, mock.advance, hooks.url)
            recorded_base = proxied.url + proxy_app.base
    with LiveServer(mock_settings(state_path=str(tmp_path / "replay.db"), replay=str(cassettes),
                                  replay_strict=True, seed=7)) as replay:
        replay_base = replay.url + dict(replay.app.mounts)[provider]
        with httpx.Client(base_url=replay_base, timeout=60) as api:
            replayed = answers(api)
            SESSIONS[provider](api, lambda s: httpx.post(
                replay.url + "/_mock/clock/advance", json={"seconds": s}), hooks.url)
    assert len(replayed) == len(recorded) > 2
    for before, after in zip(recorded, replayed):
        assert comparable(after, replay_base) == comparable(before, recorded_base), \
            before.request.url
    text = "\n".join(p.read_text(errors="replace") for p in cassettes.rglob("*") if p.is_file())
    assert KEY not in text
    signatures = {m.group(0) for r in recorded for m in SIGNED.finditer(r.text)}
    assert all(signature not in text for signature in signatures)


def test_the_proxy_command_records_cassettes_and_prints_its_summary(tmp_path: Path) -> None:
    """`mockserver proxy --record DIR` as a user runs it: a process on a free port."""
    cassettes, port = tmp_path / "cassettes", free_port()
    with MockServer(mock_settings()) as mock:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mockserver.cli", "proxy", "muzaic", "--upstream",
             mock.base_url("muzaic"), "--port", str(port), "--record", str(cassettes)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            tags = first_answer(f"http://127.0.0.1:{port}/getTags", proc,
                                headers={"MuzaicAPI-Secret-Key": KEY})
        finally:
            proc.send_signal(signal.SIGTERM)
            printed = proc.communicate(timeout=30)[0]
    assert tags.status_code == 200 and tags.headers["X-Mock-Violations"] == "0"
    [cassette] = cassettes.rglob("*.yaml")
    assert "/getTags" in cassette.read_text() and KEY not in cassette.read_text()
    assert "recording" in printed and "--replay" in printed


def first_answer(url: str, proc: subprocess.Popen, **kwargs: object) -> httpx.Response:
    """The first answer of a server process that is starting (within 20 s)."""
    deadline = time.monotonic() + 20
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=5, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            time.sleep(0.05)  # the port is not open yet: a process start, not a state
    raise AssertionError(f"the proxy did not start (exit code {proc.poll()})")
