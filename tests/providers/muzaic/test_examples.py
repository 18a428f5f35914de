"""The documented example requests work, with the documented shapes and audio that plays."""

from __future__ import annotations

import base64

import httpx
import pytest
from audiocheck import ONE_MS, SAMPLE_RATE, ffmpeg_decode, soundfile_decode

from spec_check import assert_documented


def _fetch_result(muzaic: httpx.Client, url: str) -> bytes:
    path = url.split("/muzaic", 1)[1]
    response = muzaic.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/mpeg"
    return response.content


@pytest.mark.parametrize(
    "body, seconds",
    [
        ({"duration": 48, "tags": [11, 17]}, 48),
        ({"duration": 122, "tags": [2, 5, 10],
          "params": {"intensity": 3, "tempo": 5, "rhythm": 5, "tone": 9, "variance": 5}}, 122),
        ({}, 60),
    ],
    ids=["48s-dynamic-latin", "122s-with-params", "all-defaults"],
)
def test_single_file_examples(muzaic: httpx.Client, body: dict, seconds: int) -> None:
    response = muzaic.post("/singleFile", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert_documented("muzaic", "POST", "/singleFile", 200, data)
    assert data["tokensUsed"] == seconds
    assert data["audioDuration"] == seconds
    assert ("no params object" in data["status"]) == ("params" not in body)
    mp3 = _fetch_result(muzaic, data["mp3"])
    decoded = ffmpeg_decode(mp3)
    assert abs(len(decoded) - seconds * SAMPLE_RATE) <= ONE_MS
    assert float(abs(decoded).max()) > 0.05, "the file is not silent"


def test_two_region_soundtrack_copies_a_hash(muzaic: httpx.Client) -> None:
    first = muzaic.post("/singleFile", json={"duration": 20, "tags": [17]}).json()
    body = {"regions": [
        {"time": 0, "duration": 20.2, "tags": [17], "action": "generate", "method": "adjust_end",
         "params": {"intensity": [[0, 1], [100, 9]], "tempo": 5, "rhythm": [[0, 9], [100, 1]],
                    "tone": [[0, 9], [100, 1]], "variance": [[0, 5], [100, 5]]}},
        {"time": 20.2, "duration": 27.8, "sourceHash": first["hash"], "action": "copy",
         "method": "adjust_start"},
    ]}
    response = muzaic.post("/soundtrack", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert_documented("muzaic", "POST", "/soundtrack", 200, data)
    assert data["regions"] == 2 and len(data["regionHashes"]) == 2
    assert data["audioDuration"] == pytest.approx(48.0)
    assert data["tokensUsed"] == 48
    assert any(f"copied from {first['hash']}" in s for s in data["status"])
    decoded = ffmpeg_decode(base64.b64decode(data["mp3"]))
    assert abs(len(decoded) - 48 * SAMPLE_RATE) <= ONE_MS


def test_the_docs_example_hash_is_known(muzaic: httpx.Client) -> None:
    """The documented soundtrack example copies 9191593e...: it works verbatim here."""
    body = {"regions": [
        {"time": 0, "duration": 10, "action": "generate"},
        {"time": 10, "duration": 5, "action": "copy",
         "sourceHash": "9191593eb3992ba7c4307455c0e1b5ca"},
    ]}
    response = muzaic.post("/soundtrack", json=body)
    assert response.status_code == 200, response.text


def test_keyframed_intensity_rises(muzaic: httpx.Client) -> None:
    body = {"regions": [{"time": 0, "duration": 16, "action": "generate",
                         "params": {"intensity": [[0, 1], [100, 10]], "tempo": 5}}]}
    response = muzaic.post("/soundtrack", json=body)
    assert response.status_code == 200, response.text
    decoded = ffmpeg_decode(base64.b64decode(response.json()["mp3"]))
    assert abs(len(decoded) - 16 * SAMPLE_RATE) <= ONE_MS
    quarter = len(decoded) // 4
    first, last = decoded[:quarter], decoded[-quarter:]
    assert float((last ** 2).mean()) > 2 * float((first ** 2).mean())


def test_mp3_length_is_exact_for_soundfile_too(muzaic: httpx.Client) -> None:
    body = {"regions": [{"time": 0.5, "duration": 7.3, "action": "generate"}]}
    data = muzaic.post("/soundtrack", json=body).json()
    samples, rate = soundfile_decode(base64.b64decode(data["mp3"]))
    assert rate == SAMPLE_RATE
    assert abs(len(samples) - round(7.8 * SAMPLE_RATE)) <= ONE_MS
    assert data["audioDuration"] == pytest.approx(7.8)
    # MP3 smears a transient over one granule pair (1152 samples): allow that before the start.
    lead_in = samples[: int(0.5 * SAMPLE_RATE) - 1152]
    assert float(abs(lead_in).max()) < 1e-3, "the gap before the first region is silent"


def test_get_tags_catalogue(muzaic: httpx.Client) -> None:
    response = muzaic.get("/getTags")
    assert response.status_code == 200
    data = response.json()
    assert_documented("muzaic", "GET", "/getTags", 200, data)
    names = {t["id"]: t["name"] for t in data["tags"]}
    assert 25 <= len(names) <= 40
    assert names["1"] == "acoustic" and names["2"] == "electronic"
    assert {names["11"], names["17"]} == {"dynamic", "latin"}
    assert {names["2"], names["5"], names["10"]} == {"electronic", "dreamy", "ambient"}
    assert data["tagsRelations"]["1"]["2"] == -1 and data["tagsRelations"]["2"]["1"] == -1
    assert all(isinstance(v, str) for t in data["tags"] for v in t.values())


def test_tags_that_do_not_combine_get_a_warning(muzaic: httpx.Client) -> None:
    data = muzaic.post("/singleFile", json={"duration": 2, "tags": [1, 2]}).json()
    assert "tags 1 and 2 do not combine" in data["status"]


def test_audio_from_hash_returns_the_region(muzaic: httpx.Client) -> None:
    made = muzaic.post("/singleFile", json={"duration": 3}).json()
    response = muzaic.post("/audioFromHash", json={"sourceHash": made["hash"]})
    assert response.status_code == 200, response.text
    data = response.json()
    assert_documented("muzaic", "POST", "/audioFromHash", 200, data)
    assert base64.b64decode(data["mp3"]) == _fetch_result(muzaic, made["mp3"])
