"""Deliberately broken upstreams: the mock behind an ASGI middleware that rewrites one thing."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

import httpx
import numpy as np
import soundfile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.contracts.budget import Budget
from mockserver.contracts.core import Report, Target
from mockserver.contracts.providers import PROVIDERS
from mockserver.contracts.runner import Options, run_contract
from mockserver.core.settings import Settings
from mockserver.http.app import create_app
from mockserver.testing.servers import LocalServer

KEY = "drift-key"
Rewrite = Callable[[Scope, int, bytes], tuple[int, bytes]]
RequestRewrite = Callable[[Scope, bytes], tuple[Scope, bytes]]


class Rewriter:
    """Buffers responses to requests whose path contains ``match`` and rewrites them (and
    sets ``headers`` on them); ``request`` may rewrite the request (headers, body) first."""

    def __init__(self, app: ASGIApp, match: str, rewrite: Rewrite | None = None,
                 request: RequestRewrite | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.app, self.match, self.rewrite, self.request = app, match, rewrite, request
        self.headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        self.services = getattr(app, "services", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.match not in scope["path"]:
            await self.app(scope, receive, send)
            return
        if self.request is not None:
            scope, body = self.request(scope, await read_body(receive))
            sent = False

            async def receive() -> Message:  # noqa: F811 (the rewritten request)
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
        if self.rewrite is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            status, body = self.rewrite(scope, start["status"], b"".join(chunks))
            replaced = {b"content-length", *(k for k, _ in self.headers)}
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in replaced]
            headers += [*self.headers, (b"content-length", str(len(body)).encode())]
            await send({**start, "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


async def read_body(receive: Receive) -> bytes:
    """The whole body of an ASGI request."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def json_rewrite(change: Callable[[Any, int], tuple[int, Any] | None]) -> Rewrite:
    """A response rewrite over parsed JSON: ``change(body, status)`` -> (status, body) or None."""
    def rewrite(scope: Scope, status: int, raw: bytes) -> tuple[int, bytes]:
        try:
            data = json.loads(raw)
        except ValueError:
            return status, raw
        changed = change(data, status)
        return (status, raw) if changed is None else (changed[0], json.dumps(changed[1]).encode())
    return rewrite


def status_rewrite(statuses: dict[int, int]) -> Rewrite:
    """A response rewrite that answers another status (body unchanged): ``{old: new}``."""
    return lambda scope, status, raw: (statuses.get(status, status), raw)


def _with_body(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
    return {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}, body


def edit_form(change: Callable[[dict[str, str]], dict[str, str]]) -> RequestRewrite:
    """A request rewrite of the urlencoded form: ``change(fields)`` -> the fields sent."""
    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        return _with_body(scope, urlencode(change(dict(parse_qsl(body.decode())))).encode())
    return request


def drop_form_field(name: str) -> RequestRewrite:
    """A request rewrite that removes one urlencoded form field."""
    return edit_form(lambda fields: {k: v for k, v in fields.items() if k != name})


def edit_json(change: Callable[[Any], Any]) -> RequestRewrite:
    """A request rewrite of a JSON body: ``change(body)`` -> the body sent (bodies that are
    not JSON pass unchanged)."""
    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        try:
            data = json.loads(body)
        except ValueError:
            return scope, body
        return _with_body(scope, json.dumps(change(data)).encode())
    return request


def edit_query(change: Callable[[dict[str, str]], dict[str, str]]) -> RequestRewrite:
    """A request rewrite of the query string: ``change(params)`` -> the params sent."""
    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        params = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        return {**scope, "query_string": urlencode(change(params)).encode()}, body
    return request


def edit_path(change: Callable[[str], str]) -> RequestRewrite:
    """A request rewrite of the path: ``change(path)`` -> the path served."""
    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        path = change(scope["path"])
        return {**scope, "path": path, "raw_path": path.encode()}, body
    return request


def drop_header(name: bytes) -> RequestRewrite:
    """A request rewrite that removes one header."""
    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        return {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != name]}, body
    return request


def add_key(provider: str) -> RequestRewrite:
    """A request rewrite that sends the valid key when the caller sent none."""
    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        headers = dict(scope["headers"])
        extra = [(k.lower().encode(), v.encode())
                 for k, v in PROVIDERS[provider].auth(KEY).items()
                 if k.lower().encode() not in headers]
        return {**scope, "headers": [*scope["headers"], *extra]}, body
    return request


def tone(seconds: float, rate: int, fmt: str, hz: float = 440.0) -> bytes:
    """A sine tone as an audio file (``fmt``: WAV or FLAC, soundfile's names)."""
    t = np.arange(round(seconds * rate)) / rate
    out = io.BytesIO()
    soundfile.write(out, 0.5 * np.sin(2 * np.pi * hz * t), rate, format=fmt)
    return out.getvalue()


def replace_audio(fmt: str, rate: int | None = None) -> Rewrite:
    """A response rewrite that serves, instead of an audio file, a tone as long in ``fmt``
    at ``rate`` Hz (default: the file's rate); other answers pass unchanged."""
    def rewrite(scope: Scope, status: int, raw: bytes) -> tuple[int, bytes]:
        try:
            info = soundfile.info(io.BytesIO(raw))
        except (RuntimeError, soundfile.LibsndfileError):
            return status, raw
        return status, tone(info.duration, rate or info.samplerate, fmt)
    return rewrite


class HangUp:
    """Closes the connection, without a complete answer, on requests whose path contains
    ``match`` (the upstream fails at the transport level)."""

    def __init__(self, app: ASGIApp, match: str) -> None:
        self.app, self.match = app, match
        self.services = getattr(app, "services", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.match not in scope["path"]:
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"100")]})
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        # returning here leaves the answer incomplete: the server closes the connection


class Stall:
    """Never answers requests from a client whose User-Agent starts with ``agent``: each is
    held until the client gives up and disconnects (the upstream hangs)."""

    def __init__(self, app: ASGIApp, agent: bytes) -> None:
        self.app, self.agent = app, agent
        self.services = getattr(app, "services", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        agent = dict(scope.get("headers", [])).get(b"user-agent", b"")
        if scope["type"] != "http" or not agent.startswith(self.agent):
            await self.app(scope, receive, send)
            return
        while (await receive())["type"] != "http.disconnect":
            pass


class TamperWebhooks:
    """Points the webhook URL of each submit (a form or JSON field ``field`` of requests
    whose path contains ``match``) at itself, and forwards each webhook to the URL the
    caller gave with its JSON payload changed by ``change``."""

    RELAY = "/_drift/webhook"

    def __init__(self, app: ASGIApp, match: str, field: str,
                 change: Callable[[Any], Any]) -> None:
        self.change = change
        self.app = Rewriter(app, match, request=self._relay_through_here(field))
        self.services = getattr(app, "services", None)

    def _relay_through_here(self, field: str) -> RequestRewrite:
        def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
            host, port = scope["server"]

            def through(fields: Any) -> Any:
                if not isinstance(fields, dict) or field not in fields:
                    return fields
                relay = f"http://{host}:{port}{self.RELAY}?{urlencode({'to': fields[field]})}"
                return {**fields, field: relay}
            kind = dict(scope["headers"]).get(b"content-type", b"")
            return (edit_json(through) if b"json" in kind else edit_form(through))(scope, body)
        return request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.RELAY:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        target = parse_qs(scope["query_string"].decode())["to"][0]
        headers = {k.decode(): v.decode() for k, v in scope["headers"]
                   if k.lower() not in (b"host", b"content-length")}
        async with httpx.AsyncClient() as client:
            answer = await client.post(target, content=json.dumps(
                self.change(json.loads(body))).encode(), headers=headers)
        await send({"type": "http.response.start", "status": answer.status_code,
                    "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


@contextmanager
def run_server(tmp_path: Path, provider: str, wrap: Callable[[ASGIApp], ASGIApp],
               config: dict | None = None) -> Iterator[str]:
    """The wrapped mock (manual clock) on 127.0.0.1; yields the provider's base URL."""
    settings = Settings(state_path=str(tmp_path / "state.db"), clock="manual",
                        api_keys=(KEY,), providers=(provider,), config=config or {})
    with LocalServer(wrap(create_app(settings))) as server:
        yield server.url + PROVIDERS[provider].server_path


def run_broken(tmp_path: Path, provider: str, wrap: Callable[[ASGIApp], ASGIApp],
               checks: list[str] | None, config: dict | None = None,
               budget: Budget | None = None, **options: Any) -> Report:
    """Serve the wrapped mock on 127.0.0.1 and run the named checks (None: all) against it."""
    with run_server(tmp_path, provider, wrap, config) as base_url:
        return run_contract(Target(provider, base_url, KEY), budget or Budget(),
                            Options(**{"examples": 1, "checks": checks, **options}))


class ChargeReplays:
    """Answers idempotent replays as it should, but charges the account for each replay."""

    def __init__(self, app: ASGIApp, provider: str, header: bytes, units: int = 7) -> None:
        self.app, self.provider, self.header, self.units = app, provider, header, units
        self.services = app.services
        self.seen: set[bytes] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = dict(scope.get("headers", [])).get(self.header) if scope["type"] == "http" else None
        if key is not None:
            if key in self.seen:  # charged before answering, so the next read sees it
                self.services.accounts.charge(self.provider, KEY, self.units, "credits")
            self.seen.add(key)
        await self.app(scope, receive, send)
