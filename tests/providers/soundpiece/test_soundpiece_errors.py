"""Errors in Soundpiece's documented shapes: {"detail": "..."}, and 422 as FastAPI's
{"detail": [{loc, msg, type}]}."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from soundpiece_helpers import KEY, SONG, body_for, client

from live import LiveServer
from mockserver.core.settings import Settings
from spec_check import assert_documented

UNAUTHORIZED = {"detail": "Missing or invalid Authorization header"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    state = tmp_path_factory.mktemp("errors") / "s.db"
    settings = Settings(state_path=str(state), clock="manual", api_keys=(KEY, "spk_poor"),
                        config={"providers": {"soundpiece": {"balance": 95}}})
    with LiveServer(settings) as server:
        yield server


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Bearer spk_unknown"},
    {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": KEY},
], ids=["none", "empty", "unknown key", "basic", "no scheme"])
def test_bad_or_missing_key_is_a_401(live: LiveServer, headers: dict) -> None:
    put = httpx.put(f"{live.url}/soundpiece/v1/{SONG}", json=body_for(SONG), headers=headers)
    get = httpx.get(f"{live.url}/soundpiece/v1/{SONG}", params={"id": "op_" + "a" * 26},
                    headers=headers)
    assert (put.status_code, put.json()) == (401, UNAUTHORIZED)
    assert (get.status_code, get.json()) == (401, UNAUTHORIZED)


CASES = [
    ("missing lyrics", {"lyrics": None}, ["body", "lyrics"], "missing"),
    ("empty prompt", {"prompt": ""}, ["body", "prompt"], "string_too_short"),
    ("lyrics too long", {"lyrics": "a" * 3001}, ["body", "lyrics"], "string_too_long"),
    ("n_variations 4", {"n_variations": 4}, ["body", "n_variations"], "less_than_equal"),
    ("n_variations text", {"n_variations": "2"}, ["body", "n_variations"], "int_type"),
    ("callback not a URI", {"callback_url": "not a url"}, ["body", "callback_url"],
     "url_parsing"),
    ("no prompt nor reference", {"prompt": None}, ["body"], "value_error"),
    ("null reference only", {"prompt": None, "reference": None}, ["body"], "value_error"),
]


@pytest.mark.parametrize("name, change, loc, type_", CASES, ids=[c[0] for c in CASES])
def test_invalid_body_is_a_422_naming_the_field(live: LiveServer, name: str, change: dict,
                                                loc: list, type_: str) -> None:
    body = {k: v for k, v in {**body_for(SONG), **change}.items() if v is not None}
    with client(live) as c:
        response = c.put(f"/v1/{SONG}", json=body)
    assert response.status_code == 422, response.text
    assert_documented("soundpiece", "PUT", f"/v1/{SONG}", 422, response.json())
    (item,) = response.json()["detail"]
    assert (item["loc"], item["type"]) == (loc, type_), item
    assert item["msg"]


@pytest.mark.parametrize("params, loc, type_", [
    ({}, ["query", "id"], "missing"),
    ({"id": "op_short"}, ["query", "id"], "string_pattern_mismatch"),
    ({"id": "op_" + "a" * 26, "wait": "maybe"}, ["query", "wait"], "bool_type"),
])
def test_invalid_query_is_a_422(live: LiveServer, params: dict, loc: list, type_: str) -> None:
    with client(live) as c:
        response = c.get(f"/v1/{SONG}", params=params)
    assert response.status_code == 422, response.text
    (item,) = response.json()["detail"]
    assert (item["loc"], item["type"]) == (loc, type_), item


def test_malformed_json_is_a_400(live: LiveServer) -> None:
    with client(live) as c:
        syntax = c.put(f"/v1/{SONG}", content=b'{"lyrics": ',
                       headers={"Content-Type": "application/json"})
        bytes_ = c.put(f"/v1/{SONG}", content=b'{"lyrics": "\xff"}',
                       headers={"Content-Type": "application/json"})
    for response in (syntax, bytes_):
        assert response.status_code == 400, response.text
        assert_documented("soundpiece", "PUT", f"/v1/{SONG}", 400, response.json())


def test_unknown_operation_is_a_404(live: LiveServer) -> None:
    with client(live) as c:
        made = c.put(f"/v1/{SONG}", json=body_for(SONG, n_variations=1)).json()["song"]["id"]
        unknown = c.get(f"/v1/{SONG}", params={"id": "op_" + "z" * 26})
        other_route = c.get("/v1/create.new_fx", params={"id": made})
    for response in (unknown, other_route):
        assert (response.status_code, response.json()) == (404, {"detail": "Operation not found"})


def test_unknown_method_is_a_405_listing_the_spec_methods(live: LiveServer) -> None:
    with client(live) as c:
        response = c.post(f"/v1/{SONG}", json={})
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "PUT"}
    assert set(response.json()) == {"detail"}


def test_insufficient_credits_is_a_402_and_charges_nothing(live: LiveServer) -> None:
    with client(live, "spk_poor") as c:
        fx = c.put("/v1/create.new_fx", json=body_for("create.new_fx", duration=10))
        song = c.put(f"/v1/{SONG}", json=body_for(SONG, n_variations=3))
        failing = c.put(f"/v1/{SONG}", json=body_for(SONG, prompt="x [mock:fail]"))
    assert fx.status_code == 200 and failing.status_code == 200  # failures are free
    assert (song.status_code, song.json()) == (402, {"detail": "Insufficient credits"})
    assert_documented("soundpiece", "PUT", f"/v1/{SONG}", 402, song.json())
    assert live.services.accounts.get_or_create("soundpiece", "spk_poor").used == 10


def test_no_rate_limit_by_default_and_429_with_retry_after_when_configured(
        tmp_path: Path) -> None:
    config = {"providers": {"soundpiece": {"rate_limit": {"requests": 2, "window_seconds": 30}}}}
    settings = Settings(state_path=str(tmp_path / "s.db"), clock="manual", config=config)
    with LiveServer(settings) as server, client(server) as c:
        answers = [c.get(f"/v1/{SONG}", params={"id": "op_" + "a" * 26}) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert answers[2].headers["retry-after"] == "30"
    assert answers[2].json() == {"detail": "Rate limit exceeded; retry in 30 seconds"}
    assert not any(h.lower().startswith("x-ratelimit") for h in answers[2].headers)
    assert_documented("soundpiece", "GET", f"/v1/{SONG}", 429, answers[2].json())


def test_many_requests_pass_without_a_configured_limit(live: LiveServer) -> None:
    with client(live) as c:
        statuses = {c.get(f"/v1/{SONG}", params={"id": "op_" + "b" * 26}).status_code
                    for _ in range(150)}
    assert statuses == {404}
