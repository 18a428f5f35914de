"""Record a session of every operation through ``Recorder`` around the bundled mock, then
replay it on a fresh ``serve --replay`` server (no upstream): the same answers, byte for byte."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from recording_helpers import SIGNING_KEY, Recording, advance_by, record, replay_server
from session import KEYS, QUERY_TOKEN, WEBHOOK_SIGNATURE, run

from mockserver.openapi.specs import load_spec
from mockserver.providers import PROVIDERS

UNSENT_HEADERS = {"date", "server"}
"""Added by uvicorn on each answer, not by the app."""


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """The whole session, recorded once for the module's tests."""
    return record(tmp_path_factory.mktemp("recording"), run)


def comparable(response: httpx.Response, origin: str, here: str) -> tuple[int, list, bytes]:
    """Status, headers (without uvicorn's) and body bytes, with ``origin`` written ``here``."""
    headers = sorted((k, v.replace(origin, here)) for k, v in response.headers.items()
                     if k not in UNSENT_HEADERS)
    return response.status_code, headers, response.content.replace(origin.encode(), here.encode())


def test_the_session_covers_every_operation(recording: Recording) -> None:
    statuses = {label: response.status_code for label, response in recording.steps}
    assert all(status == 200 for status in statuses.values()), statuses
    routes = {(doc["provider"], doc["request"]["method"], doc["route"])
              for doc in map(yaml.safe_load, map(Path.read_text,
                                                 recording.directory.rglob("*.yaml")))}
    for name, provider in PROVIDERS.items():
        for path, operations in load_spec(provider.spec)["paths"].items():
            for method in set(operations) & {"get", "post", "put", "delete", "patch"}:
                assert (name, method.upper(), path) in routes


def test_replay_gives_byte_identical_answers_on_a_fresh_server(recording: Recording,
                                                               tmp_path: Path) -> None:
    # the replaying server listens on another port: the recorded answers' origin is
    # compared as the replaying server's (the cassettes hold a placeholder for it)
    with replay_server(recording, tmp_path) as live, live.client() as client:
        replayed = run(client, advance_by(client))
        here = live.url
    assert [label for label, _ in replayed] == [label for label, _ in recording.steps]
    for (label, original), (_, again) in zip(recording.steps, replayed):
        assert comparable(again, here, here) == comparable(original, recording.origin, here), label


def test_no_key_or_signature_in_any_cassette(recording: Recording) -> None:
    signatures = set()
    for _label, response in recording.steps:
        for part in str(response.content).split("signature=")[1:]:
            signatures.add(part[:32])
    assert len(signatures) >= 2  # the session did see signed links
    secrets = [*KEYS.values(), WEBHOOK_SIGNATURE, QUERY_TOKEN, SIGNING_KEY, *signatures]
    files = [path for path in recording.directory.rglob("*") if path.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, (path, secret)


def test_job_polls_and_downloads_are_grouped_with_their_submit(recording: Recording) -> None:
    task = recording.steps[0][1].json()["task_id"]
    folder = recording.directory / "musicgpt" / task
    kinds = [path.name.split("-", 1)[1][:24] for path in sorted(folder.glob("*.yaml"))]
    assert kinds == ["post-v1-sound-generator.", "get-v1-byid.yaml", "get-v1-byid.yaml",
                     "get-mock-files-musicgpt-"]  # submit, two polls, the download
    assert len(list(folder.glob("*.response.mp3"))) == 1
    assert not (recording.directory / "musicgpt" / "_").exists()


def test_strict_replay_refuses_an_unrecorded_request_naming_the_nearest(
        recording: Recording, tmp_path: Path) -> None:
    with replay_server(recording, tmp_path, strict=True) as live, live.client() as client:
        response = client.post("/musicgpt/api/public/v1/sound_generator",
                               headers={"Authorization": "another-key"},
                               data={"prompt": "snow", "audio_length": "2"})
    assert response.status_code == 501
    message = response.text
    assert "nearest recorded: POST /v1/sound_generator" in message, message
    assert 'body.prompt: expected \\"rain\\", got \\"snow\\"' in message, message
    assert response.headers["x-mock-replay-nearest"].startswith("musicgpt/")


def test_unrecorded_requests_are_synthesized_without_strict(recording: Recording,
                                                            tmp_path: Path) -> None:
    with replay_server(recording, tmp_path) as live, live.client() as client:
        response = client.post("/musicgpt/api/public/v1/sound_generator",
                               headers={"Authorization": "another-key"},
                               data={"prompt": "snow", "audio_length": "2"})
        recorded = client.post("/musicgpt/api/public/v1/sound_generator",
                               headers={"Authorization": "yet another key"},
                               data={"prompt": "rain", "audio_length": "2"})
    assert response.status_code == 200
    assert response.json()["task_id"] != recording.steps[0][1].json()["task_id"]
    assert recorded.content == recording.steps[0][1].content
