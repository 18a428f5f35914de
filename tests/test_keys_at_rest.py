"""API keys at rest: the state file (and its WAL) never holds a key in clear, whichever way
the key came (a header, a Bearer token, ``?token=`` on the websocket, ``?api_key=`` in a
query); the file is private (0600); the journal cuts long headers; and a state file from
before keys were hashed is migrated in place when opened, keeping its accounts and tasks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import stat
import uuid
from pathlib import Path

import httpx
import websockets

from live import LiveServer
from mockserver.core.keyhash import SALT_META, KeyHasher
from mockserver.core.settings import Settings
from mockserver.http.journal import HEADER_LIMIT

MUZAIC = "muzaic-secret-Q7x9Kd2"
MUSICGPT = "mgpt-secret-Lp4Zr8"
SOUNDPIECE = "spk_secret_Wm3Vt6"
MUSICGEN_REST = "mgen-rest-secret-Hb5Ny1"
MUSICGEN_WS = "mgen-ws-secret-Tc8Ju2"
IN_QUERY = "query-secret-Rf2Gs9"
KEYS = [MUZAIC, MUSICGPT, SOUNDPIECE, MUSICGEN_REST, MUSICGEN_WS, IN_QUERY]
PROMPT = "marker-prompt-Zy4"  # not secret: stored as sent, so the grep is seen to work
WS_PATH = "/musicgen/api/v1/ws/stream"


def stored_bytes(state: Path) -> bytes:
    """The state file and its WAL and shared-memory files, as they are on disk now."""
    return b"".join(p.read_bytes() for p in (state, Path(f"{state}-wal"), Path(f"{state}-shm"))
                    if p.exists())


def use_every_provider(live: LiveServer) -> None:
    """Keys by every route a key takes: headers, Bearer, the websocket's ``?token=``, queries;
    accounts charged, tasks and idempotency records stored."""
    url = live.url
    assert httpx.post(url + "/muzaic/singleFile", json={"duration": 1},
                      headers={"MuzaicAPI-Secret-Key": MUZAIC}).status_code == 200
    assert httpx.post(url + "/musicgpt/api/public/v1/sound_generator",
                      data={"prompt": PROMPT, "audio_length": "4"},
                      headers={"Authorization": MUSICGPT, "Idempotency-Key": "order-1"},
                      ).status_code == 200
    assert httpx.put(url + "/soundpiece/v1/create.new_fx",
                     json={"idempotency_key": str(uuid.uuid4()), "prompt": PROMPT},
                     headers={"Authorization": f"Bearer {SOUNDPIECE}"}).status_code == 200
    assert httpx.post(url + "/musicgen/api/v1/generate", json={"prompt": PROMPT, "duration": 1},
                      headers={"Authorization": f"Bearer {MUSICGEN_REST}"}).status_code == 200

    async def stream() -> dict:
        ws_url = url.replace("http://", "ws://") + f"{WS_PATH}?token={MUSICGEN_WS}"
        async with websockets.connect(ws_url, max_size=None) as ws:
            await ws.send(json.dumps({"type": "generate", "prompt": PROMPT, "duration": 1}))
            while (message := json.loads(await asyncio.wait_for(ws.recv(), 60)))["type"] \
                    == "audio_chunk":
                pass
            return message

    assert asyncio.run(stream())["type"] == "complete"
    # Keys in query strings of requests the journal records.
    httpx.get(url + "/muzaic/getTags", params={"api_key": IN_QUERY, "key": IN_QUERY, "n": "1"},
              headers={"MuzaicAPI-Secret-Key": MUZAIC})
    httpx.get(url + WS_PATH, params={"token": MUSICGEN_WS})


def test_no_key_is_stored_in_clear_in_the_file_or_its_wal(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with LiveServer(Settings(state_path=str(state), clock="instant")) as live:
        use_every_provider(live)
        running = stored_bytes(state)
        wal_size = Path(f"{state}-wal").stat().st_size
        modes = {p.name: stat.S_IMODE(p.stat().st_mode)
                 for p in (state, Path(f"{state}-wal"), Path(f"{state}-shm"))}
        shown = httpx.get(live.url + "/_mock/journal").text + httpx.get(
            live.url + "/_mock/accounts").text
        accounts = httpx.get(live.url + "/_mock/accounts").json()["accounts"]
        journal = httpx.get(live.url + "/_mock/journal").json()["entries"]
        label = live.services.store.keys.label
    closed = stored_bytes(state)
    assert wal_size > 0, "the WAL held the session's writes while the server ran"
    assert PROMPT.encode() in running and PROMPT.encode() in closed
    for key in KEYS:
        assert key.encode() not in running, f"{key} in the state file or WAL while running"
        assert key.encode() not in closed, f"{key} in the state file after shutdown"
        assert key not in shown
    assert modes == {"state.db": 0o600, "state.db-wal": 0o600, "state.db-shm": 0o600}
    # /_mock/accounts keeps its shape, with a label in the name as before.
    assert {a["provider"] for a in accounts} == {"muzaic", "musicgpt", "soundpiece"}
    assert all(set(a) == {"provider", "name", "balance", "used", "created_at"} for a in accounts)
    [muzaic] = [a for a in accounts if a["provider"] == "muzaic"]
    assert muzaic["name"] == f"muzaic account {label(MUZAIC)}" and muzaic["used"] == 1
    assert label(MUZAIC).startswith("muz…[")
    # A key in a query string is labelled as accounts are (the same fingerprint).
    [http_ws] = [e for e in journal if e["path"] == WS_PATH]
    assert http_ws["query"] == "token=" + label(MUSICGEN_WS)
    [tags] = [e for e in journal if e["path"] == "/muzaic/getTags"]
    assert tags["query"].startswith("api_key=que…[") and "&key=que…[" in tags["query"]
    assert tags["query"].endswith("&n=1")


def test_a_key_is_found_again_after_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    headers = {"MuzaicAPI-Secret-Key": MUZAIC}
    for _ in range(2):
        with LiveServer(Settings(state_path=state)) as live:
            assert httpx.post(live.url + "/muzaic/singleFile", json={"duration": 2},
                              headers=headers).status_code == 200
            details = httpx.get(live.url + "/muzaic/accountDetails", headers=headers).json()
            accounts = httpx.get(live.url + "/_mock/accounts").json()["accounts"]
    assert len(accounts) == 1 and accounts[0]["used"] == 4
    assert str(1_000_000 - 4) in json.dumps(details)


def test_reset_keeps_the_salt_so_later_accounts_survive_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    headers = {"MuzaicAPI-Secret-Key": MUZAIC}
    with LiveServer(Settings(state_path=state)) as live:
        httpx.post(live.url + "/muzaic/singleFile", json={"duration": 1}, headers=headers)
        assert httpx.post(live.url + "/_mock/reset").status_code == 200
        httpx.post(live.url + "/muzaic/singleFile", json={"duration": 3}, headers=headers)
    with LiveServer(Settings(state_path=state)) as live:
        httpx.post(live.url + "/muzaic/singleFile", json={"duration": 5}, headers=headers)
        accounts = httpx.get(live.url + "/_mock/accounts").json()["accounts"]
    assert [a["used"] for a in accounts] == [8]


def test_a_long_header_is_cut_in_the_journal(tmp_path: Path) -> None:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"))) as live:
        httpx.get(live.url + "/muzaic/getTags", headers={
            "MuzaicAPI-Secret-Key": MUZAIC, "X-Trace": "a" * 1_000_000})
        [entry] = httpx.get(live.url + "/_mock/journal").json()["entries"]
        size = len(stored_bytes(tmp_path / "s.db"))
    assert entry["headers"]["x-trace"] == "a" * HEADER_LIMIT + "…[cut: 1000000 characters]"
    assert size < 1_000_000


def test_a_state_file_with_clear_keys_is_hashed_in_place_when_opened(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    sp_headers = {"Authorization": f"Bearer {SOUNDPIECE}"}
    body = {"idempotency_key": str(uuid.uuid4()), "prompt": PROMPT}
    with LiveServer(Settings(state_path=str(state), clock="manual")) as live:
        httpx.post(live.url + "/muzaic/singleFile", json={"duration": 7},
                   headers={"MuzaicAPI-Secret-Key": MUZAIC})
        op = httpx.put(live.url + "/soundpiece/v1/create.new_fx", json=body,
                       headers=sp_headers).json()["fx"]
        salt = live.services.store.get_meta(SALT_META)
    write_legacy_layout(state, KeyHasher(bytes.fromhex(salt)), [MUZAIC, SOUNDPIECE])
    assert MUZAIC.encode() in state.read_bytes() and SOUNDPIECE.encode() in state.read_bytes()
    state.chmod(0o644)

    with LiveServer(Settings(state_path=str(state), clock="manual")) as live:
        opened = stored_bytes(state)
        accounts = httpx.get(live.url + "/_mock/accounts").json()["accounts"]
        journal = httpx.get(live.url + "/_mock/journal").json()["entries"]
        mine = httpx.get(live.url + "/soundpiece/v1/create.new_fx", params={"id": op["id"]},
                         headers=sp_headers)
        others = httpx.get(live.url + "/soundpiece/v1/create.new_fx", params={"id": op["id"]},
                           headers={"Authorization": "Bearer spk_someone_else"})
        replay = httpx.put(live.url + "/soundpiece/v1/create.new_fx", json=body,
                           headers=sp_headers)
        httpx.post(live.url + "/muzaic/singleFile", json={"duration": 1},
                   headers={"MuzaicAPI-Secret-Key": MUZAIC})
        used = {a["provider"]: a["used"]
                for a in httpx.get(live.url + "/_mock/accounts").json()["accounts"]}
    for key in (MUZAIC, SOUNDPIECE):
        assert key.encode() not in opened and key.encode() not in stored_bytes(state)
        assert key not in json.dumps(accounts) + json.dumps(journal)
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert mine.status_code == 200 and mine.json()["fx"]["id"] == op["id"]
    assert others.status_code == 404
    assert replay.status_code == 200 and replay.json()["fx"]["id"] == op["id"]
    assert used["muzaic"] == 8, "the migrated account is the one the key still reaches"
    assert [e["query"] for e in journal if e["path"] == "/old"] == [
        "token=" + next(a["name"] for a in accounts if a["provider"] == "muzaic").rsplit(
            " ", 1)[1]]


def write_legacy_layout(state: Path, keys: KeyHasher, clear: list[str]) -> None:
    """Turn a state file into the layout of releases before hashing: ``accounts.api_key``
    and the owner columns hold the keys themselves, no salt is stored, and the journal has a
    ``?token=`` in clear."""
    by_digest = {keys.digest(k): k for k in clear}
    with contextlib.closing(sqlite3.connect(state)) as conn, conn:
        conn.create_function("clear_key", 1, lambda d: by_digest.get(d, d))
        conn.execute("ALTER TABLE accounts RENAME COLUMN key_hash TO api_key")
        conn.execute("UPDATE accounts SET api_key = clear_key(api_key),"
                     " name = provider || ' account ' || substr(clear_key(api_key), 1, 3)")
        conn.execute("UPDATE tasks SET owner = clear_key(owner)")
        conn.execute("UPDATE idempotency SET owner = clear_key(owner)")
        conn.execute("DELETE FROM meta WHERE key = ?", (SALT_META,))
        conn.execute("INSERT INTO journal (at, provider, method, path, query, status, headers,"
                      " body, elapsed_ms) VALUES ('2024-01-01T00:00:00Z', 'muzaic', 'GET',"
                      " '/old', ?, 200, '{}', '', 1.0)", (f"token={MUZAIC}",))
    with contextlib.closing(sqlite3.connect(state)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
