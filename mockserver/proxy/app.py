"""``create_proxy_app``: one ASGI app that serves a provider's paths at the root of its port,
forwards every request to the upstream, and reports how the traffic departs from the spec.

Every forwarded request passes the mock's journal (keys redacted as the mock's are). Its
answer carries ``X-Mock-Violations: N``; the violations are kept with the journal id of the
request that showed them (``/_mock/violations``, ``/_mock/journal``) and summed up when the
proxy stops. The CLI composes the returned app with whatever else wraps it (a recorder).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from mockserver.contracts.schema import Finding, check_response
from mockserver.core.clock import Clock
from mockserver.core.store import Store
from mockserver.http.admin_access import AdminAccess, AdminGuard
from mockserver.http.app import server_path
from mockserver.http.errors import ApiError, send_error
from mockserver.http.journal import JournalMiddleware, Location, journal_id
from mockserver.http.origins import origin_of
from mockserver.openapi.spec_index import index_for
from mockserver.providers import Provider
from mockserver.proxy.admin import RELAY_PREFIX, VIOLATIONS_HEADER, proxy_admin_app
from mockserver.proxy.audio import AudioClaims, check_length, inline_audio, rewrite_urls
from mockserver.proxy.request_checks import RequestChecker
from mockserver.proxy.summary import Summary, operation_of, proxy_report
from mockserver.proxy.upstream import (
    DECODED,
    HOP_BY_HOP,
    UPSTREAM_PREFIX,
    Upstream,
    UpstreamUnreachable,
    passing_headers,
)
from mockserver.proxy.violations import Seen, Violations, curl_for
from mockserver.proxy.webhooks import Relays, WebhookCheck, callback_fields, webhook_operations


@dataclass
class ProxyState:
    """What the proxy keeps for one run: its store and clock, the violations, the relays."""

    provider: Provider
    upstream: Upstream
    store: Store
    clock: Clock
    violations: Violations
    relays: Relays
    webhooks: WebhookCheck
    public_url: str | None = None
    """The proxy's URL as the provider reaches it (relay URLs); None: the URL the app used."""
    claims: AudioClaims = field(default_factory=AudioClaims)
    started: float = field(default_factory=time.monotonic)

    def origin(self, scope: Scope) -> str:
        """The proxy's origin for URLs handed out while answering ``scope``."""
        return (self.public_url or origin_of(HTTPConnection(scope))).rstrip("/")

    def curl(self, scope: Scope, body: bytes) -> str:
        """The curl line of a request the proxy got (keys never shown)."""
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        return curl_for(scope["method"], self.origin(scope) + scope["path"],
                        scope.get("query_string", b""), headers, body, self.store.keys.label)


LOOPBACK_OPEN = AdminAccess(None, "127.0.0.1")
"""The admin policy of a proxy on loopback without a token (tests, the default)."""


class ProxyApp:
    """The proxy as one ASGI app (``/_mock/...``: its own controls and webhook relays)."""

    def __init__(self, state: ProxyState, summary: Summary,
                 access: AdminAccess = LOOPBACK_OPEN) -> None:
        self.state = state
        self.summary = summary
        spec_name = state.provider.spec
        self.spec_name = spec_name
        self.index = index_for(spec_name)
        self.base = server_path(self.index.spec)
        """The spec's server path: where the provider's paths start on the proxy's port."""
        self.mounts = [(state.provider.name, self.base)]
        self.checker = RequestChecker(self.index)
        self.forwarding = JournalMiddleware(self._forward, state.store, state.clock, self.locate,
                                            set(state.provider.sensitive_headers))
        self.admin = proxy_admin_app(state)
        self.access = access
        """Who may read ``/_mock`` (the mock's policy); the relays stay open: the provider,
        not the user, calls them."""
        self.guarded_admin = AdminGuard(self.admin, access)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"].startswith(RELAY_PREFIX):
            await self.admin(scope, receive, send)
        elif scope["type"] == "http" and scope["path"].startswith("/_mock/"):
            await self.guarded_admin(scope, receive, send)
        elif scope["type"] == "http":
            await self.forwarding(scope, receive, send)
        else:  # the proxy does not relay websockets
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def stop(self) -> None:
        """Close the upstream connections and write the summary (once)."""
        await self.state.upstream.close()
        self.summary.write(self.report())

    def report(self) -> Any:
        """The run so far as a contract report (one check per operation seen)."""
        return proxy_report(self.state, time.monotonic() - self.state.started)

    def local_path(self, path: str) -> str:
        """``path`` below the spec's server path (unchanged when it is not below it)."""
        if self.base and (path == self.base or path.startswith(self.base + "/")):
            return path[len(self.base):] or "/"
        return path

    def locate(self, method: str, path: str) -> Location:
        """Where a request landed, for the journal."""
        name = self.state.provider.name
        local = self.local_path(path)
        if local.startswith(UPSTREAM_PREFIX + "/"):
            return Location(name, local, None)
        found = self.index.find(method, local)
        return Location(name, local, found[0] if found else None)

    def _move(self, origin: str) -> Any:
        upstream = self.state.upstream
        prefix = upstream.origin + "/"

        def move(url: str) -> str | None:
            if not url.startswith(prefix):
                return None
            path = url[len(upstream.origin):]
            if path.startswith(upstream.base_path + "/"):
                return origin + self.base + path[len(upstream.base_path):]
            return origin + self.base + UPSTREAM_PREFIX + path
        return move

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        method, path = scope["method"], scope["path"]
        query: bytes = scope.get("query_string", b"")
        body = await read_body(receive)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        lower = {k.lower(): v for k, v in headers}
        origin = state.origin(scope)
        findings: list[Finding] = []
        where = self.locate(method, path)
        operation = operation_of(method, where.route, where.local_path)
        local: str | None = where.local_path
        if where.local_path.startswith(UPSTREAM_PREFIX + "/"):
            target, sent = state.upstream.origin + where.local_path[len(UPSTREAM_PREFIX):], body
            local = None
        else:
            findings = self.checker.check(method, where.local_path, query, lower, body)
            target = state.upstream.url + where.local_path
            sent = state.relays.swap(lower.get("content-type", ""), body, origin, operation)
        try:
            response = await state.upstream.send(method, target, query, passing_headers(headers),
                                                 sent)
        except UpstreamUnreachable as exc:
            error = ApiError(502, f"the upstream {state.upstream.url} did not answer: {exc}",
                             headers={VIOLATIONS_HEADER: "0"})
            await send_error(send, state.provider.errors, error)
            return
        content = response.content
        content_type = response.header("content-type")
        data = None
        if "json" in content_type:
            try:
                data = json.loads(content)
            except ValueError:
                data = None
        if local is not None:
            findings += check_response(self.spec_name, method, local, response.status_code,
                                       content_type, data)
        if data is not None and rewrite_urls(data, self._move(origin), state.claims, operation):
            content = json.dumps(data).encode()
        claim = state.claims.get(path) if response.status_code == 200 else None
        if claim is not None:
            findings += await asyncio.to_thread(check_length, content, *claim)
        for audio, seconds in inline_audio(data) if response.status_code == 200 else ():
            findings += await asyncio.to_thread(check_length, audio, seconds, operation)
        out = passing_headers(response.headers, HOP_BY_HOP | DECODED)
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in out]
        raw += [(b"content-length", str(len(content)).encode()),
                (VIOLATIONS_HEADER.lower().encode(), str(len(findings)).encode())]
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": raw})
        await send({"type": "http.response.body", "body": content})
        if findings:
            state.violations.record(findings, Seen(method, path, operation,
                                                   state.curl(scope, body),
                                                   journal_id(scope, state.store)))


async def read_body(receive: Receive) -> bytes:
    """The whole body of an ASGI request."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def create_proxy_app(provider: Provider, upstream_url: str, state_path: str = ":memory:",
                     junit: str | None = None, markdown: str | None = None,
                     public_url: str | None = None, echo: Any = print,
                     access: AdminAccess = LOOPBACK_OPEN) -> ProxyApp:
    """The proxy for ``provider`` in front of ``upstream_url`` (the provider's base URL, with
    its spec's server path); the summary goes to ``echo`` and the files named when it stops;
    ``/_mock`` (but the relays) under the admin ``access`` policy, as the mock's."""
    store = Store(state_path)
    clock = Clock("real")
    index = index_for(provider.spec)
    state = ProxyState(
        provider=provider, upstream=Upstream(upstream_url), store=store, clock=clock,
        violations=Violations(store, clock), relays=Relays(store, callback_fields(index.spec)),
        webhooks=WebhookCheck(index, webhook_operations(provider.spec)), public_url=public_url)
    return ProxyApp(state, Summary(echo=echo, junit=junit, markdown=markdown,
                                   upstream=state.upstream.url), access)
