"""idempotency_key: a replay returns the original response and does no new work; another body
with the same key is a 409; keys survive a restart; a key must be a UUID."""

from __future__ import annotations

import uuid
from pathlib import Path

from soundpiece_helpers import KEY, SONG, advance, body_for, client

from live import LiveServer
from mockserver.core.settings import Settings
from spec_check import assert_documented


def _tasks(live: LiveServer) -> int:
    return live.services.tasks.count("soundpiece")


def _used(live: LiveServer) -> int:
    return live.services.accounts.get_or_create("soundpiece", KEY).used


def test_replay_returns_the_original_response_and_creates_no_task(tmp_path: Path) -> None:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual")) as live, \
            client(live) as c:
        body = body_for(SONG)
        first = c.put(f"/v1/{SONG}", json=body)
        tasks, used = _tasks(live), _used(live)
        advance(live, 60)  # the operation is ready now; the replay is still the original answer
        again = c.put(f"/v1/{SONG}", json=body)
        reordered = c.put(f"/v1/{SONG}", json=dict(reversed(list(body.items()))))
        assert (_tasks(live), _used(live)) == (tasks, used)
    assert first.status_code == again.status_code == reordered.status_code == 200
    assert again.content == first.content and reordered.json() == first.json()


def test_a_default_spelled_out_is_the_same_request(tmp_path: Path) -> None:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual")) as live, \
            client(live) as c:
        body = body_for("create.new_fx")
        first = c.put("/v1/create.new_fx", json=body)
        again = c.put("/v1/create.new_fx", json={**body, "duration": 2, "callback_url": None})
    assert again.json() == first.json()


def test_same_key_with_another_body_is_a_409(tmp_path: Path) -> None:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual")) as live, \
            client(live) as c:
        body = body_for(SONG)
        c.put(f"/v1/{SONG}", json=body)
        tasks = _tasks(live)
        changed = c.put(f"/v1/{SONG}", json={**body, "prompt": "something else"})
        other_route = c.put("/v1/create.new_instrumental",
                            json={"idempotency_key": body["idempotency_key"], "prompt": "x"})
        assert _tasks(live) == tasks
    for response in (changed, other_route):
        assert response.status_code == 409
        assert response.json() == {
            "detail": "idempotency_key was already used with a different request body"}
    assert_documented("soundpiece", "PUT", f"/v1/{SONG}", 409, changed.json())


def test_keys_are_per_account(tmp_path: Path) -> None:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual")) as live, \
            client(live) as alice, client(live, "spk_bob") as bob:
        body = body_for(SONG)
        first = alice.put(f"/v1/{SONG}", json=body).json()["song"]
        second = bob.put(f"/v1/{SONG}", json=body).json()["song"]
        foreign = bob.get(f"/v1/{SONG}", params={"id": first["id"]})
    assert first["id"] != second["id"]
    assert foreign.status_code == 404


def test_replay_after_a_restart_returns_the_original(tmp_path: Path) -> None:
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual")
    body = body_for(SONG)
    with LiveServer(settings) as first, client(first) as c:
        original = c.put(f"/v1/{SONG}", json=body)
    with LiveServer(settings) as second, client(second) as c:
        tasks = _tasks(second)
        replay = c.put(f"/v1/{SONG}", json=body)
        conflict = c.put(f"/v1/{SONG}", json={**body, "lyrics": "[Verse]\nother"})
        assert _tasks(second) == tasks
        polled = c.get(f"/v1/{SONG}", params={"id": original.json()["song"]["id"]})
    assert replay.content == original.content
    assert conflict.status_code == 409
    assert polled.status_code == 200


def test_a_key_that_is_not_a_uuid_is_a_422(tmp_path: Path) -> None:
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), clock="manual")) as live, \
            client(live) as c:
        response = c.put(f"/v1/{SONG}", json=body_for(SONG, idempotency_key="not-a-uuid"))
        braces = c.put(f"/v1/{SONG}",
                       json=body_for(SONG, idempotency_key="{" + str(uuid.uuid4()) + "}"))
        assert _tasks(live) == 0
    assert response.status_code == 422 and braces.status_code == 422
    assert_documented("soundpiece", "PUT", f"/v1/{SONG}", 422, response.json())
    (item,) = response.json()["detail"]
    assert item["loc"] == ["body", "idempotency_key"] and item["type"] == "uuid_parsing"
