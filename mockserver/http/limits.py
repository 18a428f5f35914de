"""Rate limits as ASGI middleware in front of a provider's connexion app.

The key is read where the spec's security scheme says; requests without one pass through
(the provider's 401 answers them). Limits come from the provider's declaration and the
config (``providers.<name>.rate_limit: {requests: N, window_seconds: S}``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.core.ratelimit import Decision, RateLimiter
from mockserver.http.errors import ApiError, ErrorFormat, send_error
from mockserver.http.keys import KeyReader, key_places
from mockserver.openapi.spec_index import SpecIndex

HeaderFn = Callable[[Decision], dict[str, str]]


def key_reader(spec: dict[str, Any], base_path: str = "") -> Callable[[Scope], str | None]:
    """A function reading the API key from a request, per the spec's security schemes.

    Requests to operations that need no key (``security: []``) read as keyless, so a client
    that sends its key everywhere is not limited on, say, a health check.
    """
    is_open = SpecIndex(spec, base_path).is_open
    reader = KeyReader(key_places(spec))

    def read(scope: Scope) -> str | None:
        if is_open(scope.get("method", "GET"), scope.get("path", "")):
            return None
        return reader.read(Headers(scope=scope))

    return read


class RateLimitMiddleware:
    """Answer 429 in the provider's format once a key exceeds its limit."""

    def __init__(self, app: ASGIApp, *, provider: str, limiter: RateLimiter, requests: int,
                 window: float, read_key: Callable[[Scope], str | None], errors: ErrorFormat,
                 headers: HeaderFn) -> None:
        self.app = app
        self.provider = provider
        self.limiter = limiter
        self.requests = requests
        self.window = window
        self.read_key = read_key
        self.errors = errors
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.read_key(scope) if scope["type"] == "http" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        decision = self.limiter.hit((self.provider, key), self.requests, self.window)
        extra = self.headers(decision)
        if decision.allowed:
            await self.app(scope, receive, _with_headers(send, extra))
            return
        error = ApiError(429, f"Rate limit exceeded; retry in {decision.retry_after} seconds",
                         code="RATE_LIMIT_EXCEEDED", headers=extra)
        await send_error(send, self.errors, error)


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    if not extra:
        return send
    raw = [(k.lower().encode(), v.encode()) for k, v in extra.items()]

    async def wrapped(message: dict) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *raw]}
        await send(message)

    return wrapped


def retry_after_only(decision: Decision) -> dict[str, str]:
    """``Retry-After`` on a 429, nothing otherwise (Soundpiece documents only this)."""
    return {} if decision.allowed else {"Retry-After": str(decision.retry_after)}
