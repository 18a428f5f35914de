"""Request forms the real Muzaic accepts beyond the seed schema (older docs, the official
client): each is answered as the real service would, with its defaults and status notes."""

from __future__ import annotations

import base64

import httpx
import numpy as np
import pytest
from audiocheck import ONE_MS, SAMPLE_RATE, correlation, ffmpeg_decode

from mockserver.audio.analysis import rms
from spec_check import assert_documented


def _soundtrack(muzaic: httpx.Client, body: dict) -> tuple[dict, np.ndarray]:
    response = muzaic.post("/soundtrack", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert_documented("muzaic", "POST", "/soundtrack", 200, data)
    return data, ffmpeg_decode(base64.b64decode(data["mp3"]))


def _single_file(muzaic: httpx.Client, seconds: int) -> tuple[dict, np.ndarray]:
    made = muzaic.post("/singleFile", json={"duration": seconds, "tags": [17]}).json()
    mp3 = muzaic.get(made["mp3"].split("/muzaic", 1)[1])
    assert mp3.status_code == 200
    return made, ffmpeg_decode(mp3.content)


def _seconds(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    return samples[round(start * SAMPLE_RATE):round(end * SAMPLE_RATE)]


def test_a_region_without_action_is_generated_and_says_so(muzaic: httpx.Client) -> None:
    implicit, implicit_audio = _soundtrack(muzaic, {"regions": [{"time": 0, "duration": 2}]})
    explicit, explicit_audio = _soundtrack(
        muzaic, {"regions": [{"time": 0, "duration": 2, "action": "generate"}]})
    assert implicit["regionHashes"] == explicit["regionHashes"]
    assert np.array_equal(implicit_audio, explicit_audio)
    assert implicit["status"] == ["region 0 no action: generate; no params object; completed"]
    assert explicit["status"] == ["region 0 no params object; completed"]


def test_a_region_without_duration_lasts_60_seconds(muzaic: httpx.Client) -> None:
    data, audio = _soundtrack(muzaic, {"regions": [{"time": 1, "action": "silence"}]})
    assert data["audioDuration"] == 61 and data["tokensUsed"] == 61
    assert data["status"] == ["region 0 no duration: 60; silence"]
    assert abs(len(audio) - 61 * SAMPLE_RATE) <= ONE_MS


def test_integer_times_and_no_params_or_tags(muzaic: httpx.Client) -> None:
    """What the official client sends for a generate region: ints, no action, no params."""
    data, audio = _soundtrack(muzaic, {"normalize": "auto", "regions": [
        {"time": 0, "duration": 2}, {"time": 2, "duration": 1, "tags": [5]}]})
    assert data["audioDuration"] == 3 and data["regions"] == 2
    assert abs(len(audio) - 3 * SAMPLE_RATE) <= ONE_MS


@pytest.mark.parametrize("action", ["copy", "extend", "regenerate"])
def test_a_single_file_hash_is_a_source_hash(muzaic: httpx.Client, action: str) -> None:
    made, source = _single_file(muzaic, 2)
    data, audio = _soundtrack(muzaic, {"regions": [
        {"time": 1, "duration": 3, "action": action, "sourceHash": made["hash"]}]})
    assert abs(len(audio) - 4 * SAMPLE_RATE) <= ONE_MS
    said = {"copy": "copied from", "extend": "extended from", "regenerate": "regenerated from"}
    assert data["status"] == [f"region 0 {said[action]} {made['hash']}"]
    head = _seconds(audio, 1, 3)  # the region's first 2 s: the source again, or new music
    similarity = correlation(head[ONE_MS:-ONE_MS], source[ONE_MS:len(head) - ONE_MS])
    if action == "regenerate":
        assert similarity < 0.5, "regenerate makes new music in the source's style"
    else:
        assert similarity > 0.95, f"{action} plays the source first"
    assert float(np.abs(_seconds(audio, 3.1, 4)).max()) > 0.01, "the rest is music"


def test_normalize_as_boolean_or_string(muzaic: httpx.Client) -> None:
    """Booleans (seed) and none|auto|high (older docs, the official client) both work:
    true is auto, false is none; auto and high scale the music to their peaks."""
    region = {"time": 0, "duration": 3, "params": {"intensity": 3}}
    made = {form: _soundtrack(muzaic, {"normalize": form, "regions": [region]})
            for form in (True, "auto", "high", False, "none")}
    for form, mode in ((True, "auto"), ("auto", "auto"), ("high", "high")):
        assert made[form][0]["status"][-1] == f"soundtrack normalized: {mode}"
    for form in (False, "none"):
        assert not any("normalized" in s for s in made[form][0]["status"])
    assert np.array_equal(made[True][1], made["auto"][1])
    assert np.array_equal(made[False][1], made["none"][1])
    level = {form: rms(audio) for form, (_, audio) in made.items()}
    assert level["high"] / level["auto"] == pytest.approx(0.98 / 0.89, rel=0.01)
    assert level["auto"] > 1.05 * level["none"], "quiet music is raised to the peak"


@pytest.mark.parametrize("field", ["sourceHash", "hash"])
def test_audio_from_hash_takes_either_name(muzaic: httpx.Client, field: str) -> None:
    made = muzaic.post("/singleFile", json={"duration": 2}).json()
    response = muzaic.post("/audioFromHash", json={field: made["hash"]})
    assert response.status_code == 200, response.text
    assert_documented("muzaic", "POST", "/audioFromHash", 200, response.json())
    file = muzaic.get(made["mp3"].split("/muzaic", 1)[1]).content
    assert base64.b64decode(response.json()["mp3"]) == file


def test_audio_from_hash_takes_both_names_when_they_agree(muzaic: httpx.Client) -> None:
    made = muzaic.post("/singleFile", json={"duration": 1}).json()
    response = muzaic.post("/audioFromHash",
                           json={"sourceHash": made["hash"], "hash": made["hash"]})
    assert response.status_code == 200, response.text
