"""The websocket ``/ws/stream`` with a real ``websockets`` client: chunks in order that
reassemble into the REST result's audio, errors that keep the socket open, and auth."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from jsonschema import Draft4Validator
from musicgen_helpers import (
    SAMPLE_RATE,
    advance,
    client,
    collect_stream,
    connect,
    fetch_wav,
    pcm_of,
    server,
    submit,
    task,
    ws_json,
)

from live import LiveServer
from mockserver.openapi.refs import with_components
from mockserver.openapi.specs import load_spec

SPEC = load_spec("musicgen")


def assert_message(schema: str, message: dict[str, Any]) -> None:
    """Fail unless a websocket message fits the spec's component schema."""
    validator = Draft4Validator(with_components(SPEC, {"$ref": f"#/components/schemas/{schema}"}))
    errors = list(validator.iter_errors(message))
    assert not errors, f"{schema}: {errors[0].message}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A manual-clock server for this module."""
    with server(tmp_path_factory.mktemp("musicgen-ws")) as running:
        yield running


def test_chunks_arrive_in_order_and_equal_the_rest_audio(live: LiveServer) -> None:
    request = {"prompt": "Ambient music", "duration": 5.0, "seed": 1234, "temperature": 0.7}

    async def stream() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with connect(live, "ws-key") as ws:
            await ws.send(json.dumps({"type": "generate", "stream": True, **request}))
            first = await ws_json(ws)  # sent at once; the rest follow the clock
            await asyncio.to_thread(advance, live, 5)
            chunks, complete = await collect_stream(ws)
            return [first, *chunks], complete

    chunks, complete = asyncio.run(stream())
    for chunk in chunks:
        assert_message("WsAudioChunk", chunk)
    assert_message("WsComplete", complete)
    assert [c["chunk_index"] for c in chunks] == list(range(5))
    assert {c["sample_rate"] for c in chunks} == {SAMPLE_RATE}
    timestamps = [c["timestamp"] for c in chunks]
    assert timestamps == sorted(timestamps)
    pcm = pcm_of(chunks)
    assert len(pcm) == 5 * SAMPLE_RATE * 2  # mono 16-bit: the requested duration
    assert complete["duration"] == 5.0 and complete["chunks"] == 5

    with client(live, "ws-key") as api:
        answer = submit(api, request)
        advance(live, answer["eta"])
        rest_wav = fetch_wav(task(api, answer["task_id"])["audio_url"])
    assert rest_wav[44:] == pcm, "the stream is the REST result's audio, sample for sample"
    assert fetch_wav(complete["audio_url"]) == rest_wav


def test_stream_false_sends_only_the_completion(live: LiveServer) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with connect(live, "ws-quiet") as ws:
            await ws.send(json.dumps({"type": "generate", "prompt": "Quiet", "duration": 2,
                                      "stream": False}))
            await asyncio.to_thread(advance, live, 2)
            return [await ws_json(ws)]

    (complete,) = asyncio.run(scenario())
    assert_message("WsComplete", complete)
    assert complete["type"] == "complete" and complete["chunks"] == 0


BAD_MESSAGES = [
    ("not JSON", "hello", "VALIDATION_ERROR", "not valid JSON"),
    ("not an object", "[1, 2]", "VALIDATION_ERROR", "JSON object"),
    ("no type", '{"prompt": "x"}', "VALIDATION_ERROR", "type required"),
    ("unknown type", '{"type": "dance"}', "VALIDATION_ERROR", "Unknown message type: 'dance'"),
    ("missing prompt", '{"type": "generate"}', "INVALID_PROMPT", "Prompt cannot be empty"),
    ("blank prompt", '{"type": "generate", "prompt": "  "}', "INVALID_PROMPT", "empty"),
    ("bad duration", '{"type": "generate", "prompt": "x", "duration": -1}', "VALIDATION_ERROR",
     "duration"),
    ("bad stream flag", '{"type": "generate", "prompt": "x", "stream": "yes"}',
     "VALIDATION_ERROR", "stream"),
    ("unknown model", '{"type": "generate", "prompt": "x", "model": "m"}', "MODEL_NOT_FOUND",
     "model"),
]


def test_bad_messages_get_errors_and_the_socket_stays_open(live: LiveServer) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with connect(live, "ws-bad") as ws:
            errors = []
            for _, raw, _, _ in BAD_MESSAGES:
                await ws.send(raw)
                errors.append(await ws_json(ws))
            await ws.send(b"\x00\x01binary")
            errors.append(await ws_json(ws))
            await ws.send(json.dumps({"type": "generate", "prompt": "still here", "duration": 1}))
            first = await ws_json(ws)
            await asyncio.to_thread(advance, live, 1)
            chunks, complete = await collect_stream(ws)
            return errors, [first, *chunks, complete]

    errors, after = asyncio.run(scenario())
    for (name, _, code, needle), error in zip(BAD_MESSAGES, errors):
        assert_message("WsError", error)
        assert error["error"]["code"] == code, name
        assert needle in error["error"]["message"], name
    assert errors[-1]["error"]["code"] == "VALIDATION_ERROR"
    assert [m["type"] for m in after] == ["audio_chunk", "complete"]


def test_a_failing_prompt_is_an_error_message(live: LiveServer) -> None:
    async def scenario() -> dict[str, Any]:
        async with connect(live, "ws-fail") as ws:
            await ws.send('{"type": "generate", "prompt": "boom [mock:fail]"}')
            return await ws_json(ws)

    error = asyncio.run(scenario())
    assert_message("WsError", error)
    assert error["error"]["code"] == "GENERATION_FAILED"


def test_token_query_parameter_authenticates(live: LiveServer) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with connect(live, query="?token=query-key") as ws:
            await ws.send('{"type": "generate", "prompt": "Token auth", "duration": 1}')
            first = await ws_json(ws)
            await asyncio.to_thread(advance, live, 1)
            chunks, complete = await collect_stream(ws)
            return [first, *chunks, complete]

    messages = asyncio.run(scenario())
    assert [m["type"] for m in messages] == ["audio_chunk", "complete"]
    assert len(base64.b64decode(messages[0]["data"])) == SAMPLE_RATE * 2


@pytest.mark.parametrize("headers_key, query, code", [
    (None, "", "AUTHENTICATION_REQUIRED"),
    ("wrong-key", "", "INVALID_TOKEN"),
    (None, "?token=wrong-key", "INVALID_TOKEN"),
], ids=["no key", "bad bearer", "bad token"])
def test_refused_keys_get_an_error_and_close_1008(tmp_path: Path, headers_key: str | None,
                                                 query: str, code: str) -> None:
    async def scenario(live: LiveServer) -> tuple[dict[str, Any], int | None]:
        async with connect(live, headers_key, query) as ws:
            error = await ws_json(ws)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            return error, closed.value.rcvd.code if closed.value.rcvd else None

    with server(tmp_path, api_keys=("right-key",)) as live:
        error, close_code = asyncio.run(scenario(live))
    assert_message("WsError", error)
    assert error["error"]["code"] == code
    assert close_code == 1008


def test_the_instant_clock_streams_everything_at_once(tmp_path: Path) -> None:
    async def scenario(live: LiveServer) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with connect(live, "instant") as ws:
            await ws.send('{"type": "generate", "prompt": "Fast techno", "duration": 3.5}')
            return await collect_stream(ws)

    with server(tmp_path, clock="instant") as live:
        chunks, complete = asyncio.run(scenario(live))
    assert [c["chunk_index"] for c in chunks] == [0, 1, 2, 3]
    assert len(pcm_of(chunks)) == 3.5 * SAMPLE_RATE * 2
    assert complete["duration"] == 3.5
