"""Prism's ``Prefer`` header on a real server: a documented code, a named example, a delay."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from live import LiveServer
from mockserver.core.settings import Settings

MUZAIC = {"MuzaicAPI-Secret-Key": "prefer-key"}
MUSICGEN = {"Authorization": "Bearer prefer-key"}
TASK = "/musicgen/api/v1/generate/3f1c2a4e-8b7d-4c1e-9a6f-2d5b8e0c7a91"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    state = tmp_path_factory.mktemp("prefer") / "state.db"
    with LiveServer(Settings(state_path=str(state), clock="manual")) as server, \
            server.client() as client:
        yield client


def task(client: httpx.Client, prefer: str) -> httpx.Response:
    return client.get(TASK, headers={**MUSICGEN, "Prefer": prefer})


def test_a_documented_error_code_in_the_providers_body_and_headers(client: httpx.Client) -> None:
    limited = task(client, "code=429")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert limited.json()["error"]["message"] == "Prefer: code=429 (Too Many Requests)"
    for name in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert limited.headers[name].isdigit()
    unauthorized = client.get("/muzaic/getTags", headers={**MUZAIC, "Prefer": "code=401"})
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {"error": "Prefer: code=401 (Unauthorized)"}


def test_a_2xx_code_answers_the_specs_example(client: httpx.Client) -> None:
    answered = task(client, "code=200")
    assert answered.status_code == 200
    assert answered.json()["status"] == "processing"  # the first of the documented examples
    tags = client.get("/muzaic/getTags", headers={**MUZAIC, "Prefer": "code=200"})
    assert [tag["name"] for tag in tags.json()["tags"]] == ["acoustic", "electronic"]


def test_a_2xx_code_without_an_example_is_the_handlers_answer(client: httpx.Client) -> None:
    plain = client.get("/muzaic/accountDetails", headers=MUZAIC).json()
    preferred = client.get("/muzaic/accountDetails", headers={**MUZAIC, "Prefer": "code=200"})
    assert preferred.status_code == 200 and preferred.json() == plain


def test_a_named_example_alone_or_with_its_code(client: httpx.Client) -> None:
    for prefer in ("example=completed", 'code=200, example="completed"'):
        answered = task(client, prefer)
        assert answered.status_code == 200
        assert answered.json()["status"] == "completed"


def test_an_undocumented_code_or_unknown_example_is_a_400_listing_the_choices(
        client: httpx.Client) -> None:
    undocumented = task(client, "code=418")
    assert undocumented.status_code == 400
    assert undocumented.json()["error"]["message"] == (
        "Prefer: code=418 is not documented for this operation; documented: 200, 401, 404, 429")
    unknown = task(client, "example=finished")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == (
        "Prefer: example=finished is not an example of this operation;"
        " its examples: processing, completed")
    elsewhere = task(client, "code=404, example=completed")
    assert "not an example of the 404 response; its examples: none" in (
        elsewhere.json()["error"]["message"])
    muzaic = client.get("/muzaic/getTags", headers={**MUZAIC, "Prefer": "code=500"})
    assert muzaic.status_code == 400
    assert muzaic.json() == {"error": "Prefer: code=500 is not documented for this operation;"
                                      " documented: 200, 401"}
    garbled = task(client, "code=often")
    assert garbled.status_code == 400 and "code must be an HTTP status" in garbled.text


def test_a_delay_then_the_handler(client: httpx.Client) -> None:
    started = time.monotonic()
    answered = client.get("/muzaic/getTags", headers={**MUZAIC, "Prefer": "delay=200"})
    assert answered.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_other_preferences_and_unknown_paths_are_left_alone(client: httpx.Client) -> None:
    assert client.get("/muzaic/getTags",
                      headers={**MUZAIC, "Prefer": "return=minimal"}).status_code == 200
    missing = client.get("/muzaic/getTag", headers={**MUZAIC, "Prefer": "code=200"})
    assert missing.status_code == 404
