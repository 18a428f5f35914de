"""Faults at the edge: the fault rules that fire on a provider's request (``/_mock/faults``,
the config's ``faults``) and the ``Prefer`` header, as ASGI middleware in front of one
provider app (inside the input guard, outside the rate limit and connexion).

What fires is counted in ``core/faults/rules.py``; this module does it: a status in the
provider's own error body (with its documented headers: ``Retry-After`` on a 429), a delay,
a dropped connection, a malformed or truncated body, and it arms job and webhook faults for
the machinery past the edge (``core/faults/armed.py``). The id of each rule that fired goes
to the journal (``FAULTS_KEY``).

A dropped connection needs the server's transport, which only the outermost layer sees:
``ConnectionAccess`` (outside the journal, which wraps ``send``) puts a ``Connection`` in the
scope under uvicorn. Without one (an in-process ASGI call) a drop raises ``ConnectionDropped``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.core.clock import Clock
from mockserver.core.faults.armed import Armed, JobFault, WebhookFault, arming
from mockserver.core.faults.rules import FaultRules, Fired
from mockserver.core.patterns import RequestFacts, parse_body
from mockserver.core.ratelimit import Decision
from mockserver.core.settings import InputLimits
from mockserver.http.errors import ApiError, ErrorFormat, send_error, send_json
from mockserver.http.input_guard import off_loop, read_body, with_length
from mockserver.http.journal import FAULTS_KEY
from mockserver.http.prefer import Canned, Preference, PreferRefused, canned_answer, has_prefer, read_prefer
from mockserver.openapi.spec_index import SpecIndex

CONNECTION_KEY = "mockserver.connection"
"""The scope key of the request's ``Connection`` (under uvicorn only)."""


class ConnectionDropped(Exception):
    """A fault dropped the connection of a request served without a socket (in-process)."""


class Transport(Protocol):
    """What a connection fault needs of a server's transport (asyncio's or uvloop's)."""

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...
    def abort(self) -> None: ...
    def close(self) -> None: ...


class Connection:
    """The server's transport of one request: closed or reset on purpose."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def reset(self) -> None:
        """Abort the connection with a TCP reset (SO_LINGER 0: no orderly close)."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def close(self) -> None:
        """Close the connection after what was written so far."""
        self.transport.close()


class ConnectionAccess:
    """The outermost layer: hand the request's transport (uvicorn's) to the fault layer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # uvicorn's ``send`` is a bound method of its request cycle, which has the transport
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if all(hasattr(transport, name) for name in ("get_extra_info", "abort", "close")):
                scope[CONNECTION_KEY] = Connection(transport)
        await self.app(scope, receive, send)


async def drop(scope: Scope, *, reset: bool) -> None:
    """Drop the request's connection: a reset, or a close after what was sent."""
    connection = scope.get(CONNECTION_KEY)
    if connection is None:
        raise ConnectionDropped("a fault rule dropped the connection"
                                if reset else "a fault rule cut the response short")
    connection.reset() if reset else connection.close()
    for _ in range(3):  # let the server see the connection gone before the app returns
        await asyncio.sleep(0)


@dataclass(frozen=True)
class Plan:
    """What the rules that fired on one request do, together: their delays add up; the first
    status or reset answers; the first body, job and webhook fault apply."""

    delay: float = 0.0
    answer: Fired | None = None
    body: str | None = None
    armed: Armed = Armed()

    @classmethod
    def of(cls, fired: list[Fired]) -> Plan:
        """The plan for the rules that fired, in id order."""
        answer = next((f for f in fired if f.rule.action.status or f.rule.action.reset), None)
        body = next((f.rule.action.body for f in fired if f.rule.action.body), None)
        job = next((JobFault(f.rule.id) for f in fired if f.rule.action.job), None)
        webhook = next((WebhookFault(f.rule.id, f.rule.action.webhook, f.rule.action.seconds)
                        for f in fired if f.rule.action.webhook), None)
        return cls(delay=sum(f.delay_seconds for f in fired), answer=answer, body=body,
                   armed=Armed(job=job, webhook=webhook))


_WINDOW_HEADERS: dict[str, Callable[[Decision], int]] = {
    "retry-after": lambda d: d.retry_after,
    "x-ratelimit-limit": lambda d: d.limit,
    "x-ratelimit-remaining": lambda d: d.remaining,
    "x-ratelimit-reset": lambda d: math.ceil(d.reset_at),
}


def documented_headers(index: SpecIndex, operation: dict[str, Any], status: int,
                       decision: Decision) -> dict[str, str]:
    """Values for the headers the spec documents on ``operation``'s ``status`` response: the
    rate-limit headers from ``decision``, others from their documented example."""
    response = index.response(operation, status) or {}
    found: dict[str, str] = {}
    for name, header in (response.get("headers") or {}).items():
        header = index.resolve(header)
        schema = index.resolve(header.get("schema") or {})
        if name.lower() in _WINDOW_HEADERS:
            found[name] = str(_WINDOW_HEADERS[name.lower()](decision))
        elif "example" in header or "example" in schema:
            found[name] = str(header.get("example", schema.get("example")))
    return found


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "injected fault"


class FaultMiddleware:
    """ASGI middleware: fire fault rules and honour ``Prefer`` on one provider's requests."""

    def __init__(self, app: ASGIApp, *, provider: str, base: str, index: SpecIndex,
                 rules: FaultRules, clock: Clock, errors: ErrorFormat,
                 limit_headers: Callable[[Decision], dict[str, str]],
                 requests_per_window: int | None, limits: InputLimits) -> None:
        self.app = app
        self.provider = provider
        self.base = base
        self.index = index
        self.rules = rules
        self.clock = clock
        self.errors = errors
        self.limit_headers = limit_headers
        self.requests_per_window = requests_per_window or 0
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (self.rules.active or has_prefer(scope["headers"])):
            await self.app(scope, receive, send)  # the common path: nothing to do
            return
        try:
            preference = read_prefer(scope["headers"])
        except PreferRefused as exc:
            await send_error(send, self.errors, ApiError(400, str(exc)))
            return
        fired: list[Fired] = []
        if self.rules.active:
            facts = await self._facts(scope, receive)
            if facts is None:
                return  # the client has gone
            request, scope, receive = facts
            fired = self.rules.fire(request)
            scope.setdefault(FAULTS_KEY, []).extend(f.rule.id for f in fired)
        plan = Plan.of(fired)
        delay = plan.delay + (preference.delay_ms / 1000 if preference else 0)
        if delay:
            await asyncio.sleep(delay)
        if plan.answer is not None:
            await self._fault_answer(scope, send, plan.answer)
            return
        if preference is not None and await self._preferred(scope, send, preference):
            return
        spoiled = _Spoiled(send, plan.body) if plan.body else None
        with arming(plan.armed):
            await self.app(scope, receive, spoiled.send if spoiled else send)
        if spoiled is not None and spoiled.cut:
            await drop(scope, reset=False)

    async def _facts(self, scope: Scope, receive: Receive) -> tuple[RequestFacts, Scope, Receive] | None:
        """The request as rules see it; the body is read (and replayed) only when a rule
        matches on a body field."""
        path: str = scope["path"]
        method: str = scope["method"]
        found = self.index.find(method, path)
        headers = Headers(scope=scope)
        body: Any = None
        if self.rules.reads_body:
            raw = await read_body(receive, self.limits.body_bytes)
            if raw is None:
                return None
            scope, receive = with_length(scope, receive, raw)
            body = await off_loop(len(raw), parse_body, headers.get("content-type", ""), raw)
        request = RequestFacts(
            provider=self.provider, method=method, local_path=path[len(self.base):] or "/",
            route=found[0] if found else None,
            headers={name.lower(): value for name, value in headers.items()}, body=body)
        return request, scope, receive

    def _decision(self, retry_after: float) -> Decision:
        wait = max(1, math.ceil(retry_after))
        return Decision(False, self.requests_per_window, 0, self.clock.now() + wait, wait)

    async def _error(self, scope: Scope, send: Send, status: int, message: str,
                     retry_after: float = 0) -> None:
        """``status`` in the provider's error body, with the headers documented for it."""
        decision = self._decision(retry_after)
        operation = self.index.operation(scope["method"], scope["path"])
        headers = documented_headers(self.index, operation, status, decision) if operation else {}
        if status == 429:  # the provider's own rate-limit headers win over the spec's names
            headers = {name.lower(): value for name, value in headers.items()}
            headers.update({name.lower(): value for name, value in self.limit_headers(decision).items()})
        await send_error(send, self.errors, ApiError(
            status, message, code="RATE_LIMIT_EXCEEDED" if status == 429 else None,
            headers=headers))

    async def _fault_answer(self, scope: Scope, send: Send, fired: Fired) -> None:
        action = fired.rule.action
        if action.reset:
            await drop(scope, reset=True)
            return
        assert action.status is not None
        message = action.message or _phrase(action.status)
        await self._error(scope, send, action.status, f"fault rule {fired.rule.id}: {message}",
                          action.seconds)

    async def _preferred(self, scope: Scope, send: Send, preference: Preference) -> bool:
        """Answer as ``preference`` asks; False when the handler is to answer."""
        operation = self.index.operation(scope["method"], scope["path"])
        if operation is None:
            return False  # no such operation: the app's 404 or 405 answers
        try:
            answer = canned_answer(self.index, operation, preference)
        except PreferRefused as exc:
            await send_error(send, self.errors, ApiError(400, str(exc)))
            return True
        if answer is None:
            return False
        if isinstance(answer, Canned):
            allowed = Decision(True, self.requests_per_window, self.requests_per_window,
                               self.clock.now(), 0)
            headers = documented_headers(self.index, operation, answer.status, allowed)
            await send_json(send, answer.status, answer.body, headers, answer.media_type)
            return True
        await self._error(scope, send, answer, f"Prefer: code={answer} ({_phrase(answer)})")
        return True


class _Spoiled:
    """A ``send`` that spoils the response body: ``malformed`` (the first half of the body,
    its Content-Length fixed) or ``truncated`` (the real headers, half the body, then the
    connection is closed: ``cut``)."""

    def __init__(self, send: Send, kind: str) -> None:
        self._send = send
        self.kind = kind
        self.cut = False
        self._start: Message | None = None
        self._chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        """Hold the response until its body is complete, then send it spoiled."""
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self._chunks)
        half = body[:len(body) // 2]
        if self.kind == "malformed":
            headers = [(n, v) for n, v in self._start.get("headers", [])
                       if n.lower() != b"content-length"]
            headers.append((b"content-length", str(len(half)).encode()))
            await self._send({**self._start, "headers": headers})
            await self._send({"type": "http.response.body", "body": half})
        else:
            await self._send(self._start)
            await self._send({"type": "http.response.body", "body": half, "more_body": True})
            self.cut = True
