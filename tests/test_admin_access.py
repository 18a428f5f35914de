"""The admin API (``/_mock``): open on loopback, a token whenever the server listens
elsewhere, and never drivable by a web page (foreign Origin or Host, non-JSON bodies).

Every request goes to 127.0.0.1; a server "listening elsewhere" is a ``--host 0.0.0.0``
child process reached through 127.0.0.1, or an in-process server given that host.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from live import LiveServer, ServerProcess
from mockserver.core.settings import Settings
from mockserver.http.admin_access import is_loopback_host

SP_KEY = {"Authorization": "Bearer spk_admin_test"}
EVIL = "http://evil.example"
ADMIN_CALLS = [  # (method, path, JSON body) that need the token off loopback
    ("GET", "/_mock/journal", None), ("GET", "/_mock/accounts", None),
    ("GET", "/_mock/clock", None), ("GET", "/_mock/webhooks", None),
    ("GET", "/_mock/failures", None), ("POST", "/_mock/clock/advance", {"seconds": 1}),
    ("POST", "/_mock/failures", {"provider": "soundpiece", "count": 1, "match": "zzz"}),
]


def soundpiece_output(url: str, token: str | None = None) -> str:
    """Submit a Soundpiece fx on a manual-clock server and let it finish; the signed URL of
    its output."""
    body = {"idempotency_key": str(uuid.uuid4()), "prompt": "a door slams"}
    op = httpx.put(url + "/soundpiece/v1/create.new_fx", json=body, headers=SP_KEY).json()["fx"]
    assert httpx.post(url + "/_mock/clock/advance", json={"seconds": 600},
                      headers={"X-Mock-Admin-Token": token} if token else {}).status_code == 200
    polled = httpx.get(url + "/soundpiece/v1/create.new_fx", params={"id": op["id"]},
                       headers=SP_KEY).json()["fx"]
    return polled["outputs"][0]["url"]


def state_of(url: str, token: str | None = None) -> tuple[list, float, list]:
    """(accounts, clock now, failure rules), read with the token when there is one."""
    headers = {"X-Mock-Admin-Token": token} if token else {}
    return (httpx.get(url + "/_mock/accounts", headers=headers).json()["accounts"],
            httpx.get(url + "/_mock/clock", headers=headers).json()["now"],
            httpx.get(url + "/_mock/failures", headers=headers).json()["rules"])


# --- listening elsewhere: a token ------------------------------------------------------------

def test_off_loopback_admin_calls_need_the_printed_token(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    args = ["--host", "0.0.0.0", "--clock", "manual", "--state", str(tmp_path / "s.db")]
    with ServerProcess(args, cwd=tmp_path, log=log) as proc:  # ready: /_mock/health is open
        url = proc.url
        token = re.search(r"admin token: (\S+)  \(generated", log.read_text()).group(1)
        audio = soundpiece_output(url, token)
        without = [httpx.request(m, url + p, json=b) for m, p, b in ADMIN_CALLS]
        wrong = httpx.get(url + "/_mock/journal", headers={"X-Mock-Admin-Token": "nope"})
        bearer = [httpx.request(m, url + p, json=b, headers={"Authorization": f"Bearer {token}"})
                  for m, p, b in ADMIN_CALLS]
        header = httpx.get(url + "/_mock/journal", headers={"X-Mock-Admin-Token": token})
        before = state_of(url, token)
        page_post = httpx.post(url + "/_mock/reset", content=b"{}", headers={
            "Origin": EVIL, "Content-Type": "text/plain"})
        page_post_with_token = httpx.post(url + "/_mock/reset", content=b"{}", headers={
            "Origin": EVIL, "Content-Type": "text/plain", "X-Mock-Admin-Token": token})
        plain_with_token = httpx.post(url + "/_mock/reset", content=b"{}", headers={
            "Content-Type": "text/plain", "X-Mock-Admin-Token": token})
        after = state_of(url, token)
        unsigned_fetch = httpx.get(audio)
        reset = httpx.post(url + "/_mock/reset", headers={"Authorization": f"Bearer {token}"})
        emptied = state_of(url, token)
    assert len(token) >= 24
    for response in without:
        assert response.status_code == 401, response.text
        message = response.json()["error"]
        assert "`Authorization: Bearer <token>`" in message and "X-Mock-Admin-Token" in message
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 401 and "does not match" in wrong.json()["error"]
    assert [r.status_code for r in bearer] == [200] * 6 + [201]
    assert header.status_code == 200 and header.json()["entries"]
    assert page_post.status_code == page_post_with_token.status_code == 403
    assert plain_with_token.status_code == 415
    assert "application/json" in plain_with_token.json()["error"]
    assert before == after and before[0], "a refused reset kept the state"
    assert unsigned_fetch.status_code == 200 and unsigned_fetch.content[:4] == b"fLaC"
    assert reset.status_code == 200 and emptied[0] == []


def test_a_token_you_set_is_required_on_loopback_too_and_not_printed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "my-admin-token-" + uuid.uuid4().hex
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", token)
    log = tmp_path / "serve.log"
    with ServerProcess(["--state", str(tmp_path / "s.db")], cwd=tmp_path, log=log) as proc:
        without = httpx.get(proc.url + "/_mock/journal")
        with_it = httpx.get(proc.url + "/_mock/journal", headers={"X-Mock-Admin-Token": token})
    assert without.status_code == 401 and with_it.status_code == 200
    printed = log.read_text()
    assert "admin token: the one you set" in printed and token not in printed


def test_the_banner_says_a_loopback_admin_api_is_open(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCKSERVER_ADMIN_TOKEN", raising=False)
    log = tmp_path / "serve.log"
    with ServerProcess(["--state", str(tmp_path / "s.db")], cwd=tmp_path, log=log) as proc:
        journal = httpx.get(proc.url + "/_mock/journal")
    assert journal.status_code == 200
    assert "admin API: open to this machine only" in log.read_text()


def test_an_in_process_server_for_another_host_makes_its_own_token(tmp_path: Path) -> None:
    settings = Settings(state_path=str(tmp_path / "s.db"), host="0.0.0.0")
    with LiveServer(settings) as live:
        token = live.app.admin_token
        without = httpx.get(live.url + "/_mock/accounts")
        with_it = httpx.get(live.url + "/_mock/accounts", headers={"X-Mock-Admin-Token": token})
        health = httpx.get(live.url + "/_mock/health")
    assert token and without.status_code == 401 and with_it.status_code == 200
    assert health.status_code == 200


@pytest.mark.parametrize("how", [["--admin-token", ""], ["--admin-token", "two words"],
                                 ["--config", "config.yaml"]])
def test_a_bad_admin_token_is_refused_before_anything_starts(tmp_path: Path,
                                                             how: list[str]) -> None:
    (tmp_path / "config.yaml").write_text("admin_token: 12345\n")
    done = subprocess.run(
        [sys.executable, "-m", "mockserver.cli", "serve", "--port", "0",
         "--state", str(tmp_path / "s.db"), *how],
        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "admin token" in done.stderr and "non-empty string without spaces" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LocalHost.", True), ("app.localhost", True),
    ("::ffff:127.0.0.1", True), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False),
    ("10.0.0.1", False), ("169.254.169.254", False), ("example.com", False),
    ("localhost.example.com", False), ("", False),
])
def test_what_counts_as_listening_on_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


# --- on loopback: open to scripts, closed to web pages --------------------------------------

@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual")) as server:
        yield server


def test_on_loopback_scripts_need_no_token(live: LiveServer) -> None:
    soundpiece_output(live.url)
    journal = httpx.get(live.url + "/_mock/journal")
    advanced = httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 5})
    charset = httpx.post(live.url + "/_mock/clock/advance", content=b'{"seconds": 1}',
                         headers={"Content-Type": "application/json; charset=utf-8"})
    own_origin = httpx.get(live.url + "/_mock/accounts", headers={"Origin": live.url})
    by_name = [httpx.get(live.url + "/_mock/clock", headers={"Host": f"{host}:{live.port}"})
               for host in ("localhost", "[::1]", "127.0.0.1", "app.localhost")]
    assert [r.status_code for r in (journal, advanced, charset, own_origin, *by_name)] == [200] * 8


PAGE_REQUESTS = {
    "cross-origin text/plain reset": ("/_mock/reset", {"Origin": EVIL,
                                                       "Content-Type": "text/plain"}, b"{}", 403),
    "cross-origin JSON failure rule": ("/_mock/failures", {
        "Origin": EVIL, "Content-Type": "application/json"},
        b'{"provider": "soundpiece", "count": 5}', 403),
    "sandboxed page (Origin null)": ("/_mock/clock/advance", {
        "Origin": "null", "Content-Type": "application/json"}, b'{"seconds": 99}', 403),
    "form post": ("/_mock/reset", {"Content-Type": "application/x-www-form-urlencoded"},
                  b"a=1", 415),
    "text/plain advance": ("/_mock/clock/advance", {"Content-Type": "text/plain"},
                           b'{"seconds": 99}', 415),
    "body without a type": ("/_mock/failures", {},
                            b'{"provider": "soundpiece", "count": 5}', 415),
    "DNS rebinding": ("/_mock/reset", {"Host": "evil.example", "Origin": EVIL,
                                       "Content-Type": "application/json"}, b"{}", 403),
    "DNS rebinding, no Origin": ("/_mock/clock/advance", {
        "Host": "evil.example:80", "Content-Type": "application/json"}, b'{"seconds": 99}', 403),
}


@pytest.mark.parametrize("case", PAGE_REQUESTS)
def test_a_web_page_cannot_drive_the_admin_api(live: LiveServer, case: str) -> None:
    path, headers, body, status = PAGE_REQUESTS[case]
    soundpiece_output(live.url)
    before = state_of(live.url)
    response = httpx.post(live.url + path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]
    assert state_of(live.url) == before and before[0], "nothing changed"


def test_a_rebinding_page_cannot_read_the_journal(live: LiveServer) -> None:
    response = httpx.get(live.url + "/_mock/journal", headers={"Host": "evil.example"})
    cross = httpx.get(live.url + "/_mock/journal", headers={"Origin": EVIL})
    assert response.status_code == 403 and "DNS rebinding" in response.json()["error"]
    assert cross.status_code == 403 and "cross-origin" in cross.json()["error"]


def test_signed_file_urls_are_not_guarded(live: LiveServer) -> None:
    audio = soundpiece_output(live.url)
    fetched = httpx.get(audio, headers={"Origin": "http://localhost:3000"})
    assert fetched.status_code == 200 and fetched.content[:4] == b"fLaC"


def test_a_token_set_for_a_loopback_server_is_required(tmp_path: Path) -> None:
    settings = Settings(state_path=str(tmp_path / "s.db"), admin_token="t-" + uuid.uuid4().hex)
    with LiveServer(settings) as live:
        without = httpx.post(live.url + "/_mock/reset")
        with_it = httpx.post(live.url + "/_mock/reset",
                             headers={"Authorization": f"Bearer {settings.admin_token}"})
    assert without.status_code == 401 and with_it.status_code == 200
