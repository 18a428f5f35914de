"""Every REST operation over real HTTP: the documented shapes, the task lifecycle on the
manual clock, the WAV files, and errors in the seed's envelope."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from musicgen_helpers import (
    SAMPLE_RATE,
    advance,
    client,
    error_of,
    fetch_wav,
    server,
    submit,
    task,
    wav_pcm,
)

from live import LiveServer
from spec_check import assert_documented


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One manual-clock server for this module (each test uses keys of its own)."""
    with server(tmp_path_factory.mktemp("musicgen-rest")) as running:
        yield running


@pytest.fixture
def api(live: LiveServer, request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A client with a key of its own (rate limits and concurrency are per key)."""
    with client(live, f"rest-{request.node.name}") as c:
        yield c


def test_generate_then_poll_until_completed(live: LiveServer, api: httpx.Client) -> None:
    body = {"prompt": "Upbeat jazz piano", "duration": 4.0, "temperature": 0.8, "top_k": 50,
            "top_p": 0.9}
    answer = submit(api, body)
    assert answer["status"] == "processing"
    assert answer["eta"] == 6  # 1.5 s of work per second of audio (seed: 30 s -> eta 45)
    assert uuid.UUID(answer["task_id"]).version == 4

    first = task(api, answer["task_id"])
    assert first["status"] == "processing" and first["audio_url"] is None
    assert first["progress"] == 0.0 and first["duration"] == 4.0
    assert first["metadata"]["prompt"] == "Upbeat jazz piano"
    assert first["metadata"]["sample_rate"] == SAMPLE_RATE
    assert isinstance(first["metadata"]["seed"], int)  # picked by the server

    advance(live, 3)
    half = task(api, answer["task_id"])
    assert half["status"] == "processing" and half["progress"] == 0.5

    advance(live, 3)
    done = task(api, answer["task_id"])
    assert done["status"] == "completed" and done["progress"] == 1.0
    assert done["error"] is None and "stems" not in done
    pcm, rate = wav_pcm(fetch_wav(done["audio_url"]))
    assert rate == SAMPLE_RATE and pcm.shape == (4 * SAMPLE_RATE, 1)
    assert np.abs(pcm).max() > 1000, "the file is not silent"


def test_same_request_and_seed_give_the_same_wav(live: LiveServer, api: httpx.Client) -> None:
    body = {"prompt": "Calm piano melody", "duration": 2.0, "seed": 42}
    ids = [submit(api, body)["task_id"] for _ in range(2)]
    other = submit(api, {**body, "seed": 43})["task_id"]
    advance(live, 10)
    first, second, third = (fetch_wav(task(api, i)["audio_url"]) for i in (*ids, other))
    assert ids[0] != ids[1]
    assert first == second
    assert first != third


def test_ids_are_deterministic_per_server_seed(tmp_path: Path) -> None:
    def first_id(folder: str) -> str:
        (tmp_path / folder).mkdir()
        with server(tmp_path / folder) as live, client(live, "k") as api:
            return submit(api, {"prompt": "x"})["task_id"]

    assert first_id("a") == first_id("b")


def test_model_and_params_are_applied(live: LiveServer, api: httpx.Client) -> None:
    answer = submit(api, {"prompt": "Epic orchestral", "duration": 10, "model": "musicgen-large",
                          "temperature": 1.5, "top_k": 250, "top_p": 0.5, "seed": 7})
    assert answer["eta"] == 40  # large: 4 s of work per second of audio
    meta = task(api, answer["task_id"])["metadata"]
    assert meta == {"prompt": "Epic orchestral", "model": "musicgen-large", "seed": 7,
                    "temperature": 1.5, "top_k": 250, "top_p": 0.5, "sample_rate": SAMPLE_RATE,
                    "format": "wav"}


def test_batch_starts_one_task_per_item(live: LiveServer, api: httpx.Client) -> None:
    body = {"requests": [{"prompt": "Piano melody", "duration": 1.5},
                         {"prompt": "Guitar solo", "duration": 2}]}
    answer = submit(api, body, "/generate/batch")
    assert [t["eta"] for t in answer["tasks"]] == [3, 3]
    advance(live, 3)
    for item, started in zip(body["requests"], answer["tasks"]):
        status = task(api, started["task_id"])
        assert status["status"] == "completed"
        assert status["metadata"]["batch_id"] == answer["batch_id"]
        assert status["metadata"]["prompt"] == item["prompt"]
        pcm, _ = wav_pcm(fetch_wav(status["audio_url"]))
        assert len(pcm) == round(item["duration"] * SAMPLE_RATE)


def test_multi_instrument_gives_stems_and_a_mix(live: LiveServer, api: httpx.Client) -> None:
    body = {"instruments": {"piano": "Jazz piano comping", "bass": "Walking bass line",
                            "drums": "Swing pattern"}, "duration": 3.0, "mix_preset": "jazz_club"}
    answer = submit(api, body, "/multi-instrument")
    pending = task(api, answer["task_id"])
    assert pending["stems"] is None and pending["audio_url"] is None
    advance(live, answer["eta"])
    done = task(api, answer["task_id"])
    assert done["status"] == "completed"
    assert done["metadata"]["instruments"] == body["instruments"]
    assert done["metadata"]["mix_preset"] == "jazz_club"
    assert list(done["stems"]) == ["piano", "bass", "drums"]
    stems = {name: wav_pcm(fetch_wav(url)) for name, url in done["stems"].items()}
    for pcm, rate in stems.values():
        assert rate == SAMPLE_RATE and pcm.shape == (3 * SAMPLE_RATE, 1)
    assert len({pcm.tobytes() for pcm, _ in stems.values()}) == 3, "each stem is its own"
    mix, rate = wav_pcm(fetch_wav(done["audio_url"]))
    assert rate == SAMPLE_RATE and mix.shape == (3 * SAMPLE_RATE, 2)
    assert not np.array_equal(mix[:, 0], mix[:, 1]), "the mix pans the piano off centre"
    assert np.abs(mix).max() <= 32767 * 10 ** (-1 / 20), "peaks keep the preset's headroom"


def test_models_lists_the_documented_names(api: httpx.Client) -> None:
    response = api.get("/models")
    assert response.status_code == 200
    assert_documented("musicgen", "GET", "/models", 200, response.json())
    assert [m["name"] for m in response.json()["models"]] == [
        "musicgen-small", "musicgen-medium", "musicgen-large", "musicgen-melody"]


def test_health_needs_no_key(live: LiveServer) -> None:
    response = httpx.get(live.url + "/musicgen/api/v1/health")
    assert response.status_code == 200
    assert_documented("musicgen", "GET", "/health", 200, response.json())
    assert response.json()["status"] == "healthy"


def test_a_failing_prompt_ends_failed(live: LiveServer, api: httpx.Client) -> None:
    answer = submit(api, {"prompt": "noise [mock:fail]", "duration": 4})
    advance(live, 3)  # failures come half-way through the ETA
    failed = task(api, answer["task_id"])
    assert failed["status"] == "failed" and failed["audio_url"] is None
    assert failed["error"]["code"] == "GENERATION_FAILED"
    assert failed["progress"] == 0.5
    name = f"{answer['task_id']}.wav"
    assert error_of(api.get(f"/audio/{name}"), 404, "/audio/{file}", "GET")["code"] == (
        "TASK_NOT_FOUND")


def test_admin_failure_rules_apply(live: LiveServer, api: httpx.Client) -> None:
    rule = httpx.post(live.url + "/_mock/failures",
                      json={"provider": "musicgen", "count": 1, "match": "rule-target"})
    assert rule.is_success, rule.text
    failing = submit(api, {"prompt": "rule-target piano", "duration": 1})
    passing = submit(api, {"prompt": "rule-target piano", "duration": 1})
    advance(live, 2)
    assert task(api, failing["task_id"])["status"] == "failed"
    assert task(api, passing["task_id"])["status"] == "completed"


def test_audio_is_missing_until_completed(live: LiveServer, api: httpx.Client) -> None:
    answer = submit(api, {"prompt": "Slow ambient drone", "duration": 2})
    name = f"{answer['task_id']}.wav"
    assert error_of(api.get(f"/audio/{name}"), 404, "/audio/{file}", "GET")["code"] == (
        "TASK_NOT_FOUND")
    advance(live, 3)
    assert api.get(f"/audio/{name}").status_code == 200
    for bad in (f"{answer['task_id']}_stem0.wav", f"{uuid.uuid4()}.wav", "NOT-A-NAME.wav",
                "x.mp3"):
        error = error_of(api.get(f"/audio/{bad}"), 404, "/audio/{file}", "GET")
        assert error["code"] == "TASK_NOT_FOUND", bad


def test_tasks_belong_to_their_key(live: LiveServer, api: httpx.Client) -> None:
    answer = submit(api, {"prompt": "Private tune", "duration": 1})
    with client(live, "someone-else") as other:
        error = error_of(other.get(f"/generate/{answer['task_id']}"), 404, "/generate/{task_id}",
                         "GET")
    assert error == {"code": "TASK_NOT_FOUND", "message": "The specified task could not be found",
                     "details": {}}


BAD_INPUT = [
    ("no prompt", "/generate", {"duration": 5}, "INVALID_PROMPT", "Prompt cannot be empty"),
    ("empty prompt", "/generate", {"prompt": ""}, "INVALID_PROMPT", "Prompt cannot be empty"),
    ("blank prompt", "/generate", {"prompt": " \t "}, "INVALID_PROMPT", "Prompt cannot be empty"),
    ("prompt too long", "/generate", {"prompt": "x" * 501}, "INVALID_PROMPT", "at most 500"),
    ("prompt not text", "/generate", {"prompt": 5}, "INVALID_PROMPT", "must be a string"),
    ("duration 0", "/generate", {"prompt": "x", "duration": 0}, "VALIDATION_ERROR", "duration"),
    ("duration 301", "/generate", {"prompt": "x", "duration": 301}, "VALIDATION_ERROR",
     "duration"),
    ("temperature 3", "/generate", {"prompt": "x", "temperature": 3}, "VALIDATION_ERROR",
     "temperature"),
    ("top_k 0", "/generate", {"prompt": "x", "top_k": 0}, "VALIDATION_ERROR", "top_k"),
    ("negative seed", "/generate", {"prompt": "x", "seed": -1}, "VALIDATION_ERROR", "seed"),
    ("unknown model", "/generate", {"prompt": "x", "model": "gpt-4"}, "MODEL_NOT_FOUND",
     "model"),
    ("not JSON", "/generate", b"{nope", "VALIDATION_ERROR", "not valid JSON"),
    ("batch item blank", "/generate/batch", {"requests": [{"prompt": "a"}, {"prompt": " "}]},
     "INVALID_PROMPT", "requests[1].prompt"),
    ("batch empty", "/generate/batch", {"requests": []}, "VALIDATION_ERROR", "requests"),
    ("batch of 11", "/generate/batch", {"requests": [{"prompt": "a"}] * 11}, "VALIDATION_ERROR",
     "requests"),
    ("no instruments", "/multi-instrument", {"duration": 5}, "VALIDATION_ERROR", "instruments"),
    ("blank instrument prompt", "/multi-instrument", {"instruments": {"bass": " "}},
     "INVALID_PROMPT", "instruments.bass"),
    ("unknown preset", "/multi-instrument",
     {"instruments": {"bass": "b"}, "mix_preset": "disco"}, "INVALID_MIX_PRESET", "mix_preset"),
]


@pytest.mark.parametrize("name, path, body, code, needle", BAD_INPUT,
                         ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_a_400_with_a_code(live: LiveServer, api: httpx.Client, name: str,
                                        path: str, body: object, code: str, needle: str) -> None:
    before = live.services.tasks.count("musicgen")
    if isinstance(body, bytes):
        response = api.post(path, content=body, headers={"content-type": "application/json"})
    else:
        response = api.post(path, json=body)
    error = error_of(response, 400, path)
    assert error["code"] == code
    assert needle in error["message"]
    assert live.services.tasks.count("musicgen") == before, "nothing was started"


def test_missing_and_unknown_keys_are_401(tmp_path: Path) -> None:
    with server(tmp_path, api_keys=("good-key",)) as live:
        url = live.url + "/musicgen/api/v1"
        missing = httpx.post(url + "/generate", json={"prompt": "x"})
        wrong = httpx.get(url + "/models", headers={"Authorization": "Bearer bad-key"})
        good = httpx.get(url + "/models", headers={"Authorization": "Bearer good-key"})
    assert error_of(missing, 401, "/generate")["code"] == "AUTHENTICATION_REQUIRED"
    assert error_of(wrong, 401, "/models", "GET")["code"] == "INVALID_TOKEN"
    assert good.status_code == 200


def test_unknown_task_and_malformed_id_are_404(api: httpx.Client) -> None:
    for task_id in (str(uuid.uuid4()), "not-a-uuid"):
        error = error_of(api.get(f"/generate/{task_id}"), 404, "/generate/{task_id}", "GET")
        assert error["code"] == "TASK_NOT_FOUND"


def test_wrong_method_is_405_in_the_envelope(api: httpx.Client) -> None:
    response = api.delete("/generate")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_literal_path_with_another_method_is_405_not_a_bad_task_id(api: httpx.Client) -> None:
    response = api.get("/generate/batch")  # not GET /generate/{task_id} with id "batch"
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
