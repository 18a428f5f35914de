"""``POST /_mock/verify``: a request pattern and a count checked against the journal of a real
server; 200 when it holds, 417 with WireMock-style near misses and a readable report when
not, 400 naming the key of a wrong verification."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from live import LiveServer

MUZAIC = {"MuzaicAPI-Secret-Key": "verify-muzaic"}
MUSICGPT = "/musicgpt/api/public"
MUSICGEN = "/musicgen/api/v1"


@pytest.fixture
def live(manual_server: LiveServer) -> Iterator[LiveServer]:
    """The module's manual-clock server with an empty journal."""
    assert httpx.post(manual_server.url + "/_mock/reset").status_code == 200
    yield manual_server


def verify(live: LiveServer, **verification: Any) -> httpx.Response:
    """POST the verification to ``/_mock/verify``."""
    return httpx.post(live.url + "/_mock/verify", json=verification)


def single_file(live: LiveServer, duration: int, **headers: str) -> int:
    """A Muzaic ``POST /singleFile`` (JSON); its status."""
    return httpx.post(live.url + "/muzaic/singleFile", json={"duration": duration},
                      headers={**MUZAIC, **headers}).status_code


def sound(live: LiveServer, prompt: str) -> int:
    """A MusicGPT ``POST /v1/sound_generator`` (a form); its status."""
    return httpx.post(live.url + MUSICGPT + "/v1/sound_generator",
                      data={"prompt": prompt, "audio_length": "2"},
                      headers={"Authorization": "verify-musicgpt"}).status_code


def journal_ids(live: LiveServer) -> list[int]:
    """The journal's ids, newest first."""
    return [e["id"] for e in httpx.get(live.url + "/_mock/journal").json()["entries"]]


# --- holds ----------------------------------------------------------------------------------

def test_a_verification_that_holds_answers_the_matching_journal_ids(live: LiveServer) -> None:
    assert [single_file(live, 4), single_file(live, 5), single_file(live, 4)] == [200] * 3
    newest, _, oldest = journal_ids(live)
    response = verify(live, provider="muzaic", method="POST", path="/singleFile",
                      body={"duration": 4}, count=2)
    assert response.status_code == 200, response.text
    assert response.json() == {"found": 2, "requests": [newest, oldest]}
    assert verify(live, path="/singleFile").status_code == 200  # at least 1 by default
    assert verify(live, path="/singleFile", at_least=3).json()["found"] == 3
    assert verify(live, path="/singleFile", at_most=3).status_code == 200
    assert verify(live, path="/getTags", count=0).json() == {"found": 0, "requests": []}


def test_since_counts_only_later_requests(live: LiveServer) -> None:
    single_file(live, 4)
    [first] = journal_ids(live)
    single_file(live, 4)
    assert verify(live, path="/singleFile", count=1, since=first).status_code == 200
    assert verify(live, path="/singleFile", count=2).status_code == 200
    nothing_later = verify(live, path="/singleFile", since=first + 1).json()
    assert nothing_later["report"].endswith(f"no requests were received after #{first + 1}")


# --- does not hold --------------------------------------------------------------------------

def test_too_few_names_the_nearest_request_and_each_differing_field(live: LiveServer) -> None:
    assert [sound(live, "heavy rain"), sound(live, "snow")] == [200, 200]
    newest = journal_ids(live)[0]
    response = verify(live, provider="musicgpt", method="POST", path="/v1/sound_generator",
                      body={"prompt": {"contains": "rain"}}, count=2)
    assert response.status_code == 417
    said = response.json()
    assert said["error"] == ('expected exactly 2 POST /v1/sound_generator (musicgpt)'
                             ' with body.prompt contains "rain" but found 1')
    assert said["expected"] == {"provider": "musicgpt", "method": "POST",
                                "path": "/v1/sound_generator",
                                "body": {"prompt": {"contains": "rain"}}, "count": 2}
    assert said["found"] == 1
    [miss] = said["near_misses"]
    assert {k: miss["request"][k] for k in ("id", "method", "path", "provider", "status")} == {
        "id": newest, "method": "POST", "path": MUSICGPT + "/v1/sound_generator",
        "provider": "musicgpt", "status": 200}
    assert miss["differences"] == [{"field": "body.prompt", "expected": {"contains": "rain"},
                                    "actual": "snow", "absent": False}]
    assert said["report"] == "\n".join([
        'expected exactly 2 POST /v1/sound_generator (musicgpt) with body.prompt contains'
        ' "rain"; found 1',
        "nearest requests:",
        f"  #{newest} POST {MUSICGPT}/v1/sound_generator (200)",
        '     body.prompt: expected {"contains": "rain"}, got "snow"',
    ])


def test_too_many_lists_the_requests_that_matched(live: LiveServer) -> None:
    for _ in range(3):
        single_file(live, 4)
    ids = journal_ids(live)
    for too_many in ({"count": 2}, {"at_most": 1}):
        said = verify(live, path="/singleFile", **too_many).json()
        assert said["found"] == 3
        assert [m["request"]["id"] for m in said["near_misses"]] == ids
        assert all(m["differences"] == [] for m in said["near_misses"])
        assert said["report"].splitlines()[1:] == ["matching requests:"] + [
            f"  #{i} POST /muzaic/singleFile (200)" for i in ids]
    at_most = verify(live, path="/singleFile", at_most=1)
    assert at_most.status_code == 417
    assert at_most.json()["error"] == "expected at most 1 /singleFile but found 3"


def test_at_least_that_fails_shows_near_misses(live: LiveServer) -> None:
    single_file(live, 4)
    single_file(live, 6)
    said = verify(live, path="/singleFile", body={"duration": 4}, at_least=2).json()
    assert said["error"] == "expected at least 2 /singleFile with body.duration = 4 but found 1"
    [miss] = said["near_misses"]
    assert miss["differences"] == [
        {"field": "body.duration", "expected": 4, "actual": 6, "absent": False}]


def test_near_misses_fewest_differences_first_then_newest(live: LiveServer) -> None:
    single_file(live, 9, **{"X-Trace": "t-1"})           # duration differs
    single_file(live, 5)                                 # duration and header differ
    httpx.get(live.url + "/muzaic/getTags", headers=MUZAIC)  # method, path, header, body
    single_file(live, 8, **{"X-Trace": "t-1"})           # duration differs (newer)
    newest, tags, five, nine = journal_ids(live)
    said = verify(live, method="POST", path="/singleFile", headers={"x-trace": "t-1"},
                  body={"duration": 4}).json()
    assert [m["request"]["id"] for m in said["near_misses"]] == [newest, nine, five]
    assert tags not in [m["request"]["id"] for m in said["near_misses"]]
    assert [d["field"] for d in said["near_misses"][2]["differences"]] == [
        "headers.x-trace", "body.duration"]
    assert said["near_misses"][2]["differences"][0]["absent"] is True
    report = said["report"].splitlines()
    assert report[1:4] == ["nearest requests:", f"  #{newest} POST /muzaic/singleFile (200)",
                           "     body.duration: expected 4, got 8"]
    assert '     headers.x-trace: expected "t-1", got (absent)' in report


def test_an_empty_journal_says_no_requests_were_received(live: LiveServer) -> None:
    said = verify(live, provider="muzaic", path="/getTags", count=1).json()
    assert said["near_misses"] == []
    assert said["report"] == ("expected exactly 1 /getTags (muzaic); found 0\n"
                              "no requests were received")


# --- matchers -------------------------------------------------------------------------------

def test_header_matchers_on_a_json_provider(live: LiveServer) -> None:
    single_file(live, 4, **{"X-Trace": "run-17"})
    assert verify(live, headers={"X-Trace": {"matches": r"^run-\d+$"}}, count=1).status_code == 200
    assert verify(live, headers={"x-trace": "run-17", "x-other": {"absent": True}},
                  body={"duration": {"equals": 4}}).status_code == 200
    wrong = verify(live, headers={"x-trace": "run-18"}).json()
    assert wrong["near_misses"][0]["differences"] == [
        {"field": "headers.x-trace", "expected": "run-18", "actual": "run-17", "absent": False}]


def test_form_fields_match_as_sent(live: LiveServer) -> None:
    sound(live, "rain on a tin roof")
    assert verify(live, provider="musicgpt", body={"audio_length": 2, "prompt": {
        "matches": "^rain"}}, count=1).status_code == 200
    assert verify(live, body={"audio_length": "2"}).status_code == 200
    assert verify(live, body={"seed": {"absent": True}}).status_code == 200


def test_a_template_path_counts_every_poll(live: LiveServer) -> None:
    with live.client(MUSICGEN, headers={"Authorization": "Bearer verify-musicgen"}) as api:
        made = api.post("/generate", json={"prompt": "verify me", "duration": 2})
        assert made.status_code == 200, made.text
        task_id = made.json()["task_id"]
        assert [api.get(f"/generate/{task_id}").status_code for _ in range(2)] == [200, 200]
    polls = {"provider": "musicgen", "method": "GET", "count": 2}
    assert verify(live, path="/generate/{task_id}", **polls).status_code == 200
    assert verify(live, path=f"/generate/{task_id}", **polls).status_code == 200
    assert verify(live, path_glob="/generate/*", **polls).status_code == 200
    redacted = {"authorization": {"matches": "^Bearer "}}
    assert verify(live, path_glob="/generate/*", headers=redacted, **polls).status_code == 200
    assert verify(live, headers={"authorization": "Bearer verify-musicgen"}, count=0
                  ).status_code == 200  # the journal keeps a label, never the key
    other = verify(live, path="/generate/other", **polls).json()
    assert other["near_misses"][0]["differences"] == [
        {"field": "path", "expected": "/generate/other", "actual": "/generate/{task_id}",
         "absent": False}]


# --- wrong verifications --------------------------------------------------------------------

@pytest.mark.parametrize(("verification", "said"), [
    ({"times": 2}, "unknown key times; a verification takes provider, method, path,"
                   " path_glob, headers, body, count, at_least, at_most, since"),
    ({"count": 1, "at_most": 2}, "give at most one of count, at_least, at_most; got count, at_most"),
    ({"count": -1}, "count must be a non-negative integer; got -1"),
    ({"at_least": "2"}, 'at_least must be a non-negative integer; got "2"'),
    ({"at_most": True}, "at_most must be a non-negative integer; got true"),
    ({"since": 1.5}, "since must be a journal id (a non-negative integer); got 1.5"),
    ({"path": "getTags"}, "path must start with / (a spec path such as /getTags); got 'getTags'"),
    ({"body": {"a": {"near": 1}}}, "body.a: an operator object has exactly one of"),
])
def test_a_wrong_verification_is_a_400_naming_the_key(
        live: LiveServer, verification: dict, said: str) -> None:
    response = verify(live, **verification)
    assert response.status_code == 400
    assert response.json()["error"].startswith(said)


def test_a_body_that_is_not_an_object_is_a_400(live: LiveServer) -> None:
    response = httpx.post(live.url + "/_mock/verify", json=[1])
    assert (response.status_code, response.json()) == (400, {"error": "body must be a JSON object"})
