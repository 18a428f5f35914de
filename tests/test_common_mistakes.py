"""Common mistakes get a 4xx that names the fix, in the provider's own error format."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from live import LiveServer
from mockserver.core.settings import Settings
from spec_check import assert_schema

# provider -> (base path, spec schema of its error body, how to read the message)
ERRORS = {
    "muzaic": ("/muzaic", "Error", lambda body: body["error"]),
    "musicgpt": ("/musicgpt/api/public", "Error", lambda body: body["error"]),
    "soundpiece": ("/soundpiece", "HTTPError", lambda body: body["detail"]),
    "musicgen": ("/musicgen/api/v1", "Error", lambda body: body["error"]["message"]),
}


def message_of(provider: str, response: httpx.Response, status: int) -> str:
    """The message of a documented-shape error body, after checking status and shape."""
    assert response.status_code == status, response.text
    _, schema, read = ERRORS[provider]
    assert_schema(provider, schema, response.json())
    return read(response.json())


# --- unknown paths -----------------------------------------------------------------------
@pytest.mark.parametrize("path, meant", [
    ("/v1/byId", "/musicgpt/api/public/v1/byId (GET)"),
    ("/musicgpt/v1/byId", "/musicgpt/api/public/v1/byId (GET)"),
    ("/musicgen/generate", "/musicgen/api/v1/generate (POST)"),
    ("/api/public/v1/sound_generator", "/musicgpt/api/public/v1/sound_generator (POST)"),
])
def test_a_path_under_no_provider_lists_the_base_urls(server: LiveServer, path: str,
                                                      meant: str) -> None:
    response = httpx.get(server.url + path)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == f"no provider is served at {path}"
    assert body["served"] == {
        "musicgen": server.url + "/musicgen/api/v1",
        "musicgpt": server.url + "/musicgpt/api/public",
        "muzaic": server.url + "/muzaic",
        "soundpiece": server.url + "/soundpiece",
    }
    assert f"did you mean {server.url}{meant}?" in body["hint"]


def test_the_root_lists_the_base_urls_without_a_guess(server: LiveServer) -> None:
    body = httpx.get(server.url + "/").json()
    assert body["error"] == "no provider is served at /"
    assert set(body["served"]) == set(ERRORS)
    assert "did you mean" not in body["hint"] and "/_mock/health" in body["hint"]


@pytest.mark.parametrize("provider, tail, paths", [
    ("muzaic", "/nope", ["/getTags", "/singleFile", "/soundtrack"]),
    ("musicgpt", "/v2/byId/x", ["/v1/byId", "/v1/sound_generator"]),
    ("soundpiece", "/v1/create.song", ["/v1/create.new_song", "/v1/create.remix_song"]),
    ("musicgen", "/generate/a/b", ["/generate", "/generate/{task_id}", "/models"]),
])
def test_a_path_below_a_base_that_is_not_in_the_spec_names_the_paths(
        server: LiveServer, provider: str, tail: str, paths: list[str]) -> None:
    base = ERRORS[provider][0]
    message = message_of(provider, httpx.get(server.url + base + tail), 404)
    assert message.startswith(f"no such endpoint: the base URL here is {server.url}{base}"
                              " and its paths are ")
    assert all(path in message for path in paths)


def test_musicgen_keeps_its_not_found_code(server: LiveServer) -> None:
    body = httpx.get(server.url + "/musicgen/api/v1/nope").json()
    assert body["error"]["code"] == "NOT_FOUND"


def test_another_providers_path_below_a_base_gets_a_guess(server: LiveServer) -> None:
    message = message_of("muzaic", httpx.get(server.url + "/muzaic/v1/byId"), 404)
    assert message.endswith(f"did you mean {server.url}/musicgpt/api/public/v1/byId (GET)?")


def test_one_provider_at_the_root_guesses_the_path_without_its_prefix(tmp_path: Path) -> None:
    key = {"MuzaicAPI-Secret-Key": "k"}
    with LiveServer(Settings(state_path=str(tmp_path / "s.db"), providers=("muzaic",))) as live:
        response = httpx.get(live.url + "/muzaic/getTags", headers=key)
    message = message_of("muzaic", response, 404)
    assert f"the base URL here is {live.url} and" in message
    assert message.endswith(f"did you mean {live.url}/getTags (GET)?")


# --- the key in the wrong header ---------------------------------------------------------
KEYED = {  # provider -> an operation that needs a key (path below the base, query)
    "muzaic": ("/getTags", {}),
    "musicgpt": ("/v1/byId", {"conversionType": "SOUND_GENERATOR", "task_id": "x"}),
    "soundpiece": ("/v1/create.new_fx", {"id": "op_" + "a" * 26}),
    "musicgen": ("/models", {}),
}


def keyed_get(server: LiveServer, provider: str, headers: dict[str, str]) -> httpx.Response:
    path, query = KEYED[provider]
    return httpx.get(server.url + ERRORS[provider][0] + path, params=query, headers=headers)


@pytest.mark.parametrize("provider, headers, documented, expected", [
    ("muzaic", {"Authorization": "Bearer k"}, "No MuzaicAPI Secret Key",
     "`MuzaicAPI-Secret-Key: <key>`"),
    ("muzaic", {"X-API-Key": "k"}, "No MuzaicAPI Secret Key", "`MuzaicAPI-Secret-Key: <key>`"),
    ("musicgpt", {"X-API-Key": "k"}, "Missing API key", "`Authorization: <key>`"),
    ("musicgpt", {"MuzaicAPI-Secret-Key": "k"}, "Missing API key", "`Authorization: <key>`"),
    ("musicgen", {"X-API-Key": "k"}, "Authentication is required to access this resource",
     "`Authorization: Bearer <key>`"),
    ("musicgen", {"Authorization": "k"}, "Authentication is required to access this resource",
     "`Authorization: Bearer <key>`"),
], ids=["muzaic-bearer", "muzaic-x-api-key", "musicgpt-x-api-key", "musicgpt-muzaic-header",
        "musicgen-x-api-key", "musicgen-no-bearer"])
def test_a_key_in_the_wrong_header_is_told_where_it_goes(
        server: LiveServer, provider: str, headers: dict[str, str], documented: str,
        expected: str) -> None:
    message = message_of(provider, keyed_get(server, provider, headers), 401)
    assert message.startswith(documented + ": ")
    assert expected in message
    sent = next(iter(headers)).lower()
    assert (f"not in `{sent}`" in message) or ("no Bearer prefix" in message)


def test_music_gen_ai_calls_a_key_without_bearer_a_missing_key(server: LiveServer) -> None:
    body = keyed_get(server, "musicgen", {"Authorization": "k"}).json()
    assert body["error"]["code"] == "AUTHENTICATION_REQUIRED"


@pytest.mark.parametrize("headers, found", [
    ({"X-API-Key": "spk_k"}, "not in `x-api-key`"),
    ({"Authorization": "spk_k"}, "this one has no Bearer prefix"),
    ({"Authorization": "Token spk_k"}, "this one has the Token scheme"),
])
def test_soundpiece_keeps_its_documented_401_and_says_where_the_key_goes_in_a_header(
        server: LiveServer, headers: dict[str, str], found: str) -> None:
    response = keyed_get(server, "soundpiece", headers)
    assert message_of("soundpiece", response, 401) == "Missing or invalid Authorization header"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_request", error_description="')
    assert "`Authorization: Bearer <key>`" in challenge and found in challenge


def test_a_key_in_the_wrong_header_is_redacted_in_the_journal(tmp_path: Path) -> None:
    secret = "very-secret-key-123"
    settings = Settings(state_path=str(tmp_path / "s.db"), providers=("musicgpt",))
    with LiveServer(settings) as live:
        httpx.get(live.url + "/api/public/v1/byId", params=KEYED["musicgpt"][1],
                  headers={"MuzaicAPI-Secret-Key": secret, "Api-Key": secret})
        journal = httpx.get(live.url + "/_mock/journal")
    assert secret not in journal.text
    headers = journal.json()["entries"][0]["headers"]
    assert headers["muzaicapi-secret-key"].startswith("ver…")
    assert headers["api-key"].startswith("ver…")


@pytest.mark.parametrize("provider", sorted(KEYED))
def test_no_key_at_all_gets_the_documented_401_alone(server: LiveServer, provider: str) -> None:
    response = keyed_get(server, provider, {"Idempotency-Key": "not-a-credential"})
    assert ": " not in message_of(provider, response, 401)
    assert "WWW-Authenticate" not in response.headers


# --- JSON vs form ------------------------------------------------------------------------
SUBMIT = "/musicgpt/api/public/v1/sound_generator"
TAKES_FORM = ("this endpoint takes form fields (Content-Type: application/x-www-form-urlencoded),"
              " not {}: send its fields form-encoded, e.g. curl -d prompt=...")


@pytest.mark.parametrize("content_type, status, sent", [
    ("application/json", 415, "JSON"),
    ("application/x-www-form-urlencoded", 422, "JSON"),  # curl -d '{...}' without -H
    (None, 422, "JSON"),
])
def test_json_sent_to_musicgpts_form_endpoint_is_told_to_send_form_fields(
        server: LiveServer, content_type: str | None, status: int, sent: str) -> None:
    headers = {"Authorization": "k"} | ({"Content-Type": content_type} if content_type else {})
    response = httpx.post(server.url + SUBMIT, content=json.dumps({"prompt": "rain"}),
                          headers=headers)
    assert message_of("musicgpt", response, status) == TAKES_FORM.format(sent)


def test_multipart_sent_to_musicgpts_form_endpoint_names_the_urlencoded_form(
        server: LiveServer) -> None:
    response = httpx.post(server.url + SUBMIT, headers={"Authorization": "k"},
                          files={"prompt": (None, "rain")})
    assert message_of("musicgpt", response, 415) == TAKES_FORM.format("multipart/form-data")


def test_form_fields_without_a_content_type_are_read_as_the_form(server: LiveServer) -> None:
    response = httpx.post(server.url + SUBMIT, content=b"prompt=rain&audio_length=1",
                          headers={"Authorization": "k"})
    assert response.status_code == 200, response.text
    assert response.json()["credit_estimate"] == 1


# provider -> (method, path, a valid JSON body, key header, what the answer echoes)
JSON_ENDPOINTS = {
    "muzaic": ("POST", "/muzaic/singleFile", {"duration": 2},
               {"MuzaicAPI-Secret-Key": "k"}, lambda body: body["audioDuration"] == 2),
    "musicgen": ("POST", "/musicgen/api/v1/generate", {"prompt": "rain", "duration": 2},
                 {"Authorization": "Bearer k"}, lambda body: body["status"] == "processing"),
    "soundpiece": ("PUT", "/soundpiece/v1/create.new_fx", {"prompt": "boom"},
                   {"Authorization": "Bearer spk_k"}, lambda body: body["fx"]["prompt"] == "boom"),
}


def json_call(server: LiveServer, provider: str, content: bytes,
              content_type: str | None) -> httpx.Response:
    method, path, _, key, _ = JSON_ENDPOINTS[provider]
    headers = key | ({"Content-Type": content_type} if content_type else {})
    return httpx.request(method, server.url + path, content=content, headers=headers,
                         timeout=60)


def json_body(provider: str) -> dict:
    body = dict(JSON_ENDPOINTS[provider][2])
    if provider == "soundpiece":
        body["idempotency_key"] = str(uuid.uuid4())
    return body


@pytest.mark.parametrize("provider", sorted(JSON_ENDPOINTS))
def test_json_without_a_content_type_is_read_as_json(server: LiveServer, provider: str) -> None:
    response = json_call(server, provider, json.dumps(json_body(provider)).encode(), None)
    assert response.status_code == 200, response.text
    assert JSON_ENDPOINTS[provider][4](response.json())


@pytest.mark.parametrize("provider", sorted(JSON_ENDPOINTS))
@pytest.mark.parametrize("content_type, content, note", [
    ("application/x-www-form-urlencoded", b"prompt=rain",
     " (curl -d sends that unless told otherwise)"),
    ("application/x-www-form-urlencoded", b'{"prompt": "rain"}',
     " (curl -d sends that unless told otherwise)"),
    ("text/plain", b'{"prompt": "rain"}', ""),
], ids=["form", "json-as-form", "text"])
def test_a_json_endpoint_names_the_content_type_to_send(
        server: LiveServer, provider: str, content_type: str, content: bytes,
        note: str) -> None:
    response = json_call(server, provider, content, content_type)
    assert message_of(provider, response, 415) == (
        "this endpoint takes a JSON body (Content-Type: application/json),"
        f" not {content_type}{note}: send it with -H 'Content-Type: application/json'")
