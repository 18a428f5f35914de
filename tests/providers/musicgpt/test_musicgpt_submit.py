"""Submitting: validation in MusicGPT's words, defaults and clamping, keys, credits, limits."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from musicgpt_helpers import BASE, KEY, SUBMIT, client, conversion, server, submit

from spec_check import assert_documented

PROMPT_REQUIRED = {"success": False, "error": "Prompt is required for sound generation."}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """One server for the checks that do not count state."""
    with server(tmp_path_factory.mktemp("musicgpt-submit")) as running:
        yield running


@pytest.mark.parametrize("form", [{}, {"prompt": ""}, {"prompt": "  \t "},
                                  {"audio_length": "10"}],
                         ids=["empty-form", "empty", "blank", "no-prompt"])
def test_a_missing_or_blank_prompt_is_422_in_the_documented_words(live, form) -> None:
    with client(live) as api:
        response = api.post(SUBMIT, data=form)
    assert response.status_code == 422
    assert response.json() == PROMPT_REQUIRED
    assert_documented("musicgpt", "POST", SUBMIT, 422, response.json())


def test_a_non_integer_audio_length_is_422(live) -> None:
    with client(live) as api:
        response = api.post(SUBMIT, data={"prompt": "x", "audio_length": "twelve"})
    assert response.status_code == 422
    assert response.json()["success"] is False and "audio_length" in response.json()["error"]


def test_audio_length_defaults_to_30_seconds(live) -> None:
    with client(live) as api:
        made = submit(api, prompt="ocean waves")
    assert made["credit_estimate"] == 30.0
    assert made["message"] == "Successfully published to queue"


@pytest.mark.parametrize("asked, rendered", [(0, 1), (-5, 1), (301, 300), (10**9, 300)])
def test_out_of_range_lengths_are_clamped_and_said_so(live, asked: int, rendered: int) -> None:
    with client(live) as api:
        made = submit(api, prompt="hum", audio_length=asked)
        httpx.post(live.url + "/_mock/clock/advance", json={"seconds": 120})
        done = conversion(api, task_id=made["task_id"])
    assert made["message"].startswith("Successfully published to queue")
    assert f"audio_length {asked} s" in made["message"]
    assert f"generating {rendered} s" in made["message"]
    assert made["credit_estimate"] == float(rendered)
    assert done["conversion_duration"] == float(rendered)


@pytest.mark.parametrize("header", [KEY, f"Bearer {KEY}"], ids=["raw", "bearer"])
def test_the_raw_key_and_the_bearer_form_are_both_accepted(live, header: str) -> None:
    response = httpx.post(live.url + BASE + SUBMIT, data={"prompt": "x", "audio_length": "1"},
                          headers={"Authorization": header})
    assert response.status_code == 200, response.text


def test_a_missing_or_unknown_key_is_401(tmp_path: Path) -> None:
    with server(tmp_path, api_keys=("known",)) as running:
        missing = httpx.post(running.url + BASE + SUBMIT, data={"prompt": "x"})
        unknown = httpx.post(running.url + BASE + SUBMIT, data={"prompt": "x"},
                             headers={"Authorization": "stranger"})
    assert missing.status_code == unknown.status_code == 401
    assert missing.json() == {"success": False, "error": "Missing API key"}
    assert unknown.json() == {"success": False, "error": "Invalid API key"}
    for response in (missing, unknown):
        assert_documented("musicgpt", "POST", SUBMIT, 401, response.json())


def test_an_exhausted_balance_is_402_and_creates_nothing(tmp_path: Path) -> None:
    config = {"providers": {"musicgpt": {"balance": 40}}}
    with server(tmp_path, config=config) as running, client(running) as api:
        submit(api, prompt="first", audio_length=30)
        refused = api.post(SUBMIT, data={"prompt": "second", "audio_length": "30"})
        tasks_after_refusal = running.services.tasks.count("musicgpt")
        exact = submit(api, prompt="third", audio_length=10)
        empty = api.post(SUBMIT, data={"prompt": "fourth", "audio_length": "1"})
        account = running.services.accounts.get_or_create("musicgpt", KEY)
    assert refused.status_code == 402
    assert refused.json()["success"] is False
    assert "insufficient credits" in refused.json()["error"]
    assert_documented("musicgpt", "POST", SUBMIT, 402, refused.json())
    assert tasks_after_refusal == 1
    assert exact["credit_estimate"] == 10.0
    assert empty.status_code == 402
    assert (account.balance, account.used) == (0, 40)


def test_no_rate_limit_by_default(live) -> None:
    with client(live) as api:
        statuses = {api.get("/v1/byId", params={"conversionType": "SOUND_GENERATOR",
                                                 "task_id": "x"}).status_code for _ in range(30)}
    assert statuses == {404}


def test_a_configured_rate_limit_answers_429(tmp_path: Path) -> None:
    config = {"providers": {"musicgpt": {"rate_limit": {"requests": 2, "window_seconds": 60}}}}
    with server(tmp_path, config=config) as running, client(running) as api:
        answers = [api.get("/v1/byId", params={"conversionType": "SOUND_GENERATOR",
                                                "task_id": "x"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert answers[2].json()["success"] is False
    assert int(answers[2].headers["Retry-After"]) > 0
    assert_documented("musicgpt", "GET", "/v1/byId", 429, answers[2].json())
