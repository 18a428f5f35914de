"""Hostile input, from one table of cases, against every provider (REST and websocket).

Each case must be answered with a short 4xx in the provider's documented error format (on
the websocket: an error message, with the socket left open), write nothing to the state
file (no account charged, no task, no idempotency key, no webhook), and leave the server
answering ``/_mock/health`` within 1 s. Responses are parsed as strict JSON (no ``NaN``).

The table is the issue's list (deep nesting, ``NaN`` durations and temperatures, a form
field over 1 MiB, 250,000 Muzaic regions, the websocket's ``NaN``/deep messages) plus the
input limits' edges (``InputLimits``: body, field, header, URL, items, depth); the generic
rows are expanded over every provider and, for nesting, over every operation with a body.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import websockets
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from live import LiveServer, ServerProcess
from mockserver.core.settings import InputLimits, Settings
from mockserver.http.app import create_app
from mockserver.openapi.specs import load_spec
from spec_check import assert_schema

LIMITS = InputLimits()
MIB = 1024 * 1024
PROVIDERS = ("muzaic", "musicgpt", "musicgen", "soundpiece")
MALFORMED, TOO_LARGE, URI_TOO_LONG, HEADERS_TOO_LARGE = "malformed", 413, 414, 431
WS = "WS"

# The status each provider documents for a body that is not (acceptable) JSON text.
MALFORMED_STATUS = {"muzaic": 400, "musicgpt": 422, "musicgen": 400, "soundpiece": 400}
# provider -> (spec schema of its error body, how to read the message)
ERRORS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "muzaic": ("Error", lambda body: body["error"]),
    "musicgpt": ("Error", lambda body: body["error"]),
    "musicgen": ("Error", lambda body: body["error"]["message"]),
    "soundpiece": ("HTTPError", lambda body: body["detail"]),
}
# Music Gen AI's error code for each kind of refusal.
MUSICGEN_CODES = {MALFORMED: "VALIDATION_ERROR", TOO_LARGE: "PAYLOAD_TOO_LARGE",
                  URI_TOO_LONG: "URI_TOO_LONG", HEADERS_TOO_LARGE: "HEADERS_TOO_LARGE"}
SHORT = 2048  # bytes: no error echoes its input


def key_headers(provider: str, key: str) -> dict[str, str]:
    """The provider's key header."""
    return {"muzaic": {"MuzaicAPI-Secret-Key": key},
            "musicgpt": {"Authorization": key},
            "musicgen": {"Authorization": f"Bearer {key}"},
            "soundpiece": {"Authorization": f"Bearer spk_{key}"}}[provider]


# --- bodies ------------------------------------------------------------------------------
Body = Callable[[], bytes | Iterator[bytes]]


def raw(data: bytes) -> Body:
    return lambda: data


def deep(levels: int, inside: str = "") -> Body:
    """JSON arrays nested ``levels`` deep, inside ``inside`` (``{"prompt": %s}``)."""
    text = "[" * levels + "]" * levels
    return raw((inside % text if inside else text).encode())


def repeated(head: bytes, unit: bytes, count: int, tail: bytes, chunked: bool = False) -> Body:
    """``head + unit * count + tail``; with ``chunked``, sent without ``Content-Length``."""
    if not chunked:
        return lambda: head + unit * count + tail

    def chunks() -> Iterator[bytes]:
        yield head
        per_chunk = max(1, 65536 // len(unit))
        for start in range(0, count, per_chunk):
            yield unit * min(per_chunk, count - start)
        yield tail

    return chunks


def items(count: int, head: bytes = b"[", tail: bytes = b"]", unit: bytes = b"0") -> Body:
    """A JSON array of ``count`` items."""
    return lambda: head + b",".join([unit] * count) + tail


# --- the table ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One hostile request: where it goes, what it carries, what must come back."""

    name: str
    provider: str
    method: str  # "WS": one websocket message to /ws/stream
    path: str  # below the provider's base URL
    body: Body = raw(b"")
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    query: str = ""
    expect: str | int = MALFORMED
    says: str = ""  # a piece of the error message

    @property
    def id(self) -> str:
        return f"{self.provider}-{self.method}-{self.path}-{self.name}"


FORM = "application/x-www-form-urlencoded"
ENDPOINT = {  # one operation with a JSON body per provider, and a body that is valid there
    "muzaic": ("POST", "/singleFile", '{"duration": %s}'),
    "musicgpt": ("POST", "/v1/sound_generator", None),
    "musicgen": ("POST", "/generate", '{"prompt": "calm piano", "duration": %s}'),
    "soundpiece": ("PUT", "/v1/create.new_sample",
                   '{"idempotency_key": "550e8400-e29b-41d4-a716-446655440000",'
                   ' "prompt": "rock", "duration": %s}'),
}


def body_operations(provider: str) -> list[tuple[str, str, str]]:
    """(method, path with parameters filled in, media type) of every operation with a body."""
    found = []
    for path, item in load_spec(provider)["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                media = next(iter(operation["requestBody"]["content"]))
                found.append((method.upper(), path.replace("{origin}", "studio"), media))
    return found


def generic_cases(provider: str) -> list[Case]:
    """Rows every provider answers alike (statuses and formats are its own)."""
    method, path, valid = ENDPOINT[provider]
    form = valid is None
    media = FORM if form else "application/json"
    field = (lambda text: f"prompt={text}") if form else (lambda text: valid % text)
    over_limit = LIMITS.body_bytes + 1024
    cases = [
        Case(f"JSON nested 10,000 deep ({media})", provider, m, p, deep(10_000),
             content_type=mt, says="levels deep")
        for m, p, mt in body_operations(provider)
    ]
    if not form:
        cases += [Case("JSON nested 10,000 deep in a field", provider, m, p,
                       deep(10_000, '{"prompt": %s}'), content_type=mt, says="levels deep")
                  for m, p, mt in body_operations(provider)]
        cases += [
            Case(f"number {text}", provider, method, path, raw(field(text).encode()),
                 says=needle)
            for text, needle in [("NaN", "NaN"), ("Infinity", "Infinity"),
                                 ("-Infinity", "Infinity"), ("1e999", "too large"),
                                 ("1" * 5000, "digits")]
        ]
        cases += [
            Case("array of 250,000 items", provider, method, path,
                 items(250_000, b'{"prompt": [', b"]}"), expect=TOO_LARGE, says="items"),
            Case("object of 20,000 members", provider, method, path,
                 lambda: ("{" + ",".join(f'"k{i}":0' for i in range(20_000)) + "}").encode(),
                 expect=TOO_LARGE, says="items"),
            Case("string over limits.field_bytes", provider, method, path,
                 raw(field('"' + "a" * (LIMITS.field_bytes + 1) + '"').encode()),
                 expect=TOO_LARGE, says="limits.field_bytes"),
            Case("no Content-Type, NaN", provider, method, path,
                 raw(field("NaN").encode()), content_type=None, says="NaN"),
        ]
    else:
        cases += [
            Case("form field over limits.field_bytes", provider, method, path,
                 raw(field("a" * (LIMITS.field_bytes + 1)).encode()), content_type=FORM,
                 expect=TOO_LARGE, says="form body refused"),
            Case("form field over 1 MiB", provider, method, path,
                 raw(field("a" * (MIB + 1)).encode()), content_type=FORM,
                 expect=TOO_LARGE, says="limits.body_bytes"),
            Case("audio_length NaN", provider, method, path,
                 raw(b"prompt=rain&audio_length=NaN"), content_type=FORM, says="audio_length"),
        ]
    cases += [
        Case("body over limits.body_bytes", provider, method, path,
             repeated(b"[", b"0,", over_limit // 2, b"0]"), content_type=media,
             expect=TOO_LARGE, says="limits.body_bytes"),
        Case("body over limits.body_bytes, chunked", provider, method, path,
             repeated(b"[", b"0,", over_limit // 2, b"0]", chunked=True), content_type=media,
             expect=TOO_LARGE, says="limits.body_bytes"),
        Case("30 MB of empty objects", provider, method, path,
             repeated(b"[", b"{},", 10 * MIB, b"{}]"), content_type=media,
             expect=TOO_LARGE, says="limits.body_bytes"),
        Case("30 MB of empty objects, chunked", provider, method, path,
             repeated(b"[", b"{},", 10 * MIB, b"{}]", chunked=True), content_type=media,
             expect=TOO_LARGE, says="limits.body_bytes"),
        Case("JSON text with NaN as a form", provider, method, path,
             raw(b'{"prompt": NaN}'), content_type=FORM, says="form fields") if form else
        Case("invalid UTF-8", provider, method, path, raw(b'{"prompt": "\xff\xfe"}'),
             says="UTF-8"),
        Case("a 1 MiB header", provider, method, path, raw(b"{}"), content_type=media,
             headers=(("X-Padding", "a" * MIB),), expect=HEADERS_TOO_LARGE,
             says="limits.header_bytes"),
        Case("headers over limits.headers_bytes", provider, method, path, raw(b"{}"),
             content_type=media,
             headers=tuple((f"X-Pad-{i}", "a" * 1000) for i in range(100)),
             expect=HEADERS_TOO_LARGE, says="limits.headers_bytes"),
        Case("URL over limits.url_bytes", provider, method, path, raw(b"{}"),
             content_type=media, query="q=" + "a" * LIMITS.url_bytes,
             expect=URI_TOO_LONG, says="limits.url_bytes"),
    ]
    return cases


SPECIFIC = [
    # the list
    Case("soundtrack time NaN", "muzaic", "POST", "/soundtrack",
         raw(b'{"regions": [{"time": NaN, "duration": 10, "action": "generate"}]}'), says="NaN"),
    Case("soundtrack duration NaN", "muzaic", "POST", "/soundtrack",
         raw(b'{"regions": [{"time": 0, "duration": NaN, "action": "generate"}]}'), says="NaN"),
    Case("250,000 regions", "muzaic", "POST", "/soundtrack",
         items(250_000, b'{"regions": [', b"]}", b'{"time": 0, "duration": 1}'),
         expect=TOO_LARGE, says="limits.body_bytes"),
    Case("250,000 regions under the body limit", "muzaic", "POST", "/soundtrack",
         items(250_000, b'{"regions": [', b"]}", b"{}"), expect=TOO_LARGE, says="items"),
    Case("duration NaN", "musicgen", "POST", "/generate",
         raw(b'{"prompt": "calm piano", "duration": NaN}'), says="NaN"),
    Case("temperature NaN", "musicgen", "POST", "/generate",
         raw(b'{"prompt": "calm piano", "duration": 5, "temperature": NaN}'), says="NaN"),
    Case("temperature Infinity in a batch", "musicgen", "POST", "/generate/batch",
         raw(b'{"requests": [{"prompt": "calm", "duration": 5, "temperature": Infinity}]}'),
         says="Infinity"),
    Case("duration NaN", "soundpiece", "PUT", "/v1/create.new_sample",
         raw(b'{"idempotency_key": "550e8400-e29b-41d4-a716-446655440000", "prompt": "rock",'
             b' "duration": NaN}'), says="NaN"),
    # the websocket: every message is held to the same limits as a request body
    Case("duration NaN", "musicgen", WS, "/ws/stream",
         raw(b'{"type": "generate", "prompt": "calm", "duration": NaN}'), says="NaN"),
    Case("temperature -Infinity", "musicgen", WS, "/ws/stream",
         raw(b'{"type": "generate", "prompt": "calm", "temperature": -Infinity}'),
         says="Infinity"),
    Case("JSON nested 10,000 deep", "musicgen", WS, "/ws/stream", deep(10_000),
         says="levels deep"),
    Case("JSON nested 10,000 deep in a field", "musicgen", WS, "/ws/stream",
         deep(10_000, '{"type": "generate", "prompt": %s}'), says="levels deep"),
    Case("array of 250,000 items", "musicgen", WS, "/ws/stream",
         items(250_000, b'{"type": "generate", "prompt": [', b"]}"), expect=TOO_LARGE,
         says="items"),
    Case("message over limits.body_bytes", "musicgen", WS, "/ws/stream",
         repeated(b'{"type": "generate", "prompt": "', b"a", LIMITS.body_bytes, b'"}'),
         expect=TOO_LARGE, says="limits.body_bytes"),
    Case("invalid UTF-8", "musicgen", WS, "/ws/stream", raw(b'{"prompt": "\xff"}'),
         says="UTF-8"),
]

CASES = [case for provider in PROVIDERS for case in generic_cases(provider)] + SPECIFIC


# --- checks ------------------------------------------------------------------------------
def strict_json(text: str) -> Any:
    """Parse like a strict client: NaN and Infinity are not JSON."""
    def refuse(name: str) -> Any:
        raise AssertionError(f"the server sent {name}, which is not JSON")
    return json.loads(text, parse_constant=refuse)


def state(live: LiveServer) -> dict[str, list[tuple]]:
    """Every table of the state file except the request journal (which records all)."""
    store = live.services.store
    return {table: sorted(tuple(row) for row in store.all(f'SELECT * FROM "{table}"'))
            for table in store.tables() if table != "journal"}


def assert_alive(url: str) -> None:
    """``/_mock/health`` answers within 1 s."""
    assert httpx.get(url + "/_mock/health", timeout=1.0).status_code == 200


def expected_status(case: Case) -> int:
    return MALFORMED_STATUS[case.provider] if case.expect == MALFORMED else int(case.expect)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the table, state in a real file, on the manual clock."""
    state_path = tmp_path_factory.mktemp("hostile") / "state.db"
    with LiveServer(Settings(state_path=str(state_path), clock="manual")) as running:
        yield running


def send_http(live: LiveServer, case: Case, key: str) -> httpx.Response:
    base = httpx.get(live.url + "/_mock/health").json()["providers"][case.provider]
    headers = {**key_headers(case.provider, key), **dict(case.headers)}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    url = live.url + base + case.path + (f"?{case.query}" if case.query else "")
    return httpx.request(case.method, url, content=case.body(), headers=headers, timeout=60)


def send_ws(live: LiveServer, case: Case, key: str) -> list[dict[str, Any]]:
    """Send the case's message, then a plainly wrong one: two error messages prove the
    socket stayed open."""
    base = httpx.get(live.url + "/_mock/health").json()["providers"][case.provider]
    url = live.url.replace("http://", "ws://") + base + case.path

    async def talk() -> list[dict[str, Any]]:
        async with websockets.connect(url, additional_headers=key_headers(case.provider, key),
                                      max_size=None) as ws:
            replies = []
            for message in (case.body(), b'{"type": "dance"}'):
                assert isinstance(message, bytes)
                try:  # a text frame, as clients send JSON; bytes that are not text as binary
                    await ws.send(message.decode())
                except UnicodeDecodeError:
                    await ws.send(message)
                replies.append(strict_json(await asyncio.wait_for(ws.recv(), 30)))
            return replies

    return asyncio.run(talk())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_a_short_4xx_that_changes_nothing(live: LiveServer, case: Case) -> None:
    key = f"hostile-{CASES.index(case)}"
    before = state(live)
    if case.method == WS:
        error, after_error = send_ws(live, case, key)
        assert_schema("musicgen", "WsError", error)
        assert error["error"]["code"] == MUSICGEN_CODES[case.expect]
        assert case.says in error["error"]["message"]
        assert len(json.dumps(error)) <= SHORT
        assert after_error["error"]["message"] == "Unknown message type: 'dance'"
    else:
        response = send_http(live, case, key)
        assert response.status_code == expected_status(case), response.text[:500]
        assert len(response.content) <= SHORT, f"{len(response.content)} bytes"
        body = strict_json(response.text)
        schema, read = ERRORS[case.provider]
        assert_schema(case.provider, schema, body)
        assert case.says in read(body), read(body)
        if case.provider == "musicgen":
            assert body["error"]["code"] == MUSICGEN_CODES[case.expect]
    assert state(live) == before, "a refused request wrote state"
    assert_alive(live.url)


# --- staying responsive -------------------------------------------------------------------
def heavy_soundtrack() -> bytes:
    """An invalid Muzaic soundtrack just under the body limit whose every region is
    validated: seconds of schema validation."""
    region = (b'{"time": 0, "duration": 1, "tags": [1, 2], "params": {"intensity":'
              b' [[0, 1], [50, 5], [100, 9]], "tone": [[0, 1], [100, 9]]}}')
    count = min((LIMITS.body_bytes - 20) // (len(region) + 2), LIMITS.items - 1)
    return b'{"regions": [' + b", ".join([region] * count) + b"]}"


@pytest.fixture(scope="module")
def process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server in a process of its own, so that its event loop is measured alone."""
    folder = tmp_path_factory.mktemp("hostile-process")
    with ServerProcess(["--state", str(folder / "state.db"), "--clock", "manual"],
                       cwd=folder, log=folder / "server.log") as running:
        yield running


def test_health_answers_while_a_large_body_is_validated(process: ServerProcess) -> None:
    """Validating this body takes seconds of CPU: on the event loop, health would time out."""
    body = heavy_soundtrack()
    assert len(body) <= LIMITS.body_bytes
    statuses: list[int] = []

    def post() -> None:
        statuses.append(httpx.post(
            process.url + "/muzaic/soundtrack", content=body, timeout=120,
            headers={"MuzaicAPI-Secret-Key": "heavy", "Content-Type": "application/json"},
        ).status_code)

    sender = threading.Thread(target=post)
    sender.start()
    answered_while_busy = 0
    while sender.is_alive():
        assert_alive(process.url)
        answered_while_busy += 1
    sender.join()
    assert statuses == [400]  # regions: at most 64
    assert answered_while_busy >= 1


def test_health_answers_while_a_body_trickles_in(process: ServerProcess) -> None:
    body = b'{"duration": 5}'
    head = (f"POST /muzaic/singleFile HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"MuzaicAPI-Secret-Key: slow\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", process.port), timeout=60) as conn:
        conn.sendall(head + body[:5])  # the request is in flight, its body unfinished
        assert_alive(process.url)
        conn.sendall(body[5:])
        started = time.monotonic()
        answer = b""
        while b"\r\n\r\n" not in answer and time.monotonic() - started < 60:
            answer += conn.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_a_valid_body_at_the_limits_is_accepted(live: LiveServer) -> None:
    """The limits refuse what is over them, not what is at them."""
    nested = "[" * (LIMITS.depth - 1) + "]" * (LIMITS.depth - 1)  # with the object: depth
    with live.client("/musicgen/api/v1", headers=key_headers("musicgen", "at-limits")) as api:
        accepted = api.post("/generate", json={"prompt": "a" * 500, "duration": 5})
        deep_enough = api.post("/generate", content=f'{{"prompt": {nested}}}'.encode(),
                               headers={"Content-Type": "application/json"})
    assert accepted.status_code == 200, accepted.text
    assert deep_enough.status_code == 400  # a schema error: the nesting itself passed
    assert deep_enough.json()["error"]["code"] == "INVALID_PROMPT"


def test_limits_come_from_the_config(tmp_path: Path) -> None:
    settings = Settings(state_path=str(tmp_path / "state.db"), clock="manual", config={
        "limits": {"body_bytes": 2000, "depth": 3},
        "providers": {"musicgen": {"limits": {"depth": 4}}}})
    with LiveServer(settings) as running:
        with running.client("/muzaic", headers=key_headers("muzaic", "cfg")) as muzaic:
            big = muzaic.post("/singleFile", content=b" " * 2001,
                              headers={"Content-Type": "application/json"})
            nested = muzaic.post("/singleFile", json={"params": {"intensity": [[0, 1]]}})
        with running.client("/musicgen/api/v1", headers=key_headers("musicgen", "cfg")) as gen:
            four = gen.post("/generate", json={"prompt": [[[1]]]})
    assert big.status_code == 413 and "2000" in big.json()["error"]
    assert nested.status_code == 400 and "more than 3 levels" in nested.json()["error"]
    assert four.status_code == 400 and "levels deep" not in four.text


@pytest.mark.parametrize("section, complaint", [
    ({"body_bytes": 0}, "positive integer"), ({"depth": "deep"}, "positive integer"),
    ({"depth": 10_000}, "at most"), ({"bodybytes": 5}, "unknown limit"), ([1], "mapping"),
])
def test_bad_limits_in_the_config_are_refused_at_start(tmp_path: Path, section: Any,
                                                        complaint: str) -> None:
    settings = Settings(state_path=str(tmp_path / "state.db"), config={"limits": section})
    with pytest.raises(ValueError, match=complaint):
        create_app(settings)


def test_a_chunked_body_is_read_not_ignored(live: LiveServer) -> None:
    """Without ``Content-Length`` a body used to be taken for no body: Muzaic charged the
    default 60 s for a 5 s request."""
    def chunks() -> Iterator[bytes]:
        yield b'{"durat'
        yield b'ion": 5}'

    with live.client("/muzaic", headers=key_headers("muzaic", "chunked")) as muzaic:
        response = muzaic.post("/singleFile", content=chunks(),
                               headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 200, response.text
    assert response.json()["tokensUsed"] == 5 and response.json()["audioDuration"] == 5


# --- schemathesis' negative cases ---------------------------------------------------------
OPENAPI = {"muzaic": "/muzaic/openapi.json", "musicgpt": "/musicgpt/api/public/openapi.json",
           "musicgen": "/musicgen/api/v1/openapi.json", "soundpiece": "/soundpiece/openapi.json"}
_negative: dict[str, Any] = {}
_keys = itertools.count()


def negative_cases(live: LiveServer, provider: str) -> Any:
    """schemathesis' negative cases for every operation of a provider, as served."""
    if provider not in _negative:
        schema = schemathesis.openapi.from_url(live.url + OPENAPI[provider])
        key = key_headers(provider, "fuzz")
        _negative[provider] = schema.as_strategy(GenerationMode.NEGATIVE, headers=key)
    return _negative[provider]


@pytest.mark.parametrize("provider", PROVIDERS)
@given(data=st.data())
def test_schemathesis_negative_cases_that_are_refused_change_nothing(
        live: LiveServer, provider: str, data: st.DataObject) -> None:
    """Every request of schemathesis' negative phase (the profile's examples per provider,
    200 at the thorough profile): never a 5xx, a 4xx writes nothing, the server stays
    responsive."""
    case = data.draw(negative_cases(live, provider))
    base = OPENAPI[provider].removesuffix("/openapi.json")
    before = state(live)
    # a key of its own per call: a documented rate limit would turn later calls into 429s
    response = case.call(base_url=live.url + base, timeout=120,
                         headers=key_headers(provider, f"fuzz-{next(_keys)}"))
    assert response.status_code < 500, response.text[:500]
    if 400 <= response.status_code < 500:
        assert state(live) == before, f"{case.method} {case.path}: a refused request wrote state"
    assert_alive(live.url)


def test_a_websocket_handshake_over_the_header_limits_is_refused(live: LiveServer) -> None:
    url = live.url.replace("http://", "ws://") + "/musicgen/api/v1/ws/stream"
    padding = {f"X-Pad-{i}": "a" * 1000 for i in range(100)}

    async def handshake() -> None:
        async with websockets.connect(url, additional_headers={
                **key_headers("musicgen", "ws-headers"), **padding}):
            pass

    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(handshake())
    assert refused.value.response.status_code == 403
    assert_alive(live.url)


@pytest.mark.parametrize("body, status, says", [
    (b" " * (MIB + 1), 413, "limits.body_bytes"),
    (b"[" * 10_000 + b"]" * 10_000, 400, "levels deep"),
    (b'{"seconds": NaN}', 400, "NaN"),
], ids=["over the body limit", "nested 10,000 deep", "NaN"])
def test_the_admin_api_is_behind_the_same_limits(live: LiveServer, body: bytes, status: int,
                                                 says: str) -> None:
    before = state(live)
    response = httpx.post(live.url + "/_mock/clock/advance", content=body,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert says in response.json()["error"]
    assert state(live) == before
