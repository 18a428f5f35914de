"""The request journal: every request the server answered, with keys redacted (also keys
sent in a header the provider does not read, such as ``X-API-Key`` or another provider's,
and keys in the query string, such as ``?token=``).

An ASGI middleware records method, path, query, status, provider, headers (secrets
redacted, each value cut to ``HEADER_LIMIT`` characters) and the first few KiB of the body
into the ``journal`` table, like WireMock's request log; ``GET /_mock/journal`` reads it back.
A cut value ends with ``…[cut: N characters]``. Each entry also says where the request landed:
the path below the provider's base (``local_path``), the spec path it matched (``route``,
e.g. ``/generate/{task_id}``) and the ids of the fault rules that fired on it (``faults``;
whoever fires one appends its id to the scope's ``FAULTS_KEY`` list).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.core.clock import Clock
from mockserver.core.deferred import Deferred
from mockserver.core.json_codec import dumps
from mockserver.core.keyhash import clip, redact_query
from mockserver.core.store import Store
from mockserver.http.keys import CREDENTIAL_HEADER

BODY_LIMIT = 4096
HEADER_LIMIT = 1024
"""Characters kept of one header value (a 1 MB header is stored as 1 KiB and a marker)."""
URL_LIMIT = 4096
"""Characters kept of the path and of the query string."""
HEADER_COUNT_LIMIT = 100
"""Headers kept per request; the rest are counted under the name ``…``."""
KEEP_ROWS = 10_000
SENSITIVE = {"authorization", "x-api-key", "cookie"}
FAULTS_KEY = "mockserver.faults"
"""The scope key of the list of fault rule ids that fired on a request."""
JOURNAL_ENTRY_KEY = "mockserver.journal_entry"
"""The scope key of the request's queued journal row (``journal_id`` reads its id)."""


@dataclass(frozen=True)
class Location:
    """Where a request path landed: the provider serving it, the path below that provider's
    base, and the spec path template of its operation (None: no such operation)."""

    provider: str | None
    local_path: str
    route: str | None


def nowhere(path: str) -> Location:
    """The location of a path no provider serves."""
    return Location(None, path, None)


class JournalMiddleware:
    """Record each HTTP request (admin calls excluded) as its response ends."""

    def __init__(
        self,
        app: ASGIApp,
        store: Store,
        clock: Clock,
        locate: Callable[[str, str], Location],
        sensitive_headers: set[str],
    ) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.locate = locate
        """(method, path) -> where the request landed."""
        self.sensitive = SENSITIVE | {h.lower() for h in sensitive_headers}
        self._count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body = bytearray()
        status = 0
        fired: list[int] = scope.setdefault(FAULTS_KEY, [])

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < BODY_LIMIT:
                body.extend(message.get("body", b"")[: BODY_LIMIT - len(body)])
            return message

        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self._record(scope, status or 500, bytes(body), time.perf_counter() - started,
                             fired)

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # recorded before the last byte leaves: a client that asks /_mock/journal or
                # /_mock/verify right after its answer always finds its request there
                record()
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_watch)
        finally:
            record()

    def _record(self, scope: Scope, status: int, body: bytes, elapsed: float,
                fired: list[int]) -> None:
        headers: dict[str, Any] = {}
        raw_headers = scope.get("headers", [])
        for raw_name, raw_value in raw_headers[:HEADER_COUNT_LIMIT]:
            name = clip(raw_name.decode("latin-1").lower(), HEADER_LIMIT)
            value = raw_value.decode("latin-1")
            secret = name in self.sensitive or CREDENTIAL_HEADER.search(name)
            headers[name] = (self.store.keys.label_credential(value) if secret
                             else clip(value, HEADER_LIMIT))
        if len(raw_headers) > HEADER_COUNT_LIMIT:
            headers["…"] = f"{len(raw_headers) - HEADER_COUNT_LIMIT} more headers not kept"
        query = redact_query(scope.get("query_string", b"").decode("latin-1"),
                             self.store.keys.label)
        where = self.locate(scope["method"], scope["path"])
        # queued, not written: the store writes journal rows in batches off the request path
        # (``core/deferred.py``); readers of the journal flush the queue first
        scope[JOURNAL_ENTRY_KEY] = self.store.defer(
            "INSERT INTO journal (at, provider, method, path, query, status, headers, body,"
            " elapsed_ms, local_path, route, faults) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                self.clock.isoformat(), where.provider, scope["method"],
                clip(scope["path"], URL_LIMIT), clip(query, URL_LIMIT), status,
                dumps(headers), body.decode("utf-8", "replace"), round(elapsed * 1000, 3),
                clip(where.local_path, URL_LIMIT), where.route,
                dumps(fired) if fired else None,
            ),
        )
        self._count += 1
        if self._count % 1000 == 0:
            self.store.defer(
                "DELETE FROM journal WHERE id <= (SELECT MAX(id) FROM journal) - ?", (KEEP_ROWS,)
            )


def journal_id(scope: Scope, store: Store) -> int | None:
    """The journal id of the request ``scope`` was (its row written now if still queued);
    None for a request the journal did not record."""
    entry: Deferred | None = scope.get(JOURNAL_ENTRY_KEY)
    if entry is None:
        return None
    if not entry.written:
        store.flush(everywhere=False)  # this worker's own row
    return entry.rowid


def read_journal(store: Store, limit: int = 100, provider: str | None = None) -> list[dict]:
    """The newest journal entries first."""
    sql = "SELECT * FROM journal"
    params: list[Any] = []
    if provider:
        sql += " WHERE provider = ?"
        params.append(provider)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    store.flush()  # a request answered a moment ago may still be queued
    rows = store.all(sql, params)
    return [
        {
            "id": r["id"], "at": r["at"], "provider": r["provider"], "method": r["method"],
            "path": r["path"], "query": r["query"], "status": r["status"],
            "headers": json.loads(r["headers"]), "body": r["body"], "elapsed_ms": r["elapsed_ms"],
            "local_path": r["local_path"], "route": r["route"],
            "faults": json.loads(r["faults"]) if r["faults"] else [],
        }
        for r in rows
    ]
