"""The input guard: one set of limits for every provider's requests and websocket messages.

- ``InputGuard``, ASGI middleware in front of each provider app and ``/_mock``: a URL (414),
  a header or all headers (431) or a declared body (413) over its limit is refused before the
  app sees the request or reads its body; a body without ``Content-Length`` (chunked) is read
  while it streams in, refused once it passes the limit (so no more than the limit is ever
  held), and handed on with its length.
- ``loads``: strict JSON for request bodies and websocket messages. ``NaN``/``Infinity`` (and
  numbers that overflow to infinity) are refused; nesting depth, items per array or object
  and string length are checked on the raw bytes before parsing, so deep or huge input never
  reaches a recursive parser or a validator.
- ``off_loop``: work on a large body runs in a worker thread, so it never holds up other
  requests.

Limits come from ``Settings.input_limits`` (the config's ``limits`` section).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import math
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.core.settings import InputLimits
from mockserver.http.errors import ErrorFormat, InputRefused, elide, send_error

T = TypeVar("T")

OFFLOAD_BYTES = 64 * 1024
"""Bodies larger than this are parsed and validated in a worker thread."""

# One worker: the work is pure Python, so more threads would not finish it sooner, only
# take the interpreter lock from the event loop more often.
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mockserver-input")

# 19 digits in a row: a number orjson may read as a float where ``json`` keeps an int
_LONG_NUMBER = re.compile(rb"[0-9]{19}")
# A JSON string (escapes included), or one structural character.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[][{},]', re.DOTALL)
_QUOTE, _COMMA, _OPEN = ord('"'), ord(","), (ord("["), ord("{"))


def check_structure(raw: bytes, limits: InputLimits, what: str = "request body") -> None:
    """Refuse JSON text nested deeper than ``limits.depth``, with an array or object of more
    than ``limits.items`` items, or a string longer than ``limits.field_bytes``.

    Counting characters first (at C speed) skips the scan for every body that cannot break
    a limit; the scan itself stops at the first broken one.
    """
    deep = raw.count(b"[") + raw.count(b"{") > limits.depth
    many = raw.count(b",") >= limits.items
    long = len(raw) > limits.field_bytes
    if not (deep or many or long):
        return
    open_items: list[int] = []  # commas seen so far in each open array or object
    for match in _TOKEN.finditer(raw):
        token = match.group()
        first = token[0]
        if first == _QUOTE:
            if len(token) - 2 > limits.field_bytes:
                raise InputRefused(
                    f"{what} has a string of {len(token) - 2} bytes; the limit is"
                    f" {limits.field_bytes} bytes (limits.field_bytes)", 413)
        elif first in _OPEN:
            open_items.append(0)
            if len(open_items) > limits.depth:
                raise InputRefused(f"{what} nests arrays and objects more than {limits.depth}"
                                   f" levels deep (limits.depth)")
        elif first == _COMMA:
            if open_items:
                open_items[-1] += 1
                if open_items[-1] >= limits.items:
                    raise InputRefused(f"{what} has an array or object of more than"
                                       f" {limits.items} items (limits.items)", 413)
        elif open_items:
            open_items.pop()


class _NotJsonNumber(ValueError):
    """A number JSON cannot carry (NaN, Infinity, or one too large for a float)."""


def _no_constant(name: str) -> Any:
    raise _NotJsonNumber(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotJsonNumber(f"the number {elide(text, 40)} is too large")
    return value


def loads(raw: bytes, limits: InputLimits, what: str = "request body",
          encoding: str = "utf-8") -> Any:
    """Parse ``raw`` as strict JSON within ``limits``; ``InputRefused`` says why not."""
    if len(raw) > limits.body_bytes:
        raise InputRefused(f"{what} is {len(raw)} bytes; the limit is {limits.body_bytes}"
                           f" bytes (limits.body_bytes)", 413)
    try:
        text = raw.decode(encoding)
        utf8 = codecs.lookup(encoding).name == "utf-8"
    except (UnicodeDecodeError, LookupError):
        raise InputRefused(f"{what} is not valid UTF-8 text") from None
    check_structure(raw if utf8 else text.encode("utf-8"), limits, what)
    if utf8 and not _LONG_NUMBER.search(raw):
        # orjson refuses what strict JSON refuses (NaN, Infinity, a number that overflows);
        # anything it refuses goes on to the standard parser, whose messages say why
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(raw)
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except _NotJsonNumber as exc:
        raise InputRefused(f"{what} is not valid JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputRefused(f"{what} is not valid JSON: {exc}") from None
    except ValueError:  # int() refuses very long digit strings
        raise InputRefused(f"{what} is not valid JSON: a number has more than"
                           f" {sys.get_int_max_str_digits()} digits") from None
    except RecursionError:  # only if limits.depth is near Python's recursion limit
        raise InputRefused(f"{what} nests arrays and objects too deeply") from None


async def off_loop(size: int, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``; in the input worker thread when ``size`` (bytes of input) makes it
    heavy (large bodies then wait for each other, never the event loop)."""
    if size > OFFLOAD_BYTES:
        return await asyncio.get_running_loop().run_in_executor(_WORKER, fn, *args)
    return fn(*args)


def request_refusal(scope: Scope, limits: InputLimits) -> InputRefused | None:
    """Why a request (or websocket handshake) is refused before its body is read, if it is:
    its URL, a header, all headers, or its declared body length over a limit."""
    url = len(scope.get("raw_path") or scope.get("path", "").encode()) + len(
        scope.get("query_string", b""))
    if url > limits.url_bytes:
        return InputRefused(f"the URL is {url} bytes; the limit is {limits.url_bytes} bytes"
                            f" (limits.url_bytes)", 414)
    total = 0
    for name, value in scope.get("headers", []):
        size = len(name) + len(value)
        total += size
        if size > limits.header_bytes:
            shown = elide(name.decode("latin-1"), 40)
            return InputRefused(f"request header {shown!r} is {size} bytes; the limit is"
                                f" {limits.header_bytes} bytes (limits.header_bytes)", 431)
    if total > limits.headers_bytes:
        return InputRefused(f"the request headers are {total} bytes; the limit is"
                            f" {limits.headers_bytes} bytes (limits.headers_bytes)", 431)
    declared = Headers(scope=scope).get("content-length", "")
    if declared.isdigit() and int(declared) > limits.body_bytes:
        return InputRefused(f"request body is {int(declared)} bytes; the limit is"
                            f" {limits.body_bytes} bytes (limits.body_bytes)", 413)
    return None


def streamed(scope: Scope) -> bool:
    """Whether a request sends a body without declaring its length (chunked)."""
    names = {name.lower() for name, _ in scope.get("headers", [])}
    return b"transfer-encoding" in names and b"content-length" not in names


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, refused (413) as soon as it passes ``limit`` bytes; None if the
    client leaves first."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body.extend(message.get("body", b""))
        if len(body) > limit:
            raise InputRefused(f"request body is larger than {limit} bytes"
                               f" (limits.body_bytes)", 413)
        if not message.get("more_body", False):
            return bytes(body)


def with_length(scope: Scope, receive: Receive, body: bytes) -> tuple[Scope, Receive]:
    """The request as if it had been sent with ``Content-Length``: connexion reads only
    bodies that declare a length (it took a chunked body for no body at all)."""
    headers = [(name, value) for name, value in scope["headers"]
               if name.lower() not in (b"transfer-encoding", b"content-length")]
    headers.append((b"content-length", str(len(body)).encode()))
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return {**scope, "headers": headers}, replay


class InputGuard:
    """ASGI middleware: refuse requests over the input limits in ``errors``' format."""

    def __init__(self, app: ASGIApp, limits: InputLimits, errors: ErrorFormat) -> None:
        self.app = app
        self.limits = limits
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = request_refusal(scope, self.limits)
        if refusal is None and scope["type"] == "http" and streamed(scope):
            try:
                body = await read_body(receive, self.limits.body_bytes)
            except InputRefused as exc:
                refusal = exc
            else:
                if body is None:
                    return  # the client has gone
                scope, receive = with_length(scope, receive, body)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect; closing before accepting answers 403
            reason = refusal.message.encode()[:120].decode(errors="ignore")  # 123 bytes at most
            await send({"type": "websocket.close", "code": 1008, "reason": reason})
        else:
            await send_error(send, self.errors, refusal.api_error(self.errors))
