"""``Recorder``: an ASGI middleware that saves every exchange of the app it wraps as a cassette.

It works around any app (the bundled mock, a proxy): ``locate(method, path)`` says which
provider served a path, the path below its base and the spec route, as the journal uses it.
``/_mock`` controls are not recorded; the mock's file downloads (``/_mock/files/<provider>/``)
are, as the provider's. Each exchange is written when its answer ends, so a killed recording
loses at most the exchanges in flight.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.core.files import PREFIX as FILES
from mockserver.http.journal import Location
from mockserver.http.origins import origin_of
from mockserver.recording import cassettes
from mockserver.recording.cassettes import Exchange, base_of, placeholders, request_body, response_body
from mockserver.recording.jobs import JobTracker
from mockserver.recording.redaction import redact_headers, redact_query_string

UNSTORED_REQUEST_HEADERS = {"host", "content-length"}
"""Transport headers a cassette leaves out (the host is the recording origin)."""
UNSTORED_RESPONSE_HEADERS = {"content-length"}
"""Recomputed when a replayed body is sent."""


def locate_download(method: str, path: str,
                    locate: Callable[[str, str], Location]) -> Location:
    """Where a request landed; a file download belongs to the provider its path names."""
    if path.startswith(FILES):
        provider = path[len(FILES):].partition("/")[0]
        return Location(provider or None, path, FILES + "{provider}/{name}")
    return locate(method, path)


def recorded(path: str) -> bool:
    """Whether a request to ``path`` is recorded (not a ``/_mock`` control)."""
    return path.startswith(FILES) or not path.startswith("/_mock")


class Recorder:
    """Record each HTTP exchange of ``app`` under ``directory`` (see ``cassettes.py``)."""

    def __init__(self, app: ASGIApp, directory: str | Path,
                 locate: Callable[[str, str], Location], *,
                 sensitive_headers: Iterable[str] = (),
                 clock: Callable[[], float] = time.time) -> None:
        """``clock`` gives the offsets (the mock's clock in tests, so that advancing it shows);
        ``sensitive_headers`` adds header names to redact (the providers' own)."""
        self.app = app
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.locate = locate
        self.sensitive = tuple(sensitive_headers)
        self.clock = clock
        self.started = clock()
        self.jobs = JobTracker()
        self._sequence = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not recorded(scope["path"]):
            await self.app(scope, receive, send)
            return
        seq, offset = next(self._sequence), self.clock() - self.started
        sent = bytearray()
        answer = bytearray()
        start: Message = {}

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                sent.extend(message.get("body", b""))
            return message

        async def send_and_keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                answer.extend(message.get("body", b""))
                if not message.get("more_body"):
                    self._save(scope, seq, offset, bytes(sent), start, bytes(answer))
            await send(message)

        await self.app(scope, receive_and_keep, send_and_keep)

    def _save(self, scope: Scope, seq: int, offset: float, sent: bytes, start: Message,
              answer: bytes) -> None:
        method, path = scope["method"], scope["path"]
        where = locate_download(method, path, self.locate)
        query = scope.get("query_string", b"").decode("latin-1")
        origin = origin_of(HTTPConnection(scope))
        stored = placeholders(origin, base_of(path, where.local_path))
        request_headers = [(n.decode("latin-1").lower(), v.decode("latin-1"))
                           for n, v in scope.get("headers", [])]
        response_headers = [(n.decode("latin-1").lower(), v.decode("latin-1"))
                            for n, v in start.get("headers", [])]
        status = int(start.get("status", 500))
        job = self.jobs.job_of(path, query, sent)
        job = self.jobs.learn(job, method, status, answer, origin)

        def content_type(headers: list[tuple[str, str]]) -> str:
            return next((value for name, value in headers if name == "content-type"), "")

        exchange = Exchange(
            seq=seq, provider=where.provider, job=job, offset=offset, route=where.route,
            method=method, path=where.local_path, query=redact_query_string(query),
            request_headers=redact_headers(
                [(n, stored(v)) for n, v in request_headers if n not in UNSTORED_REQUEST_HEADERS],
                self.sensitive),
            request_body=request_body(content_type(request_headers), sent, stored),
            status=status,
            response_headers=redact_headers(
                [(n, stored(v)) for n, v in response_headers
                 if n not in UNSTORED_RESPONSE_HEADERS], self.sensitive),
            response_body=response_body(content_type(response_headers), answer, stored),
        )
        cassettes.write(self.directory, exchange)
