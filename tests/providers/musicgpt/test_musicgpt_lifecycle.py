"""A sound generation from submission to audio: statuses on the clock, the MP3, the webhook,
failures on demand, and looking conversions up."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from audiocheck import ONE_MS, SAMPLE_RATE, ffmpeg_decode
from musicgpt_helpers import (
    BY_ID,
    advance,
    by_id,
    client,
    conversion,
    deliveries,
    server,
    submit,
)

from mockserver.testing.servers import Receiver
from spec_check import assert_documented, assert_schema


def _statuses_until_done(live, api, task_id: str) -> list[str]:
    """Statuses seen while moving the clock one second at a time (at most a minute)."""
    seen = [conversion(api, task_id=task_id)["status"]]
    for _ in range(60):
        if seen[-1] in ("COMPLETED", "FAILED"):
            break
        advance(live, 1)
        status = conversion(api, task_id=task_id)["status"]
        if status != seen[-1]:
            seen.append(status)
    return seen


def test_submit_poll_complete_fetch_audio_and_receive_the_webhook(tmp_path: Path) -> None:
    with Receiver() as receiver, server(tmp_path) as live, client(live) as api:
        made = submit(api, prompt="gentle rain on a tin roof", audio_length=3,
                      webhook_url=receiver.url)
        assert made["success"] is True and made["message"] == "Successfully published to queue"
        assert made["credit_estimate"] == 3.0 and made["eta"] > 0
        first = conversion(api, task_id=made["task_id"])
        assert first["audio_url"] is None and first["conversion_duration"] is None
        assert _statuses_until_done(live, api, made["task_id"]) == [
            "IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
        done = conversion(api, task_id=made["task_id"])
        audio = httpx.get(done["audio_url"])
        hook = receiver.wait_received(1)[0].json()
    assert done["conversion_id"] == made["conversion_id"]
    assert done["status_msg"] == "Conversion successful"
    assert done["conversion_duration"] == 3.0 and done["conversion_cost"] == 3
    assert done["title"] == "gentle rain on a tin roof"
    assert done["createdAt"] < done["updatedAt"]
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    samples = ffmpeg_decode(audio.content)
    assert abs(len(samples) - 3 * SAMPLE_RATE) <= ONE_MS
    assert float(abs(samples).max()) > 0.01  # music, not silence
    assert_schema("musicgpt", "WebhookPayload", hook)
    assert hook["task_id"] == made["task_id"] and hook["conversion_id"] == made["conversion_id"]
    assert hook["status"] == "COMPLETED" and hook["conversion_type"] == "SOUND_GENERATOR"
    assert hook["updatedAt"] == done["updatedAt"] and hook["audio_url"]
    assert "success" not in hook and "conversion" not in hook  # not wrapped


def test_the_webhook_audio_url_serves_the_same_file(tmp_path: Path) -> None:
    with Receiver() as receiver, server(tmp_path) as live, client(live) as api:
        made = submit(api, prompt="bells", audio_length=1, webhook_url=receiver.url)
        advance(live, 60)
        hook = receiver.wait_received(1)[0].json()
        polled = conversion(api, conversion_id=made["conversion_id"])
        from_hook, from_poll = httpx.get(hook["audio_url"]), httpx.get(polled["audio_url"])
    assert from_hook.status_code == from_poll.status_code == 200
    assert from_hook.content == from_poll.content


@pytest.mark.parametrize("how", ["marker", "admin-rule", "fault-rule"])
def test_a_failure_on_demand_ends_failed_without_audio(tmp_path: Path, how: str) -> None:
    prompt = "thunder [mock:fail]" if how == "marker" else "thunder and lightning"
    with Receiver() as receiver, server(tmp_path) as live, client(live) as api:
        if how == "admin-rule":
            rule = httpx.post(live.url + "/_mock/failures",
                              json={"provider": "musicgpt", "count": 1, "match": "thunder"})
            assert rule.status_code == 201
        if how == "fault-rule":
            rule = httpx.post(live.url + "/_mock/faults", json={
                "provider": "musicgpt", "method": "POST", "path": "/v1/sound_generator",
                "body": {"prompt": {"contains": "thunder"}}, "times": 1,
                "action": {"job": "fail"}})
            assert rule.status_code == 201, rule.text
        failed = submit(api, prompt=prompt, audio_length=2, webhook_url=receiver.url)
        later = submit(api, prompt="thunder again", audio_length=2)
        statuses = _statuses_until_done(live, api, failed["task_id"])
        end = conversion(api, task_id=failed["task_id"])
        hook = receiver.wait_received(1)[0].json()
        advance(live, 60)
        other = conversion(api, task_id=later["task_id"])
    assert statuses == ["IN_QUEUE", "IN_PROGRESS", "FAILED"]
    assert end["audio_url"] is None and end["conversion_duration"] is None
    assert "failed" in end["status_msg"]
    assert_schema("musicgpt", "WebhookPayload", hook)
    assert hook["status"] == "FAILED" and hook["audio_url"] is None
    assert other["status"] == "COMPLETED"  # the rule failed one submission only


def test_poll_by_conversion_id_gives_the_same_conversion(tmp_path: Path) -> None:
    with server(tmp_path) as live, client(live) as api:
        made = submit(api, prompt="birdsong", audio_length=2)
        advance(live, 60)
        by_task = conversion(api, task_id=made["task_id"])
        by_conversion = conversion(api, conversion_id=made["conversion_id"])
    assert by_task == by_conversion and by_task["task_id"] == made["task_id"]


@pytest.mark.parametrize("ids", [{}, {"task_id": "t", "conversion_id": "c"}],
                         ids=["neither", "both"])
def test_exactly_one_id_is_required(tmp_path: Path, ids: dict[str, str]) -> None:
    with server(tmp_path) as live, client(live) as api:
        response = by_id(api, **ids)
    assert response.status_code == 400
    assert response.json() == {"success": False,
                               "error": "Provide either task_id or conversion_id, but not both."}
    assert_documented("musicgpt", "GET", BY_ID, 400, response.json())


def test_unknown_ids_other_types_and_other_keys_are_404(tmp_path: Path) -> None:
    with server(tmp_path) as live, client(live) as api, client(live, key="someone-else") as other:
        made = submit(api, prompt="wind", audio_length=1)
        answers = [
            by_id(api, task_id="00000000-0000-4000-8000-000000000000"),
            by_id(api, conversion_id="nope"),
            api.get(BY_ID, params={"conversionType": "MUSIC_AI", "task_id": made["task_id"]}),
            by_id(other, task_id=made["task_id"]),
        ]
    for response in answers:
        assert response.status_code == 404, response.text
        assert response.json()["success"] is False
        assert_documented("musicgpt", "GET", BY_ID, 404, response.json())


def test_a_missing_conversion_type_is_a_validation_error(tmp_path: Path) -> None:
    with server(tmp_path) as live, client(live) as api:
        response = api.get(BY_ID, params={"task_id": "x"})
        wrong = api.get(BY_ID, params={"task_id": "x", "conversionType": "SOUND"})
    for answer in (response, wrong):
        assert answer.status_code == 422
        assert_documented("musicgpt", "GET", BY_ID, 422, answer.json())
        assert "conversionType" in answer.json()["error"]


def test_ids_are_deterministic_per_seed(tmp_path: Path) -> None:
    made = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        with server(tmp_path / run) as live, client(live) as api:
            made.append(submit(api, prompt="same", audio_length=1))
    assert made[0]["task_id"] == made[1]["task_id"]
    assert made[0]["conversion_id"] == made[1]["conversion_id"] != made[0]["task_id"]


def test_the_instant_clock_completes_at_once(tmp_path: Path) -> None:
    with server(tmp_path, clock="instant") as live, client(live) as api:
        made = submit(api, prompt="drone", audio_length=1)
        done = conversion(api, task_id=made["task_id"])
        records = deliveries(live)
    assert made["eta"] == 0
    assert done["status"] == "COMPLETED" and done["audio_url"]
    assert records == []  # no webhook_url, no delivery


def test_the_real_clock_completes_on_its_own_and_sends_the_webhook(tmp_path: Path) -> None:
    # 30 s of audio is 8 realistic seconds of work; at speed 100 that is 0.08 s.
    with Receiver() as receiver, server(tmp_path, clock="real", speed=100) as live, \
            client(live) as api:
        made = submit(api, prompt="city at night", webhook_url=receiver.url)
        hook = receiver.wait_received(1)[0].json()  # sent by the background engine, no advance
        done = conversion(api, task_id=made["task_id"])
    assert made["eta"] == 0  # 0.08 s, in whole seconds
    assert hook["status"] == done["status"] == "COMPLETED"
    assert done["conversion_duration"] == 30.0
