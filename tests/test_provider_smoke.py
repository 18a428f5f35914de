"""One flow per provider (submit, move the clock, poll to done, download, decode), run twice:
against the socket server (uvicorn on 127.0.0.1) and through the in-process transport
(``mockserver.testing.transport()``, no socket). Both must give the same results."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from audiocheck import ffmpeg_decode, soundfile_decode

from live import LiveServer
from mockserver.testing import transport
from mockserver.testing.apps import mock_settings
from mockserver.testing.controls import MockControls
from mockserver.testing.inprocess import ORIGIN

KEY = "smoke-key"


@pytest.fixture(params=["socket", "transport"])
def mock(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MockControls]:
    """A client of a fresh mock on the manual clock, over a socket or in process."""
    if request.param == "socket":
        with LiveServer(mock_settings(state_path=str(tmp_path / "state.db"))) as live, \
                live.client() as client:
            yield MockControls(client)
    else:
        with transport() as served, httpx.Client(transport=served, base_url=ORIGIN,
                                                 timeout=120) as client:
            yield MockControls(client)


def answer(response: httpx.Response) -> dict:
    """The JSON of a 2xx answer."""
    assert response.is_success, response.text
    return response.json()


def download(mock: MockControls, url: str) -> bytes:
    """A file link the mock handed out: on the origin the client used."""
    assert url.startswith(str(mock.client.base_url).rstrip("/") + "/"), url
    response = mock.client.get(url)
    assert response.status_code == 200, response.text
    return response.content


def test_muzaic_single_file(mock: MockControls) -> None:
    piece = answer(mock.client.post("/muzaic/singleFile", json={"duration": 2, "tags": [11]},
                                    headers={"MuzaicAPI-Secret-Key": KEY}))
    assert len(ffmpeg_decode(download(mock, piece["mp3"]))) == 2 * 44100


def test_musicgpt_sound(mock: MockControls) -> None:
    auth = {"Authorization": KEY}
    base = "/musicgpt/api/public/v1"
    task = answer(mock.client.post(f"{base}/sound_generator", headers=auth,
                                   data={"prompt": "rain", "audio_length": "2"}))["task_id"]
    query = {"conversionType": "SOUND_GENERATOR", "task_id": task}
    assert answer(mock.client.get(f"{base}/byId", params=query, headers=auth))[
        "conversion"]["status"] == "IN_QUEUE"
    mock.advance(60)
    done = answer(mock.client.get(f"{base}/byId", params=query, headers=auth))["conversion"]
    assert done["status"] == "COMPLETED"
    assert len(ffmpeg_decode(download(mock, done["audio_url"]))) == 2 * 44100


def test_soundpiece_effect(mock: MockControls) -> None:
    auth = {"Authorization": f"Bearer spk_{KEY}"}
    route = "/soundpiece/v1/create.new_fx"
    made = answer(mock.client.put(route, headers=auth, json={
        "idempotency_key": str(uuid.uuid4()), "prompt": "glass breaking", "duration": 2}))["fx"]
    assert made["status"] == "processing"
    mock.advance(60)
    ready = answer(mock.client.get(route, params={"id": made["id"]}, headers=auth))["fx"]
    assert ready["status"] == "ready"
    samples, rate = soundfile_decode(download(mock, ready["outputs"][0]["url"]))
    assert (len(samples), rate) == (2 * 44100, 44100)


def test_musicgen_generation(mock: MockControls) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    base = "/musicgen/api/v1"
    task = answer(mock.client.post(f"{base}/generate", headers=auth,
                                   json={"prompt": "lofi piano", "duration": 2}))["task_id"]
    assert answer(mock.client.get(f"{base}/generate/{task}", headers=auth))["status"] == "processing"
    mock.advance(60)
    done = answer(mock.client.get(f"{base}/generate/{task}", headers=auth))
    assert done["status"] == "completed"
    samples, rate = soundfile_decode(download(mock, done["audio_url"]))
    assert (len(samples), rate) == (2 * 32000, 32000)
