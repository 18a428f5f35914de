"""``Idempotency-Key``: a replay returns the original answer and creates and charges nothing;
a changed body is a 409; the record survives a restart."""

from __future__ import annotations

from pathlib import Path

import httpx
from musicgpt_helpers import KEY, SUBMIT, client, server

from spec_check import assert_documented

FORM = {"prompt": "a rooster at dawn", "audio_length": "4"}


def _post(api: httpx.Client, key: str, form: dict[str, str]) -> httpx.Response:
    return api.post(SUBMIT, data=form, headers={"Idempotency-Key": key})


def _state(live) -> tuple[int, int]:
    """(tasks, credits used) of the test key."""
    account = live.services.accounts.get_or_create("musicgpt", KEY)
    return live.services.tasks.count("musicgpt"), account.used


def test_a_replay_returns_the_original_and_creates_and_charges_nothing(tmp_path: Path) -> None:
    with server(tmp_path) as live, client(live) as api:
        first = _post(api, "order-1", FORM)
        after_first = _state(live)
        httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 30})  # time moves on
        again = _post(api, "order-1", FORM)
        after_replay = _state(live)
        fresh = _post(api, "order-2", FORM)
        unkeyed = api.post(SUBMIT, data=FORM)
        after_new = _state(live)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert after_first == after_replay == (1, 4)
    assert fresh.json()["task_id"] != first.json()["task_id"]
    assert unkeyed.json()["task_id"] not in {first.json()["task_id"], fresh.json()["task_id"]}
    assert after_new == (3, 12)


def test_the_same_key_with_another_body_is_409(tmp_path: Path) -> None:
    with server(tmp_path) as live, client(live) as api:
        _post(api, "order-1", FORM)
        changed = _post(api, "order-1", {**FORM, "audio_length": "5"})
        state = _state(live)
    assert changed.status_code == 409
    assert changed.json() == {"success": False, "error":
                              "Idempotency-Key was already used with a different request body"}
    assert_documented("musicgpt", "POST", SUBMIT, 409, changed.json())
    assert state == (1, 4)


def test_keys_belong_to_one_api_key(tmp_path: Path) -> None:
    with server(tmp_path) as live, client(live) as alice, client(live, key="bob") as bob:
        mine = _post(alice, "shared-key", FORM)
        theirs = _post(bob, "shared-key", {**FORM, "prompt": "something else"})
    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["task_id"] != theirs.json()["task_id"]


def test_a_replay_after_a_restart_returns_the_original(tmp_path: Path) -> None:
    with server(tmp_path) as live, client(live) as api:
        first = _post(api, "order-1", FORM)
    with server(tmp_path) as live, client(live) as api:
        again = _post(api, "order-1", FORM)
        changed = _post(api, "order-1", {**FORM, "prompt": "a hen"})
        state = _state(live)
    assert again.status_code == 200 and again.content == first.content
    assert changed.status_code == 409
    assert state == (1, 4)
