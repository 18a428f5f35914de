"""The proxy in front of a broken upstream (the bundled mock behind a Starlette app that
breaks its answers): each injected violation is reported by name, with the request that
showed it; the summary files are written when the proxy stops."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
from broken_upstream import broken_upstream, json_break, silence
from proxy_helpers import KEY, Proxied, proxy, receiver

from mockserver.testing.apps import mock_settings
from mockserver.testing.served import MockServer
from mockserver.testing.servers import LocalServer

AUTH = {"Authorization": KEY}
SUBMIT, POLL = "/v1/sound_generator", "/v1/byId"


def break_musicgpt(method: str, path: str, status: int, body: bytes) -> tuple[int, bytes]:
    """An undocumented status on the submit; an enum value on the first poll; a dropped
    field and a changed type on the finished poll; an audio file shorter than claimed."""
    if path.endswith(SUBMIT) and status == 200:
        return 201, body
    if path.startswith("/_mock/files/"):
        return status, silence(1.0)

    def change(method: str, path: str, data: Any) -> None:
        conversion = data.get("conversion") if isinstance(data, dict) else None
        if not path.endswith(POLL) or not isinstance(conversion, dict):
            return
        if conversion["status"] == "IN_QUEUE":
            conversion["status"] = "QUEUED"
        elif conversion["status"] == "COMPLETED":
            del conversion["task_id"]
            conversion["conversion_cost"] = str(conversion["conversion_cost"])
    return json_break(change)(method, path, status, body)


def drop_title(payload: dict) -> dict:
    """A webhook body without its required ``title``."""
    return {k: v for k, v in payload.items() if k != "title"}


def by_name(proxied: Proxied) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for violation in proxied.violations():
        found.setdefault(violation["name"], []).append(violation)
    return found


def test_each_injected_violation_is_named_with_its_request(tmp_path: Path) -> None:
    with MockServer(mock_settings()) as mock, receiver() as hooks, \
            LocalServer(broken_upstream(mock.url, break_musicgpt, drop_title)) as broken, \
            proxy("musicgpt", broken.url + "/musicgpt/api/public", tmp_path) as proxied, \
            httpx.Client(base_url=proxied.base_url, timeout=60) as api:
        submitted = api.post(SUBMIT, headers=AUTH, data={
            "prompt": "rain", "audio_length": "2", "webhook_url": hooks.url})
        assert submitted.status_code == 201
        assert submitted.headers["X-Mock-Violations"] == "1"
        query = {"conversionType": "SOUND_GENERATOR", "task_id": submitted.json()["task_id"]}
        assert api.get(POLL, params=query, headers=AUTH).headers["X-Mock-Violations"] == "1"
        mock.advance(60)
        done = api.get(POLL, params=query, headers=AUTH)
        assert done.headers["X-Mock-Violations"] == "2"
        audio = api.get(done.json()["conversion"]["audio_url"])
        assert audio.headers["X-Mock-Violations"] == "1"
        (hook,) = hooks.wait_received(1, timeout=15)
        assert "title" not in hook.json()  # forwarded as the provider sent it
        api.post(SUBMIT, headers=AUTH, data={"audio_length": "2"})  # the app's own mistake
        api.get("/v1/history", headers=AUTH)

        found = by_name(proxied)
        journal = {e["id"]: e for e in proxied.journal()}
        expected = {
            "status_code_changed": ("POST", "/api/public" + SUBMIT),
            "enum_violation": ("GET", "/api/public" + POLL),
            "type_changed": ("GET", "/api/public" + POLL),
            "audio_wrong_length": ("GET", None),
            "request_invalid": ("POST", "/api/public" + SUBMIT),
            "undocumented_operation": ("GET", "/api/public/v1/history"),
        }
        for name, (method, path) in expected.items():
            assert name in found, f"{name} not reported: {sorted(found)}"
            (violation,) = found[name]
            request = violation["request"]
            assert request["method"] == method
            entry = journal[request["journal_id"]]
            assert (entry["method"], entry["path"]) == (request["method"], request["path"])
            assert path is None or request["path"] == path
            assert name in entry["violations"]
            assert KEY not in request["curl"]
            assert name == "audio_wrong_length" or "$API_KEY" in request["curl"]
        assert found["audio_wrong_length"][0]["request"]["path"].startswith(
            "/api/public/_upstream/_mock/files/")
        assert "1.000 s decoded" in found["audio_wrong_length"][0]["actual"]
        dropped = {v["operation"]: v for v in found["field_dropped"]}
        assert set(dropped) == {"GET /v1/byId", "webhook of POST /v1/sound_generator"}
        assert dropped["GET /v1/byId"]["request"]["journal_id"] in journal
        assert "title" in dropped["webhook of POST /v1/sound_generator"]["actual"]
        assert dropped["webhook of POST /v1/sound_generator"]["request"]["path"].startswith(
            "/_mock/relay/")
        assert KEY not in str(proxied.violations()) + str(proxied.journal())

    names = {"status_code_changed", "enum_violation", "type_changed", "field_dropped",
             "audio_wrong_length", "request_invalid", "undocumented_operation"}
    printed = "\n".join(proxied.printed)
    assert all(f"[{name}]" in printed for name in names), printed
    failures = ET.parse(tmp_path / "report.xml").getroot().iter("failure")
    assert {f.get("type") for f in failures} == names
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# Proxy report") and all(f"`{n}`" for n in names)
    assert KEY not in report + (tmp_path / "report.xml").read_text()


def break_download(method: str, path: str, status: int, body: bytes) -> tuple[int, bytes]:
    """Music Gen AI's WAV downloads as bytes that are not audio."""
    return (status, b"not audio at all") if "/audio/" in path else (status, body)


def test_an_undecodable_download_is_named() -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    with MockServer(mock_settings()) as mock, \
            LocalServer(broken_upstream(mock.url, break_download)) as broken, \
            proxy("musicgen", broken.url + "/musicgen/api/v1") as proxied, \
            httpx.Client(base_url=proxied.base_url, timeout=60) as api:
        task = api.post("/generate", headers=auth, json={"prompt": "a", "duration": 2}).json()
        mock.advance(600)
        done = api.get(f"/generate/{task['task_id']}", headers=auth).json()
        assert done["audio_url"].startswith(proxied.base_url + "/audio/")
        assert api.get(done["audio_url"]).headers["X-Mock-Violations"] == "1"
        (violation,) = proxied.violations()
        assert violation["name"] == "audio_undecodable"
        assert violation["operation"] == "GET /audio/{file}"
        assert violation["request"]["path"] == "/api/v1" + done["audio_url"].split("/api/v1")[1]


def test_an_unreachable_upstream_is_a_502_in_the_providers_format() -> None:
    with LocalServer(broken_upstream("http://127.0.0.1:9")) as gone:
        down = gone.url
    with proxy("musicgpt", down + "/musicgpt/api/public") as proxied:
        answer = httpx.get(proxied.base_url + POLL, headers=AUTH,
                           params={"conversionType": "SOUND_GENERATOR", "task_id": "x"})
        assert answer.status_code == 502
        body = answer.json()
        assert body["success"] is False and down in str(body)
        assert proxied.journal()[0]["status"] == 502


def test_the_proxy_command_explains_itself() -> None:
    shown = subprocess.run([sys.executable, "-m", "mockserver.cli", "proxy", "--help"],
                           capture_output=True, text=True, timeout=60, check=True).stdout
    for option in ("--upstream", "--port", "--junit", "--markdown", "--state"):
        assert option in shown


def longer_soundtrack(method: str, path: str, data: Any) -> None:
    """Muzaic's soundtrack claims 3 s more than its inline MP3 holds."""
    if path.endswith("/soundtrack") and isinstance(data, dict) and "audioDuration" in data:
        data["audioDuration"] += 3


def test_inline_audio_is_checked_against_its_claimed_length() -> None:
    auth = {"MuzaicAPI-Secret-Key": KEY}
    regions = {"regions": [{"time": 0, "duration": 2, "tags": [11]}]}
    with MockServer(mock_settings()) as mock, \
            LocalServer(broken_upstream(mock.url, json_break(longer_soundtrack))) as broken, \
            proxy("muzaic", broken.url + "/muzaic") as proxied, \
            httpx.Client(base_url=proxied.base_url, timeout=60) as api:
        answer = api.post("/soundtrack", headers=auth, json=regions)
        assert answer.status_code == 200 and answer.headers["X-Mock-Violations"] == "1"
        (violation,) = proxied.violations()
    assert violation["name"] == "audio_wrong_length"
    assert violation["operation"] == "POST /soundtrack"
    assert "5.000 s" in violation["expected"] and "2.0" in violation["actual"]


def test_the_proxys_journal_needs_the_admin_token_but_its_relays_do_not() -> None:
    from mockserver.http.admin_access import AdminAccess
    from mockserver.providers import PROVIDERS
    from mockserver.proxy.app import create_proxy_app

    app = create_proxy_app(PROVIDERS["musicgpt"], "http://127.0.0.1:9/api/public",
                           echo=lambda _line: None, access=AdminAccess("s3cret", "0.0.0.0"))
    with LocalServer(app) as server:
        refused = httpx.get(server.url + "/_mock/violations")
        allowed = httpx.get(server.url + "/_mock/violations",
                            headers={"Authorization": "Bearer s3cret"})
        relay = httpx.post(server.url + "/_mock/relay/1", json={})  # no token: the provider's
    assert refused.status_code == 401 and "admin token" in refused.json()["error"]
    assert allowed.status_code == 200
    assert relay.status_code == 404 and "no relay 1" in relay.json()["error"]
