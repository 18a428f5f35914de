"""``serve --replay DIR``: recorded requests get the recorded answers.

A request matches a recorded one on provider, method, path (below the provider's base),
query (parameters sorted) and normalised body (JSON with sorted keys, form fields sorted);
secrets are redacted on both sides first, so a redacted value matches whatever is sent. Of
several recorded answers to one request:

- a job's later request (a poll, a download) is answered on the mock's clock: once the job's
  submit was replayed at mock time T0, a request at time T gets the latest recorded answer
  whose offset from its submit is <= T - T0 (the first one before that);
- any other request gets the recorded answers in order, then the last one again.

The origin placeholders are replaced by the origin the request came to (and the provider's
base path here), and the mock's own file links, whose signatures were redacted, are signed
again with this server's key (byte-identical when both servers share ``files.signing_key``).
Unrecorded requests go on to the app (synthesized as usual), or with ``strict`` get 501 in
the provider's error format, naming the nearest recorded request and how it differs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.core.files import PREFIX as FILES
from mockserver.core.files import FileLinks
from mockserver.core.patterns import Difference, RequestFacts, RequestPattern
from mockserver.core.settings import InputLimits
from mockserver.http.errors import ApiError, ErrorFormat, InputRefused, send_error, send_json
from mockserver.http.input_guard import read_body, with_length
from mockserver.http.journal import Location
from mockserver.http.origins import origin_of
from mockserver.http.plain_errors import PLAIN_ERRORS
from mockserver.recording.cassettes import (
    Body,
    Exchange,
    base_of,
    matched_fields,
    placeholders,
    request_body,
    substituted,
)
from mockserver.recording.recorder import UNSTORED_REQUEST_HEADERS, locate_download, recorded
from mockserver.recording.redaction import MARKER, redact_query_string

Key = tuple[str | None, str, str, tuple[tuple[str, str], ...], str]
"""(provider, method, path below the base, sorted query, normalised body)."""
SHOWN_DIFFERENCES = 5


def query_pairs(query: str) -> tuple[tuple[str, str], ...]:
    """A (redacted) query string as sorted (name, value) pairs."""
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


@dataclass(frozen=True)
class Incoming:
    """A request as it is matched against the recording."""

    provider: str | None
    method: str
    path: str
    route: str | None
    query: str
    body: Body

    def key(self) -> Key:
        """What a recorded request must equal to answer this one."""
        return (self.provider, self.method, self.path, query_pairs(self.query),
                self.body.normalised())


def key_of(exchange: Exchange) -> Key:
    """The key of a recorded request."""
    return (exchange.provider, exchange.method, exchange.path, query_pairs(exchange.query),
            exchange.request_body.normalised())


def differences(recorded: Exchange, incoming: Incoming) -> list[Difference]:
    """How ``incoming`` differs from a recorded request (redacted values are not compared)."""
    body = recorded.request_body
    fields = matched_fields(body.value) if body.kind in ("json", "form") and isinstance(
        body.value, dict) else {}
    pattern = RequestPattern(
        provider=recorded.provider, method=recorded.method, path=recorded.path,
        body={name: {"equals": value} if isinstance(value, (dict, list)) else value
              for name, value in fields.items() if value != MARKER})
    sent = matched_fields(incoming.body.value) if incoming.body.kind in ("json", "form") else None
    found = pattern.differences(RequestFacts(incoming.provider, incoming.method, incoming.path,
                                             incoming.route, {}, sent))
    if isinstance(sent, dict):
        found += [Difference(f"body.{name}", {"absent": True}, value)
                  for name, value in sent.items() if name not in fields]
    elif body.normalised() != incoming.body.normalised():
        found.append(Difference("body", body.normalised()[:200], incoming.body.normalised()[:200]))
    expected, actual = dict(query_pairs(recorded.query)), dict(query_pairs(incoming.query))
    for name in sorted(set(expected) | set(actual)):
        if expected.get(name) != actual.get(name):  # a redacted value is the marker on both
            want = expected[name] if name in expected else {"absent": True}
            found.append(Difference(f"query.{name}", want, actual.get(name, "(absent)")))
    return found


class Library:
    """The recorded exchanges, and which answer each request gets (see the module's doc)."""

    def __init__(self, exchanges: Sequence[Exchange]) -> None:
        self.exchanges = list(exchanges)
        self._by_key: dict[Key, list[Exchange]] = defaultdict(list)
        self._submits: dict[str, Exchange] = {}
        for exchange in self.exchanges:
            self._by_key[key_of(exchange)].append(exchange)
            if exchange.job is not None:
                self._submits.setdefault(exchange.job, exchange)
        self._served: dict[Key, int] = defaultdict(int)
        self._started: dict[str, float] = {}
        """A job -> the mock time its submit was replayed."""

    def answer(self, incoming: Incoming, now: float) -> Exchange | None:
        """The recorded exchange that answers ``incoming`` at mock time ``now``; None when
        nothing recorded matches."""
        key = incoming.key()
        candidates = self._by_key.get(key)
        if not candidates:
            return None
        job = candidates[0].job
        submit = self._submits.get(job) if job is not None else None
        if submit is not None and submit is not candidates[0] and job in self._started:
            elapsed = now - self._started[job]
            due = [c for c in candidates if c.offset - submit.offset <= elapsed + 1e-9]
            return due[-1] if due else candidates[0]
        chosen = candidates[min(self._served[key], len(candidates) - 1)]
        self._served[key] += 1
        if submit is chosen and job is not None:
            self._started.setdefault(job, now)
        return chosen

    def nearest(self, incoming: Incoming) -> tuple[Exchange, list[Difference]] | None:
        """The recorded request closest to ``incoming`` (fewest differences, earliest
        first) and how they differ; None for an empty recording."""
        ranked = sorted(((differences(e, incoming), e) for e in self.exchanges),
                        key=lambda pair: (len(pair[0]), pair[1].seq))
        return (ranked[0][1], ranked[0][0]) if ranked else None


SIGNED_LINK = re.compile(
    r"(?P<path>" + re.escape(FILES) + r"(?P<provider>[^/?\s\"]+)/(?P<name>[^?\s\"]+))"
    r"\?expires=(?P<expires>\d+)&signature=" + re.escape(MARKER))
"""A mock file link (after the origin) whose signature was redacted."""


def relinked(text: str, origin: str, files: FileLinks) -> str:
    """``text`` with the mock's file links on ``origin`` signed again by ``files``."""
    pattern = re.compile(re.escape(origin) + SIGNED_LINK.pattern)
    return pattern.sub(lambda m: files.link(origin, m["provider"], m["name"], int(m["expires"])),
                       text)


class Replayer:
    """Answer recorded requests from the cassettes in front of ``app`` (the mock)."""

    def __init__(self, app: ASGIApp, library: Library, locate: Callable[[str, str], Location],
                 clock: Callable[[], float], *, strict: bool = False,
                 errors: Mapping[str, ErrorFormat] | None = None,
                 files: FileLinks | None = None, body_limit: int = InputLimits().body_bytes
                 ) -> None:
        """``errors`` are the providers' error formats (for strict 501s and refusals),
        ``files`` this server's file links (to sign replayed links again), ``body_limit`` the
        largest body a served provider takes (a larger one is refused before it is held)."""
        self.app = app
        self.library = library
        self.locate = locate
        self.clock = clock
        self.strict = strict
        self.errors = dict(errors or {})
        self.files = files
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not recorded(scope["path"]):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        where = locate_download(method, path, self.locate)
        try:
            raw = await read_body(receive, self.body_limit)
        except InputRefused as exc:
            fmt = self.errors.get(where.provider or "", PLAIN_ERRORS)
            await send_error(send, fmt, exc.api_error(fmt))
            return
        if raw is None:
            return  # the client has gone
        scope, receive = with_length(scope, receive, raw)
        origin = origin_of(HTTPConnection(scope))
        base = base_of(path, where.local_path)
        headers = {n.decode("latin-1").lower(): v.decode("latin-1")
                   for n, v in scope.get("headers", []) if n.decode("latin-1").lower()
                   not in UNSTORED_REQUEST_HEADERS}
        incoming = Incoming(
            where.provider, method, where.local_path, where.route,
            redact_query_string(scope.get("query_string", b"").decode("latin-1")),
            request_body(headers.get("content-type", ""), raw, placeholders(origin, base)))
        exchange = self.library.answer(incoming, self.clock())
        if exchange is not None:
            await self._replay(send, exchange, origin, base)
        elif self.strict:
            await self._refuse(send, incoming)
        else:
            await self.app(scope, receive, send)

    async def _replay(self, send: Send, exchange: Exchange, origin: str, base: str) -> None:
        def here(text: str) -> str:
            text = substituted(text, origin, base)
            return relinked(text, origin, self.files) if self.files is not None else text

        body = exchange.response_body
        data = body.data if body.kind == "file" else here(str(body.value)).encode("utf-8")
        headers = [(n.encode("latin-1"), here(v).encode("latin-1"))
                   for n, v in exchange.response_headers]
        headers.append((b"content-length", str(len(data)).encode()))
        await send({"type": "http.response.start", "status": exchange.status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    async def _refuse(self, send: Send, incoming: Incoming) -> None:
        found = self.library.nearest(incoming)
        message = f"replay: no recorded exchange matches {incoming.method} {incoming.path}"
        headers: dict[str, str] = {}
        if found is None:
            message += "; the recording is empty"
        else:
            nearest, differ = found
            shown = "; ".join(d.describe() for d in differ[:SHOWN_DIFFERENCES])
            message += (f"; nearest recorded: {nearest.method} {nearest.path} ({nearest.file})"
                        f"{': ' + shown if shown else ''}")
            headers["X-Mock-Replay-Nearest"] = nearest.file
        fmt = self.errors.get(incoming.provider or "")
        if fmt is None:
            await send_json(send, 501, {"error": message}, headers)
        else:
            await send_error(send, fmt, ApiError(501, message, headers=headers))

