"""Bad input gets a 4xx in Muzaic's own format, naming the problem, and changes no state."""

from __future__ import annotations

import httpx
import pytest

from live import LiveServer
from spec_check import assert_documented

KEY = {"MuzaicAPI-Secret-Key": "bad-input-key"}
GOOD_REGION = {"time": 0, "duration": 2, "action": "generate"}


def _state(server: LiveServer) -> dict[str, object]:
    store = server.services.store
    return {
        "regions": store.one("SELECT COUNT(*) AS n FROM muzaic_regions")["n"],
        "files": store.one("SELECT COUNT(*) AS n FROM muzaic_files")["n"],
        "accounts": [tuple(r) for r in store.all(
            "SELECT id, balance, used FROM accounts ORDER BY id")],
    }


CASES = [
    ("malformed JSON", "/soundtrack", b'{"regions": [', "not valid JSON"),
    ("non-UTF-8 bytes", "/soundtrack", b'{"regions": "\xff\xfe"}', "UTF-8"),
    ("intensity 11", "/soundtrack",
     {"regions": [{**GOOD_REGION, "params": {"intensity": 11}}]}, "regions[0].params.intensity"),
    ("negative duration", "/soundtrack",
     {"regions": [{**GOOD_REGION, "duration": -5}]}, "regions[0].duration"),
    ("duration over 1200 s", "/soundtrack",
     {"regions": [{**GOOD_REGION, "duration": 1200.5}]}, "regions[0].duration"),
    ("soundtrack over 1200 s", "/soundtrack",
     {"regions": [{**GOOD_REGION, "time": 1000, "duration": 300}]}, "1200"),
    ("unknown action", "/soundtrack",
     {"regions": [{**GOOD_REGION, "action": "explode"}]}, "regions[0].action"),
    ("copy without sourceHash", "/soundtrack",
     {"regions": [{**GOOD_REGION, "action": "copy"}]}, "regions[0].sourceHash is required"),
    ("copy of an unknown hash", "/soundtrack",
     {"regions": [{**GOOD_REGION, "action": "copy", "sourceHash": "0" * 32}]}, "unknown hash"),
    ("keyframes without position 100", "/soundtrack",
     {"regions": [{**GOOD_REGION, "params": {"tone": [[0, 2], [50, 9]]}}]}, "position 100"),
    ("keyframe value out of range", "/soundtrack",
     {"regions": [{**GOOD_REGION, "params": {"tone": [[0, 2], [100, 50]]}}]}, "1 to 10"),
    ("keyframes for tempo", "/soundtrack",
     {"regions": [{**GOOD_REGION, "params": {"tempo": [[0, 2], [100, 9]]}}]}, "tempo"),
    ("no regions", "/soundtrack", {"normalize": True}, "regions is required"),
    ("singleFile duration 0", "/singleFile", {"duration": 0}, "duration"),
    ("singleFile duration 1201", "/singleFile", {"duration": 1201}, "duration"),
    ("singleFile intensity 11", "/singleFile", {"params": {"intensity": 11}}, "intensity"),
    ("audioFromHash malformed hash", "/audioFromHash", {"sourceHash": "xyz"}, "sourceHash"),
    ("audioFromHash malformed hash (client's name)", "/audioFromHash", {"hash": "xyz"}, "hash"),
    ("audioFromHash without a hash", "/audioFromHash", {},
     "sourceHash (or hash) is required"),
    ("audioFromHash with two hashes", "/audioFromHash",
     {"sourceHash": "a" * 32, "hash": "b" * 32}, "different pieces"),
    ("extend without sourceHash", "/soundtrack",
     {"regions": [{"time": 0, "duration": 2, "action": "extend"}]},
     "regions[0].sourceHash is required when action is extend"),
    ("no action, keyframes for tempo", "/soundtrack",
     {"regions": [{"time": 0, "duration": 2, "params": {"tempo": [[0, 2], [100, 9]]}}]},
     "regions[0].params.tempo"),
    ("no action, ends after 1200 s", "/soundtrack", {"regions": [{"time": 1150}]}, "1200"),
    ("region without time", "/soundtrack", {"regions": [{"duration": 2}]},
     "regions[0].time is required"),
]


@pytest.mark.parametrize("name, path, body, needle", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_clear_400(fresh_server: LiveServer, name: str, path: str, body,
                                  needle: str) -> None:
    with fresh_server.client("/muzaic", headers=KEY) as client:
        client.get("/accountDetails")  # the account exists before, so its balance can be compared
        before = _state(fresh_server)
        if isinstance(body, bytes):
            response = client.post(path, content=body,
                                   headers={"Content-Type": "application/json"})
        else:
            response = client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_documented("muzaic", "POST", path, 400, response.json())
    assert needle in response.json()["error"], response.json()
    assert _state(fresh_server) == before, "a refused request wrote state"


def test_unknown_hash_for_audio_from_hash_is_404(fresh_server: LiveServer) -> None:
    with fresh_server.client("/muzaic", headers=KEY) as client:
        response = client.post("/audioFromHash", json={"sourceHash": "f" * 32})
    assert response.status_code == 404
    assert response.json() == {"error": f"sourceHash {'f' * 32!r} not found"}


@pytest.mark.parametrize("headers, message", [
    ({}, "No MuzaicAPI Secret Key"),
    ({"MuzaicAPI-Secret-Key": ""}, "No MuzaicAPI Secret Key"),
])
def test_missing_key_is_401_in_muzaic_format(fresh_server: LiveServer, headers, message) -> None:
    with fresh_server.client("/muzaic", headers=headers) as client:
        before = _state(fresh_server)
        response = client.post("/soundtrack", json={"regions": [GOOD_REGION]})
    assert response.status_code == 401
    assert response.json() == {"error": message}
    assert _state(fresh_server) == before


def test_unknown_route_and_method_answer_in_muzaic_format(server: LiveServer) -> None:
    with server.client("/muzaic", headers=KEY) as client:
        missing = client.get("/nope")
        wrong_method = client.get("/soundtrack")
    assert missing.status_code == 404 and "error" in missing.json()
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()


def test_result_file_that_does_not_exist_is_404(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        unknown = client.get(f"/muzaic/result/2026-01-01/{'a' * 32}.mp3")
        malformed = client.get("/muzaic/result/yesterday/x.mp3")
    assert unknown.status_code == 404 and "not found" in unknown.json()["error"]
    assert malformed.status_code == 404 and "error" in malformed.json()
