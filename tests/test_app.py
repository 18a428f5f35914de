"""The server as a whole: admin API, journal redaction, mounting, CLI, Swagger UI."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx

from live import LiveServer, ServerProcess
from mockserver.core.settings import Settings


def test_health_lists_every_provider(tmp_path: Path) -> None:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"))) as live:
        health = httpx.get(live.url + "/_mock/health").json()
    assert health["status"] == "ok"
    assert health["providers"]["muzaic"] == "/muzaic"
    assert health["state"] == "file"


def test_journal_records_requests_with_keys_redacted(tmp_path: Path) -> None:
    secret = "very-secret-key-123"
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"))) as live:
        httpx.get(live.url + "/muzaic/getTags", headers={"MuzaicAPI-Secret-Key": secret})
        httpx.post(live.url + "/muzaic/soundtrack", content=b"{", headers={
            "MuzaicAPI-Secret-Key": secret, "Content-Type": "application/json"})
        journal = httpx.get(live.url + "/_mock/journal").json()["entries"]
        dump = httpx.get(live.url + "/_mock/journal").text
    assert [(e["method"], e["path"], e["status"]) for e in journal[:2]] == [
        ("POST", "/muzaic/soundtrack", 400), ("GET", "/muzaic/getTags", 200)]
    assert journal[0]["provider"] == "muzaic" and journal[0]["body"] == "{"
    assert secret not in dump
    assert journal[0]["headers"]["muzaicapi-secret-key"].startswith("ver…")


def test_journal_says_where_each_request_landed(tmp_path: Path) -> None:
    key = {"Authorization": "k"}
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"))) as live:
        httpx.get(live.url + "/musicgpt/api/public/v1/byId",
                  params={"conversionType": "MUSIC_AI", "task_id": "t1"}, headers=key)
        httpx.get(live.url + "/musicgpt/api/public/v1/nothing_here", headers=key)
        httpx.get(live.url + "/nowhere")
        journal = httpx.get(live.url + "/_mock/journal").json()["entries"]
    assert [(e["provider"], e["local_path"], e["route"], e["faults"]) for e in journal] == [
        (None, "/nowhere", None, []),
        ("musicgpt", "/v1/nothing_here", None, []),
        ("musicgpt", "/v1/byId", "/v1/byId", []),
    ]


def test_a_state_file_from_before_gains_the_journal_columns(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the journal as it first shipped
        old.execute("CREATE TABLE journal (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,"
                    " provider TEXT, method TEXT NOT NULL, path TEXT NOT NULL, query TEXT NOT NULL,"
                    " status INTEGER NOT NULL, headers TEXT NOT NULL, body TEXT NOT NULL,"
                    " elapsed_ms REAL NOT NULL)")
        old.execute("INSERT INTO journal (at, method, path, query, status, headers, body,"
                    " elapsed_ms) VALUES ('t', 'GET', '/x', '', 200, '{}', '', 1)")
    with LiveServer(Settings(state_path=str(path))) as live:
        httpx.get(live.url + "/muzaic/getTags", headers={"MuzaicAPI-Secret-Key": "k"})
        journal = httpx.get(live.url + "/_mock/journal").json()["entries"]
    assert [(e["path"], e["route"]) for e in journal] == [("/muzaic/getTags", "/getTags"),
                                                          ("/x", None)]


def test_reset_wipes_state(tmp_path: Path) -> None:
    key = {"MuzaicAPI-Secret-Key": "k"}
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"))) as live:
        made = httpx.post(live.url + "/muzaic/singleFile", json={"duration": 1}, headers=key).json()
        assert httpx.post(live.url + "/_mock/reset").status_code == 200
        after = httpx.post(live.url + "/muzaic/audioFromHash", headers=key,
                           json={"sourceHash": made["hash"]})
        journal = httpx.get(live.url + "/_mock/journal").json()["entries"]
    assert after.status_code == 404
    assert len(journal) == 1


def test_accounts_show_balance_and_use_with_keys_redacted(tmp_path: Path) -> None:
    secret = "very-secret-key-123"
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"))) as live:
        httpx.post(live.url + "/muzaic/singleFile", json={"duration": 3},
                   headers={"MuzaicAPI-Secret-Key": secret})
        muzaic = httpx.get(live.url + "/_mock/accounts", params={"provider": "muzaic"})
        other = httpx.get(live.url + "/_mock/accounts", params={"provider": "musicgpt"})
    [account] = muzaic.json()["accounts"]
    assert account["provider"] == "muzaic" and account["used"] == 3
    assert account["balance"] == 1_000_000 - 3
    assert secret not in muzaic.text and "ver…" in account["name"]
    assert other.json() == {"accounts": []}


def test_single_provider_is_served_at_the_root(tmp_path: Path) -> None:
    key = {"MuzaicAPI-Secret-Key": "k"}
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), providers=("muzaic",))) as live:
        tags = httpx.get(live.url + "/getTags", headers=key)
        prefixed = httpx.get(live.url + "/muzaic/getTags", headers=key)
        made = httpx.post(live.url + "/singleFile", json={"duration": 1}, headers=key).json()
        audio = httpx.get(made["mp3"])
    assert tags.status_code == 200
    assert prefixed.status_code == 404
    assert made["mp3"].startswith(live.url + "/result/")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"


def test_spec_and_swagger_ui_are_served(server: LiveServer) -> None:
    spec = httpx.get(server.url + "/muzaic/openapi.json")
    ui = httpx.get(server.url + "/muzaic/ui/", follow_redirects=True)
    assert spec.status_code == 200 and "/soundtrack" in spec.json()["paths"]
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


def test_cli_serves_and_prints_base_urls(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with ServerProcess(["--state", str(tmp_path / "s.db"), "--provider", "muzaic"],
                       cwd=tmp_path, log=log) as proc:
        response = httpx.get(proc.url + "/getTags", headers={"MuzaicAPI-Secret-Key": "k"})
    assert response.status_code == 200
    printed = log.read_text()
    assert f"http://127.0.0.1:{proc.port}/" in printed and "muzaic" in printed


def test_cli_refuses_a_busy_port_before_printing_anything(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "mockserver.cli", "serve", "--port", str(port),
             "--state", str(tmp_path / "s.db")],
            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "pick another with --port" in done.stderr
    assert done.stdout == "", "the banner of base URLs was printed"
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "s.db").exists(), "state was opened for a server that cannot start"
