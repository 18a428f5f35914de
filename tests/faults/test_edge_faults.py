"""Fault rules at the edge of a real server: each action, each way to match a request, the
journal, the ``/_mock/faults`` API and the config's rules."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from live import LiveServer
from mockserver.core.settings import Settings
from mockserver.http.app import create_app

MUZAIC = {"MuzaicAPI-Secret-Key": "faults-key"}
MUSICGEN = {"Authorization": "Bearer faults-key"}
TASK = "/musicgen/api/v1/generate/3f1c2a4e-8b7d-4c1e-9a6f-2d5b8e0c7a91"


@pytest.fixture
def client(manual_server: LiveServer) -> Iterator[httpx.Client]:
    with manual_server.client() as client:
        client.delete("/_mock/faults")
        yield client


def add(client: httpx.Client, **rule: Any) -> int:
    response = client.post("/_mock/faults", json=rule)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def tags(client: httpx.Client, **kwargs: Any) -> httpx.Response:
    return client.get("/muzaic/getTags", headers={**MUZAIC, **kwargs.pop("headers", {})},
                      **kwargs)


def journal_faults(client: httpx.Client, count: int) -> list[list[int]]:
    entries = client.get("/_mock/journal", params={"limit": count}).json()["entries"]
    return [entry["faults"] for entry in reversed(entries)]


# --- actions -------------------------------------------------------------------------------

def test_a_status_answers_in_the_providers_own_error_body(client: httpx.Client) -> None:
    rule = add(client, provider="muzaic", method="GET", path="/getTags", times=1,
               action={"status": 500})
    failed = tags(client)
    assert failed.status_code == 500
    assert failed.json() == {"error": f"fault rule {rule}: Internal Server Error"}
    assert tags(client).status_code == 200  # times: 1
    add(client, provider="soundpiece", action={"status": 503, "message": "down for a minute"})
    answered = client.get("/soundpiece/v1/create.new_song", params={"task_id": "x"},
                          headers={"Authorization": "Bearer k"})
    assert answered.status_code == 503
    assert answered.json()["detail"].endswith("down for a minute")


def test_a_429_carries_the_providers_rate_limit_headers(client: httpx.Client) -> None:
    rule = add(client, provider="musicgen", action={"status": 429, "seconds": 30})
    limited = client.get(TASK, headers=MUSICGEN)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "30"
    assert limited.headers["X-RateLimit-Limit"] == "100"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) > 0
    assert limited.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert limited.json()["error"]["message"] == f"fault rule {rule}: Too Many Requests"
    add(client, provider="muzaic", action={"status": 429})
    assert tags(client).headers["Retry-After"] == "1"


def test_a_delay_holds_the_answer_back(client: httpx.Client) -> None:
    add(client, path="/getTags", action={"delay_ms": 200})
    started = time.monotonic()
    assert tags(client).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_a_delay_comes_with_another_action(client: httpx.Client) -> None:
    add(client, path="/getTags", action={"delay_ms": [100, 150], "status": 502})
    started = time.monotonic()
    assert tags(client).status_code == 502
    assert time.monotonic() - started >= 0.1


def test_a_reset_is_a_transport_error_for_the_client(client: httpx.Client) -> None:
    rule = add(client, path="/getTags", times=1, action={"reset": True})
    with pytest.raises(httpx.TransportError):
        tags(client)
    assert tags(client).status_code == 200
    assert journal_faults(client, 2) == [[rule], []]


def test_a_malformed_body_is_half_of_the_real_one(client: httpx.Client) -> None:
    whole = tags(client).content
    add(client, path="/getTags", times=1, action={"body": "malformed"})
    spoiled = tags(client)
    assert spoiled.status_code == 200
    assert spoiled.content == whole[:len(whole) // 2]
    assert spoiled.headers["content-length"] == str(len(whole) // 2)
    with pytest.raises(json.JSONDecodeError):
        spoiled.json()


def test_a_truncated_body_stops_short_of_its_content_length(client: httpx.Client) -> None:
    add(client, path="/getTags", times=1, action={"body": "truncated"})
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete|without sending complete"):
        tags(client)
    assert tags(client).status_code == 200


def test_job_and_webhook_rules_fire_on_the_submit_and_are_journaled(client: httpx.Client) -> None:
    job = add(client, provider="musicgen", method="POST", path="/generate", times=1,
              action={"job": "fail"})
    hook = add(client, provider="musicgen", method="POST", path="/generate", times=1,
               action={"webhook": "late", "seconds": 60})
    submitted = client.post("/musicgen/api/v1/generate", headers=MUSICGEN,
                            json={"prompt": "rain on a roof", "duration": 5})
    assert submitted.status_code == 200, submitted.text
    assert journal_faults(client, 1) == [[job, hook]]


# --- matching ------------------------------------------------------------------------------

def test_a_rule_hits_only_its_provider_and_method(client: httpx.Client) -> None:
    add(client, provider="musicgen", action={"status": 500})
    add(client, provider="muzaic", method="POST", action={"status": 500})
    assert tags(client).status_code == 200
    assert client.get(TASK, headers=MUSICGEN).status_code == 500


def test_a_spec_path_matches_its_template_and_the_concrete_path(client: httpx.Client) -> None:
    add(client, path="/generate/{task_id}", times=1, action={"status": 500})
    assert client.get(TASK, headers=MUSICGEN).status_code == 500
    assert client.get(TASK, headers=MUSICGEN).status_code == 404  # times: 1, then the handler
    add(client, path=TASK.removeprefix("/musicgen/api/v1"), action={"status": 502})
    assert client.get(TASK, headers=MUSICGEN).status_code == 502
    assert client.get(TASK[:-1] + "2", headers=MUSICGEN).status_code == 404


def test_a_path_glob(client: httpx.Client) -> None:
    add(client, path_glob="/get*", action={"status": 500})
    assert tags(client).status_code == 500
    assert client.get("/muzaic/accountDetails", headers=MUZAIC).status_code == 200


def test_a_header(client: httpx.Client) -> None:
    add(client, headers={"X-Scenario": {"matches": "^outage"}}, action={"status": 503})
    assert tags(client, headers={"x-scenario": "outage-7"}).status_code == 503
    assert tags(client, headers={"x-scenario": "calm"}).status_code == 200
    assert tags(client).status_code == 200


def test_a_body_field_and_the_body_still_reaches_the_handler(client: httpx.Client) -> None:
    add(client, provider="musicgen", body={"prompt": {"contains": "storm"}},
        action={"status": 500})
    stormy = client.post("/musicgen/api/v1/generate", headers=MUSICGEN,
                         json={"prompt": "a storm at sea", "duration": 5})
    assert stormy.status_code == 500
    calm = client.post("/musicgen/api/v1/generate", headers=MUSICGEN,
                       json={"prompt": "a calm sea", "duration": 5})
    assert calm.status_code == 200, calm.text
    polled = client.get(f"/musicgen/api/v1/generate/{calm.json()['task_id']}", headers=MUSICGEN)
    assert polled.json()["metadata"]["prompt"] == "a calm sea"


def test_nth_call_and_the_counters(client: httpx.Client) -> None:
    rule = add(client, path="/getTags", nth=2, action={"status": 500})
    assert [tags(client).status_code for _ in range(3)] == [200, 500, 200]
    listed = client.get("/_mock/faults").json()["rules"]
    assert [(r["id"], r["matched"], r["fired"]) for r in listed] == [(rule, 3, 1)]
    assert journal_faults(client, 3) == [[], [rule], []]


def test_a_probability_rule_repeats_under_a_seed(tmp_path: Path) -> None:
    def sequence(seed: int) -> list[int]:
        settings = Settings(state_path=str(tmp_path / f"{seed}-{time.monotonic_ns()}.db"),
                            providers=("muzaic",), seed=seed, clock="manual")
        with LiveServer(settings) as server, server.client() as client:
            add(client, path="/getTags", probability=0.4, action={"status": 500})
            return [client.get("/getTags", headers=MUZAIC).status_code for _ in range(20)]

    first = sequence(11)
    assert set(first) == {200, 500}
    assert sequence(11) == first
    assert sequence(12) != first


# --- the API and the config ----------------------------------------------------------------

def test_the_api_refuses_a_bad_rule_and_an_unknown_id(client: httpx.Client) -> None:
    refused = client.post("/_mock/faults", json={"path": "/getTags", "action": {"stauts": 500}})
    assert refused.status_code == 400
    assert "stauts" in refused.json()["error"] and "known: status" in refused.json()["error"]
    unknown = client.post("/_mock/faults", json={"provider": "suno", "action": {"status": 500}})
    assert unknown.status_code == 400 and "provider must be one of" in unknown.json()["error"]
    missing = client.delete("/_mock/faults/999")
    assert missing.status_code == 404 and "no fault rule 999" in missing.json()["error"]
    rule = add(client, path="/getTags", action={"status": 500})
    assert client.delete(f"/_mock/faults/{rule}").json() == {"deleted": rule}
    assert client.get("/_mock/faults").json() == {"rules": []}


def test_config_rules_are_installed_and_survive_a_reset(tmp_path: Path) -> None:
    config = {"faults": [{"provider": "muzaic", "path": "/getTags", "nth": 2,
                          "action": {"status": 500}}]}
    settings = Settings(state_path=str(tmp_path / "state.db"), clock="manual", config=config)
    with LiveServer(settings) as server, server.client() as client:
        for _ in range(2):
            assert [tags(client).status_code for _ in range(3)] == [200, 500, 200]
            listed = client.get("/_mock/faults").json()["rules"]
            assert [(r["id"], r["source"], r["fired"]) for r in listed] == [(1, "config", 1)]
            assert client.post("/_mock/reset").status_code == 200


def test_a_bad_config_rule_stops_the_start(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    bad = {"faults": [{"path": "/getTags", "action": {"status": 500}},
                      {"path": "/getTags", "action": {"reset": "yes"}}]}
    with pytest.raises(ValueError, match=r"config: faults\[1\]: action.reset must be true"):
        create_app(Settings(state_path=state, config=bad))
    unserved = {"faults": [{"provider": "musicgpt", "action": {"status": 500}}]}
    with pytest.raises(ValueError, match=r"config: faults\[0\]: provider must be one of muzaic"):
        create_app(Settings(state_path=state, providers=("muzaic",), config=unserved))
